/* report.h - the run report of a batch: summary.json, summary.csv and a
 * static index.html gallery in the output directory, one record per image
 * (failures included), plus totals. Records are cJSON objects, so shards'
 * reports merge by concatenation. */
#ifndef ATTRIB_REPORT_H
#define ATTRIB_REPORT_H

#include <cJSON.h>

#include "summary.h"

struct report {
    cJSON *root;    /* {"tool", "version", "method", "model", "shard", "images": [...]} */
    cJSON *images;  /* the records, in input order ("index") */
    double t_start; /* ms */
};

/* Field a (or a.b) of a record: its string ("" if absent) or number (-1). */
const char *record_text(const cJSON *o, const char *a, const char *b);
double record_number(const cJSON *o, const char *a, const char *b);

int report_init(struct report *r, const char *method, const struct model_info *model,
                long shard_k, long shard_n);
void report_free(struct report *r);

/* How the run's pictures are coloured: "display" in the root, {cmap, scale,
 * sign (NULL: an unsigned method), and low/high when one range holds for
 * every image (have_range)}; index.html draws it as a colour bar. */
void report_set_display(struct report *r, const char *cmap, const char *scale, const char *sign,
                        int have_range, double low, double high);

/* A record for an explained image; output paths are stored relative to
 * out_dir. index is the image's position in the whole input list. */
int report_add(struct report *r, size_t index, const char *name, const struct summary *s,
               const char *out_dir);
int report_add_failure(struct report *r, size_t index, const char *path, const char *name,
                       const char *error);

/* Writes BASE.json, BASE.csv and (BASE is "summary") index.html into dir,
 * with totals. BASE: "summary" or "summary.shard-K-of-N". */
int report_write(struct report *r, const char *dir, const char *base);

/* Writes the page for the records of root into dir/index.html. */
int report_write_html(const cJSON *root, const char *dir);

/* Adds totals and writes the JSON and CSV of root. */
int report_write_tables(cJSON *root, const char *dir, const char *base, double seconds);

/* Draws a contact sheet of root's records into file (relative to dir
 * unless absolute): overlay and heatmap of each image with its label, and
 * with colorbar a colour bar of colour map cm under each heatmap. */
int report_write_sheet(const cJSON *root, const char *dir, const char *file, int colorbar,
                       enum colormap cm);

#endif
