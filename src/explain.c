/* explain.c - shared options and outputs of the attribution subcommands. */
#include "explain.h"

#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "error.h"
#include "fsutil.h"
#include "png.h"
#include "rawfile.h"

void explain_opts_init(struct explain_opts *o)
{
    memset(o, 0, sizeof *o);
    model_opts_init(&o->model);
    o->target = -1;
    o->out_dir = ".";
    o->cmap = CMAP_INFERNO;
    o->alpha = 0.5;
    o->clip = 1.0;
}

int explain_opts_parse(struct explain_opts *o, int opt, const char *arg)
{
    int rc = model_opts_parse(&o->model, opt, arg);
    if (rc != -1)
        return rc;
    switch (opt) {
    case 'c':
        return parse_long(arg, 0, CARD_MAX_LABELS - 1, "--class", &o->target);
    case 'o':
        o->out_dir = arg;
        return EXIT_OK;
    case OPT_CMAP:
        if (colormap_from_name(arg, &o->cmap))
            return fail(EXIT_USAGE, "--cmap: '%s' is not one of: %s", arg, COLORMAP_NAMES);
        return EXIT_OK;
    case OPT_ALPHA:
        return parse_double(arg, 0, 1, "--alpha", &o->alpha);
    case OPT_CLIP:
        return parse_double(arg, 0, 50, "--clip", &o->clip);
    case OPT_RAW:
        o->raw = arg;
        return EXIT_OK;
    case OPT_JSON:
        o->json = 1;
        return EXIT_OK;
    case 'q':
        o->quiet = 1;
        return EXIT_OK;
    default:
        return -1;
    }
}

void explain_scores(const struct model *m, const float *logits, long target, struct summary *s)
{
    static char buf[SUMMARY_TOP + 1][32];
    int n = m->classes, idx[SUMMARY_TOP];
    float *probs = malloc((size_t)n * sizeof *probs);
    if (probs)
        softmax(logits, n, probs);
    s->ntop = top_k(logits, n, SUMMARY_TOP, idx);
    for (int i = 0; i < s->ntop; i++)
        s->top[i] = (struct class_score){ idx[i], card_label(&m->card, idx[i], buf[i], 32),
                                          logits[idx[i]], probs ? probs[idx[i]] : 0 };
    s->target = (struct class_score){ target, card_label(&m->card, target, buf[SUMMARY_TOP], 32),
                                      logits[target], probs ? probs[target] : 0 };
    free(probs);
}

static int add_output(struct summary *s, const char *kind, const char *dir, const char *name,
                      char *path, size_t size)
{
    int rc = path_join(path, size, dir, name);
    if (rc == EXIT_OK)
        s->outputs[s->noutputs++] = (struct output_file){ kind, path };
    return rc;
}

static int write_images(const struct explain_opts *o, const struct image *img,
                        const float *map, struct summary *s, const char *heat_path,
                        const char *overlay_path)
{
    float lo = s->display_lo, hi = s->display_hi;
    size_t big = (size_t)img->width * img->height * 3;
    size_t small = (size_t)s->map_w * s->map_h * 3;
    unsigned char *px = malloc(big > small ? big : small);
    if (!px)
        return fail(EXIT_INTERNAL, "out of memory");
    heatmap_render(map, s->map_w, s->map_h, lo, hi, o->cmap, px);
    int rc = png_write(heat_path, s->map_w, s->map_h, 3, px);
    if (rc == EXIT_OK)
        rc = heatmap_overlay(img, s->region, map, s->map_w, s->map_h, lo, hi, o->cmap,
                             (float)o->alpha, px);
    if (rc == EXIT_OK)
        rc = png_write(overlay_path, img->width, img->height, 3, px);
    free(px);
    return rc;
}

static void print_text(const struct summary *s)
{
    printf("%s: %s %ld \"%s\" (p=%.4f, score %.4g)\n", s->image,
           s->target_was_predicted ? "predicted" : "class", s->target.index, s->target.label,
           s->target.probability, s->target.score);
    printf("  %s map %dx%d: min %.4g, max %.4g, mean %.4g; hottest %g%% centred at "
           "(%.1f, %.1f), box %dx%d at (%d, %d)\n",
           s->method, s->map_w, s->map_h, s->stats.min, s->stats.max, s->stats.mean,
           HEATMAP_TOP_FRACTION * 100, s->stats.com_x, s->stats.com_y, s->stats.top_box.width,
           s->stats.top_box.height, s->stats.top_box.x, s->stats.top_box.y);
    for (int i = 0; i < s->noutputs; i++)
        printf("  wrote %s\n", s->outputs[i].path);
}

static int write_summary(const struct explain_opts *o, struct summary *s, const char *path)
{
    cJSON *j = summary_json(s);
    char *pretty = j ? cJSON_Print(j) : NULL;
    char *line = j && o->json ? cJSON_PrintUnformatted(j) : NULL;
    int rc = EXIT_OK;
    if (!pretty || (o->json && !line))
        rc = fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK) {
        size_t n = strlen(pretty);
        pretty[n] = '\n'; /* replaces the NUL: the file ends in a newline */
        rc = write_file_atomic(path, pretty, n + 1);
    }
    if (rc == EXIT_OK) {
        if (o->json)
            puts(line);
        else if (!o->quiet)
            print_text(s);
    }
    cJSON_free(pretty);
    cJSON_free(line);
    cJSON_Delete(j);
    return rc;
}

int explain_outputs(const struct explain_opts *o, const struct image *img, const float *map,
                    struct summary *s)
{
    char stem[256], name[300];
    static char heat[PATH_MAX], overlay[PATH_MAX], json[PATH_MAX];
    path_stem(s->image, stem, sizeof stem);
    int rc = heatmap_stats(map, s->map_w, s->map_h, HEATMAP_TOP_FRACTION, &s->stats);
    if (rc)
        return rc;
    if (s->stats.nonfinite)
        return fail(EXIT_MODEL, "%s: the %s map has %zu NaN or infinite values; nothing written",
                    s->image, s->method, s->stats.nonfinite);
    s->clip = o->clip;
    s->display_lo = s->stats.min;
    rc = heatmap_percentile(map, (size_t)s->map_w * s->map_h, 100.0 - o->clip, &s->display_hi);
    if (rc)
        return rc;
    s->noutputs = 0;
    snprintf(name, sizeof name, "%s.%s.png", stem, s->method);
    rc = add_output(s, "heatmap", o->out_dir, name, heat, sizeof heat);
    snprintf(name, sizeof name, "%s.%s.overlay.png", stem, s->method);
    if (rc == EXIT_OK)
        rc = add_output(s, "overlay", o->out_dir, name, overlay, sizeof overlay);
    snprintf(name, sizeof name, "%s.%s.json", stem, s->method);
    if (rc == EXIT_OK)
        rc = add_output(s, "summary", o->out_dir, name, json, sizeof json);
    if (rc == EXIT_OK)
        rc = write_images(o, img, map, s, heat, overlay);
    if (rc == EXIT_OK && o->raw) {
        size_t dims[2] = { (size_t)s->map_h, (size_t)s->map_w };
        rc = raw_write(o->raw, map, dims, 2);
        s->outputs[s->noutputs++] = (struct output_file){ "raw", o->raw };
    }
    if (rc == EXIT_OK)
        rc = write_summary(o, s, json);
    return rc;
}
