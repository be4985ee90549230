/* explain/serving.c - images served without computing them: --resume keeps
 * the outputs an earlier run left complete, --cache copies them from a
 * cache entry; either way the image's summary goes to the report as a
 * computed one's would. */
#include "serving.h"

#include <stdio.h>

#include "error.h"
#include "fsutil.h"
#include "image.h"
#include "outputs.h"
#include "resume.h"

/* --resume: the input's summary from an earlier run, if its outputs are
 * complete for this run, goes into the report (and on stdout with --json):
 * 1, or 0 when it must be computed, or -EXIT_* on an error. */
static int resume_image(struct explain_run *run, const struct input *it, struct report *rep)
{
    char path[PATH_MAX], tail[128];
    snprintf(tail, sizeof tail, ".%s.json", run->method->name);
    cJSON *j;
    if (output_path(run->opts.out_dir, it->name, tail, path, sizeof path) ||
        !resume_done(run->run_key, it->path, it->target, path, &j)) {
        clear_error();
        return 0;
    }
    int rc = rep->root ? report_add(rep, it->index, it->name, j, run->opts.out_dir) : EXIT_OK;
    if (rc == EXIT_OK && run->opts.json) {
        char *line = cJSON_PrintUnformatted(j);
        if (line)
            puts(line);
        cJSON_free(line);
    }
    cJSON_Delete(j);
    run->resumed++;
    return rc ? -rc : 1;
}

void image_cache_key(const struct explain_run *run, const char *sha, long target,
                     char key[CACHE_KEY_HEX])
{
    char range[80] = "";
    if (run->opts.scale.kind == SCALE_BATCH && run->batch_range.seen)
        snprintf(range, sizeof range, "range %a %a\n", run->batch_range.lo, run->batch_range.hi);
    cache_key(run->run_key, sha, target, range, key);
}

struct cache_dest image_cache_dest(const struct explain_run *run, const struct input *it)
{
    return (struct cache_dest){ .out_dir = run->opts.out_dir, .name = it->name,
                                .image_path = it->path, .raw = run->opts.raw };
}

/* --cache: the input's outputs copied from the cache, its summary written
 * and reported as a computed one's would be: 1, or 0 when it must be
 * computed, or -EXIT_* on an error (a full disk). */
static int cache_image(struct explain_run *run, const struct input *it, struct report *rep)
{
    char sha[65], key[CACHE_KEY_HEX], path[PATH_MAX], tail[128];
    /* the file's bytes, not the decoded image: a hit costs no decoding, a
     * miss reads the file twice (the second read comes from the page cache) */
    if (image_file_sha256(it->path, sha) != 0)
        return 0; /* unreadable: loading it says why */
    image_cache_key(run, sha, it->target, key);
    struct cache_dest d = image_cache_dest(run, it);
    cJSON *j;
    int got = cache_fetch(&run->cache, key, &d, &j);
    if (got <= 0)
        return got;
    snprintf(tail, sizeof tail, ".%s.json", run->method->name);
    int rc = output_path(run->opts.out_dir, it->name, tail, path, sizeof path);
    if (rc == EXIT_OK)
        rc = output_publish(&run->opts, j, path);
    if (rc == EXIT_OK && rep->root)
        rc = report_add(rep, it->index, it->name, j, run->opts.out_dir);
    cJSON_Delete(j);
    return rc ? -rc : 1;
}

int serve_input(struct explain_run *run, const struct input *it, struct report *rep)
{
    int done = run->opts.resume ? resume_image(run, it, rep) : 0;
    return done == 0 && run->cache.dir[0] ? cache_image(run, it, rep) : done;
}

int served_get(const struct served *sv, size_t k)
{
    return sv->bits && (sv->bits[k / 8] >> (k % 8) & 1);
}

void served_set(struct served *sv, size_t k)
{
    if (sv->bits)
        sv->bits[k / 8] |= (unsigned char)(1u << (k % 8));
}
