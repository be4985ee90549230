/* explain/serving.h - images served without computing: --resume (an
 * earlier run's complete outputs kept) and --cache (an entry's outputs
 * copied); the driver stores what it computed in the cache. */
#ifndef ATTRIB_EXPLAIN_SERVING_H
#define ATTRIB_EXPLAIN_SERVING_H

#include "cache.h"
#include "inputs.h"
#include "method.h"
#include "report.h"

/* An input served without computing: its summary kept from an earlier run
 * (--resume) or its entry's outputs copied from --cache. */
struct served {
    cJSON *summary; /* NULL: none */
    int from_cache;
};

/* Looks the input up: 1 (*out holds its summary; a cache entry's files are
 * written, its JSON is not), 0 (compute it) or -EXIT_OUTPUT. Nothing is
 * reported yet: the driver emits served images in input order. */
int serve_lookup(struct explain_run *run, const struct input *it, struct served *out);

/* A looked-up input's summary written (--cache), on stdout (--resume
 * --json) and into the report; frees it. EXIT_*. */
int serve_emit(struct explain_run *run, const struct input *it, struct served *sv,
               struct report *rep);

/* Frees a lookup's summary unused (a run stopped before its turn). */
void served_drop(struct served *sv);

/* The cache key of an image of SHA-256 sha in this run: --scale batch's
 * pictures also depend on the run's range. */
void image_cache_key(const struct explain_run *run, const char *sha, long target,
                     char key[CACHE_KEY_HEX]);

/* Where the image's cached outputs go. */
struct cache_dest image_cache_dest(const struct explain_run *run, const struct input *it);

#endif
