/* cmd_compare.c - `attrib compare`: do two heatmaps (or two folders of
 * them) agree? For CI jobs that guard explanations against drift. */
#include <stdio.h>

#include "commands.h"
#include "compare.h"
#include "error.h"
#include "tolerance_opts.h"

static const char usage[] =
    "usage: attrib compare GOLDEN NEW [tolerances] [--json] [-q]\n\n"
    "Compares two maps - .npy files (as --raw/--save-raw write them), heatmap PNGs\n"
    "(their grey level) or raw float32 files - or every map in two directories,\n"
    "paired by relative path (.npy files, or heatmap PNGs when GOLDEN has no .npy).\n"
    "Reports for each pair the max and mean absolute difference (as fractions of\n"
    "the golden map's largest value), Pearson and Spearman correlation, and the IoU\n"
    "of the hottest pixels. Exit 0 when every pair is within the tolerances, 1 when\n"
    "any is not or is missing on either side.\n\n"
    "Options:\n" TOLERANCE_HELP
    "  --json             one JSON object with every pair\n"
    "  -q, --quiet        list only the pairs that fail\n"
    "  -h, --help         show this help\n\n";

enum { OPT_JSON = OPT_FIRST_COMMAND_OPTION };

int cmd_compare(int argc, char **argv)
{
    static const struct option longopts[] = {
        TOLERANCE_LONGOPTS,
        { "json", no_argument, NULL, OPT_JSON },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct tolerances t;
    tolerances_default(&t);
    int json = 0, quiet = 0, opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        int rc = tolerance_opts_parse(&t, opt, optarg);
        if (rc > 0)
            return rc;
        if (rc == 0)
            continue;
        if (opt == 'h') {
            fputs(usage, stdout);
            fputs(exit_codes_help, stdout);
            return EXIT_OK;
        } else if (opt == OPT_JSON) {
            json = 1;
        } else if (opt == 'q') {
            quiet = 1;
        } else {
            return bad_option(argc, argv);
        }
    }
    if (argc - optind != 2)
        return fail(EXIT_USAGE, "give a golden and a new map or directory (usage: attrib compare GOLDEN NEW)");
    return compare_paths(argv[optind], argv[optind + 1], &t, json, quiet);
}
