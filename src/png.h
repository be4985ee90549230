/* png.h - 8-bit PNG output, written atomically. */
#ifndef ATTRIB_PNG_H
#define ATTRIB_PNG_H

struct buffer;

/* channels: 1 (grey) or 3 (RGB), rows top to bottom. Appends the PNG file
 * to out; 0, or -1 when out of memory. */
int png_encode(int width, int height, int channels, const unsigned char *px, struct buffer *out);

/* An indexed PNG: one byte a pixel, each an entry of palette (colours RGB
 * triples, 1 to 256); 0, or -1 when out of memory or colours is out of range. */
int png_encode_indexed(int width, int height, const unsigned char *index,
                       const unsigned char *palette, int colours, struct buffer *out);

/* png_encode into path. Returns EXIT_OK, EXIT_OUTPUT or EXIT_INTERNAL. */
int png_write(const char *path, int width, int height, int channels, const unsigned char *px);

#endif
