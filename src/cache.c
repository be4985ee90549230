/* cache.c - --cache DIR: entries of finished outputs, by content key. */
#include "cache.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "error.h"
#include "fsutil.h"
#include "sha256.h"

#define CACHE_MAGIC "attrib cache 1\n"
/* The largest entry read back: a few pictures and maps of one image. */
#define CACHE_MAX_ENTRY_BYTES (1024L * 1024 * 1024)
/* The trailer: the hex SHA-256 of everything before it, and a newline. */
#define CACHE_TRAILER 65

void cache_open(struct cache *c, const char *dir)
{
    memset(c, 0, sizeof *c);
    if (!dir)
        return;
    if (snprintf(c->dir, sizeof c->dir, "%s", dir) >= (int)sizeof c->dir ||
        make_dirs(dir) != EXIT_OK) {
        report_warning("cache", "'%s' cannot be used (%s): maps are computed and not cached",
                       dir, error_message());
        clear_error();
        c->dir[0] = '\0';
        return;
    }
    if (access(dir, W_OK) != 0) {
        report_warning("cache", "'%s' is not writable (%s): entries there are used, new ones "
                       "are not stored", dir, strerror(errno));
        c->no_store = 1;
    }
}

void cache_key(const char *run_key, const char *image_sha, long target, const char *extra,
               char key[CACHE_KEY_HEX])
{
    char text[512];
    int n = snprintf(text, sizeof text, "run %s\nimage %s\nclass %ld\n%s", run_key, image_sha,
                     target, extra ? extra : "");
    sha256_hex(text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1, key);
}

/* DIR/ab/KEY; with make, DIR/ab is made. */
static int entry_path(const struct cache *c, const char *key, int make, char *out, size_t size)
{
    char sub[PATH_MAX];
    if (snprintf(sub, sizeof sub, "%s/%.2s", c->dir, key) >= (int)sizeof sub)
        return fail(EXIT_OUTPUT, "cache path too long");
    int rc = make ? make_dirs(sub) : EXIT_OK;
    if (rc == EXIT_OK && snprintf(out, size, "%s/%s", sub, key) >= (int)size)
        rc = fail(EXIT_OUTPUT, "cache path too long");
    return rc;
}

/* An entry read and checked: its JSON line parsed, and where its files'
 * bytes start. NULL with why set when it does not check out. */
static cJSON *entry_parse(const unsigned char *data, size_t len, const unsigned char **blobs,
                          const char **why)
{
    const size_t magic = sizeof CACHE_MAGIC - 1;
    char sha[65];
    *why = "not an attrib cache entry";
    if (len < magic + CACHE_TRAILER || memcmp(data, CACHE_MAGIC, magic) != 0)
        return NULL;
    *why = "its checksum does not match: damaged or cut short";
    sha256_hex(data, len - CACHE_TRAILER, sha);
    if (memcmp(sha, data + len - CACHE_TRAILER, 64) != 0 || data[len - 1] != '\n')
        return NULL;
    const unsigned char *nl = memchr(data + magic, '\n', len - magic - CACHE_TRAILER);
    cJSON *j = nl ? cJSON_ParseWithLength((const char *)data + magic,
                                          (size_t)(nl - data) - magic)
                  : NULL;
    double total = 0; /* sizes as written: whole numbers, each within the entry */
    int sizes_ok = 1;
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(j, "files")) {
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(f, "size");
        if (!size)
            continue; /* the summary: in the JSON line */
        double v = cJSON_GetNumberValue(size);
        sizes_ok &= v >= 0 && v <= (double)len && v == floor(v);
        total += sizes_ok ? v : 0;
    }
    *why = "its contents do not add up";
    if (!j || !sizes_ok || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "summary")) ||
        (double)(nl + 1 - data) + total + CACHE_TRAILER != (double)len) {
        cJSON_Delete(j);
        return NULL;
    }
    *blobs = nl + 1;
    return j;
}

/* Where this run puts an output of the entry: its suffix after this run's
 * name, or --raw's file. */
static int dest_path(const struct cache_dest *d, const cJSON *file, char *out, size_t size)
{
    const char *suffix = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(file, "suffix"));
    /* a file beside the image's others, never elsewhere: whoever can write
     * the cache must not choose where a run writes */
    if (suffix && (suffix[0] != '.' || strchr(suffix, '/')))
        return fail(EXIT_INPUT, "it names a file outside the output directory");
    if (suffix)
        return output_path(d->out_dir, d->name, suffix, out, size);
    if (!d->raw || snprintf(out, size, "%s", d->raw) >= (int)size)
        return fail(EXIT_INPUT, "it has a --raw file and this run has none");
    return EXIT_OK;
}

/* The entry's files written where this run wants them, and its summary
 * made this run's. */
static int entry_restore(const cJSON *entry, const unsigned char *blobs,
                         const struct cache_dest *d, cJSON **summary)
{
    cJSON *s = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(entry, "summary"), 1);
    cJSON *outputs = cJSON_CreateObject();
    int rc = s && outputs ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(entry, "files")) {
        char path[PATH_MAX];
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "kind"));
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(f, "size");
        if (rc == EXIT_OK)
            rc = kind ? dest_path(d, f, path, sizeof path)
                      : fail(EXIT_INPUT, "an output without a kind");
        if (rc == EXIT_OK && size) { /* checked by entry_parse */
            rc = write_file_atomic(path, blobs, (size_t)size->valuedouble);
            blobs += (size_t)size->valuedouble;
        }
        if (rc == EXIT_OK)
            cJSON_AddStringToObject(outputs, kind, path);
    }
    cJSON *image = cJSON_GetObjectItemCaseSensitive(s, "image");
    if (rc == EXIT_OK && cJSON_IsObject(image)) {
        cJSON_ReplaceItemInObjectCaseSensitive(image, "path", cJSON_CreateString(d->image_path));
        cJSON_ReplaceItemInObjectCaseSensitive(s, "outputs", outputs);
        outputs = NULL;
        if (cJSON_GetObjectItemCaseSensitive(s, "cache"))
            cJSON_ReplaceItemInObjectCaseSensitive(s, "cache", cJSON_CreateString("hit"));
        else
            cJSON_AddStringToObject(s, "cache", "hit");
    } else if (rc == EXIT_OK) {
        rc = fail(EXIT_INPUT, "its summary has no image");
    }
    cJSON_Delete(outputs);
    if (rc)
        cJSON_Delete(s);
    else
        *summary = s;
    return rc;
}

int cache_fetch(struct cache *c, const char *key, const struct cache_dest *dest,
                cJSON **summary)
{
    char path[PATH_MAX];
    struct stat st;
    *summary = NULL;
    if (!c->dir[0] || entry_path(c, key, 0, path, sizeof path) || stat(path, &st) != 0) {
        clear_error();
        c->misses += c->dir[0] != '\0';
        return 0;
    }
    unsigned char *data = NULL;
    size_t len;
    const unsigned char *blobs = NULL;
    const char *why = NULL;
    cJSON *entry = NULL;
    int rc = read_file(path, CACHE_MAX_ENTRY_BYTES, EXIT_INPUT, &data, &len);
    if (rc == EXIT_OK && !(entry = entry_parse(data, len, &blobs, &why)))
        rc = fail(EXIT_INPUT, "%s", why);
    if (rc == EXIT_OK)
        rc = entry_restore(entry, blobs, dest, summary);
    cJSON_Delete(entry);
    free(data);
    if (rc == EXIT_INPUT) { /* the entry's fault: computed again, and stored over it */
        report_warning("cache", "%s: the entry %s is not used (%s): recomputed",
                       dest->image_path, path, error_message());
        clear_error();
        rc = EXIT_OK;
    }
    if (rc) /* a file of this run's could not be written (a full disk) */
        return -rc;
    if (!*summary) {
        c->misses++;
        return 0;
    }
    utime(path, NULL); /* used: what pruning by age keeps */
    c->hits++;
    return 1;
}

/* The entry's JSON line for summary's outputs (their bytes appended to
 * blobs), or NULL with the error set. */
static cJSON *entry_describe(const cJSON *summary, const struct cache_dest *d,
                             struct buffer *blobs)
{
    char prefix[PATH_MAX];
    if (output_path(d->out_dir, d->name, "", prefix, sizeof prefix))
        return NULL;
    const size_t plen = strlen(prefix);
    cJSON *entry = cJSON_CreateObject(), *files = cJSON_AddArrayToObject(entry, "files");
    int rc = files ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(summary, "outputs")) {
        const char *path = cJSON_GetStringValue(o);
        if (rc || !path)
            break;
        cJSON *f = cJSON_CreateObject();
        cJSON_AddItemToArray(files, f);
        cJSON_AddStringToObject(f, "kind", o->string);
        if (strncmp(path, prefix, plen) == 0)
            cJSON_AddStringToObject(f, "suffix", path + plen);
        else if (!d->raw || strcmp(path, d->raw) != 0)
            rc = fail(EXIT_INTERNAL, "output '%s' is not one of the image's", path);
        if (rc || strcmp(o->string, "summary") == 0)
            continue; /* the summary is in the entry itself */
        unsigned char *data;
        size_t len;
        rc = read_file(path, CACHE_MAX_ENTRY_BYTES, EXIT_OUTPUT, &data, &len);
        if (rc == EXIT_OK) {
            cJSON_AddNumberToObject(f, "size", (double)len);
            buffer_append(blobs, data, len);
            free(data);
        }
    }
    cJSON_AddItemToObject(entry, "summary", cJSON_Duplicate(summary, 1));
    if (rc == EXIT_OK && blobs->failed)
        rc = fail(EXIT_INTERNAL, "out of memory");
    if (rc) {
        cJSON_Delete(entry);
        return NULL;
    }
    return entry;
}

void cache_store(struct cache *c, const char *key, const cJSON *summary,
                 const struct cache_dest *dest)
{
    if (!c->dir[0] || c->no_store)
        return;
    struct buffer blobs = { 0 }, all = { 0 };
    char path[PATH_MAX], sha[65];
    cJSON *entry = entry_describe(summary, dest, &blobs);
    char *line = entry ? cJSON_PrintUnformatted(entry) : NULL;
    int rc = line ? entry_path(c, key, 1, path, sizeof path) : EXIT_INTERNAL;
    if (rc == EXIT_OK) {
        buffer_append(&all, CACHE_MAGIC, sizeof CACHE_MAGIC - 1);
        buffer_append(&all, line, strlen(line));
        buffer_append(&all, "\n", 1);
        buffer_append(&all, blobs.data, blobs.len);
        sha256_hex(all.data, all.len, sha);
        sha[64] = '\n';
        buffer_append(&all, sha, CACHE_TRAILER);
        rc = all.failed ? fail(EXIT_INTERNAL, "out of memory") : EXIT_OK;
    }
    if (rc == EXIT_OK)
        rc = write_file_atomic(path, all.data, all.len);
    if (rc) {
        report_warning("cache", "cannot store in '%s' (%s): going on without storing", c->dir,
                       error_message()[0] ? error_message() : "out of memory");
        clear_error();
        c->no_store = 1;
    }
    cJSON_free(line);
    cJSON_Delete(entry);
    buffer_free(&blobs);
    buffer_free(&all);
}
