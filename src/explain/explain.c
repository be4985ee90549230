/* explain/explain.c - the attribution commands' driver: inputs, model and
 * layer, mini-batches through the method's compute, each image's outputs
 * (outputs.c) or its serving from an earlier run or the cache (serving.c),
 * the run's report. */
#include "explain.h"

#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fsutil.h"
#include "gallery.h"
#include "inputs.h"
#include "outputs.h"
#include "pipeline.h"
#include "progress.h"
#include "report.h"
#include "resume.h"
#include "serving.h"
#include "sheet.h"
#include "shim_loader.h"
#include "spec.h"
#include "stages.h"
#include "threads.h"
#include "timer.h"

/* Methods without --sign compute with their own choice (CAMs: positive). */
static void settle_sign(struct explain_run *run)
{
    if (!run->method->signed_map)
        run->opts.sign = run->method->sign;
}

/* --layer, checked against the model, or the default Grad-CAM layer. */
static int choose_layer(struct explain_run *run)
{
    char *path = NULL;
    int rc = model_map_layer(&run->model, run->opts.layer, &path, &run->layer_view);
    run->layer = path;
    return rc;
}

/* Inputs from the arguments: expanded, named, classed and sharded. */
static int collect(struct explain_run *run, char **args, int nargs, struct input_list *in,
                   int *batch_mode)
{
    const struct explain_opts *o = &run->opts;
    /* a labelled folder is a folder of class folders: read them */
    int rc = inputs_collect(args, nargs, o->recursive || o->class_from_folder, in);
    if (rc)
        return rc;
    *batch_mode = in->n > 1;
    const struct target_spec *t = &o->target_opts.spec;
    if (t->kind == TARGET_CLASS && t->cls >= 0 && o->target >= 0 && t->cls != o->target)
        return fail(EXIT_USAGE, "--target class:%ld and --class %ld name two classes", t->cls,
                    o->target);
    if (t->kind == TARGET_CLASS && t->cls >= 0)
        run->opts.target = t->cls;
    for (int i = 0; i < nargs; i++) {
        struct stat st;
        if (strcmp(args[i], "-") == 0 || (stat(args[i], &st) == 0 && S_ISDIR(st.st_mode)))
            *batch_mode = 1;
    }
    if (o->objective.versus >= 0 && o->objective.versus == o->target)
        return fail(EXIT_USAGE, "--versus %ld is the class explained (--class %ld): a contrast "
                    "needs two classes", o->target, o->target);
    if (o->class_from_folder && (o->class_file || o->target >= 0))
        return fail(EXIT_USAGE, "--class-from-folder takes each image's class from its folder: "
                    "not with --class or --class-file");
    if (o->raw && (in->n > 1 || *batch_mode))
        return fail(EXIT_USAGE, "--raw takes one image; use --save-raw for many");
    if (o->class_file)
        rc = inputs_read_classes(in, o->class_file, o->target, CARD_MAX_LABELS - 1);
    else
        for (size_t i = 0; i < in->n; i++)
            in->items[i].target = o->target, in->items[i].target_line = 0;
    if (rc == EXIT_OK && o->shard.n)
        inputs_shard(in, o->shard.k, o->shard.n);
    return rc;
}

/* The model's classes, before any image, when a class is asked for: --class
 * out of range is a usage error; class-file lines are checked per image. */
static int check_classes(struct explain_run *run, struct input_list *in)
{
    if (run->target.kind != TARGET_CLASS) /* targets.c checked its own */
        return EXIT_OK;
    const long versus = run->opts.objective.versus;
    const struct card *card = &run->model.card;
    int asked = run->opts.target >= 0 || versus >= 0 || run->opts.class_from_folder;
    for (size_t i = 0; !asked && i < in->n; i++)
        asked = in->items[i].target >= 0;
    int rc = asked ? model_probe_classes(&run->model) : EXIT_OK;
    if (rc == EXIT_OK && run->opts.target >= run->model.classes)
        rc = fail(EXIT_USAGE, "--class %ld is out of range: the model has classes 0 to %d",
                  run->opts.target, run->model.classes - 1);
    if (rc == EXIT_OK && versus >= run->model.classes)
        rc = fail(EXIT_USAGE, "--versus %ld is out of range: the model has classes 0 to %d",
                  versus, run->model.classes - 1);
    if (rc == EXIT_OK && run->opts.class_from_folder)
        rc = inputs_classes_from_folders(in, card->labels, card->nlabels, run->model.classes);
    return rc;
}

static int finish_report(struct explain_run *run, struct report *rep)
{
    char base[64] = "summary";
    if (run->opts.shard.n)
        snprintf(base, sizeof base, "summary.shard-%ld-of-%ld", run->opts.shard.k,
                 run->opts.shard.n);
    rep->skipped = run->resumed;
    /* the header was made before the first pass told the class count */
    cJSON *model = cJSON_GetObjectItemCaseSensitive(rep->root, "model");
    if (cJSON_GetObjectItemCaseSensitive(model, "classes"))
        cJSON_ReplaceItemInObjectCaseSensitive(model, "classes",
                                               cJSON_CreateNumber(run->model.classes));
    rep->cache_used = run->cache.dir[0] != '\0';
    rep->cache_hits = run->cache.hits;
    rep->cache_misses = run->cache.misses;
    int rc = report_write(rep, run->opts.out_dir, base, (now_ms() - rep->t_start) / 1e3);
    if (rc == EXIT_OK && !run->opts.shard.n) /* a shard's page comes with the merge */
        rc = report_write_html(rep, run->opts.out_dir);
    if (rc == EXIT_OK && run->opts.sheet)
        rc = report_write_sheet(rep, run->opts.out_dir, run->opts.sheet,
                                run->opts.colorbar, explain_colormap(run));
    return rc;
}

/* Defaults, then settings "key=value:key=value" of m's own options. */
static int run_settings(struct explain_run *run, const struct method *m, const char *settings,
                        const char *what)
{
    struct command_spec spec;
    struct opt rows[COMMAND_SPEC_ROWS];
    explain_spec(m, &spec, rows);
    opts_defaults(spec.options, run);
    char buf[1024];
    if (!settings || !*settings)
        return EXIT_OK;
    if (snprintf(buf, sizeof buf, "%s", settings) >= (int)sizeof buf)
        return fail(EXIT_USAGE, "%s: settings too long", what);
    int rc = EXIT_OK;
    for (char *save = NULL, *kv = strtok_r(buf, ":", &save); rc == EXIT_OK && kv;
         kv = strtok_r(NULL, ":", &save)) {
        char *eq = strchr(kv, '='), shown[256];
        if (eq)
            *eq = '\0';
        snprintf(shown, sizeof shown, "%s:%s", what, kv);
        if (!m->options)
            rc = fail(EXIT_USAGE, "%s: %s has no options of its own", what, m->name);
        else /* "--methods integrated-gradients:steps must be ..." for a known key */
            rc = opts_set(m->options, run->params, kv, eq ? eq + 1 : NULL,
                          opts_find(m->options, kv, NULL) ? shown : what);
    }
    return rc;
}

int explain_check_settings(const struct method *m, const char *settings, const char *what)
{
    struct explain_run *run = calloc(1, sizeof *run);
    int rc = run ? run_settings(run, m, settings, what) : fail(EXIT_INTERNAL, "out of memory");
    free(run);
    return rc;
}

int explain_run_open(struct explain_run *run, const struct method *m, const struct model *model,
                     const struct model_opts *mo, const char *settings, const char *what)
{
    memset(run, 0, sizeof *run);
    int rc = run_settings(run, m, settings, what);
    run->method = m->resolve ? m->resolve(run) : m;
    settle_sign(run);
    run->t_start = now_ms();
    run->opts.model = *mo;
    run->model = *model;
    if (rc == EXIT_OK && run->method->uses_layer)
        rc = choose_layer(run);
    if (rc == EXIT_OK && run->method->prepare)
        rc = run->method->prepare(run);
    return rc;
}

void explain_run_close(struct explain_run *run)
{
    if (run->method && run->method->release)
        run->method->release(run);
    free((char *)run->layer);
    run->layer = NULL;
    targets_release(run);
}

/* The report's "display": the colour map, and the one range every picture
 * shares (--scale batch or fixed). */
static void set_report_display(const struct explain_run *run, struct report *rep)
{
    const struct display_scale *sc = &run->opts.scale;
    int fixed = sc->kind == SCALE_FIXED, one = fixed || run->batch_range.seen;
    report_set_display(rep, colormap_name(explain_colormap(run)), display_scale_name(sc->kind),
                       run->method->signed_map ? map_sign_names[run->opts.sign] : NULL, one,
                       fixed ? sc->lo : run->batch_range.lo, fixed ? sc->hi : run->batch_range.hi);
}

/* --scale batch: every map computed once for the run's range, before the
 * pass that writes (memory stays flat at any number of images). */
static int measure_batch_range(struct explain_run *run, struct input_list *in)
{
    struct report none = { 0 }; /* failures go into the writing pass's report */
    run->batch_range.measuring = 1;
    int rc = explain_all(run, in, &none);
    run->batch_range.measuring = 0;
    return rc == EXIT_INPUT ? EXIT_OK : rc;
}

/* How the run's cores are shared between the network and the pipeline's
 * workers (threads.h), before the model opens with its share. Overlap
 * pays where there is a next mini-batch to decode while one computes. */
static int split_cores(struct explain_run *run, const struct input_list *in)
{
    struct thread_choice network;
    int rc = threads_choose(run->opts.model.threads, &network);
    if (rc)
        return rc;
    const int worth = !run->method->many_passes && in->n > (size_t)run->opts.batch_size;
    struct core_split split = threads_split(threads_available_cores(), network,
                                            run->opts.workers, worth);
    if (network.source == THREADS_DEFAULT)
        threads_prefer_default(split.network);
    run->workers = split.workers;
    threads_record_workers(split.workers);
    return EXIT_OK;
}

/* The key every summary of this run carries (resume.h): from the options
 * of the command as it was called (cmd: gradcam for its variants). */
static int set_run_key(struct explain_run *run, const struct method *cmd)
{
    struct command_spec spec;
    struct opt rows[COMMAND_SPEC_ROWS];
    explain_spec(cmd, &spec, rows);
    struct model_info mi = model_info(&run->model);
    return run_key_make(spec.options, run, run->method->name, &mi, run->run_key);
}

int explain_main(const struct method *m, struct explain_run *run, const struct opt_operands *ops)
{
    const struct method *cmd = m;
    run->method = m = m->resolve ? m->resolve(run) : m; /* a variant may have been chosen */
    settle_sign(run);
    run->t_start = now_ms();
    if (ops->n < 1)
        return fail(EXIT_USAGE, "no image given (usage: attrib %s IMAGE|DIR|-... [--class N])",
                    m->name);
    struct input_list in;
    struct report rep = { 0 };
    int batch_mode;
    int rc = collect(run, ops->args, ops->n, &in, &batch_mode);
    if (rc) {
        inputs_free(&in);
        return rc;
    }
    if (run->opts.sheet && (!batch_mode || run->opts.no_report))
        rc = fail(EXIT_USAGE, "--sheet needs a batch run with its report");
    if (rc == EXIT_OK && run->opts.sheet) /* now, not after the last image */
        rc = prepare_output_file(run->opts.sheet);
    if (rc == EXIT_OK && run->opts.raw) /* now, not after a long method has run */
        rc = prepare_output_file(run->opts.raw);
    double t0 = now_ms();
    if (rc == EXIT_OK)
        rc = split_cores(run, &in);
    if (rc == EXIT_OK)
        rc = model_open(&run->opts.model, &run->model);
    if (rc == EXIT_OK)
        rc = targets_prepare(run);
    if (rc == EXIT_OK)
        rc = check_classes(run, &in);
    if (rc == EXIT_OK && m->uses_layer)
        rc = choose_layer(run);
    if (rc == EXIT_OK && m->prepare)
        rc = m->prepare(run);
    if (rc == EXIT_OK)
        rc = set_run_key(run, cmd);
    stage_add(STAGE_MODEL, now_ms() - t0);
    if (rc == EXIT_OK) /* after every check that can refuse the run */
        rc = make_dirs(run->opts.out_dir);
    if (rc == EXIT_OK && run->opts.cache)
        cache_open(&run->cache, run->opts.cache);
    if (rc == EXIT_OK && batch_mode && !run->opts.no_report) {
        struct model_info mi = model_info(&run->model);
        rc = report_init(&rep, m->name, &mi, run->opts.shard.k, run->opts.shard.n,
                         run->opts.out_dir);
    }
    if (rc == EXIT_OK && run->opts.scale.kind == SCALE_BATCH && in.n > 1)
        rc = measure_batch_range(run, &in);
    if (rc == EXIT_OK && rep.root)
        set_report_display(run, &rep);
    int worst = rc ? rc : explain_all(run, &in, &rep);
    if (rep.root && (worst == EXIT_OK || worst == EXIT_INPUT)) {
        double t1 = now_ms();
        rc = finish_report(run, &rep);
        stage_add(STAGE_REPORT, now_ms() - t1);
        if (rc)
            worst = rc;
    }
    if (run->opts.timings && (worst == EXIT_OK || worst == EXIT_INPUT))
        stages_print(stderr, m->name, in.n, now_ms() - run->t_start, run->workers);
    report_free(&rep);
    inputs_free(&in);
    explain_run_close(run);
    model_close(&run->model);
    return worst;
}
