/* libFuzzer target: the map reader (mapfile.c) behind compare, golden check
 * and classes, which read .npy files and pictures a user hands over. The
 * first byte picks the name the bytes come under (.npy, .png, raw). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "error.h"
#include "mapfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = { "fuzz.npy", "fuzz.png", "fuzz.f32" };
    if (size < 1)
        return 0;
    float *values = NULL;
    size_t n = 0, dims[3];
    int ndim = 0;
    if (map_decode(data + 1, size - 1, names[data[0] % 3], &values, &n, dims, &ndim) == EXIT_OK) {
        volatile float sum = 0; /* every value the reader claims is there */
        for (size_t i = 0; i < n; i++)
            sum += values[i];
        size_t shape = 1;
        for (int i = 0; i < ndim; i++)
            shape *= dims[i];
        if (data[0] % 3 == 0 && shape != n) /* a .npy's shape holds its values */
            abort();
        free(values);
    }
    clear_error();
    return 0;
}
