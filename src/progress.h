/* progress.h - progress on stderr. On a terminal, a line redrawn in place;
 * elsewhere (a log), with progress_log_every, a plain line now and then.
 * Rate and time left are over the last PROGRESS_WINDOW updates, so they
 * follow a run that speeds up or slows down, and images skipped by
 * --resume (counted apart) do not make the rate look faster than it is.
 * Nothing with --quiet. */
#ifndef ATTRIB_PROGRESS_H
#define ATTRIB_PROGRESS_H

#define PROGRESS_WINDOW 32

struct progress {
    int enabled;      /* a terminal: redrawn */
    double log_ms;    /* not a terminal: a line this often (0: none) */
    const char *label;
    int total;
    long failed, skipped;
    long cached;      /* --cache hits; -1: no cache */
    double t_start, t_log; /* ms */
    double delay_ms;  /* a terminal: drawn only once the run has taken this long */
    int drawn;        /* a terminal: a line is on it (progress_end clears it) */
    double wt[PROGRESS_WINDOW]; /* ring of (time, images computed) */
    long wn[PROGRESS_WINDOW];
    int head, count;
};

void progress_start(struct progress *p, const char *label, int total, int quiet);
/* Not on a terminal and not quiet: a line every ms milliseconds. */
void progress_log_every(struct progress *p, double ms);
/* On a terminal: nothing drawn before ms milliseconds (a short run stays
 * silent; a long one shows it is alive). */
void progress_delay(struct progress *p, double ms);
/* Images that failed, images skipped (done by an earlier run) and images
 * copied from --cache (-1: no cache), so far: shown on the line, and the
 * last two left out of the rate. */
void progress_counts(struct progress *p, long failed, long skipped, long cached);
/* i of total done: "label [#####.....] i/total  R/s  ETA m:ss  note". */
void progress_update(struct progress *p, int i, const char *note);
void progress_end(struct progress *p);
/* The last line of a run over several inputs (unless quiet): "label: N
 * images in T s (R/s): A explained, F failed, S skipped[, H from the
 * cache]" - the rate is of the A + F computed (none when nothing was). */
void progress_totals(const struct progress *p, const char *explained, long ok, int quiet);

#endif
