/* explain/spec.c - the options every attribution command shares, as rows,
 * and each method's command spec made from them. */
#include "spec.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "heatmap.h"
#include "threads.h"

/* The options every attribution subcommand shares; destinations in
 * struct explain_opts. */
static const struct opt class_options[] = {
    CLASS_OPTION('c', "class", struct explain_opts, target, "class to explain",
                 "the predicted class"),
    OPT_END,
};

/* --objective, one table per default (a method's is in its --help). */
#define OBJECTIVE_ROW(def)                                                                   \
    OPT_ENUM(0, "objective", struct explain_opts, objective.kind, objective_names, def,      \
             "what is explained: the class's logit (its unnormalised score), its "           \
             "probability (softmax) or its log-probability")
static const struct opt objective_options[][2] = {
    [OBJECTIVE_LOGIT] = { OBJECTIVE_ROW(OBJECTIVE_LOGIT), OPT_END },
    [OBJECTIVE_PROBABILITY] = { OBJECTIVE_ROW(OBJECTIVE_PROBABILITY), OPT_END },
    [OBJECTIVE_LOG_PROBABILITY] = { OBJECTIVE_ROW(OBJECTIVE_LOG_PROBABILITY), OPT_END },
};

static const struct opt target_options[] = {
    CLASS_OPTION(0, "versus", struct explain_opts, objective.versus,
                 "a contrast: explain the class's objective minus class N's (why the class "
                 "rather than N)", "no contrast"),
    OPT_PATH(0, "class-file", struct explain_opts, class_file, NULL, "TSV",
             "per-image classes: lines PATH<TAB>CLASS (images not in it: --class)"),
    OPT_FLAG(0, "class-from-folder", struct explain_opts, class_from_folder,
             "each image's class is the name of its folder, as torchvision's ImageFolder: a "
             "class number or a label of the model's card (a labelled data set; see 'attrib "
             "classes'); implies --recursive"),
    OPT_END,
};

/* --sign, one table per default: each method's default is in its --help. */
#define SIGN_ROW(def)                                                                        \
    OPT_ENUM(0, "sign", struct explain_opts, sign, map_sign_names, def,                     \
             "which part of the signed map to show: |map|, evidence for the class, against "  \
             "it, or both (drawn with a diverging colour map centred on 0)")
static const struct opt sign_options[][2] = {
    [SIGN_ABSOLUTE] = { SIGN_ROW(SIGN_ABSOLUTE), OPT_END },
    [SIGN_POSITIVE] = { SIGN_ROW(SIGN_POSITIVE), OPT_END },
    [SIGN_NEGATIVE] = { SIGN_ROW(SIGN_NEGATIVE), OPT_END },
    [SIGN_SIGNED] = { SIGN_ROW(SIGN_SIGNED), OPT_END },
};

static const struct opt layer_options[] = {
    { .kind = OPTK_STRING, .name = "layer", .offset = OPT_FIELD(struct explain_opts, layer,
                                                                const char *),
      .metavar = "PATH", .default_text = "the last feature map, see 'attrib layers'",
      .help = "layer to explain, as PyTorch names it (features.18, layer4.1)" },
    OPT_END,
};

static const struct opt output_options[] = {
    { .kind = OPTK_PATH, .letter = 'o', .name = "output",
      .offset = OPT_FIELD(struct explain_opts, out_dir, const char *), .def_str = ".",
      .metavar = "DIR", .flags = OPT_COMPLETE_DIR | OPT_NOT_RESULT,
      .help = "where to write the files (created if missing); images from a directory keep "
              "their subfolders there" },
    OPT_FLAG(0, "save-raw", struct explain_opts, save_raw,
             "also write NAME.METHOD.npy (the exact map) for every image"),
    OPT_PATH(0, "raw", struct explain_opts, raw, NULL, "FILE",
             "also write the exact values: NumPy .npy if FILE ends in .npy, else raw "
             "little-endian float32 (one image only)"),
    OPT_ENUM(0, "cmap", struct explain_opts, cmap, colormap_names, CMAP_AUTO,
             "colour map; auto: inferno, or the diverging rdbu (blue < 0 < red) for --sign "
             "signed"),
    { .kind = OPTK_CUSTOM, .name = "scale", .offset = offsetof(struct explain_opts, scale),
      .parse = parse_display_scale, .format = format_display_scale, .words = display_scale_words,
      .metavar = "image|batch|VMIN:VMAX",
      .help = "values at the colour map's ends: each image's own range (default), one range "
              "covering every image of the run (computes the maps twice), or fixed numbers, "
              "so pictures compare across images and runs" },
    OPT_FLAG(0, "colorbar", struct explain_opts, colorbar,
             "draw a labelled colour bar beside the overlay (and on the contact sheet)"),
    OPT_REAL(0, "alpha", struct explain_opts, alpha, 0, 1, 0.5, "A",
             "weight of the heatmap in the overlay (at its hottest, with --blend rising)"),
    OPT_ENUM(0, "blend", struct explain_opts, blend, blend_names, BLEND_RISING,
             "how the overlay mixes the heatmap in: rising, a weight growing with the heat so "
             "the photo shows where the model does not look; flat, --alpha everywhere "
             "(pytorch-grad-cam's and Captum's look)"),
    OPT_INT(0, "overlay-max-side", struct explain_opts, overlay_max_side, 0, 65536, 0, "N",
            "draw the overlay over the photo shrunk to at most N pixels on its longest side "
            "(for data-set runs: smaller files, less time per big photo); 0: the photo's own "
            "size"),
    OPT_REAL(0, "clip", struct explain_opts, clip, 0, 50, 1, "PCT",
             "draw the hottest PCT% of pixels saturated, so a few outliers do not darken the "
             "picture; 0: none"),
    OPT_RUN_FLAG(0, "json", struct explain_opts, json,
                 "print the JSON summary on stdout (one line per image)"),
    OPT_RUN_FLAG('q', "quiet", struct explain_opts, quiet, "print nothing on success"),
    OPT_RUN_FLAG(0, "timings", struct explain_opts, timings,
                 "print where the time went (model load, decode, network, PNG, ...) on stderr "
                 "at the end"),
    OPT_END,
};

/* --workers: "auto" (-1) or a count. */
static int parse_workers(const struct opt *o, const char *arg, void *dest)
{
    char *end = NULL;
    if (!*arg)
        return fail(EXIT_USAGE, "--%s needs a value, got an empty one", o->name);
    long n = strcmp(arg, "auto") == 0 ? -1 : strtol(arg, &end, 10);
    if (end && (end == arg || *end || n < 0 || n > MAX_WORKERS))
        return fail(EXIT_USAGE, "--%s must be auto or a count from 0 to %d, got '%s'", o->name,
                    MAX_WORKERS, arg);
    *(long *)dest = n;
    return EXIT_OK;
}

static const char *const workers_words[] = { "auto", NULL };

static const struct opt batch_options[] = {
    OPT_RUN_FLAG('r', "recursive", struct explain_opts, recursive,
                 "also take images in subdirectories of directory inputs"),
    { .kind = OPTK_INT, .name = "batch-size",
      .offset = OPT_FIELD(struct explain_opts, batch_size, long), .min = 1,
      .max = MAX_BATCH_SIZE, .def = DEFAULT_BATCH_SIZE, .metavar = "N",
      .flags = OPT_NOT_RESULT, .help = "images per pass through the network" },
    { .kind = OPTK_CUSTOM, .name = "workers",
      .offset = OPT_FIELD(struct explain_opts, workers, long),
      .parse = parse_workers, .def_str = "auto", .words = workers_words, .metavar = "N|auto",
      .flags = OPT_NOT_RESULT,
      .help = "threads that decode the next images and draw the last ones' pictures while the "
              "network runs (0: none, in turn with the passes); auto: on a folder run of a "
              "one-pass method, half the cores, the network the other half (with --threads: "
              "the cores it leaves)" },
    { .kind = OPTK_CUSTOM, .name = "shard", .offset = offsetof(struct explain_opts, shard),
      .parse = parse_shard, .metavar = "K/N", .flags = OPT_NOT_RESULT,
      .help = "process only the K-th of N interleaved slices of the inputs (names as in a "
              "single run; merge with 'attrib merge')" },
    OPT_RUN_FLAG(0, "resume", struct explain_opts, resume,
                 "skip every image whose outputs are already complete for this model, method, "
                 "options and image bytes (a run killed or failed half-way goes on where it "
                 "stopped); the report covers all"),
    { .kind = OPTK_PATH, .name = "cache", .offset = OPT_FIELD(struct explain_opts, cache, const char *),
      .metavar = "DIR", .flags = OPT_COMPLETE_DIR | OPT_NOT_RESULT,
      .help = "keep each image's outputs in DIR by model, method, options and image bytes, and "
              "copy them from there when a run asks for the same again (a CI cache: only what "
              "changed is computed)" },
    { .kind = OPTK_REAL, .name = "log-every", .offset = OPT_FIELD(struct explain_opts, log_every,
                                                                    double),
      .min = 0.01, .max = 86400, .def = 60, .metavar = "SECONDS", .flags = OPT_NOT_RESULT,
      .help = "when stderr is not a terminal (a log), a progress line this often" },
    OPT_RUN_FLAG(0, "no-report", struct explain_opts, no_report,
                 "no summary.json/.csv/index.html for a batch"),
    { .kind = OPTK_PATH, .name = "sheet", .offset = OPT_FIELD(struct explain_opts, sheet, const char *),
      .metavar = "FILE.png", .flags = OPT_COMPLETE_FILE | OPT_NOT_RESULT,
      .help = "also draw a contact sheet of the batch (the path as given: relative to the "
              "working directory, not to -o)" },
    OPT_END,
};

void explain_spec(const struct method *m, struct command_spec *spec, struct opt *rows)
{
    int n = 0;
    if (m->options)
        rows[n++] = (struct opt)OPT_GROUP(NULL, struct explain_run, params, m->options);
    if (m->signed_map)
        rows[n++] = (struct opt)OPT_GROUP(NULL, struct explain_run, opts, sign_options[m->sign]);
    rows[n++] = (struct opt)OPT_GROUP(NULL, struct explain_run, opts, class_options);
    rows[n++] = (struct opt)OPT_GROUP(NULL, struct explain_run, opts.target_opts,
                                      target_option_rows);
    rows[n++] = (struct opt)OPT_GROUP(NULL, struct explain_run, opts,
                                      objective_options[m->objective]);
    rows[n++] = (struct opt)OPT_GROUP(NULL, struct explain_run, opts, target_options);
    if (m->uses_layer)
        rows[n++] = (struct opt)OPT_GROUP(NULL, struct explain_run, opts, layer_options);
    rows[n++] = (struct opt)OPT_GROUP("Output options", struct explain_run, opts, output_options);
    rows[n++] = (struct opt)OPT_GROUP("Batch options", struct explain_run, opts, batch_options);
    rows[n++] = (struct opt)OPT_GROUP("Model options", struct explain_run, opts.model,
                                      model_options);
    rows[n] = (struct opt)OPT_END;
    *spec = (struct command_spec){ .synopsis = m->synopsis, .description = m->description,
                                   .options = rows, .opts_size = sizeof(struct explain_run),
                                   .operands = OPERANDS_IMAGES };
}
