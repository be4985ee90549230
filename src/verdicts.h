/* verdicts.h - the outcome of a check, pair by pair (compare, golden
 * check): records {"file", "ok", "why" when not, and the measurements}
 * printed as text, one JSON object or GitHub Actions annotations, and
 * written as JUnit XML for CI test reports. */
#ifndef ATTRIB_VERDICTS_H
#define ATTRIB_VERDICTS_H

#include <cJSON.h>

enum verdict_format { VERDICT_TEXT, VERDICT_GITHUB };
extern const char *const verdict_format_names[]; /* "text", "github" */

void verdicts_count(const cJSON *pairs, int *passed, int *failed);

/* One JSON object on stdout: the counts and every pair. */
void verdicts_print_json(const cJSON *pairs);

/* A line per pair (only failures with quiet), then "N passed, M failed";
 * VERDICT_GITHUB also prints an "::error file=...::" annotation per failure,
 * file being the pair's "path" if it has one, else where (the golden
 * directory) joined with the pair's name. */
void verdicts_print(const cJSON *pairs, enum verdict_format f, int quiet, const char *where);

/* JUnit XML (a testsuite called suite, a testcase per pair, a failure
 * element with the reason for each that failed) at path, atomically.
 * EXIT_OK, EXIT_OUTPUT or EXIT_INTERNAL. */
int verdicts_junit(const cJSON *pairs, const char *suite, const char *path);

#endif
