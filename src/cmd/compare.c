/* compare.c - `attrib compare`: do two heatmaps (or two folders of
 * them) agree? For CI jobs that guard explanations against drift. */
#include "command.h"
#include "compare.h"
#include "error.h"

static int cmd_compare(void *opts, const operands *ops)
{
    const struct compare_opts *o = opts;
    if (ops->n != 2)
        return fail(EXIT_USAGE, "give a golden and a new map or directory (usage: attrib compare GOLDEN NEW)");
    return compare_paths(ops->args[0], ops->args[1], &o->t, o->json, o->quiet);
}

const struct command_spec compare_spec = {
    .synopsis = "attrib compare GOLDEN NEW [tolerances] [--json] [-q]",
    .description =
        "Compares two maps - .npy files (as --raw/--save-raw write them), heatmap PNGs\n"
        "(their grey level) or raw float32 files - or every map in two directories,\n"
        "paired by relative path (.npy files, or heatmap PNGs when GOLDEN has no .npy).\n"
        "Reports for each pair the max and mean absolute difference (as fractions of\n"
        "the golden map's largest value), Pearson and Spearman correlation, and the IoU\n"
        "of the hottest pixels. Exit 0 when every pair is within the tolerances, 1 when\n"
        "any is not or is missing on either side.\n",
    COMMAND_RUN(struct compare_opts, compare_options, cmd_compare),
    .operands = OPERANDS_FILES,
};
