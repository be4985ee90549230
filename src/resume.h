/* resume.h - --resume: a run's key, and whether an image's outputs from an
 * earlier run are complete for this one.
 *
 * The record is the image's own summary JSON, written last and atomically,
 * after its pictures: it carries the run's key and the image's SHA-256. An
 * image is done when that file is there, parses, has this run's key, the
 * image's current SHA-256 (and its given class, from --class-file), and
 * every output it lists is there. No separate manifest: nothing to keep in
 * step with the files, and a kill at any point leaves each image either
 * complete (its JSON is there) or to be redone. */
#ifndef ATTRIB_RESUME_H
#define ATTRIB_RESUME_H

#include <cJSON.h>

#include "options.h"
#include "summary.h"

#define RUN_KEY_HEX 65

/* SHA-256 of what decides a run's results: attrib's and libtorch's
 * versions, the device, the model file's SHA-256, the method and the value
 * of every option of table (whose destinations are in opts) but for the
 * OPT_NOT_RESULT rows. EXIT_OK or EXIT_INTERNAL. */
int run_key_make(const struct opt *table, const void *opts, const char *method,
                 const struct model_info *model, char key[RUN_KEY_HEX]);

/* Whether the image at image_path (class target, -1: predicted) is done
 * per the summary at json_path for a run of key: 1 with *summary (the
 * caller deletes it), or 0 - to be computed, with a one-line warning when
 * the summary is there but damaged. */
int resume_done(const char *key, const char *image_path, long target, const char *json_path,
                cJSON **summary);

#endif
