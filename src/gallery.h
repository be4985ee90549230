/* gallery.h - a batch run's page, index.html (with its records in
 * index.data.js), written after the report's tables by whoever writes a
 * summary report (the driver, merge). */
#ifndef ATTRIB_GALLERY_H
#define ATTRIB_GALLERY_H

#include "report.h"

/* Writes the page for the records into dir/index.html. */
int report_write_html(struct report *r, const char *dir);

#endif
