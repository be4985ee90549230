/* png.c - encode in memory with stb_image_write, then write atomically. */
#include "png.h"

#include <stb_image_write.h>

#include "error.h"
#include "fsutil.h"

static void append(void *ctx, void *data, int size)
{
    buffer_append(ctx, data, (size_t)size);
}

int png_write(const char *path, int width, int height, int channels, const unsigned char *px)
{
    struct buffer b = { 0 };
    if (!stbi_write_png_to_func(append, &b, width, height, channels, px, width * channels) ||
        b.failed) {
        buffer_free(&b);
        return fail(EXIT_INTERNAL, "encoding '%s' as PNG failed", path);
    }
    int rc = write_file_atomic(path, b.data, b.len);
    buffer_free(&b);
    return rc;
}
