/* diffpic.h - the picture of a failed golden check: the golden map, the new
 * map and |new - golden| side by side, labelled (as jest-image-snapshot
 * shows a failed snapshot). */
#ifndef ATTRIB_DIFFPIC_H
#define ATTRIB_DIFFPIC_H

#include <stddef.h>

/* Writes the picture of maps golden and fresh (c x h x w each; c > 1 is
 * shown as max |.| over the channels) at path, atomically. Both maps are
 * drawn on the golden's range, the difference (the largest over channels
 * of |fresh - golden|, as the check measures it) from 0 to its maximum in
 * the map's units (the title, the check's verdict, has it relative).
 * EXIT_OK, EXIT_OUTPUT or EXIT_INTERNAL. */
int diffpic_write(const char *path, const float *golden, const float *fresh, size_t c, size_t h,
                  size_t w, const char *title);

#endif
