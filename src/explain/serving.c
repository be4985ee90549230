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

/* --resume: the summary an earlier run left for the input, if its outputs
 * are complete for this run: 1 (*j set), else 0. */
static int resume_lookup(struct explain_run *run, const struct input *it, cJSON **j)
{
    char path[PATH_MAX], tail[128];
    snprintf(tail, sizeof tail, ".%s.json", run->method->name);
    if (output_path(run->opts.out_dir, it->name, tail, path, sizeof path) ||
        !resume_done(run->run_key, it->path, it->target, path, j)) {
        clear_error();
        return 0;
    }
    return 1;
}

/* A kept image's summary into the report (and on stdout with --json). */
static int resume_emit(struct explain_run *run, const struct input *it, cJSON *j,
                       struct report *rep)
{
    int rc = rep->root ? report_add(rep, it->index, it->name, j, run->opts.out_dir) : EXIT_OK;
    if (rc == EXIT_OK && run->opts.json) {
        char *line = cJSON_PrintUnformatted(j);
        if (line)
            puts(line);
        cJSON_free(line);
    }
    run->resumed++;
    return rc;
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

/* --cache: the input's outputs copied from its entry, if there is one:
 * 1 (*j: the summary, not yet written), 0 (compute it) or -EXIT_OUTPUT. */
static int cache_lookup(struct explain_run *run, const struct input *it, cJSON **j)
{
    char sha[65], key[CACHE_KEY_HEX];
    /* the file's bytes, not the decoded image: a hit costs no decoding, a
     * miss reads the file twice (the second read comes from the page cache) */
    if (image_file_sha256(it->path, sha) != 0) {
        clear_error();
        return 0; /* unreadable: loading it says why */
    }
    image_cache_key(run, sha, it->target, key);
    struct cache_dest d = image_cache_dest(run, it);
    return cache_fetch(&run->cache, key, &d, j);
}

/* A copied image's summary written last, as a computed one's is, and
 * reported. */
static int cache_emit(struct explain_run *run, const struct input *it, cJSON *j,
                      struct report *rep)
{
    char path[PATH_MAX], tail[128];
    snprintf(tail, sizeof tail, ".%s.json", run->method->name);
    int rc = output_path(run->opts.out_dir, it->name, tail, path, sizeof path);
    if (rc == EXIT_OK)
        rc = output_publish(&run->opts, j, path);
    if (rc == EXIT_OK && rep->root)
        rc = report_add(rep, it->index, it->name, j, run->opts.out_dir);
    return rc;
}

int serve_lookup(struct explain_run *run, const struct input *it, struct served *out)
{
    *out = (struct served){ 0 };
    int got = run->opts.resume ? resume_lookup(run, it, &out->summary) : 0;
    if (got == 0 && run->cache.dir[0]) {
        got = cache_lookup(run, it, &out->summary);
        out->from_cache = got > 0;
    }
    return got;
}

int serve_emit(struct explain_run *run, const struct input *it, struct served *sv,
               struct report *rep)
{
    int rc = sv->from_cache ? cache_emit(run, it, sv->summary, rep)
                            : resume_emit(run, it, sv->summary, rep);
    served_drop(sv);
    return rc;
}

void served_drop(struct served *sv)
{
    cJSON_Delete(sv->summary);
    *sv = (struct served){ 0 };
}
