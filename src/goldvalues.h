/* goldvalues.h - goldens of commands whose result is numbers, not maps
 * (predict, eval, sanity): the numbers that matter in each image's JSON
 * line, kept by name ("top.0.probability") and compared with a tolerance;
 * class indices exactly. Pure C over cJSON. */
#ifndef ATTRIB_GOLDVALUES_H
#define ATTRIB_GOLDVALUES_H

#include <cJSON.h>

/* Whether cmd's goldens are values (predict, eval, sanity). */
int goldvalues_command(const char *cmd);

/* {"IMAGE": {"name": number, ...}, ...} from cmd's --json output (one JSON
 * object per line, each with its "image"). EXIT_OK, EXIT_INPUT (a line that
 * is not such an object) or EXIT_INTERNAL. */
int goldvalues_collect(const char *cmd, const char *text, cJSON **out);

/* A record per image into pairs ({"file": IMAGE, "ok", "why", "golden",
 * "new" of the worst value}): every golden value present and within tol of
 * the new one (indices equal); images on one side only fail. */
void goldvalues_compare(const cJSON *golden, const cJSON *fresh, double tol, cJSON *pairs);

#endif
