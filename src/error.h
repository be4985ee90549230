/* error.h - exit codes and the one-line error message of the front end. */
#ifndef ATTRIB_ERROR_H
#define ATTRIB_ERROR_H

/* Exit codes of every subcommand; documented in `attrib --help` and README. */
enum attrib_exit {
    EXIT_OK = 0,          /* everything asked for was done */
    EXIT_INPUT = 1,       /* an input image could not be read or processed, or a check
                             (compare, golden, sanity, drift) failed */
    EXIT_USAGE = 2,       /* bad command line */
    EXIT_MODEL = 3,       /* model file missing, unreadable, or not a usable model */
    EXIT_OUTPUT = 4,      /* an output file or standard output could not be written */
    EXIT_INTERNAL = 5,    /* out of memory or another failure inside the tool */
    EXIT_INTERRUPTED = 130 /* stopped by SIGINT/SIGTERM; no partial files left */
};

/* Records a printf-style message and returns code, so failures read
 * `return fail(EXIT_INPUT, "cannot open '%s': %s", path, strerror(errno));`. */
int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message recorded by the last fail() ("" if none). */
const char *error_message(void);

void clear_error(void);

/* Prints "attrib[ CMD]: MESSAGE" as one line on stderr. */
void report_error(const char *cmd, const char *message);
void report_warning(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A warning about the whole run (a model without a card) held back until
 * the run has a result: report_held_warning prints it once (the first
 * summary written, or the command's success), so that a run that fails
 * says one line, its error. */
void hold_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void report_held_warning(void);

#endif
