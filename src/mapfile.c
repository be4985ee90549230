/* mapfile.c - maps read back from files (mapfile.h). */
#include "mapfile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>

#include "error.h"
#include "fsutil.h"

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
    int w, h, comp;
    if (!ends_with(path, ".npy") && !ends_with(path, ".f32") &&
        stbi_info_from_memory(data, (int)len, &w, &h, &comp)) {
        unsigned char *px = stbi_load_from_memory(data, (int)len, &w, &h, &comp, 1);
        free(data);
        if (!px)
            return fail(EXIT_INPUT, "'%s' could not be decoded", path);
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
    size_t off = 0;
    if (ends_with(path, ".npy") && (rc = npy_payload(data, len, path, &off, dims, ndim))) {
        free(data);
        return rc;
    }
    if ((len - off) % 4) {
        free(data);
        return fail(EXIT_INPUT, "'%s' does not hold whole float32 values", path);
    }
    *n = (len - off) / 4;
    *values = malloc((*n ? *n : 1) * sizeof **values);
    if (*values)
        for (size_t i = 0; i < *n; i++) {
            const unsigned char *p = data + off + 4 * i;
            uint32_t bits = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            memcpy(&(*values)[i], &bits, 4);
        }
    free(data);
    return *values ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
}
