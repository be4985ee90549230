/* progress.c - carriage-return redrawn progress line. */
#include "progress.h"

#include <stdio.h>
#include <unistd.h>

enum { BAR_WIDTH = 30 };

void progress_start(struct progress *p, const char *label, int total, int quiet)
{
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->label = label;
    p->total = total > 0 ? total : 1;
}

void progress_update(struct progress *p, int i, const char *note)
{
    if (!p->enabled)
        return;
    int filled = (int)((long)i * BAR_WIDTH / p->total);
    char bar[BAR_WIDTH + 1];
    for (int k = 0; k < BAR_WIDTH; k++)
        bar[k] = k < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    fprintf(stderr, "\r%s [%s] %d/%d  %s\033[K", p->label, bar, i, p->total, note ? note : "");
    fflush(stderr);
}

void progress_end(struct progress *p)
{
    if (p->enabled) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}
