/* rawfile.c - .npy writer (header format 1.0) and raw float32 dumps. */
#include "rawfile.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "fsutil.h"

static const unsigned char NPY_MAGIC[] = "\x93NUMPY\x01\x00";
enum { NPY_MAGIC_LEN = 8, NPY_ALIGN = 64 };

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void npy_header(const size_t *dims, int ndims, struct buffer *out)
{
    char dict[256];
    int n = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    for (int i = 0; i < ndims; i++)
        n += snprintf(dict + n, sizeof dict - n, "%zu%s", dims[i], ndims == 1 ? "," : i + 1 < ndims ? ", " : "");
    n += snprintf(dict + n, sizeof dict - n, "), }");
    /* Pad with spaces and end in '\n' so the data starts 64-byte aligned. */
    size_t total = NPY_MAGIC_LEN + 2 + (size_t)n + 1;
    size_t pad = (NPY_ALIGN - total % NPY_ALIGN) % NPY_ALIGN;
    uint16_t hlen = (uint16_t)(n + pad + 1);
    unsigned char le[2] = { (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8) };
    buffer_append(out, NPY_MAGIC, NPY_MAGIC_LEN);
    buffer_append(out, le, 2);
    buffer_append(out, dict, (size_t)n);
    for (size_t i = 0; i < pad; i++)
        buffer_append(out, " ", 1);
    buffer_append(out, "\n", 1);
}

int raw_encode(const float *values, const size_t *dims, int ndims, int npy, struct buffer *out)
{
    size_t count = 1;
    for (int i = 0; i < ndims; i++)
        count *= dims[i];
    if (npy)
        npy_header(dims, ndims, out);
    for (size_t i = 0; i < count; i++) {
        uint32_t bits;
        memcpy(&bits, &values[i], 4);
        unsigned char le[4] = { (unsigned char)bits, (unsigned char)(bits >> 8),
                                (unsigned char)(bits >> 16), (unsigned char)(bits >> 24) };
        buffer_append(out, le, 4);
    }
    return out->failed ? -1 : 0;
}

int raw_write(const char *path, const float *values, const size_t *dims, int ndims)
{
    struct buffer b = { 0 };
    if (raw_encode(values, dims, ndims, ends_with(path, ".npy"), &b)) {
        buffer_free(&b);
        return fail(EXIT_INTERNAL, "out of memory");
    }
    int rc = write_file_atomic(path, b.data, b.len);
    buffer_free(&b);
    return rc;
}
