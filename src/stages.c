/* stages.c - per-stage wall time of a run (--timings). */
#include "stages.h"

static const char *const names[STAGE_COUNT] = {
    [STAGE_MODEL] = "model load",       [STAGE_DECODE] = "decode",
    [STAGE_PREPROCESS] = "preprocess",  [STAGE_NETWORK] = "network (libtorch)",
    [STAGE_METHOD] = "method (C)",      [STAGE_STATS] = "map statistics",
    [STAGE_PICTURES] = "pictures (PNG)", [STAGE_FILES] = "JSON, raw, stdout",
    [STAGE_REPORT] = "batch report",
};

static double total[STAGE_COUNT];

void stage_add(enum stage s, double ms)
{
    total[s] += ms;
}

void stages_print(FILE *f, const char *method, size_t images, double wall_ms)
{
    double accounted = 0, per = images ? (double)images : 1;
    fprintf(f, "%s: timings over %zu image%s, %.1f ms wall\n", method, images,
            images == 1 ? "" : "s", wall_ms);
    fprintf(f, "  %-20s %10s %10s %6s\n", "stage", "total ms", "ms/image", "share");
    for (int s = 0; s < STAGE_COUNT; s++) {
        accounted += total[s];
        char each[32] = ""; /* the model loads once per run */
        if (s != STAGE_MODEL)
            snprintf(each, sizeof each, "%.2f", total[s] / per);
        fprintf(f, "  %-20s %10.1f %10s %5.1f%%\n", names[s], total[s], each,
                wall_ms > 0 ? 100 * total[s] / wall_ms : 0);
    }
    double rest = wall_ms - accounted;
    fprintf(f, "  %-20s %10.1f %10s %5.1f%%\n", "other", rest, "",
            wall_ms > 0 ? 100 * rest / wall_ms : 0);
}
