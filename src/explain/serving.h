/* explain/serving.h - images served without computing: --resume (an
 * earlier run's complete outputs kept) and --cache (an entry's outputs
 * copied); the driver stores what it computed in the cache. */
#ifndef ATTRIB_EXPLAIN_SERVING_H
#define ATTRIB_EXPLAIN_SERVING_H

#include "cache.h"
#include "inputs.h"
#include "method.h"
#include "report.h"

/* An input served without computing: kept from an earlier run (--resume)
 * or copied from --cache. 1, 0 (compute it) or -EXIT_*. */
int serve_input(struct explain_run *run, const struct input *it, struct report *rep);

/* The cache key of an image of SHA-256 sha in this run: --scale batch's
 * pictures also depend on the run's range. */
void image_cache_key(const struct explain_run *run, const char *sha, long target,
                     char key[CACHE_KEY_HEX]);

/* Where the image's cached outputs go. */
struct cache_dest image_cache_dest(const struct explain_run *run, const struct input *it);

/* Inputs served without computing (--resume, --cache), one bit each: a
 * batch redone in smaller pieces (out of memory) must not serve them twice. */
struct served {
    unsigned char *bits;
};
int served_get(const struct served *sv, size_t k);
void served_set(struct served *sv, size_t k);

#endif
