/* image.h - decoding, resizing and normalising images (all C, no libtorch). */
#ifndef ATTRIB_IMAGE_H
#define ATTRIB_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Images larger than this are refused from their header, before decoding. */
#define IMAGE_MAX_PIXELS (64L * 1000 * 1000)
/* No format but GIF packs more than this many bytes of RGB into one byte of
 * file (PNG's deflate about 1032:1, JPEG a few bits per 8x8 block at the
 * least, TGA/PSD run lengths ~100:1, PNM and BMP 1:1): a file claiming more
 * is corrupt, truncated or a decompression bomb, refused before anything is
 * allocated for it. (GIF's LZW has no such bound; GIFs are limited by
 * IMAGE_MAX_PIXELS alone.) */
#define IMAGE_MAX_EXPANSION 2048
/* Files larger than this are not read at all. */
#define IMAGE_MAX_FILE_BYTES (256L * 1024 * 1024)

/* An RGB image, interleaved, values in [0, 1]. */
struct image {
    int width, height;
    float *px; /* width * height * 3 */
    char sha256[65]; /* of the file's bytes (image_load); "" when not from a file */
};

/* A rectangle in pixel coordinates of an image. */
struct rect {
    int x, y, width, height;
};

enum resize_mode {
    RESIZE_STRETCH, /* straight to the target size, aspect ratio not kept */
    RESIZE_CROP     /* shorter side to fit, then the centre is cropped */
};

int image_alloc(struct image *img, int width, int height);
void image_free(struct image *img);

/* Decode any format stb_image reads (PNG incl. 16-bit, JPEG, BMP, GIF, ...)
 * and any channel layout (grey, grey+alpha, RGB, RGBA: alpha is dropped) to
 * RGB in [0, 1]. Returns EXIT_OK or EXIT_INPUT with a message. */
int image_load(const char *path, struct image *out);

/* The SHA-256 of the file at path (at most IMAGE_MAX_FILE_BYTES), without
 * decoding it: 0, or -1 (no error set) when it cannot be read. */
int image_file_sha256(const char *path, char hex[65]);
int image_decode(const unsigned char *data, size_t len, const char *name, struct image *out);

/* Bilinear (triangle filter; antialiased when shrinking, like PIL's
 * BILINEAR) resize of region src_rect of src into dst, which must be
 * allocated. Channels: 1 or 3. */
int image_resize_plane(const float *src, int sw, int sh, int channels, struct rect src_rect,
                       float *dst, int dw, int dh);

/* The part of a width x height image that is fed to a model of input size
 * in_w x in_h under mode. */
struct rect model_region(int width, int height, int in_w, int in_h, enum resize_mode mode);

/* Resize region of img to in_w x in_h and normalise to a CHW float tensor:
 * chw[c][y][x] = (v - mean[c]) / std[c]. chw holds 3 * in_w * in_h floats. */
int image_to_tensor(const struct image *img, struct rect region, int in_w, int in_h,
                    const float mean[3], const float std[3], float *chw);

#endif
