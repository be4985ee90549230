/* cmd_layers.c - `attrib layers`: the layers a model offers to layer-based
 * methods, with their output shapes, and the default Grad-CAM layer. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
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

static void shape_text(const struct layer_info *e, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < e->ndim && used < size; d++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld", d ? ", " : "",
                                 (long long)e->shape[d]);
    if (used < size)
        snprintf(buf + used, size - used, "]");
}

static void print_layers(const struct layer_list *l, long def, int json)
{
    char shape[128];
    for (size_t i = 0; i < l->n; i++) {
        const struct layer_info *e = &l->items[i];
        shape_text(e, shape, sizeof shape);
        if (json)
            printf("{\"path\":\"%s\",\"op\":\"%s\",\"shape\":%s,\"value\":%ld,\"default\":%s}\n",
                   e->path, e->op, shape, e->value_id, (long)i == def ? "true" : "false");
        else
            printf("%s %-36s %-22s %s\n", (long)i == def ? "*" : " ", e->path, e->op, shape);
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
        rc = model_layers(&m, &layers);
    if (rc == EXIT_OK) {
        long def = layer_default_cam(&layers);
        if (!json)
            printf("  %-36s %-22s %s\n", "layer", "op", "output shape");
        print_layers(&layers, def, json);
        if (!json && def < 0)
            printf("(no 4-D feature map: gradcam needs a convolutional layer)\n");
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
