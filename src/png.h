/* png.h - 8-bit PNG output, written atomically. */
#ifndef ATTRIB_PNG_H
#define ATTRIB_PNG_H

/* channels: 1 (grey) or 3 (RGB). Returns EXIT_OK or EXIT_OUTPUT. */
int png_write(const char *path, int width, int height, int channels, const unsigned char *px);

#endif
