/* layers.c - `attrib layers`: the layers a model offers to layer-based
 * methods, with their output shapes, and the default Grad-CAM layer. */
#include <stdio.h>
#include <string.h>

#include "command.h"
#include "error.h"
#include "layers.h"
#include "model.h"

struct layers_opts {
    struct model_opts model;
    int json;
};

static const struct opt options[] = {
    OPT_FLAG(0, "json", struct layers_opts, json, "one JSON object per layer, one per line"),
    MODEL_OPTIONS(struct layers_opts, model),
    OPT_END,
};

/* How the layer reads as a map: "" (not one), "map", "channels last",
 * "tokens 1+14x14". */
static void view_text(const struct layer_info *e, int ih, int iw, char *buf, size_t size)
{
    attrib_layer_view v;
    if (!layer_view(e, ih, iw, &v))
        snprintf(buf, size, "%s", "");
    else if (v.layout == ATTRIB_LAYOUT_TOKENS)
        snprintf(buf, size, "tokens %lld+%lldx%lld", (long long)v.skip_tokens, (long long)v.h,
                 (long long)v.w);
    else
        snprintf(buf, size, "%s", v.layout == ATTRIB_LAYOUT_NHWC ? "channels last" : "map");
}

/* The width of the path column: the longest path (paths of transformers run
 * past the 36 columns CNN paths fit in). */
static int path_width(const struct layer_list *l)
{
    size_t w = 36;
    for (size_t i = 0; i < l->n; i++)
        w = strlen(l->items[i].path) > w ? strlen(l->items[i].path) : w;
    return (int)w;
}

static void print_layers(const struct layer_list *l, long def, int json, int ih, int iw)
{
    char view[64];
    const int width = path_width(l);
    for (size_t i = 0; i < l->n; i++) {
        const struct layer_info *e = &l->items[i];
        const char *shape = shape_text(e);
        view_text(e, ih, iw, view, sizeof view);
        if (json)
            printf("{\"path\":\"%s\",\"op\":\"%s\",\"shape\":%s,\"value\":%ld,\"map\":\"%s\","
                   "\"default\":%s}\n", e->path, e->op, shape, e->value_id, view,
                   (long)i == def ? "true" : "false");
        else
            printf("%s %-*s %-22s %-*s%s\n", (long)i == def ? "*" : " ", width, e->path,
                   e->op, view[0] ? 23 : 0, shape, view); /* no trailing blanks */
    }
}

static int cmd_layers(void *opts, const operands *ops)
{
    struct layers_opts *lo = opts;
    struct model_opts o = lo->model;
    int json = lo->json;
    if (ops->n > 1)
        return fail(EXIT_USAGE, "one model at a time (got %d)", ops->n);
    if (ops->n == 1)
        o.model_path = ops->args[0];

    struct model m;
    struct layer_list layers = { 0 };
    int rc = model_open(&o, &m);
    if (rc == EXIT_OK)
        rc = model_segmenter_output(&m);
    if (rc == EXIT_OK)
        rc = model_layers(&m, &layers);
    if (rc == EXIT_OK) {
        const int ih = m.card.input_h, iw = m.card.input_w;
        long def = model_default_layer(&m, &layers);
        if (!json)
            printf("  %-*s %-22s %-22s %s\n", path_width(&layers), "layer", "op",
                   "output shape", "read as");
        print_layers(&layers, def, json, ih, iw);
        if (!json && def < 0)
            printf("(no feature map or token grid: gradcam needs one)\n");
    }
    layer_list_free(&layers);
    model_close(&m);
    return rc;
}

const struct command_spec layers_spec = {
    .synopsis = "attrib layers [MODEL] [--json] [options]",
    .description =
        "Lists the model's layers - every submodule output found on its TorchScript\n"
        "graph - with the op that produced it and its shape for one input of the\n"
        "model's size. '*' marks the default layer of gradcam and guided-gradcam.\n"
        "MODEL is a .pt file (default: --model, $ATTRIB_MODEL, then the default).\n",
    COMMAND_RUN(struct layers_opts, options, cmd_layers),
    .operands = OPERANDS_MODEL,
};
