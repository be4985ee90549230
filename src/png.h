/* png.h - 8-bit PNG output, written atomically. */
#ifndef ATTRIB_PNG_H
#define ATTRIB_PNG_H

struct buffer;

/* channels: 1 (grey) or 3 (RGB), rows top to bottom. Appends the PNG file
 * to out; 0, or -1 when out of memory. */
int png_encode(int width, int height, int channels, const unsigned char *px, struct buffer *out);

/* png_encode into path. Returns EXIT_OK, EXIT_OUTPUT or EXIT_INTERNAL. */
int png_write(const char *path, int width, int height, int channels, const unsigned char *px);

#endif
