/* tolerance_opts.h - the --max-abs/--min-pearson/... options shared by
 * `attrib compare` and `attrib golden check`. */
#ifndef ATTRIB_TOLERANCE_OPTS_H
#define ATTRIB_TOLERANCE_OPTS_H

#include "cli.h"
#include "compare.h"

enum {
    OPT_MAX_ABS = OPT_FIRST_COMMAND_OPTION + 50, OPT_MEAN_ABS, OPT_MIN_PEARSON,
    OPT_MIN_SPEARMAN, OPT_MIN_IOU, OPT_TOP
};

#define TOLERANCE_LONGOPTS                                          \
    { "max-abs", required_argument, NULL, OPT_MAX_ABS },            \
    { "mean-abs", required_argument, NULL, OPT_MEAN_ABS },          \
    { "min-pearson", required_argument, NULL, OPT_MIN_PEARSON },    \
    { "min-spearman", required_argument, NULL, OPT_MIN_SPEARMAN },  \
    { "min-iou", required_argument, NULL, OPT_MIN_IOU },            \
    { "top", required_argument, NULL, OPT_TOP }

#define TOLERANCE_HELP                                                               \
    "  --max-abs X        largest |golden - new| / max |golden| (default 0.01)\n"      \
    "  --mean-abs X       mean of the same (default 0.001)\n"                          \
    "  --min-pearson R    smallest Pearson correlation (default 0.99)\n"               \
    "  --min-spearman R   smallest Spearman rank correlation (default 0.99)\n"         \
    "  --min-iou R        smallest IoU of the top --top % pixels (default 0.9)\n"      \
    "  --top PCT          the hottest PCT % for the IoU (default 5)\n"

/* EXIT_OK if opt was a tolerance option, EXIT_USAGE on a bad value, -1 if
 * it is not one. */
static inline int tolerance_opts_parse(struct tolerances *t, int opt, const char *arg)
{
    switch (opt) {
    case OPT_MAX_ABS: return parse_double(arg, 0, 1e9, "--max-abs", &t->max_abs);
    case OPT_MEAN_ABS: return parse_double(arg, 0, 1e9, "--mean-abs", &t->mean_abs);
    case OPT_MIN_PEARSON: return parse_double(arg, -1, 1, "--min-pearson", &t->min_pearson);
    case OPT_MIN_SPEARMAN: return parse_double(arg, -1, 1, "--min-spearman", &t->min_spearman);
    case OPT_MIN_IOU: return parse_double(arg, 0, 1, "--min-iou", &t->min_iou);
    case OPT_TOP: return parse_double(arg, 0.01, 100, "--top", &t->top_percent);
    default: return -1;
    }
}

#endif
