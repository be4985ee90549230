/* explain/pipeline.c - the images of a run through the method, mini-batch
 * by mini-batch, decoding ahead of the passes and encoding the pictures
 * behind them on the run's workers (pipeline.h). */
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "outputs.h"
#include "parallel.h"
#include "pictures.h"
#include "progress.h"
#include "serving.h"
#include "shim_loader.h"
#include "stages.h"
#include "timer.h"

enum item_state { ITEM_COMPUTE, ITEM_SERVED, ITEM_FAILED, ITEM_EMITTED };

/* One input of a mini-batch and what became of it so far. */
struct item {
    size_t k;              /* position in the input list */
    int state;             /* enum item_state */
    int rc;                /* ITEM_FAILED: EXIT_INPUT fails alone, other codes the run */
    int slot;              /* ITEM_COMPUTE: its place in the batch's buffers */
    struct served served;  /* ITEM_SERVED */
    struct rect region;    /* the part of the photo the model sees */
    double ms[2];          /* decoding, preprocessing */
    char error[1024];      /* ITEM_FAILED: its line (decoded on a worker) */
};

/* A run of the network over slots [first, first + n). */
struct piece {
    int first, n;
    attrib_result *res;
    double per_image; /* ms of the pass per image */
};

/* The most times a batch's passes halve (256 to 1). */
#define HALVINGS 9

/* Why a computed slot has no outputs. */
enum { SLOT_WRITTEN = 0, SLOT_SELF_CONTRAST, SLOT_OUT_OF_MEMORY };

/* The buffers of one mini-batch on its way through the stages. */
struct stage_batch {
    int nitems;
    struct item items[MAX_BATCH_SIZE];
    size_t end;                 /* the inputs before this are in this or earlier batches */
    int slots;                  /* images to decode */
    int n;                      /* of them decoded, in slots 0..n in input order */
    float *x;                   /* [MAX, 3, H, W] */
    int64_t targets[MAX_BATCH_SIZE];
    struct attribution a[MAX_BATCH_SIZE];
    struct summary s[MAX_BATCH_SIZE];
    struct image img[MAX_BATCH_SIZE];
    size_t index[MAX_BATCH_SIZE]; /* position in the input list */
    char skip[MAX_BATCH_SIZE];    /* SLOT_*: refused after its pass */
    char paths[MAX_BATCH_SIZE][OUTPUT_PATHS][PATH_MAX];
    int npieces;
    struct piece pieces[MAX_BATCH_SIZE];
    int nhalved;                /* passes out of memory: {n, then size}, said in turn */
    int halved[HALVINGS][2];
    int njobs;                  /* prepared images, pictures encoded next */
    int failed;                 /* the error of the image after them, or EXIT_OK */
    char failed_msg[1024];
    struct picture_job jobs[MAX_BATCH_SIZE];
    double pictures_ms;
    double decode_share;        /* the decoding's wall time over its images' sum */
};

/* What the workers do while the main thread computes. */
struct step {
    struct explain_run *run;
    const struct input_list *in;
    struct stage_batch *encode, *decode;
    int threads;
};

static size_t plane_of(const struct explain_run *run)
{
    return (size_t)run->model.card.input_w * run->model.card.input_h;
}

static void free_pieces(struct stage_batch *bb)
{
    for (int p = 0; p < bb->npieces; p++)
        attrib_result_free(bb->pieces[p].res);
    bb->npieces = 0;
}

/* Empties a batch for the next inputs: its photos, results, pictures and
 * any served summaries never emitted (a run that stopped). */
static void batch_clear(struct stage_batch *bb)
{
    for (int i = 0; i < bb->nitems; i++)
        if (bb->items[i].state == ITEM_SERVED)
            served_drop(&bb->items[i].served);
    for (int i = 0; i < bb->slots; i++)
        image_free(&bb->img[i]);
    free_pieces(bb);
    for (int j = 0; j < bb->njobs; j++)
        pictures_free(&bb->jobs[j]);
    bb->nitems = bb->slots = bb->n = bb->njobs = bb->nhalved = 0;
    bb->failed = EXIT_OK;
    bb->pictures_ms = 0;
    bb->decode_share = 1;
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

static void item_failed(struct item *item, int rc)
{
    item->state = ITEM_FAILED;
    item->rc = rc;
    snprintf(item->error, sizeof item->error, "%s", error_message());
    clear_error();
}

/* The next inputs from *pos into bb, on the main thread: each served
 * (--resume, --cache: looked up, emitted in its turn), refused (its class)
 * or given a slot to be decoded into. EXIT_OK or a code that stops the run. */
static int gather(struct explain_run *run, const struct input_list *in, size_t *pos,
                  size_t size, struct stage_batch *bb)
{
    batch_clear(bb);
    int slots = 0;
    for (; *pos < in->n && (size_t)slots < size; ++*pos) {
        const struct input *it = &in->items[*pos];
        struct item *item = &bb->items[bb->nitems++];
        *item = (struct item){ .k = *pos };
        if (!run->batch_range.measuring) { /* every image counts for the range */
            int got = serve_lookup(run, it, &item->served);
            if (got < 0)
                return -got;
            if (got) {
                item->state = ITEM_SERVED;
                continue;
            }
        }
        if (check_class(run, it) != EXIT_OK) {
            item_failed(item, EXIT_INPUT);
            continue;
        }
        item->slot = slots++;
    }
    bb->end = *pos;
    bb->slots = slots;
    return EXIT_OK;
}

struct decode_ctx {
    struct explain_run *run;
    const struct input_list *in;
    struct stage_batch *bb;
    int todo[MAX_BATCH_SIZE]; /* the items to decode */
};

/* One image read, resized and normalised into its slot (any thread). */
static void decode_one(void *arg, int i, int worker)
{
    (void)worker;
    struct decode_ctx *c = arg;
    struct item *item = &c->bb->items[c->todo[i]];
    const size_t plane = plane_of(c->run);
    int rc = model_read_input(&c->run->model, c->run->opts.model.resize,
                              c->in->items[item->k].path, &c->bb->img[item->slot],
                              &item->region, c->bb->x + (size_t)item->slot * 3 * plane, item->ms);
    if (rc != EXIT_OK)
        item_failed(item, rc);
}

static void decode_batch(struct explain_run *run, const struct input_list *in,
                         struct stage_batch *bb, int threads)
{
    struct decode_ctx c = { run, in, bb, { 0 } };
    int n = 0;
    for (int i = 0; i < bb->nitems; i++)
        if (bb->items[i].state == ITEM_COMPUTE)
            c.todo[n++] = i;
    double t0 = now_ms();
    parallel_for(n, threads, decode_one, &c);
    double wall = now_ms() - t0, sum = 0;
    for (int i = 0; i < n; i++)
        sum += bb->items[c.todo[i]].ms[0] + bb->items[c.todo[i]].ms[1];
    bb->decode_share = sum > wall ? wall / sum : 1; /* on several threads at once */
}

static void encode_batch(const struct explain_run *run, struct stage_batch *bb, int threads)
{
    if (bb->njobs == 0)
        return;
    double t0 = now_ms();
    const struct overlay_style style = explain_overlay_style(run);
    pictures_encode(bb->jobs, bb->njobs, threads, &style, run->opts.colorbar);
    bb->pictures_ms += now_ms() - t0;
}

static void run_step(void *arg)
{
    struct step *st = arg;
    if (st->encode)
        encode_batch(st->run, st->encode, st->threads);
    if (st->decode)
        decode_batch(st->run, st->in, st->decode, st->threads);
}

/* The decoded images take slots 0..n in input order (a failed one leaves
 * none) and get their summaries; their times go to --timings. */
static void admit(struct explain_run *run, const struct input_list *in, struct stage_batch *bb)
{
    const struct model *m = &run->model;
    const size_t plane = plane_of(run);
    int n = 0;
    for (int i = 0; i < bb->nitems; i++) {
        struct item *item = &bb->items[i];
        stage_add(STAGE_DECODE, item->ms[0] * bb->decode_share);
        stage_add(STAGE_PREPROCESS, item->ms[1] * bb->decode_share);
        if (item->state != ITEM_COMPUTE)
            continue;
        if (item->slot != n) { /* the photos swap: both stay freeable */
            struct image t = bb->img[n];
            bb->img[n] = bb->img[item->slot];
            bb->img[item->slot] = t;
            memcpy(bb->x + (size_t)n * 3 * plane, bb->x + (size_t)item->slot * 3 * plane,
                   3 * plane * sizeof *bb->x);
            item->slot = n;
        }
        const struct input *it = &in->items[item->k];
        const struct image *img = &bb->img[n];
        attribution_reset(&bb->a[n]);
        bb->s[n] = (struct summary){
            .method = run->method->name, .image = it->path,
            .run_key = run->run_key[0] ? run->run_key : NULL,
            .cache = run->cache.dir[0] ? "miss" : NULL,
            .load_ms = m->load_ms, .map_w = m->card.input_w, .map_h = m->card.input_h,
            .target_was_predicted = it->target < 0,
            .resize = run->opts.model.resize == RESIZE_CROP ? "crop" : "stretch",
            .region = item->region, .image_w = img->width, .image_h = img->height,
            .image_sha256 = img->sha256,
        };
        bb->targets[n] = it->target;
        bb->index[n] = item->k;
        bb->skip[n] = SLOT_WRITTEN;
        n++;
    }
    for (int i = n; i < bb->slots; i++) /* what failed images decoded */
        image_free(&bb->img[i]);
    bb->n = n;
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

/* The batch's served and failed inputs, in input order, before its
 * computed images' files: EXIT_OK, or a code that stops the run. */
static int emit(struct explain_run *run, const struct input_list *in, struct stage_batch *bb,
                struct report *rep, int *worst)
{
    int rc = EXIT_OK;
    for (int i = 0; rc == EXIT_OK && i < bb->nitems; i++) {
        struct item *item = &bb->items[i];
        const struct input *it = &in->items[item->k];
        if (item->state == ITEM_SERVED) {
            rc = serve_emit(run, it, &item->served, rep);
            item->state = ITEM_EMITTED;
        } else if (item->state == ITEM_FAILED && item->rc != EXIT_INPUT) {
            rc = fail(item->rc, "%s", item->error);
        } else if (item->state == ITEM_FAILED && !run->batch_range.measuring) {
            /* the measuring pass leaves failed images to the pass that writes */
            fail(EXIT_INPUT, "%s", item->error);
            report_failed_input(run, rep, it);
            *worst = EXIT_INPUT;
        }
    }
    return rc;
}

/* A pass over a piece of n ran out of (device) memory, before any of its
 * files was written: with n > 1 the pieces are halved (*size) and it is
 * redone; a single image fails alone, as an unreadable one would. Either
 * is said in the batch's turn (prepare). */
static void out_of_memory(struct stage_batch *bb, int first, int n, int *size)
{
    if (n > 1) {
        *size = n / 2;
        if (bb->nhalved < HALVINGS)
            bb->halved[bb->nhalved][0] = n, bb->halved[bb->nhalved++][1] = *size;
    } else {
        bb->skip[first] = SLOT_OUT_OF_MEMORY;
    }
    clear_error();
}

/* The method over the batch's slots, in pieces of *size. */
static int compute(struct explain_run *run, struct stage_batch *bb, int *size)
{
    struct model *m = &run->model;
    const size_t plane = plane_of(run);
    int rc = EXIT_OK;
    for (int first = 0; rc == EXIT_OK && first < bb->n;) {
        int n = bb->n - first < *size ? bb->n - first : *size;
        struct batch b = { .n = n, .h = m->card.input_h, .w = m->card.input_w,
                           .x = bb->x + (size_t)first * 3 * plane, .targets = bb->targets + first,
                           .a = bb->a + first, .s = bb->s + first };
        double t0 = now_ms(), busy0 = shim_busy_ms();
        rc = explain_compute(run, &b);
        double elapsed = now_ms() - t0, network = shim_busy_ms() - busy0;
        stage_add(STAGE_NETWORK, network);
        stage_add(STAGE_METHOD, elapsed - network);
        if (rc == EXIT_OK)
            rc = model_check_logits(m, b.res, n);
        if (rc == EXIT_INTERNAL && model_out_of_memory()) {
            attrib_result_free(b.res);
            out_of_memory(bb, first, n, size);
            first += n == 1;
            rc = EXIT_OK;
            continue;
        }
        bb->pieces[bb->npieces++] = (struct piece){ first, n, b.res, elapsed / n };
        first += n;
    }
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

/* Slots whose pass refused them fail alone, in their turn: a predicted
 * class that is --versus has nothing to contrast; out of memory alone. */
static void refuse_slot(struct explain_run *run, const struct input_list *in,
                        struct stage_batch *bb, int i, const attrib_result *res, int row,
                        struct report *rep, int *worst)
{
    const long versus = run->opts.objective.versus;
    if (bb->skip[i] == SLOT_WRITTEN && versus >= 0 && attrib_result_targets(res)[row] == versus)
        bb->skip[i] = SLOT_SELF_CONTRAST;
    if (bb->skip[i] == SLOT_WRITTEN || run->batch_range.measuring)
        return;
    const struct input *it = &in->items[bb->index[i]];
    if (bb->skip[i] == SLOT_SELF_CONTRAST)
        fail(EXIT_INPUT, "%s: the predicted class is %ld, the --versus class: a contrast "
             "needs two classes (give --class)", it->path, versus);
    else
        fail(EXIT_INPUT, "%s: out of memory on %s for this image alone (a smaller "
             "--internal-batch needs less, where the method has one)", it->path,
             run->model.device);
    report_failed_input(run, rep, it);
    *worst = EXIT_INPUT;
}

/* Each computed image's scores, statistics and paths, in order; its
 * pictures are encoded next. An image that cannot be prepared stops the
 * batch there (bb->failed): the images before it are written. */
static int prepare(struct explain_run *run, const struct input_list *in, struct stage_batch *bb,
                   struct report *rep, int *worst)
{
    const size_t plane = plane_of(run);
    int rc = EXIT_OK;
    for (int h = 0; h < bb->nhalved; h++)
        report_warning(run->method->name, "out of memory on %s for a mini-batch of %d: going "
                       "on with mini-batches of %d", run->model.device, bb->halved[h][0],
                       bb->halved[h][1]);
    for (int p = 0; rc == EXIT_OK && p < bb->npieces; p++) {
        const struct piece *pc = &bb->pieces[p];
        for (int i = pc->first; rc == EXIT_OK && i < pc->first + pc->n; i++) {
            refuse_slot(run, in, bb, i, pc->res, i - pc->first, rep, worst);
            if (bb->skip[i] != SLOT_WRITTEN)
                continue;
            if (run->batch_range.measuring) {
                rc = measure_range(run, &bb->a[i], plane);
                continue;
            }
            struct summary *s = &bb->s[i];
            s->pass_ms = pc->per_image;
            s->model = model_info(&run->model);
            output_scores(run, pc->res, i - pc->first, s);
            s->total_ms = now_ms() - run->t_start;
            rc = output_prepare(run, &bb->a[i], s, in->items[bb->index[i]].name, bb->paths[i]);
            if (rc == EXIT_OK)
                bb->jobs[bb->njobs++] = (struct picture_job){ .img = &bb->img[i],
                                                              .a = &bb->a[i], .s = s };
        }
    }
    for (int i = 0; i < bb->n; i++) /* out of memory alone: no piece holds it */
        if (bb->skip[i] == SLOT_OUT_OF_MEMORY)
            refuse_slot(run, in, bb, i, NULL, 0, rep, worst);
    free_pieces(bb);
    if (run->batch_range.measuring)
        return rc;
    bb->failed = rc;
    if (rc)
        snprintf(bb->failed_msg, sizeof bb->failed_msg, "%s", error_message());
    return EXIT_OK;
}

/* The encoded images' files in order, each into the report and the cache;
 * then the error of the image that could not be prepared, if one. */
static int write_batch(struct explain_run *run, const struct input_list *in,
                       struct stage_batch *bb, struct report *rep)
{
    int rc = EXIT_OK;
    const int keep_json = rep->root || run->cache.dir[0];
    stage_add(STAGE_PICTURES, bb->pictures_ms);
    bb->pictures_ms = 0;
    for (int k = 0; rc == EXIT_OK && k < bb->njobs; k++) {
        struct picture_job *job = &bb->jobs[k];
        const int i = (int)(job->s - bb->s);
        const struct input *it = &in->items[bb->index[i]];
        cJSON *json = NULL;
        rc = output_write(&run->opts, job, &bb->s[i], bb->paths[i], keep_json ? &json : NULL);
        double t1 = now_ms();
        run->explained += rc == EXIT_OK;
        if (rc == EXIT_OK && rep->root)
            rc = report_add(rep, it->index, it->name, json, run->opts.out_dir);
        if (rc == EXIT_OK && run->cache.dir[0]) {
            char key[CACHE_KEY_HEX];
            struct cache_dest d = image_cache_dest(run, it);
            image_cache_key(run, job->s->image_sha256, it->target, key);
            cache_store(&run->cache, key, json, &d);
        }
        cJSON_Delete(json);
        stage_add(STAGE_REPORT, now_ms() - t1);
    }
    for (int k = 0; k < bb->njobs; k++)
        pictures_free(&bb->jobs[k]);
    bb->njobs = 0;
    if (rc == EXIT_OK && bb->failed)
        rc = fail(bb->failed, "%s", bb->failed_msg);
    return rc;
}

/* The run's three batches and where the inputs stand. */
struct pipeline {
    struct explain_run *run;
    const struct input_list *in;
    struct report *rep;
    struct stage_batch *sets[3];
    struct stage_batch *cur, *next, *pending; /* computing, decoding, encoding */
    size_t pos;     /* the next input to gather */
    int size;       /* images per pass (halved when out of memory) */
    int encoders;   /* threads for decoding and pictures */
    int worst;
    char msg[1024]; /* the first error's message */
};

static int pipeline_open(struct pipeline *p, struct explain_run *run,
                         const struct input_list *in, struct report *rep)
{
    const int allocated = (int)run->opts.batch_size;
    *p = (struct pipeline){ .run = run, .in = in, .rep = rep, .size = allocated,
                            .encoders = run->workers > 0 ? run->workers
                                                         : attrib_runtime_threads() };
    for (int i = 0; i < 3; i++) {
        p->sets[i] = calloc(1, sizeof *p->sets[i]);
        if (!p->sets[i] || attributions_alloc(&p->sets[i]->x, p->sets[i]->a, allocated,
                                              plane_of(run)))
            return fail(EXIT_INTERNAL, "out of memory");
    }
    p->cur = p->sets[0], p->next = p->sets[1], p->pending = p->sets[2];
    return EXIT_OK;
}

static void pipeline_close(struct pipeline *p, const struct explain_run *run)
{
    for (int i = 0; i < 3; i++) {
        if (!p->sets[i])
            continue;
        batch_clear(p->sets[i]);
        attributions_free(p->sets[i]->x, p->sets[i]->a, (int)run->opts.batch_size);
        free(p->sets[i]);
    }
}

/* Keeps the first error of a step: later ones may overwrite the message. */
static int first_error(struct pipeline *p, int rc, int next)
{
    if (rc == EXIT_OK && next != EXIT_OK)
        snprintf(p->msg, sizeof p->msg, "%s", error_message());
    return rc ? rc : next;
}

/* One turn with workers: batch cur computes while they decode next and
 * encode pending's pictures; then pending's files, cur's served and failed
 * images and its preparation, in input order; the batches move on. */
static int turn(struct pipeline *p)
{
    struct explain_run *run = p->run;
    int rc = EXIT_OK;
    batch_clear(p->next);
    if (p->pos < p->in->n)
        rc = first_error(p, rc, gather(run, p->in, &p->pos, (size_t)p->size, p->next));
    struct step st = { run, p->in, p->pending->njobs ? p->pending : NULL,
                       p->next->nitems ? p->next : NULL, p->encoders };
    struct background bg;
    if (rc == EXIT_OK) {
        background_start(&bg, run_step, &st, 0);
        rc = first_error(p, rc, compute(run, p->cur, &p->size));
        double t0 = now_ms();
        background_join(&bg);
        if (run->workers > 0)
            stage_add(STAGE_WAIT, now_ms() - t0);
    }
    rc = first_error(p, rc, write_batch(run, p->in, p->pending, p->rep));
    if (rc == EXIT_OK)
        rc = first_error(p, rc, emit(run, p->in, p->cur, p->rep, &p->worst));
    if (rc == EXIT_OK)
        rc = first_error(p, rc, prepare(run, p->in, p->cur, p->rep, &p->worst));
    if (rc == EXIT_OK && p->cur->failed) { /* its good images' files, then the error */
        encode_batch(run, p->cur, p->encoders);
        rc = first_error(p, rc, write_batch(run, p->in, p->cur, p->rep));
    }
    if (rc == EXIT_OK && p->next->nitems)
        admit(run, p->in, p->next);
    return rc;
}

/* Without workers: a batch at a time, so one batch's photos are in memory,
 * as before the pipeline: it computes, is said, prepared, drawn and written,
 * then the next is gathered and decoded (on every core: the network waits).
 * The same files and lines in the same order as turn's. */
static int turn_in_turn(struct pipeline *p)
{
    struct explain_run *run = p->run;
    int rc = first_error(p, EXIT_OK, compute(run, p->cur, &p->size));
    if (rc == EXIT_OK)
        rc = first_error(p, rc, emit(run, p->in, p->cur, p->rep, &p->worst));
    if (rc == EXIT_OK)
        rc = first_error(p, rc, prepare(run, p->in, p->cur, p->rep, &p->worst));
    if (rc == EXIT_OK) {
        encode_batch(run, p->cur, p->encoders);
        rc = first_error(p, rc, write_batch(run, p->in, p->cur, p->rep));
    }
    batch_clear(p->cur); /* its photos freed before the next are decoded */
    batch_clear(p->next);
    if (rc == EXIT_OK && p->pos < p->in->n)
        rc = first_error(p, rc, gather(run, p->in, &p->pos, (size_t)p->size, p->next));
    if (rc == EXIT_OK && p->next->nitems) {
        decode_batch(run, p->in, p->next, p->encoders);
        admit(run, p->in, p->next);
    }
    return rc;
}

int explain_all(struct explain_run *run, struct input_list *in, struct report *rep)
{
    struct pipeline p;
    int rc = pipeline_open(&p, run, in, rep);
    if (rc)
        snprintf(p.msg, sizeof p.msg, "%s", error_message());
    struct progress bar;
    char label[96];
    snprintf(label, sizeof label, "%s%s", run->method->name,
             run->batch_range.measuring ? " (measuring the run's --scale)" : "");
    const int quiet = run->opts.quiet || run->opts.json || in->n < 2;
    /* one image: its passes have the line (methods of many passes) */
    run->passes_wanted = in->n == 1 && !run->opts.quiet && !run->opts.json;
    progress_start(&bar, label, (int)in->n, quiet);
    progress_log_every(&bar, run->opts.log_every * 1e3);
    if (rc == EXIT_OK)
        rc = first_error(&p, rc, gather(run, in, &p.pos, (size_t)p.size, p.cur));
    if (rc == EXIT_OK) { /* the first batch: nothing computes beside it */
        decode_batch(run, in, p.cur, p.encoders);
        admit(run, in, p.cur);
    }
    while (rc == EXIT_OK && p.cur->nitems > 0) {
        rc = run->workers > 0 ? turn(&p) : turn_in_turn(&p);
        progress_counts(&bar, (long)run->failed, (long)run->resumed,
                        run->cache.dir[0] ? (long)run->cache.hits : -1);
        progress_update(&bar, (int)p.cur->end, NULL);
        struct stage_batch *done = p.pending;
        p.pending = p.cur, p.cur = p.next, p.next = done;
    }
    if (rc == EXIT_OK && p.pending->njobs) { /* the last batch: every core is free now */
        const int spare = run->workers > 0 ? attrib_runtime_threads() : 0;
        encode_batch(run, p.pending, p.encoders + spare);
        rc = first_error(&p, rc, write_batch(run, in, p.pending, rep));
    }
    progress_end(&bar);
    if (rc == EXIT_OK && !run->batch_range.measuring)
        progress_totals(&bar, "explained", (long)run->explained, quiet);
    pipeline_close(&p, run);
    if (rc)
        fail(rc, "%s", p.msg);
    return rc ? rc : p.worst;
}
