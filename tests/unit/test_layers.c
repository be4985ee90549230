/* The default Grad-CAM layer, chosen from lists shaped like real models'. */
#include <string.h>

#include "check.h"
#include "heatmap.h"
#include "layers.h"
#include "tests.h"

#define L(path, op, id, c, h, w) { (char *)(path), (char *)(op), id, { 1, c, h, w }, 4 }
#define FLAT(path, op, id, n) { (char *)(path), (char *)(op), id, { 1, n }, 2 }

static const char *chosen(struct layer_info *items, size_t n)
{
    struct layer_list l = { items, n };
    long i = layer_default_cam(&l);
    return i < 0 ? "(none)" : items[i].path;
}

void default_layer_is_the_last_feature_map_two_levels_deep(void)
{
    struct layer_info mobilenet[] = {
        L("features.17", "conv2d", 1, 320, 7, 7),
        L("features.18.conv.0.conv", "conv2d", 2, 1280, 7, 7),
        L("features", "hardtanh", 3, 1280, 7, 7),
        L("features.18", "hardtanh", 3, 1280, 7, 7),
        L("features.18.conv.0.act", "hardtanh", 3, 1280, 7, 7),
        FLAT("classifier", "linear", 4, 1000),
    };
    CHECK(strcmp(chosen(mobilenet, 6), "features.18") == 0);
    struct layer_info resnet[] = {
        L("layer4.1.relu", "relu_", 7, 512, 7, 7), L("layer4", "relu_", 7, 512, 7, 7),
        L("layer4.1", "relu_", 7, 512, 7, 7), L("avgpool", "adaptive_avg_pool2d", 8, 512, 1, 1),
        FLAT("fc", "linear", 9, 1000),
    };
    CHECK(strcmp(chosen(resnet, 5), "layer4.1") == 0);
}

void default_layer_skips_average_pools_and_one_pixel_maps(void)
{
    struct layer_info vgg[] = {
        L("features.20", "max_pool2d", 20, 512, 7, 7), L("features", "max_pool2d", 20, 512, 7, 7),
        L("avgpool", "adaptive_avg_pool2d", 21, 512, 7, 7), FLAT("classifier.0", "linear", 22, 64),
    };
    CHECK(strcmp(chosen(vgg, 4), "features.20") == 0);
    struct layer_info se_last[] = { /* a squeeze-excitation pooling after the last map */
        L("features.12", "hardswish", 30, 576, 7, 7),
        L("features.13.se.avgpool", "mean", 31, 576, 1, 1),
        L("features.13.se.fc", "conv2d", 32, 144, 1, 1),
    };
    CHECK(strcmp(chosen(se_last, 3), "features.12") == 0);
    struct layer_info top_level_only[] = { L("conv", "conv2d", 1, 8, 5, 5), FLAT("fc", "linear", 2, 10) };
    CHECK(strcmp(chosen(top_level_only, 2), "conv") == 0);
    struct layer_info mlp[] = { FLAT("body.1", "linear", 1, 32), FLAT("body.3", "linear", 2, 10) };
    CHECK(strcmp(chosen(mlp, 2), "(none)") == 0);
}

void layer_names_for_messages_list_shallow_feature_maps(void)
{
    struct layer_info items[] = {
        L("a", "conv2d", 1, 8, 5, 5), L("a.b.c", "conv2d", 2, 8, 5, 5), FLAT("fc", "linear", 3, 10),
        L("d.1", "conv2d", 4, 8, 5, 5),
    };
    struct layer_list l = { items, 4 };
    char buf[64];
    layer_names_4d(&l, 2, buf, sizeof buf);
    CHECK(strcmp(buf, "a, d.1") == 0);
    char tiny[8];
    layer_names_4d(&l, 3, tiny, sizeof tiny);
    CHECK(strlen(tiny) == 7 && strcmp(tiny + 4, "...") == 0);
    CHECK(layer_find(&l, "d.1") == 3 && layer_find(&l, "d") == -1);
    CHECK(layer_depth("layer4.1.conv2") == 3);
}

void gradcam_weights_channels_by_mean_gradient_and_rectifies(void)
{
    /* 2 channels of 1x2: weights 1 and -0.5. */
    const float act[4] = { 1.0f, 2.0f, 4.0f, 1.0f };
    const float grad[4] = { 1.0f, 1.0f, -1.0f, 0.0f };
    float cam[2];
    heatmap_gradcam(act, grad, 2, 1, 2, cam);
    CHECK_NEAR(cam[0], 0.0, 1e-7);  /* 1 - 2 < 0: rectified */
    CHECK_NEAR(cam[1], 1.5, 1e-7);  /* 2 - 0.5 */
}

void gradient_picture_is_mid_grey_on_average(void)
{
    float chw[3 * 4];
    for (int i = 0; i < 12; i++)
        chw[i] = (float)(i % 4) - 1.5f;
    unsigned char rgb[12];
    heatmap_render_gradient(chw, 2, 2, rgb);
    int sum = 0;
    for (int i = 0; i < 12; i++)
        sum += rgb[i];
    CHECK(sum / 12 >= 126 && sum / 12 <= 129);
    CHECK(rgb[0] < rgb[3] && rgb[3] < rgb[6] && rgb[6] < rgb[9]);
    float flat[12] = { 0 };
    heatmap_render_gradient(flat, 2, 2, rgb);
    CHECK(rgb[0] == 128 && rgb[11] == 128);
}
