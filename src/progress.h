/* progress.h - a one-line progress bar on stderr, only when stderr is a
 * terminal (and not --quiet): scripts and CI logs see nothing. */
#ifndef ATTRIB_PROGRESS_H
#define ATTRIB_PROGRESS_H

struct progress {
    int enabled;
    const char *label;
    int total;
    double t_start; /* ms, for the rate and the time left */
};

void progress_start(struct progress *p, const char *label, int total, int quiet);
/* Redraws the line: "label [#####.....] i/total  R/s  ETA m:ss  note". */
void progress_update(struct progress *p, int i, const char *note);
void progress_end(struct progress *p);

#endif
