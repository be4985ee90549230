/* progress.c - carriage-return redrawn progress line. */
#include "progress.h"

#include <stdio.h>
#include <unistd.h>

#include "timer.h"

enum { BAR_WIDTH = 30 };

void progress_start(struct progress *p, const char *label, int total, int quiet)
{
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->label = label;
    p->total = total > 0 ? total : 1;
    p->t_start = now_ms();
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
    double secs = (now_ms() - p->t_start) / 1e3, rate = secs > 0 ? i / secs : 0;
    long left = rate > 0 ? (long)((p->total - i) / rate + 0.5) : 0;
    fprintf(stderr, "\r%s [%s] %d/%d  %.1f/s  ETA %ld:%02ld  %s\033[K", p->label, bar, i,
            p->total, rate, left / 60, left % 60, note ? note : "");
    fflush(stderr);
}

void progress_end(struct progress *p)
{
    if (p->enabled) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}
