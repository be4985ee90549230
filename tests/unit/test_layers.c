/* The default Grad-CAM layer, chosen from lists shaped like real models'. */
#include <string.h>

#include "cam.h"
#include "check.h"
#include "mapsign.h"
#include "heatmap.h"
#include "layers.h"
#include "tests.h"

#define L(path, op, id, c, h, w) { (char *)(path), (char *)(op), id, { 1, c, h, w }, 4 }
#define FLAT(path, op, id, n) { (char *)(path), (char *)(op), id, { 1, n }, 2 }

static const char *chosen(struct layer_info *items, size_t n)
{
    struct layer_list l = { items, n };
    long i = layer_default_cam(&l, 224, 224);
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

void gradcam_weights_channels_by_mean_gradient_and_rectifies_under_positive_sign(void)
{
    /* 2 channels of 1x2: weights 1 and -0.5. */
    const float act[4] = { 1.0f, 2.0f, 4.0f, 1.0f };
    const float grad[4] = { 1.0f, 1.0f, -1.0f, 0.0f };
    float cam[2];
    double weight[2], wa[4];
    cam_gradcam_weights(act, grad, 2, 2, weight);
    cam_weigh_channels(act, weight, 2, 2, wa);
    cam_sum_channels(wa, 2, 2, cam);
    CHECK_NEAR(cam[0], -1.0, 1e-7); /* 1 - 2: the sum before the ReLU */
    CHECK_NEAR(cam[1], 1.5, 1e-7);  /* 2 - 0.5 */
    map_sign_apply(SIGN_POSITIVE, cam, 2);
    CHECK_NEAR(cam[0], 0.0, 1e-7); /* rectified, as the paper draws it */
    CHECK_NEAR(cam[1], 1.5, 1e-7);
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

#define TOK(path, op, id, t, c) { (char *)(path), (char *)(op), id, { 1, t, c }, 3 }

static int view_of(struct layer_info e, attrib_layer_view *v)
{
    return layer_view(&e, 224, 224, v);
}

void token_layers_read_as_the_patch_grid_after_extra_tokens(void)
{
    attrib_layer_view v;
    CHECK(view_of((struct layer_info)TOK("vit", "layer_norm", 1, 197, 768), &v));
    CHECK(v.layout == ATTRIB_LAYOUT_TOKENS && v.skip_tokens == 1 && v.h == 14 && v.w == 14);
    CHECK(view_of((struct layer_info)TOK("no_class_token", "add", 1, 196, 768), &v));
    CHECK(v.skip_tokens == 0 && v.h == 14 && v.w == 14);
    CHECK(view_of((struct layer_info)TOK("deit", "add", 1, 198, 768), &v)); /* + distillation */
    CHECK(v.skip_tokens == 2 && v.h == 14);
    CHECK(view_of((struct layer_info)TOK("registers", "add", 1, 201, 768), &v)); /* 1 + 4 */
    CHECK(v.skip_tokens == 5 && v.h == 14);
    CHECK(view_of((struct layer_info)TOK("patch32", "add", 1, 50, 768), &v));
    CHECK(v.skip_tokens == 1 && v.h == 7 && v.w == 7);
    CHECK(!view_of((struct layer_info)TOK("too_many_extra", "add", 1, 216, 8), &v));
    CHECK(!view_of((struct layer_info)FLAT("head", "linear", 1, 1000), &v));
}

void channels_last_maps_are_told_from_channels_first(void)
{
    attrib_layer_view v;
    CHECK(view_of((struct layer_info)L("resnet", "relu", 1, 512, 7, 7), &v));
    CHECK(v.layout == ATTRIB_LAYOUT_NCHW);
    struct layer_info swin = { (char *)"features.7", (char *)"add", 1, { 1, 7, 7, 768 }, 4 };
    CHECK(view_of(swin, &v) && v.layout == ATTRIB_LAYOUT_NHWC);
    CHECK(view_of((struct layer_info)L("ambiguous", "relu", 1, 7, 7, 7), &v));
    CHECK(v.layout == ATTRIB_LAYOUT_NCHW); /* both read; channels first wins */
}

void default_layer_of_a_vit_is_the_last_blocks_first_norm(void)
{
    struct layer_info vit[] = {
        L("conv_proj", "conv2d", 1, 768, 14, 14),
        TOK("encoder.layers.encoder_layer_10.ln_1", "layer_norm", 2, 197, 768),
        TOK("encoder.layers.encoder_layer_10", "add", 3, 197, 768),
        TOK("encoder.layers.encoder_layer_11.ln_1", "layer_norm", 4, 197, 768),
        TOK("encoder.layers.encoder_layer_11.ln_2", "layer_norm", 5, 197, 768),
        TOK("encoder.layers.encoder_layer_11.mlp.1", "gelu", 6, 197, 3072),
        TOK("encoder.layers.encoder_layer_11", "add", 7, 197, 768),
        TOK("encoder.ln", "layer_norm", 8, 197, 768),
        FLAT("heads.head", "linear", 9, 1000),
    };
    CHECK(strcmp(chosen(vit, 9), "encoder.layers.encoder_layer_11.ln_1") == 0);
    struct layer_info timm[] = {
        TOK("blocks.11.norm1", "layer_norm", 1, 197, 384),
        TOK("blocks.11.norm2", "layer_norm", 2, 197, 384),
        TOK("norm", "layer_norm", 3, 197, 384), FLAT("head", "linear", 4, 1000),
    };
    CHECK(strcmp(chosen(timm, 4), "blocks.11.norm1") == 0);
    struct layer_info no_blocks[] = { /* no numbered block: the last token layer */
        L("patch", "conv2d", 1, 32, 14, 14), TOK("norm", "layer_norm", 2, 196, 32),
        FLAT("head", "linear", 3, 10),
    };
    CHECK(strcmp(chosen(no_blocks, 3), "norm") == 0);
}
