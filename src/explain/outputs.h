/* explain/outputs.h - one image's files, made from its map: the summary's
 * scores, statistics and display range, the paths, and the files written
 * once the pictures are encoded (pictures.h). */
#ifndef ATTRIB_EXPLAIN_OUTPUTS_H
#define ATTRIB_EXPLAIN_OUTPUTS_H

#include <limits.h>

#include <cJSON.h>
#include "colormap.h"
#include "method.h"
#include "pictures.h"

/* Each image's output files, in its batch buffers' paths. */
enum { OUT_HEAT, OUT_RGB, OUT_OVERLAY, OUT_JSON, OUT_NPY, OUT_SEGMENTS, OUTPUT_PATHS };

/* The colour map of the run's pictures (--cmap; auto: by the map's sign). */
enum colormap explain_colormap(const struct explain_run *run);
/* How the run's overlays mix the map into the photo (--cmap, --alpha,
 * --blend, the map's sign). */
struct overlay_style explain_overlay_style(const struct explain_run *run);

/* The class scores the summary reports, from row `row` of the result. */
void output_scores(const struct explain_run *run, const attrib_result *res, int row,
                   struct summary *s);

/* An image's statistics, display range and output paths, named name (which
 * may have subfolders) in the output directory; the paths are kept in
 * paths, which must outlive s (s->outputs points there). Its pictures are
 * encoded next (pictures_encode), then output_write writes the files. */
int output_prepare(const struct explain_run *run, const struct attribution *a,
                   struct summary *s, const char *name, char (*paths)[PATH_MAX]);

/* The encoded pictures, the raw files and the summary of one image; *json
 * keeps the summary (the report's record is made from it), or json is NULL. */
int output_write(const struct explain_opts *o, const struct picture_job *pic,
                 struct summary *s, char (*paths)[PATH_MAX], cJSON **json);

/* An image's summary j to its file at path, then to stdout: one JSON line
 * (--json) or its text (unless -q). */
int output_publish(const struct explain_opts *o, const cJSON *j, const char *path);

#endif
