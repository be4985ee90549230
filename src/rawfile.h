/* rawfile.h - exact map values for scripts: NumPy .npy or raw float32. */
#ifndef ATTRIB_RAWFILE_H
#define ATTRIB_RAWFILE_H

#include <stddef.h>

/* Writes values (C order, shape dims[0..ndims-1]) to path atomically: a
 * NumPy .npy file (format 1.0, '<f4') when path ends in ".npy", otherwise
 * bare little-endian float32. Returns EXIT_OK or EXIT_OUTPUT. */
int raw_write(const char *path, const float *values, const size_t *dims, int ndims);

/* Encodes the same bytes into out (for tests and reuse). 0, or -1 when out
 * of memory. */
struct buffer;
int raw_encode(const float *values, const size_t *dims, int ndims, int npy, struct buffer *out);

#endif
