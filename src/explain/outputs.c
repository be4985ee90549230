/* explain/outputs.c - one image's files: the scores its summary reports,
 * its statistics, display range and output paths, then (once its pictures
 * are encoded) the PNGs, raw maps and the JSON summary, each written
 * atomically. */
#include "outputs.h"

#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "error.h"
#include "rawfile.h"
#include "report.h"
#include "stages.h"
#include "timer.h"

enum colormap explain_colormap(const struct explain_run *run)
{
    return colormap_resolve((enum colormap)run->opts.cmap, explain_signed(run));
}

struct overlay_style explain_overlay_style(const struct explain_run *run)
{
    return (struct overlay_style){ .cm = explain_colormap(run), .alpha = (float)run->opts.alpha,
                                   .blend = (enum blend)run->opts.blend,
                                   .centred = explain_signed(run),
                                   .max_side = (int)run->opts.overlay_max_side };
}

/* A target that is not a class: its score, and the segment's class. */
static void entry_score(const struct explain_run *run, const attrib_result *res, int row,
                        struct summary *s)
{
    int64_t entries;
    const float *scores = result_logits(res, NULL, &entries) + (size_t)row * entries;
    long entry = attrib_result_targets(res)[row];
    const int kind = run->target.kind;
    const long cls = kind == TARGET_SIMILAR ? -1 : run->opts.target_opts.spec.cls;
    s->target = (struct class_score){
        cls, cls >= 0 ? card_label(&run->model.card, (int)cls, s->labels[SUMMARY_TOP], SUMMARY_LABEL)
                      : NULL,
        scores[entry], 0 };
    s->ntop = 0;
    s->objective = kind == TARGET_SEGMENT ? "mask-logit-sum"
                   : kind == TARGET_BOX   ? "box-iou-plus-score"
                                          : "cosine-similarity";
    s->objective_value = scores[entry];
    s->has_versus = 0;
}

void output_scores(const struct explain_run *run, const attrib_result *res, int row,
                   struct summary *s)
{
    if (s->target_kind) {
        entry_score(run, res, row, s);
        return;
    }
    const struct model *m = &run->model;
    const struct objective *o = &run->opts.objective;
    char (*buf)[SUMMARY_LABEL] = s->labels; /* the labels live in the summary */
    const float *logits = result_logits(res, NULL, NULL) + (size_t)row * m->classes;
    long target = attrib_result_targets(res)[row];
    int n = m->classes, idx[SUMMARY_TOP];
    float *probs = malloc((size_t)n * sizeof *probs);
    if (probs)
        class_probabilities(&m->card, logits, n, probs);
    s->ntop = top_k(logits, n, SUMMARY_TOP, idx);
    for (int i = 0; i < s->ntop; i++)
        s->top[i] = (struct class_score){ idx[i], card_label(&m->card, idx[i], buf[i], SUMMARY_LABEL),
                                          logits[idx[i]], probs ? probs[idx[i]] : 0 };
    s->target = (struct class_score){ target,
                                      card_label(&m->card, target, buf[SUMMARY_TOP], SUMMARY_LABEL),
                                      logits[target], probs ? probs[target] : 0 };
    s->objective = objective_names[o->kind];
    s->objective_value = explain_objective(run, logits, n, target);
    if ((s->has_versus = o->versus >= 0))
        s->versus = (struct class_score){
            o->versus, card_label(&m->card, (int)o->versus, buf[SUMMARY_TOP + 1], SUMMARY_LABEL),
            logits[o->versus], probs ? probs[o->versus] : 0 };
    free(probs);
}

static int add_output(struct summary *s, const char *kind, const char *dir, const char *name,
                      const char *suffix, char *path, size_t size)
{
    char tail[128];
    snprintf(tail, sizeof tail, ".%s%s", s->method, suffix);
    int rc = output_path(dir, name, tail, path, size);
    if (rc == EXIT_OK)
        s->outputs[s->noutputs++] = (struct output_file){ kind, path };
    return rc;
}

int output_publish(const struct explain_opts *o, const cJSON *j, const char *path)
{
    int rc = summary_emit(j, path, o->json);
    if (rc == EXIT_OK && !o->json && !o->quiet)
        summary_print_text(j);
    return rc;
}

/* Writes the image's summary JSON; *json keeps it (the report's record is
 * made from it), or NULL. */
static int write_summary(const struct explain_opts *o, struct summary *s, const char *path,
                         cJSON **json)
{
    cJSON *j = summary_json(s);
    int rc = output_publish(o, j, path);
    if (rc == EXIT_OK && json)
        *json = j;
    else
        cJSON_Delete(j);
    return rc;
}

int output_prepare(const struct explain_run *run, const struct attribution *a,
                   struct summary *s, const char *name, char (*paths)[PATH_MAX])
{
    const struct explain_opts *o = &run->opts;
    size_t n = (size_t)s->map_w * s->map_h;
    double t0 = now_ms();
    int rc = heatmap_stats(a->map, s->map_w, s->map_h, HEATMAP_TOP_FRACTION, &s->stats);
    if (rc)
        return rc;
    if (s->stats.nonfinite)
        return fail(EXIT_MODEL, "%s: the %s map has %zu NaN or infinite values; nothing written",
                    s->image, s->method, s->stats.nonfinite);
    if (s->stats.max == s->stats.min) {
        /* Nothing to show, and worth knowing: a saturated class, or a dead
         * layer, gives a zero gradient everywhere. */
        s->warning = s->target_kind && strcmp(s->target_kind, "box") == 0 && !(s->target.score > 0)
                         ? "the map is flat (one value everywhere): no detection matches the box"
                         : "the map is flat (one value everywhere): the class score does not "
                           "change with the input here";
        report_warning(s->method, "%s: %s", s->image, s->warning);
    }
    s->clip = o->clip;
    if (run->method->signed_map) {
        s->sign = map_sign_names[o->sign];
        s->sign_convention = map_sign_convention((enum map_sign)o->sign);
    }
    s->scale = display_scale_name(o->scale.kind);
    int ow, oh;
    overlay_size(s->image_w, s->image_h, (int)o->overlay_max_side, &ow, &oh);
    if (ow != s->image_w || oh != s->image_h)
        s->overlay_w = ow, s->overlay_h = oh;
    if (o->scale.kind == SCALE_FIXED)
        s->display_lo = (float)o->scale.lo, s->display_hi = (float)o->scale.hi;
    else if (o->scale.kind == SCALE_BATCH && run->batch_range.seen)
        s->display_lo = run->batch_range.lo, s->display_hi = run->batch_range.hi;
    else
        rc = display_range(a->map, n, explain_signed(run), o->clip, &s->display_lo,
                           &s->display_hi);
    stage_add(STAGE_STATS, now_ms() - t0);
    s->noutputs = 0;
    if (rc == EXIT_OK)
        rc = add_output(s, "heatmap", o->out_dir, name, ".png", paths[OUT_HEAT], PATH_MAX);
    if (rc == EXIT_OK && a->has_chw)
        rc = add_output(s, "rgb", o->out_dir, name, ".rgb.png", paths[OUT_RGB], PATH_MAX);
    if (rc == EXIT_OK)
        rc = add_output(s, "overlay", o->out_dir, name, ".overlay.png", paths[OUT_OVERLAY],
                        PATH_MAX);
    if (rc == EXIT_OK)
        rc = add_output(s, "summary", o->out_dir, name, ".json", paths[OUT_JSON], PATH_MAX);
    if (rc == EXIT_OK && o->save_raw)
        rc = add_output(s, "raw", o->out_dir, name, ".npy", paths[OUT_NPY], PATH_MAX);
    if (rc == EXIT_OK && a->segments && (o->save_raw || o->raw))
        rc = add_output(s, "segments", o->out_dir, name, SEGMENTS_SUFFIX, paths[OUT_SEGMENTS],
                        PATH_MAX);
    return rc;
}

int output_write(const struct explain_opts *o, const struct picture_job *pic,
                 struct summary *s, char (*paths)[PATH_MAX], cJSON **json)
{
    const struct attribution *a = pic->a;
    if (pic->failed)
        return fail(EXIT_INTERNAL, "%s: out of memory drawing the pictures", s->image);
    double t0 = now_ms();
    int rc = write_file_atomic(paths[OUT_HEAT], pic->heat.data, pic->heat.len);
    if (rc == EXIT_OK && a->has_chw)
        rc = write_file_atomic(paths[OUT_RGB], pic->rgb.data, pic->rgb.len);
    if (rc == EXIT_OK)
        rc = write_file_atomic(paths[OUT_OVERLAY], pic->overlay.data, pic->overlay.len);
    double t1 = now_ms();
    stage_add(STAGE_PICTURES, t1 - t0);
    size_t dims[3] = { 3, (size_t)s->map_h, (size_t)s->map_w };
    if (rc == EXIT_OK && o->save_raw)
        rc = a->has_chw ? raw_write(paths[OUT_NPY], a->chw, dims, 3)
                        : raw_write(paths[OUT_NPY], a->map, dims + 1, 2);
    if (rc == EXIT_OK && o->raw) {
        rc = a->has_chw ? raw_write(o->raw, a->chw, dims, 3) : raw_write(o->raw, a->map, dims + 1, 2);
        s->outputs[s->noutputs++] = (struct output_file){ "raw", o->raw };
    }
    if (rc == EXIT_OK && a->segments && (o->save_raw || o->raw))
        rc = raw_write(paths[OUT_SEGMENTS], a->segments, dims + 1, 2);
    if (rc == EXIT_OK)
        rc = write_summary(o, s, paths[OUT_JSON], json);
    stage_add(STAGE_FILES, now_ms() - t1);
    return rc;
}
