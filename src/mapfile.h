/* mapfile.h - maps read back from files: NumPy .npy (float32), a picture's
 * grey level, or raw float32; for compare, golden and classes, whose
 * inputs are files a user hands over (untrusted: fuzzed). */
#ifndef ATTRIB_MAPFILE_H
#define ATTRIB_MAPFILE_H

#include <stddef.h>

/* Reads a map: .npy (float32, little-endian, C order), a PNG or other image
 * (its grey level in [0, 1]), or anything else as raw float32. *values is
 * malloc'd. EXIT_OK or EXIT_INPUT. */
int map_read(const char *path, float **values, size_t *n);
/* The same, with the map's shape where the file has one (.npy: as saved,
 * an image: height, width; raw float32: *ndim 0). */
int map_read_shape(const char *path, float **values, size_t *n, size_t dims[3], int *ndim);

/* The same from a file's bytes; name (its path) chooses the format as the
 * path would and names it in messages. A .npy's header shape must hold
 * exactly its values. */
int map_decode(const unsigned char *data, size_t len, const char *name, float **values,
               size_t *n, size_t dims[3], int *ndim);

#endif
