/* sheet.h - a contact sheet PNG of a batch run (--sheet), drawn from the
 * report's records. */
#ifndef ATTRIB_SHEET_H
#define ATTRIB_SHEET_H

#include "colormap.h"
#include "report.h"

/* Draws a contact sheet of the records (their pictures are under dir, the
 * run's output folder) into file (a path as the user gave it: relative to
 * the working directory): overlay and heatmap of each image with its
 * label, and with colorbar a colour bar of colour map cm under each
 * heatmap. */
int report_write_sheet(struct report *r, const char *dir, const char *file, int colorbar,
                       enum colormap cm);

#endif
