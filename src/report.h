/* report.h - the run report of a batch: summary.json, summary.csv and a
 * static index.html gallery in the output directory, one record per image
 * (failures included), plus totals. Records are cJSON objects, so shards'
 * reports merge by concatenation. */
#ifndef ATTRIB_REPORT_H
#define ATTRIB_REPORT_H

#include <stdio.h>
#include <sys/types.h>

#include <cJSON.h>


#include "summary.h"

/* Where a record lies in the journal. */
struct record_pos {
    size_t index; /* the image's position in the whole input list */
    off_t offset;
};

struct report {
    cJSON *root;          /* {"tool", "version", "method", "model", "shard", "display"} */
    FILE *journal;        /* the records, one compact JSON line each, as they come */
    struct record_pos *pos; /* 16 bytes a record are all a run keeps in memory */
    size_t n, cap, ok;
    size_t skipped;       /* of the n, kept from an earlier run (--resume) */
    int cache_used;       /* --cache: its hits and misses go into the totals */
    size_t cache_hits, cache_misses;
    char *line;           /* a record read back */
    size_t line_cap;
    double t_start;       /* ms */
};


/* A report whose records go to a nameless file in dir (the output
 * directory): EXIT_OUTPUT when it cannot be made there. report_init_from
 * takes the header of another report (merge). */
int report_init(struct report *r, const char *method, const struct model_info *model,
                long shard_k, long shard_n, const char *dir);
int report_init_from(struct report *r, const cJSON *header, const char *dir);
void report_free(struct report *r);

/* How the run's pictures are coloured: "display" in the root, {cmap, scale,
 * sign (NULL: an unsigned method), and low/high when one range holds for
 * every image (have_range)}; index.html draws it as a colour bar. */
void report_set_display(struct report *r, const char *cmap, const char *scale, const char *sign,
                        int have_range, double low, double high);

/* The record of an explained image, from its summary JSON (the file written
 * beside its pictures, so a resumed image's record is made the same way);
 * output paths are stored relative to out_dir. index is the image's
 * position in the whole input list. */
int report_add(struct report *r, size_t index, const char *name, const cJSON *summary,
               const char *out_dir);
int report_add_failure(struct report *r, size_t index, const char *path, const char *name,
                       const char *error);
/* A record as it is (another report's: merge). */
int report_add_record(struct report *r, const cJSON *record);

/* Record i (of the order the records are in: input order once written), or
 * NULL with an error set; the caller deletes it. */
cJSON *report_record(struct report *r, size_t i);

/* Calls fn on every record in turn (parsed one at a time), stopping at the
 * first that does not return EXIT_OK. */
typedef int (*report_record_fn)(struct report *r, const cJSON *record, void *ctx);
int report_each(struct report *r, report_record_fn fn, void *ctx);

/* Puts the records in input order (an image in two reports: EXIT_INPUT) and
 * writes BASE.json and BASE.csv into dir, each streamed from the records,
 * with totals. BASE: "summary" or "summary.shard-K-of-N" (a summary also
 * gets its page, gallery.h); seconds: the run's wall time. */
int report_write(struct report *r, const char *dir, const char *base, double seconds);


#endif
