/* mapfile.c - maps read back from files (mapfile.h). */
#include "mapfile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>

#include "error.h"
#include "fsutil.h"
#include "image.h"

enum { MAX_MAP_BYTES = 1024 * 1024 * 1024 };

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The dimensions in a .npy header's 'shape': (a, b[, c]); 0 if unreadable. */
static int npy_shape(const char *header, size_t dims[3])
{
    const char *s = strstr(header, "'shape'");
    s = s ? strchr(s, '(') : NULL;
    int n = 0;
    while (s && n < 3) {
        char *end;
        unsigned long v = strtoul(s + 1, &end, 10);
        if (end == s + 1)
            break;
        dims[n++] = v;
        s = *end == ',' ? end : NULL;
        if (s && s[1] == ' ')
            s++;
    }
    return n;
}

/* The float32 payload of a .npy file (format 1.x or 2.x, '<f4', C order),
 * and its shape (dims, ndim; optional). */
static int npy_payload(const unsigned char *d, size_t len, const char *path, size_t *off,
                       size_t dims[3], int *ndim)
{
    if (len < 12 || memcmp(d, "\x93NUMPY", 6) != 0)
        return fail(EXIT_INPUT, "'%s' is not a .npy file", path);
    size_t hlen = d[6] == 1 ? (size_t)(d[8] | d[9] << 8) : (size_t)(d[8] | d[9] << 8 | d[10] << 16 | (size_t)d[11] << 24);
    size_t start = d[6] == 1 ? 10 : 12;
    if (start + hlen > len)
        return fail(EXIT_INPUT, "'%s' is a truncated .npy file", path);
    char header[512];
    size_t n = hlen < sizeof header - 1 ? hlen : sizeof header - 1;
    memcpy(header, d + start, n);
    header[n] = '\0';
    if (!strstr(header, "'<f4'") || strstr(header, "'fortran_order': True"))
        return fail(EXIT_INPUT, "'%s' is not a little-endian float32 C-order .npy", path);
    *off = start + hlen;
    if (ndim)
        *ndim = npy_shape(header, dims);
    return EXIT_OK;
}

/* The grey level of a picture's pixels, in [0, 1]: the picture's size
 * checked as a photo's is (image.h: a bomb's header is refused before any
 * allocation). */
static int picture_map(const unsigned char *data, size_t len, const char *name, int w, int h,
                       float **values, size_t *n, size_t dims[3], int *ndim)
{
    if ((uint64_t)w * (uint64_t)h > IMAGE_MAX_PIXELS)
        return fail(EXIT_INPUT, "'%s' is %dx%d pixels, above the limit of %ld megapixels",
                    name, w, h, IMAGE_MAX_PIXELS / 1000000);
    int comp;
    unsigned char *px = stbi_load_from_memory(data, (int)len, &w, &h, &comp, 1);
    if (!px)
        return fail(EXIT_INPUT, "'%s' could not be decoded", name);
    *n = (size_t)w * h;
    if (ndim)
        *ndim = 2, dims[0] = (size_t)h, dims[1] = (size_t)w;
    *values = malloc(*n * sizeof **values);
    if (*values)
        for (size_t i = 0; i < *n; i++)
            (*values)[i] = px[i] / 255.0f;
    stbi_image_free(px);
    return *values ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
}

/* Whether the shape's dims hold exactly n values (no overflow). */
static int shape_holds(const size_t *dims, int ndim, size_t n)
{
    size_t total = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] && total > SIZE_MAX / dims[i])
            return 0;
        total *= dims[i];
    }
    return total == n;
}

int map_decode(const unsigned char *data, size_t len, const char *name, float **values,
               size_t *n, size_t dims[3], int *ndim)
{
    size_t local_dims[3];
    int local_ndim, w, h, comp;
    dims = dims ? dims : local_dims;
    ndim = ndim ? ndim : &local_ndim;
    *ndim = 0;
    if (len > MAX_MAP_BYTES)
        return fail(EXIT_INPUT, "'%s' is larger than %d MB", name, MAX_MAP_BYTES >> 20);
    if (!ends_with(name, ".npy") && !ends_with(name, ".f32") &&
        stbi_info_from_memory(data, (int)len, &w, &h, &comp))
        return picture_map(data, len, name, w, h, values, n, dims, ndim);
    size_t off = 0;
    int rc = ends_with(name, ".npy") ? npy_payload(data, len, name, &off, dims, ndim) : EXIT_OK;
    if (rc)
        return rc;
    if ((len - off) % 4)
        return fail(EXIT_INPUT, "'%s' does not hold whole float32 values", name);
    *n = (len - off) / 4;
    if (ends_with(name, ".npy") && !shape_holds(dims, *ndim, *n))
        return fail(EXIT_INPUT, "'%s': its header's shape does not match its %zu values", name,
                    *n);
    *values = malloc((*n ? *n : 1) * sizeof **values);
    if (!*values)
        return fail(EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < *n; i++) {
        const unsigned char *p = data + off + 4 * i;
        uint32_t bits = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                        (uint32_t)p[3] << 24;
        memcpy(&(*values)[i], &bits, 4);
    }
    return EXIT_OK;
}

int map_read(const char *path, float **values, size_t *n)
{
    return map_read_shape(path, values, n, NULL, NULL);
}

int map_read_shape(const char *path, float **values, size_t *n, size_t dims[3], int *ndim)
{
    if (ndim)
        *ndim = 0;
    unsigned char *data;
    size_t len;
    int rc = read_file(path, MAX_MAP_BYTES, EXIT_INPUT, &data, &len);
    if (rc)
        return rc;
    rc = map_decode(data, len, path, values, n, dims, ndim);
    free(data);
    return rc;
}
