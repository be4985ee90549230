/* progress.c - the progress line and a run's last line. */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "timer.h"

enum { BAR_WIDTH = 30 };

void progress_start(struct progress *p, const char *label, int total, int quiet)
{
    *p = (struct progress){ .enabled = !quiet && isatty(STDERR_FILENO), .label = label,
                            .total = total > 0 ? total : 1, .t_start = now_ms(),
                            .cached = -1 };
    p->t_log = p->t_start;
    p->log_ms = -1; /* quiet: never */
    if (!quiet)
        p->log_ms = 0;
}

void progress_log_every(struct progress *p, double ms)
{
    if (p->log_ms == 0 && !p->enabled)
        p->log_ms = ms;
}

void progress_delay(struct progress *p, double ms)
{
    p->delay_ms = ms;
}

void progress_counts(struct progress *p, long failed, long skipped, long cached)
{
    p->failed = failed;
    p->skipped = skipped;
    p->cached = cached;
}

/* Images per second computed over the window (skipped and cached ones left
 * out). */
static double window_rate(struct progress *p, int i, double t)
{
    long computed = i - p->skipped - (p->cached > 0 ? p->cached : 0);
    p->head = (p->head + 1) % PROGRESS_WINDOW;
    p->wt[p->head] = t;
    p->wn[p->head] = computed;
    if (p->count < PROGRESS_WINDOW)
        p->count++;
    int oldest = (p->head - p->count + 1 + PROGRESS_WINDOW) % PROGRESS_WINDOW;
    double dt = (t - (p->count > 1 ? p->wt[oldest] : p->t_start)) / 1e3;
    long dn = computed - (p->count > 1 ? p->wn[oldest] : 0);
    return dt > 0 ? dn / dt : 0;
}

void progress_update(struct progress *p, int i, const char *note)
{
    int tty = p->enabled;
    if (!tty && p->log_ms <= 0)
        return;
    double t = now_ms();
    double rate = window_rate(p, i, t); /* every update is a sample, shown or not */
    int log = !tty && t - p->t_log >= p->log_ms;
    if (!tty && !log)
        return;
    if (tty && t - p->t_start < p->delay_ms)
        return;
    long left = rate > 0 ? (long)((p->total - i) / rate + 0.5) : 0;
    char counts[128] = "";
    if (p->failed || p->skipped || p->cached > 0)
        snprintf(counts, sizeof counts, "  %ld failed, %ld skipped", p->failed, p->skipped);
    if (p->cached > 0)
        snprintf(counts + strlen(counts), sizeof counts - strlen(counts), ", %ld cached",
                 p->cached);
    if (log) {
        p->t_log = t;
        fprintf(stderr, "%s: %d/%d%s  %.1f/s  ETA %ld:%02ld\n", p->label, i, p->total, counts,
                rate, left / 60, left % 60);
        return;
    }
    int filled = (int)((long)i * BAR_WIDTH / p->total);
    char bar[BAR_WIDTH + 1];
    for (int k = 0; k < BAR_WIDTH; k++)
        bar[k] = k < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    fprintf(stderr, "\r%s [%s] %d/%d%s  %.1f/s  ETA %ld:%02ld  %s\033[K", p->label, bar, i,
            p->total, counts, rate, left / 60, left % 60, note ? note : "");
    fflush(stderr);
    p->drawn = 1;
}

void progress_end(struct progress *p)
{
    if (p->enabled && p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = 0;
}

void progress_totals(const struct progress *p, const char *explained, long ok, int quiet)
{
    if (quiet)
        return;
    double secs = (now_ms() - p->t_start) / 1e3;
    long computed = ok + p->failed, cached = p->cached > 0 ? p->cached : 0;
    char rate[32] = ""; /* of the images computed: none, no rate */
    if (computed > 0 && secs > 0)
        snprintf(rate, sizeof rate, " (%.1f/s)", computed / secs);
    fprintf(stderr, "%s: %ld images in %.1f s%s: %ld %s, %ld failed, %ld skipped", p->label,
            computed + p->skipped + cached, secs, rate, ok, explained, p->failed, p->skipped);
    if (p->cached >= 0)
        fprintf(stderr, ", %ld from the cache", cached);
    fputc('\n', stderr);
}
