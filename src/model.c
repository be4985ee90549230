/* model.c - locating, loading and describing the model. */
#include "model.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify.h"
#include "error.h"
#include "fsutil.h"
#include "sha256.h"
#include "threads.h"

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The default model sits in models/ beside the tool: <exe>/../models (the
 * build tree) or <exe>/../share/attrib/models (an installed tool). */
static int default_model_path(char *out, size_t size)
{
    static const char *const rel[] = { "/../models/", "/../share/attrib/models/" };
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            char candidate[PATH_MAX];
            if (snprintf(candidate, sizeof candidate, "%s%s%s", exe, rel[i],
                         DEFAULT_MODEL_FILE) < (int)sizeof candidate &&
                size >= PATH_MAX && realpath(candidate, out))
                return EXIT_OK;
        }
    }
    return fail(EXIT_MODEL, "no model given and no default model found (looked for "
                "models/%s beside the tool); use --model PATH or set %s, or run "
                "scripts/setup.sh", DEFAULT_MODEL_FILE, MODEL_ENV);
}

static int resolve_path(const struct model_opts *opts, char *out, size_t size)
{
    const char *p = opts->model_path;
    if (!p || !*p)
        p = getenv(MODEL_ENV);
    if (!p || !*p)
        return default_model_path(out, size);
    if (snprintf(out, size, "%s", p) >= (int)size)
        return fail(EXIT_MODEL, "model path is too long");
    return EXIT_OK;
}

/* Card: embedded attrib.json, else a sidecar NAME.json beside NAME.pt,
 * else torchvision's ImageNet defaults. */
/* What a model without a card is run with (card_defaults), in words. */
#define MODEL_ASSUMED "ImageNet's mean and std, classes by number"

static int load_card(struct model *m)
{
    char stem[PATH_MAX];
    path_stem(m->path, stem, sizeof stem);
    card_defaults(&m->card, stem);
    size_t len;
    const char *json = attrib_model_card(m->handle, &len);
    if (json) {
        snprintf(m->card_source, sizeof m->card_source, "embedded");
        return card_parse(json, len, "attrib.json (embedded)", &m->card);
    }
    char sidecar[PATH_MAX];
    const char *dot = strrchr(m->path, '.'), *slash = strrchr(m->path, '/');
    int base = dot && (!slash || dot > slash) ? (int)(dot - m->path) : (int)strlen(m->path);
    snprintf(sidecar, sizeof sidecar, "%.*s.json", base, m->path);
    if (!exists(sidecar)) {
        snprintf(m->card_source, sizeof m->card_source, "defaults");
        return EXIT_OK;
    }
    unsigned char *data;
    int rc = read_file(sidecar, CARD_MAX_BYTES, EXIT_MODEL, &data, &len);
    if (rc)
        return rc;
    snprintf(m->card_source, sizeof m->card_source, "sidecar %s", sidecar);
    rc = card_parse((const char *)data, len, sidecar, &m->card);
    free(data);
    return rc;
}

/* The shim's device number for the choice: auto is CUDA device 0 where
 * this build has CUDA and a GPU is visible. */
static int device_number(struct device_choice d, char *name, size_t size)
{
    int index = d.kind == DEVICE_CUDA ? d.index
              : d.kind == DEVICE_AUTO && attrib_cuda_device_count() > 0 ? 0
              : ATTRIB_DEVICE_CPU;
    if (index == ATTRIB_DEVICE_CPU)
        snprintf(name, size, "cpu");
    else
        snprintf(name, size, "cuda:%d", index);
    return index;
}

static int out_of_memory; /* the last failed shim call ran out of memory */

int model_out_of_memory(void)
{
    return out_of_memory;
}

/* The input size a model without a card is given (0: it has a card): a
 * model of another size fails on it with a shape error that does not say
 * why ("mat1 and mat2 shapes cannot be multiplied"), so its errors say it. */
static int assumed_w, assumed_h;

int model_error(attrib_status st, const char *what)
{
    out_of_memory = st == ATTRIB_E_NOMEM;
    if (st == ATTRIB_E_TARGET) /* the caller asked for a class the model lacks */
        return fail(EXIT_USAGE, "%s", attrib_last_error());
    int code = st == ATTRIB_E_NOMEM ? EXIT_INTERNAL : EXIT_MODEL;
    if (assumed_w && code == EXIT_MODEL)
        return fail(code, "'%s': %s (the model has no card, so it was given %dx%d input: if it "
                    "needs another, give it a card with its input_size, see docs/MODELS.md)",
                    what, attrib_last_error(), assumed_w, assumed_h);
    return fail(code, "'%s': %s", what, attrib_last_error());
}

struct hash_job {
    unsigned char *data;
    size_t len;
    char *out;
};

static void *hash_in_background(void *arg)
{
    struct hash_job *job = arg;
    sha256_hex(job->data, job->len, job->out);
    return NULL;
}

int model_open(const struct model_opts *opts, struct model *m)
{
    memset(m, 0, sizeof *m);
    double t0 = now_ms();
    int rc = resolve_path(opts, m->path, sizeof m->path);
    if (rc)
        return rc;
    struct thread_choice threads;
    rc = threads_choose(opts->threads, &threads);
    if (rc)
        return rc;
    attrib_status st = attrib_runtime_init(threads.count);
    if (st != ATTRIB_OK)
        return model_error(st, "setting up libtorch");

    struct hash_job job = { .out = m->sha256 };
    rc = read_file(m->path, MODEL_MAX_FILE_BYTES, EXIT_MODEL, &job.data, &job.len);
    if (rc)
        return rc;
    /* Hashing a model takes as long as a third of loading it: do both at once. */
    pthread_t hasher;
    int threaded = pthread_create(&hasher, NULL, hash_in_background, &job) == 0;
    if (!threaded)
        hash_in_background(&job);
    int device = device_number(opts->device, m->device, sizeof m->device);
    st = attrib_model_load(job.data, job.len, device, &m->handle);
    if (threaded)
        pthread_join(hasher, NULL);
    free(job.data);
    if (st == ATTRIB_E_DEVICE) /* the command line asked for what is not here */
        return fail(EXIT_USAGE, "--device %s: %s", m->device, attrib_last_error());
    if (st == ATTRIB_E_OPERATOR || st == ATTRIB_E_UNSUPPORTED)
        return fail(EXIT_MODEL, "'%s': %s", m->path, attrib_last_error());
    if (st != ATTRIB_OK)
        return fail(st == ATTRIB_E_NOMEM ? EXIT_INTERNAL : EXIT_MODEL,
                    "'%s' is not a loadable model: %s", m->path, attrib_last_error());
    rc = load_card(m);
    int assumed = rc == EXIT_OK && strcmp(m->card_source, "defaults") == 0;
    assumed_w = assumed ? m->card.input_w : 0;
    assumed_h = assumed ? m->card.input_h : 0;
    if (assumed)
        hold_warning("'%s' has no card (no attrib.json in it, no .json beside it): "
                       "assuming %dx%d input, %s; see docs/MODELS.md", m->path,
                       m->card.input_w, m->card.input_h, MODEL_ASSUMED);
    m->load_ms = now_ms() - t0;
    return rc;
}

void model_close(struct model *m)
{
    attrib_model_free(m->handle);
    m->handle = NULL;
    card_free(&m->card);
}

int model_check_logits(struct model *m, const attrib_result *res, int n)
{
    int64_t rows, classes;
    const float *logits = result_logits(res, &rows, &classes);
    if (rows != n || classes < 1 || classes > CARD_MAX_LABELS)
        return fail(EXIT_MODEL, "'%s': model returned %lld x %lld logits for %d images",
                    m->path, (long long)rows, (long long)classes, n);
    for (int64_t i = 0; i < rows * classes; i++)
        if (!isfinite(logits[i]))
            return fail(EXIT_MODEL, "'%s': model returned a non-finite logit (NaN or infinity)",
                        m->path);
    if (m->scores_entries) /* a --target's scores: no classes to record */
        return EXIT_OK;
    if (!m->classes && m->card.nlabels && m->card.nlabels != classes)
        report_warning(NULL, "the model card has %d labels but the model %lld classes; "
                       "classes without a label are named by index",
                       m->card.nlabels, (long long)classes);
    m->classes = (int)classes;
    return EXIT_OK;
}

int model_raw_output(struct model *m, const float *x, int n, attrib_result **res,
                     const float **y, int64_t *shape, int *ndim)
{
    attrib_head_params none = attrib_head_default_params();
    none.kind = ATTRIB_HEAD_NONE;
    const int64_t in[4] = { n, 3, m->card.input_h, m->card.input_w };
    *res = NULL;
    attrib_status st = attrib_model_set_head(m->handle, &none);
    if (st == ATTRIB_OK)
        st = attrib_forward(m->handle, x, in, res);
    if (st != ATTRIB_OK)
        return model_error(st, m->path);
    *y = attrib_result_get(*res, ATTRIB_OUT_OUTPUT, 0, shape, ndim);
    if (!*y || *ndim < 1 || shape[0] != n)
        return fail(EXIT_MODEL, "'%s': the model returned no output for %d images", m->path, n);
    size_t count = 1;
    for (int d = 0; d < *ndim; d++)
        count *= (size_t)shape[d];
    for (size_t i = 0; i < count; i++)
        if (!isfinite((*y)[i]))
            return fail(EXIT_MODEL, "'%s': model returned a non-finite output (NaN or infinity)",
                        m->path);
    return EXIT_OK;
}

struct model_info model_info(const struct model *m)
{
    struct model_info i = {
        .name = m->card.name, .path = m->path, .sha256 = m->sha256,
        .card_source = m->card_source, .input_w = m->card.input_w,
        .input_h = m->card.input_h, .classes = m->classes,
        .mean = m->card.mean, .std = m->card.std,
        .device = m->device, .libtorch = attrib_libtorch_version(),
        .output = m->card.output == CARD_SIGMOID ? "sigmoid" : NULL,
    };
    attrib_model_info about;
    if (m->handle && attrib_model_describe(m->handle, &about) == ATTRIB_OK) {
        i.format = about.format == ATTRIB_FORMAT_EXPORTED ? "torch.export" : "torchscript";
        i.fixed_batch = (long)about.fixed_batch;
    }
    return i;
}

int model_input(const struct model *m, enum resize_mode mode, const struct image *img,
                struct rect *region, float *chw)
{
    *region = model_region(img->width, img->height, m->card.input_w, m->card.input_h, mode);
    return image_to_tensor(img, *region, m->card.input_w, m->card.input_h, m->card.mean,
                           m->card.std, chw);
}

const float *result_logits(const attrib_result *res, int64_t *rows, int64_t *classes)
{
    int64_t shape[2] = { 0, 0 };
    const float *logits = attrib_result_get(res, ATTRIB_OUT_LOGITS, 0, shape, NULL);
    if (rows)
        *rows = shape[0];
    if (classes)
        *classes = shape[1];
    return logits;
}

int model_read_input(const struct model *m, enum resize_mode mode, const char *path,
                     struct image *keep, struct rect *region, float *chw, double ms[2])
{
    struct image local = { 0 }, *img = keep ? keep : &local;
    struct rect whole;
    double t0 = now_ms();
    int rc = image_load(path, img);
    double t1 = now_ms();
    if (rc == EXIT_OK)
        rc = model_input(m, mode, img, region ? region : &whole, chw);
    if (ms)
        ms[0] = t1 - t0, ms[1] = now_ms() - t1;
    image_free(&local);
    return rc;
}

int model_class_score(const struct model *m, const float *logits, int classes, long want,
                      struct class_score *out, char *label, size_t size)
{
    float *p = malloc((size_t)classes * sizeof *p);
    if (!p)
        return fail(EXIT_INTERNAL, "out of memory");
    int top;
    class_probabilities(&m->card, logits, classes, p);
    top_k(logits, classes, 1, &top);
    long k = want >= 0 ? want : top;
    *out = (struct class_score){ k, card_label(&m->card, (int)k, label, size), logits[k], p[k] };
    free(p);
    return EXIT_OK;
}

int model_layers(struct model *m, struct layer_list *out)
{
    const int64_t shape[4] = { 1, 3, m->card.input_h, m->card.input_w };
    attrib_layers *layers;
    memset(out, 0, sizeof *out);
    attrib_status st = attrib_model_layers(m->handle, shape, &layers);
    if (st != ATTRIB_OK)
        return model_error(st, m->path);
    size_t n = attrib_layers_count(layers);
    out->items = calloc(n ? n : 1, sizeof *out->items);
    int rc = out->items ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; rc == EXIT_OK && i < n; i++) {
        struct layer_info *e = &out->items[i];
        const char *path, *op;
        attrib_layers_get(layers, i, &path, &op, &e->value_id, e->shape, &e->ndim);
        e->path = strdup(path);
        e->op = strdup(op);
        out->n++;
        if (!e->path || !e->op)
            rc = fail(EXIT_INTERNAL, "out of memory");
    }
    attrib_layers_free(layers);
    if (rc)
        layer_list_free(out);
    return rc;
}

int model_probe_classes(struct model *m)
{
    if (m->classes)
        return EXIT_OK;
    const size_t n = (size_t)3 * m->card.input_w * m->card.input_h;
    float *x = calloc(n, sizeof *x);
    if (!x)
        return fail(EXIT_INTERNAL, "out of memory");
    const int64_t shape[4] = { 1, 3, m->card.input_h, m->card.input_w };
    attrib_result *res = NULL;
    attrib_status st = attrib_forward(m->handle, x, shape, &res);
    int rc = st == ATTRIB_OK ? model_check_logits(m, res, 1) : model_error(st, m->path);

    attrib_result_free(res);
    free(x);
    return rc;
}

/* Whether layer e's output is a segmenter's mask logits: a map of as many
 * channels as its output has classes (at the output's size, or before an
 * upsampling to it), or the output's masks channels-last (a classifier's
 * Linear applied at each of a map's positions, then permuted). */
static int is_output(const struct model *m, const struct layer_info *e)
{
    const int64_t *o = m->output_shape, *s = e->shape;
    if (!o[0] || e->ndim != 4)
        return 0;
    return s[1] == o[1] || (s[3] == o[1] && s[1] == o[2] && s[2] == o[3]);
}

long model_default_layer(const struct model *m, const struct layer_list *layers)
{
    const int ih = m->card.input_h, iw = m->card.input_w;
    long i = layer_default_cam(layers, ih, iw);
    if (i >= 0 && is_output(m, &layers->items[i])) /* a segmenter's own masks */
        i = layer_default_cam_before(layers, ih, iw, layers->items[i].value_id);
    return i;
}

int model_output_shape(struct model *m, int64_t shape[ATTRIB_MAX_DIMS], int *ndim)
{
    const size_t n = (size_t)3 * m->card.input_w * m->card.input_h;
    float *x = calloc(n, sizeof *x);
    attrib_result *res = NULL;
    const float *y;
    *ndim = 0;
    int rc = x ? model_raw_output(m, x, 1, &res, &y, shape, ndim)
               : fail(EXIT_INTERNAL, "out of memory");
    attrib_result_free(res);
    free(x);
    return rc;
}

int model_segmenter_output(struct model *m)
{
    if (m->card.task != TASK_SEGMENTATION || m->output_shape[0])
        return EXIT_OK;
    int64_t shape[ATTRIB_MAX_DIMS];
    int ndim;
    int rc = model_output_shape(m, shape, &ndim);
    for (int d = 0; rc == EXIT_OK && ndim == 4 && d < 4; d++)
        m->output_shape[d] = shape[d];
    return rc;
}

int model_map_layer(struct model *m, const char *name, char **path, attrib_layer_view *view)
{
    struct layer_list layers;
    int rc = model_layers(m, &layers);
    if (rc)
        return rc;
    const int ih = m->card.input_h, iw = m->card.input_w;
    long i = name ? layer_find(&layers, name) : model_default_layer(m, &layers);
    char names[1024];
    layer_names_4d(&layers, 2, names, sizeof names);
    if (i < 0 && name)
        rc = fail(EXIT_USAGE, "unknown layer '%s'; feature maps of this model: %s "
                  "('attrib layers' lists all)", name, names);
    else if (i < 0)
        rc = fail(EXIT_MODEL, "'%s' has no feature map [N, C, H, W] or token sequence [N, T, C] "
                  "of a grid of its %dx%d input to explain a layer of", m->path, ih, iw);
    else if (!layer_view(&layers.items[i], ih, iw, view))
        rc = fail(EXIT_USAGE, "layer '%s' outputs %s, not a feature map [N, C, H, W] nor a token "
                  "sequence [N, T, C] of an h x w grid of the %dx%d input (after up to %d extra "
                  "tokens); feature maps of this model: %s", name, shape_text(&layers.items[i]),
                  ih, iw, LAYER_MAX_EXTRA_TOKENS, names);
    else if (!(*path = strdup(layers.items[i].path)))
        rc = fail(EXIT_INTERNAL, "out of memory");
    layer_list_free(&layers);
    return rc;
}
