/* stages.c - per-stage wall time of a run (--timings). */
#include "stages.h"

static const char *const names[STAGE_COUNT] = {
    [STAGE_MODEL] = "model load",       [STAGE_DECODE] = "decode",
    [STAGE_PREPROCESS] = "preprocess",  [STAGE_NETWORK] = "network (libtorch)",
    [STAGE_METHOD] = "method (C)",      [STAGE_STATS] = "map statistics",
    [STAGE_PICTURES] = "pictures (PNG)", [STAGE_FILES] = "JSON, raw, stdout",
    [STAGE_REPORT] = "batch report",    [STAGE_WAIT] = "waiting for workers",
};

static double total[STAGE_COUNT];

void stage_add(enum stage s, double ms)
{
    total[s] += ms;
}

/* Whether stage s ran on the workers, beside the passes. */
static int beside(enum stage s, int workers)
{
    return workers > 0 && (s == STAGE_DECODE || s == STAGE_PREPROCESS || s == STAGE_PICTURES);
}

static void row(FILE *f, enum stage s, double per, double wall_ms)
{
    char each[32] = ""; /* the model loads once per run */
    if (s != STAGE_MODEL)
        snprintf(each, sizeof each, "%.2f", total[s] / per);
    fprintf(f, "  %-20s %10.1f %10s %5.1f%%\n", names[s], total[s], each,
            wall_ms > 0 ? 100 * total[s] / wall_ms : 0);
}

void stages_print(FILE *f, const char *method, size_t images, double wall_ms, int workers)
{
    double accounted = 0, per = images ? (double)images : 1;
    fprintf(f, "%s: timings over %zu image%s, %.1f ms wall\n", method, images,
            images == 1 ? "" : "s", wall_ms);
    fprintf(f, "  %-20s %10s %10s %6s\n", "stage", "total ms", "ms/image", "share");
    for (int s = 0; s < STAGE_COUNT; s++)
        if (!beside(s, workers) && (s != STAGE_WAIT || workers > 0)) {
            accounted += total[s];
            row(f, s, per, wall_ms);
        }
    double rest = wall_ms - accounted;
    fprintf(f, "  %-20s %10.1f %10s %5.1f%%\n", "other", rest, "",
            wall_ms > 0 ? 100 * rest / wall_ms : 0);
    if (workers <= 0)
        return;
    fprintf(f, "  on %d worker%s, beside the passes:\n", workers, workers == 1 ? "" : "s");
    for (int s = 0; s < STAGE_COUNT; s++)
        if (beside(s, workers))
            row(f, s, per, wall_ms);
}
