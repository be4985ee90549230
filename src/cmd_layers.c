/* cmd_layers.c - `attrib layers`: the layers a model offers to layer-based
 * methods, with their output shapes, and the default Grad-CAM layer. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "error.h"
#include "layers.h"
#include "model.h"

static const char usage[] =
    "usage: attrib layers [MODEL] [--json] [options]\n\n"
    "Lists the model's layers - every submodule output found on its TorchScript\n"
    "graph - with the op that produced it and its shape for one input of the\n"
    "model's size. '*' marks the default layer of gradcam and guided-gradcam.\n"
    "MODEL is a .pt file (default: --model, $ATTRIB_MODEL, then the default).\n\n"
    "Options:\n"
    "  --json             one JSON object per layer, one per line\n"
    MODEL_OPTS_HELP
    "  -h, --help         show this help\n\n";

enum { OPT_JSON = OPT_FIRST_COMMAND_OPTION };

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

int cmd_layers(int argc, char **argv)
{
    static const struct option longopts[] = {
        MODEL_LONGOPTS,
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { 0 },
    };
    struct model_opts o;
    int json = 0, opt;
    model_opts_init(&o);
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        int rc = model_opts_parse(&o, opt, optarg);
        if (rc == -1 && opt == 'h') {
            fputs(usage, stdout);
            fputs(exit_codes_help, stdout);
            return EXIT_OK;
        }
        if (rc == -1 && opt == OPT_JSON)
            json = 1, rc = EXIT_OK;
        if (rc == -1)
            return bad_option(argc, argv);
        if (rc)
            return rc;
    }
    if (argc - optind > 1)
        return fail(EXIT_USAGE, "one model at a time (got %d)", argc - optind);
    if (optind < argc)
        o.model_path = argv[optind];

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
