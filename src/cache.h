/* cache.h - --cache DIR: an image's finished outputs kept by what decides
 * them, so a later run (a CI job that changed nothing) copies them instead
 * of computing.
 *
 * The key is SHA-256 of the run's key (resume.h: attrib and libtorch
 * versions, device, model SHA-256, method, every option that changes the
 * results), the image's SHA-256 and its given class. An entry is one file,
 * DIR/ab/KEY: a header line, a JSON line (the image's summary and, per
 * output, its kind, size and the end of its file name), the outputs' bytes
 * and the SHA-256 of all that. Entries are written whole (a temporary file
 * and a rename), so concurrent runs sharing a cache never see half of one;
 * one that does not check out is recomputed, with one warning, and
 * replaced. A cache that cannot be written is used for reading only (one
 * warning); one that cannot be made is not used (one warning): a cache
 * never fails a run. A hit sets the entry's time, so `find DIR -mtime +30
 * -delete` prunes what no run used for a month. */
#ifndef ATTRIB_CACHE_H
#define ATTRIB_CACHE_H

#include <limits.h>
#include <stddef.h>

#include <cJSON.h>

#define CACHE_KEY_HEX 65

struct cache {
    char dir[PATH_MAX]; /* "": no cache */
    int no_store;       /* storing failed once (warned): read only from then on */
    size_t hits, misses;
};

/* Opens the cache at dir (made if missing). Never fails: a cache that
 * cannot be made is off (c->dir ""), with one warning. */
void cache_open(struct cache *c, const char *dir);

/* The entry's key for an image of SHA-256 image_sha, given class target
 * (-1: the predicted one), in a run of run_key; extra (may be NULL) is
 * anything else the pictures depend on (--scale batch's range). */
void cache_key(const char *run_key, const char *image_sha, long target, const char *extra,
               char key[CACHE_KEY_HEX]);

/* Where this run wants an image's outputs: its name's files in out_dir
 * (NAME + the entry's suffix) and --raw's file (raw; NULL: none). */
struct cache_dest {
    const char *out_dir, *name, *image_path, *raw;
};

/* The entry of key, if there is a sound one: its files written to dest,
 * and *summary its summary JSON as this run's (image path, output paths,
 * "cache": "hit"), not yet written - the caller writes it last. 1: a hit;
 * 0: a miss (a damaged entry says so once); -EXIT_OUTPUT: a file could not
 * be written. */
int cache_fetch(struct cache *c, const char *key, const struct cache_dest *dest,
                cJSON **summary);

/* Keeps the outputs summary lists (written by this run, for dest) under
 * key. Failing to store is one warning, then the cache is read only. */
void cache_store(struct cache *c, const char *key, const cJSON *summary,
                 const struct cache_dest *dest);

#endif
