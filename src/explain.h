/* explain.h - what every attribution subcommand shares: its options, and
 * turning a map into heatmap, overlay, raw file and summary. A new method
 * computes its map and calls explain_outputs(). */
#ifndef ATTRIB_EXPLAIN_H
#define ATTRIB_EXPLAIN_H

#include <stdio.h>

#include "cli.h"
#include "colormap.h"
#include "model.h"
#include "summary.h"

struct explain_opts {
    struct model_opts model;
    long target;         /* --class; -1: the predicted class */
    const char *out_dir; /* -o */
    enum colormap cmap;  /* --cmap */
    double alpha;        /* --alpha: weight of the heatmap in the overlay */
    double clip;         /* --clip: percent of hottest pixels drawn saturated */
    const char *raw;     /* --raw FILE */
    int json, quiet;
};

enum {
    OPT_CLASS = OPT_FIRST_COMMAND_OPTION, OPT_CMAP, OPT_ALPHA, OPT_CLIP, OPT_RAW, OPT_JSON,
    OPT_FIRST_METHOD_OPTION
};

#define EXPLAIN_SHORTOPTS "c:o:qh"
#define EXPLAIN_LONGOPTS                                   \
    MODEL_LONGOPTS,                                        \
    { "class", required_argument, NULL, 'c' },             \
    { "output", required_argument, NULL, 'o' },            \
    { "cmap", required_argument, NULL, OPT_CMAP },         \
    { "alpha", required_argument, NULL, OPT_ALPHA },       \
    { "clip", required_argument, NULL, OPT_CLIP },         \
    { "raw", required_argument, NULL, OPT_RAW },           \
    { "json", no_argument, NULL, OPT_JSON },               \
    { "quiet", no_argument, NULL, 'q' },                   \
    { "help", no_argument, NULL, 'h' }

#define EXPLAIN_OPTS_HELP                                                               \
    "  -c, --class N      class to explain (default: the predicted class)\n"            \
    "  -o, --output DIR   where to write the files (default: .; created if missing)\n"  \
    "  --cmap NAME        colour map: " COLORMAP_NAMES " (default: inferno)\n"           \
    "  --alpha A          weight of the heatmap in the overlay, 0..1 (default: 0.5)\n"   \
    "  --clip PCT         draw the hottest PCT% of pixels saturated, so a few\n"       \
    "                     outliers do not darken the picture (default: 1; 0: none)\n"  \
    "  --raw FILE         also write the exact map values: NumPy .npy if FILE ends\n"    \
    "                     in .npy, else raw little-endian float32 (one image only)\n"    \
    "  --json             print the JSON summary on stdout (one line per image)\n"       \
    "  -q, --quiet        print nothing on success\n"                                   \
    MODEL_OPTS_HELP                                                                     \
    "  -h, --help         show this help\n"

void explain_opts_init(struct explain_opts *o);
/* EXIT_OK when opt was an explain option, EXIT_USAGE on a bad value, -1
 * when it is not one. */
int explain_opts_parse(struct explain_opts *o, int opt, const char *arg);

/* The class scores the summary reports, from one row of logits. */
void explain_scores(const struct model *m, const float *logits, long target,
                    struct summary *s);

/* Writes OUT/NAME.METHOD.png (heatmap), .overlay.png, the --raw file and
 * .json; fills s->outputs and s->stats; prints the text or JSON line on
 * stdout. map is map_w x map_h and covers region of img. */
int explain_outputs(const struct explain_opts *o, const struct image *img, const float *map,
                    struct summary *s);

#endif
