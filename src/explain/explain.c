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
#include "progress.h"
#include "report.h"
#include "resume.h"
#include "serving.h"
#include "sheet.h"
#include "shim_loader.h"
#include "spec.h"
#include "stages.h"
#include "timer.h"

/* Methods without --sign compute with their own choice (CAMs: positive). */
static void settle_sign(struct explain_run *run)
{
    if (!run->method->signed_map)
        run->opts.sign = run->method->sign;
}

/* Buffers of one mini-batch. */
struct batch_buffers {
    float *x;                 /* [B, 3, H, W] */
    int64_t targets[MAX_BATCH_SIZE];
    struct attribution a[MAX_BATCH_SIZE];
    struct summary s[MAX_BATCH_SIZE];
    struct image img[MAX_BATCH_SIZE];
    size_t index[MAX_BATCH_SIZE]; /* position in the input list */
    char paths[MAX_BATCH_SIZE][OUTPUT_PATHS][PATH_MAX]; /* each image's output files */
};

static int batch_alloc(struct batch_buffers *bb, int size, size_t plane)
{
    memset(bb, 0, sizeof *bb);
    return attributions_alloc(&bb->x, bb->a, size, plane);
}

static void batch_release(struct batch_buffers *bb, int size)
{
    attributions_free(bb->x, bb->a, size);
    for (int i = 0; i < size; i++)
        image_free(&bb->img[i]);
}

/* An image whose --class-file line names a class the model does not have
 * fails alone (EXIT_INPUT); --class was checked for all before any image. */
static int check_class(const struct explain_run *run, const struct input *it)
{
    const struct model *m = &run->model;
    if (it->target >= 0 && it->target == run->opts.objective.versus)
        return fail(EXIT_INPUT, "%s: class %ld (%s line %ld) is --versus: a contrast needs two "
                    "classes", it->path, it->target, run->opts.class_file, it->target_line);
    if (it->target < m->classes)
        return EXIT_OK;
    return fail(EXIT_INPUT, "%s: class %ld (%s line %ld) is out of range: the model has "
                "classes 0 to %d", it->path, it->target, run->opts.class_file, it->target_line,
                m->classes - 1);
}

/* An input that failed alone: its one line on stderr, its record in the
 * report; the run goes on. */
static void report_failed_input(struct explain_run *run, struct report *rep,
                                const struct input *it)
{
    run->failed++;
    report_error(run->method->name, error_message());
    if (rep->root)
        report_add_failure(rep, it->index, it->path, it->name, error_message());
    clear_error();
}

/* Loads and preprocesses inputs [first, first + count) into the batch;
 * images that fail are reported (unless before reported_until: a batch
 * redone) and left out. Returns how many are in. */
static int fill_batch(struct explain_run *run, struct input_list *in, size_t first, size_t count,
                      struct batch_buffers *bb, struct report *rep, int *worst,
                      size_t reported_until, struct served *sv)
{
    struct model *m = &run->model;
    const size_t plane = (size_t)m->card.input_w * m->card.input_h;
    int n = 0;
    for (size_t k = first; k < first + count; k++) {
        const struct input *it = &in->items[k];
        struct image *img = &bb->img[n];
        struct summary *s = &bb->s[n];
        /* a batch redone in smaller pieces (out of memory): what was kept or
         * copied the first time is done, what was not is computed */
        const int retried = k < reported_until;
        if (retried && served_get(sv, k))
            continue;
        if (!retried && !run->batch_range.measuring) {
            int done = serve_input(run, it, rep);
            if (done < 0)
                return done;
            if (done) {
                served_set(sv, k);
                continue;
            }
        }
        image_free(img);
        attribution_reset(&bb->a[n]);
        *s = (struct summary){
            .method = run->method->name, .image = it->path,
            .run_key = run->run_key[0] ? run->run_key : NULL,
            .cache = run->cache.dir[0] ? "miss" : NULL,
            .load_ms = m->load_ms, .map_w = m->card.input_w, .map_h = m->card.input_h,
            .target_was_predicted = it->target < 0,
            .resize = run->opts.model.resize == RESIZE_CROP ? "crop" : "stretch",
        };
        double ms[2] = { 0, 0 };
        int rc = check_class(run, it);
        if (rc == EXIT_OK)
            rc = model_read_input(m, run->opts.model.resize, it->path, img, &s->region,
                                  bb->x + (size_t)n * 3 * plane, ms);
        stage_add(STAGE_DECODE, ms[0]);
        stage_add(STAGE_PREPROCESS, ms[1]);
        s->image_w = img->width;
        s->image_h = img->height;
        s->image_sha256 = img->sha256;
        if (rc == EXIT_INPUT && k < reported_until) {
            clear_error();
            continue;
        }
        if (rc == EXIT_INPUT) { /* this image only */
            report_failed_input(run, rep, it);
            *worst = EXIT_INPUT;
            continue;
        }
        if (rc)
            return -rc;
        bb->targets[n] = it->target;
        bb->index[n] = k;
        n++;
    }
    return n;
}

/* The outputs of images [first, first + count) of a computed batch:
 * statistics in order, pictures on the runtime's threads, files in order,
 * so the files of the images before one that fails are written. */
static int write_images(struct explain_run *run, struct input_list *in, struct batch_buffers *bb,
                        const attrib_result *res, int first, int count, double per_image,
                        struct report *rep)
{
    struct model *m = &run->model;
    struct picture_job *jobs = calloc((size_t)count, sizeof *jobs);
    if (!jobs)
        return fail(EXIT_INTERNAL, "out of memory");
    int rc = EXIT_OK, ready = 0; /* prepared images; only the last may have failed */
    while (rc == EXIT_OK && ready < count) {
        int i = first + ready;
        struct summary *s = &bb->s[i];
        s->pass_ms = per_image;
        s->model = model_info(m);
        output_scores(run, res, i, s);
        s->total_ms = now_ms() - run->t_start;
        rc = output_prepare(run, &bb->a[i], s, in->items[bb->index[i]].name, bb->paths[i]);
        jobs[ready++] = (struct picture_job){ .img = &bb->img[i], .a = &bb->a[i], .s = s };
    }
    int failed = rc, good = rc == EXIT_OK ? ready : ready - 1;
    double t0 = now_ms();
    const struct overlay_style style = explain_overlay_style(run);
    pictures_encode(jobs, good, attrib_runtime_threads(), &style, run->opts.colorbar);
    stage_add(STAGE_PICTURES, now_ms() - t0);
    rc = EXIT_OK;
    const int keep_json = rep->root || run->cache.dir[0];
    for (int k = 0; rc == EXIT_OK && k < good; k++) {
        int i = first + k;
        const struct input *it = &in->items[bb->index[i]];
        cJSON *json = NULL;
        rc = output_write(&run->opts, &jobs[k], &bb->s[i], bb->paths[i], keep_json ? &json : NULL);
        double t1 = now_ms();
        run->explained += rc == EXIT_OK;
        if (rc == EXIT_OK && rep->root)
            rc = report_add(rep, it->index, it->name, json, run->opts.out_dir);
        if (rc == EXIT_OK && run->cache.dir[0]) {
            char key[CACHE_KEY_HEX];
            struct cache_dest d = image_cache_dest(run, it);
            image_cache_key(run, bb->s[i].image_sha256, it->target, key);
            cache_store(&run->cache, key, json, &d);
        }
        cJSON_Delete(json);
        stage_add(STAGE_REPORT, now_ms() - t1);
    }
    rc = rc ? rc : failed; /* the failed image's error, after the files before it */
    for (int k = 0; k < ready; k++)
        pictures_free(&jobs[k]);
    free(jobs);
    return rc;
}

/* --scale batch's first pass: the run's range takes in the image's. */
static int measure_range(struct explain_run *run, const struct attribution *a, size_t n)
{
    float lo, hi;
    int rc = display_range(a->map, n, explain_signed(run), run->opts.clip, &lo, &hi);
    if (rc == EXIT_OK && !run->batch_range.seen)
        run->batch_range.lo = lo, run->batch_range.hi = hi, run->batch_range.seen = 1;
    else if (rc == EXIT_OK) {
        run->batch_range.lo = lo < run->batch_range.lo ? lo : run->batch_range.lo;
        run->batch_range.hi = hi > run->batch_range.hi ? hi : run->batch_range.hi;
    }
    return rc;
}

/* Images whose predicted class turned out to be --versus have nothing to
 * contrast: each fails alone (reported unless measuring), marked in skip. */
static int refuse_self_contrast(struct explain_run *run, struct input_list *in,
                                struct batch_buffers *bb, const attrib_result *res, int n,
                                struct report *rep, char *skip)
{
    const long versus = run->opts.objective.versus;
    int failed = 0;
    for (int i = 0; i < n; i++) {
        skip[i] = versus >= 0 && attrib_result_targets(res)[i] == versus;
        if (!skip[i])
            continue;
        failed = 1;
        const struct input *it = &in->items[bb->index[i]];
        fail(EXIT_INPUT, "%s: the predicted class is %ld, the --versus class: a contrast "
             "needs two classes (give --class)", it->path, versus);
        if (run->batch_range.measuring)
            clear_error();
        else
            report_failed_input(run, rep, it);
    }
    return failed;
}

static int explain_batch(struct explain_run *run, struct input_list *in, struct batch_buffers *bb,
                         int n, struct report *rep, int *worst)
{
    char skip[MAX_BATCH_SIZE] = { 0 };
    struct model *m = &run->model;
    struct batch b = { .n = n, .h = m->card.input_h, .w = m->card.input_w, .x = bb->x,
                       .targets = bb->targets, .a = bb->a, .s = bb->s };
    double t0 = now_ms(), busy0 = shim_busy_ms();
    int rc = explain_compute(run, &b);
    double elapsed = now_ms() - t0, network = shim_busy_ms() - busy0, per_image = elapsed / n;
    stage_add(STAGE_NETWORK, network);
    stage_add(STAGE_METHOD, elapsed - network);
    if (rc == EXIT_OK)
        rc = model_check_logits(m, b.res, n);
    if (rc == EXIT_OK && refuse_self_contrast(run, in, bb, b.res, n, rep, skip))
        *worst = EXIT_INPUT;
    if (run->batch_range.measuring) {
        for (int i = 0; rc == EXIT_OK && i < n; i++)
            if (!skip[i])
                rc = measure_range(run, &bb->a[i], (size_t)b.w * b.h);
        attrib_result_free(b.res);
        return rc;
    }
    /* a group of images at a time, as many as there are threads: their
     * encoded pictures are all in memory until written */
    const int group = attrib_runtime_threads() > 1 ? attrib_runtime_threads() : 1;
    for (int first = 0; rc == EXIT_OK && first < n;) {
        int count = 0;
        while (count < group && first + count < n && !skip[first + count])
            count++;
        if (count > 0)
            rc = write_images(run, in, bb, b.res, first, count, per_image, rep);
        first += count > 0 ? count : 1; /* past the group, or a skipped image */
    }
    attrib_result_free(b.res);
    return rc;
}

/* A pass over a mini-batch of n ran out of (device) memory, before any of
 * its files was written: with n > 1 the run goes on with mini-batches half
 * the size (*size halved, EXIT_OK: redo these images); a single image fails
 * alone (EXIT_INPUT), as an unreadable one would. */
static int out_of_memory(struct explain_run *run, struct input_list *in, struct batch_buffers *bb,
                         int n, struct report *rep, int *size)
{
    const char *device = run->model.device;
    if (n > 1) {
        *size = n / 2;
        report_warning(run->method->name, "out of memory on %s for a mini-batch of %d: going "
                       "on with mini-batches of %d", device, n, *size);
        clear_error();
        return EXIT_OK;
    }
    const struct input *it = &in->items[bb->index[0]];
    fail(EXIT_INPUT, "%s: out of memory on %s for this image alone (a smaller "
         "--internal-batch needs less, where the method has one)", it->path, device);
    report_failed_input(run, rep, it);
    return EXIT_INPUT;
}

/* Every input, batch by batch; the run report if one is wanted. */
static int explain_all(struct explain_run *run, struct input_list *in, struct report *rep)
{
    struct model *m = &run->model;
    const size_t plane = (size_t)m->card.input_w * m->card.input_h;
    /* size shrinks if a mini-batch runs out of memory; the buffers stay
     * as allocated, for allocated images. */
    const int allocated = (int)run->opts.batch_size;
    int size = allocated, worst = EXIT_OK;
    struct batch_buffers *bb = calloc(1, sizeof *bb);
    struct served sv = { calloc(in->n / 8 + 1, 1) };
    int rc = bb && sv.bits ? batch_alloc(bb, size, plane) : fail(EXIT_INTERNAL, "out of memory");
    struct progress bar;
    char label[96];
    snprintf(label, sizeof label, "%s%s", run->method->name,
             run->batch_range.measuring ? " (measuring the run's --scale)" : "");
    const int quiet = run->opts.quiet || run->opts.json || in->n < 2;
    /* one image: its passes have the line (methods of many passes) */
    run->passes_wanted = in->n == 1 && !run->opts.quiet && !run->opts.json;
    progress_start(&bar, label, (int)in->n, quiet);
    progress_log_every(&bar, run->opts.log_every * 1e3);
    /* the measuring pass leaves failed images to the pass that writes */
    size_t reported_until = run->batch_range.measuring ? in->n : 0;
    for (size_t first = 0; rc == EXIT_OK && first < in->n;) {
        size_t count = in->n - first < (size_t)size ? in->n - first : (size_t)size;
        int n = fill_batch(run, in, first, count, bb, rep, &worst, reported_until, &sv);
        if (n < 0)
            rc = -n;
        else if (n > 0)
            rc = explain_batch(run, in, bb, n, rep, &worst);
        if (rc == EXIT_INTERNAL && model_out_of_memory()) {
            rc = out_of_memory(run, in, bb, n, rep, &size);
            if (rc == EXIT_OK && n > 1) { /* the same images again, in smaller mini-batches */
                reported_until = first + count > reported_until ? first + count : reported_until;
                continue;
            }
            worst = rc == EXIT_INPUT ? EXIT_INPUT : worst;
            rc = rc == EXIT_INPUT ? EXIT_OK : rc;
        }
        first += count;
        progress_counts(&bar, (long)run->failed, (long)run->resumed,
                        run->cache.dir[0] ? (long)run->cache.hits : -1);
        progress_update(&bar, (int)first, NULL);
    }
    progress_end(&bar);
    if (rc == EXIT_OK && !run->batch_range.measuring)
        progress_totals(&bar, "explained", (long)run->explained, quiet);
    if (bb)
        batch_release(bb, allocated);
    free(bb);
    free(sv.bits);
    return rc ? rc : worst;
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
        rc = model_open(&run->opts.model, &run->model);
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
        stages_print(stderr, m->name, in.n, now_ms() - run->t_start);
    report_free(&rep);
    inputs_free(&in);
    explain_run_close(run);
    model_close(&run->model);
    return worst;
}
