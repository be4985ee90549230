/* cmd_merge.c - `attrib merge`: one report (summary.json, summary.csv,
 * index.html) from the reports of several runs or shards. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "commands.h"
#include "error.h"
#include "fsutil.h"
#include "report.h"

struct merge_opts {
    const char *out;
};

static const struct opt options[] = {
    { .kind = OPTK_PATH, .letter = 'o', .name = "output",
      .offset = OPT_FIELD(struct merge_opts, out, const char *), .metavar = "DIR",
      .flags = OPT_COMPLETE_DIR, .default_text = "the first DIR",
      .help = "where to write the merged report" },
    OPT_END,
};

enum { MAX_REPORT_BYTES = 512 * 1024 * 1024 };

static int is_shard_report(const char *name)
{
    size_t n = strlen(name);
    return strncmp(name, "summary.shard-", 14) == 0 && n > 5 && strcmp(name + n - 5, ".json") == 0;
}

/* Shards measure --scale batch each on their own images: the merged page
 * shows one range only if every shard had the same. */
static void merge_display(cJSON *merged, const cJSON *root)
{
    cJSON *d = cJSON_GetObjectItemCaseSensitive(merged, "display");
    const cJSON *d2 = cJSON_GetObjectItemCaseSensitive(root, "display");
    static const char *const ends[] = { "low", "high" };
    for (int i = 0; d && i < 2; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, ends[i]);
        const cJSON *v2 = cJSON_GetObjectItemCaseSensitive(d2, ends[i]);
        if (v && (!v2 || cJSON_GetNumberValue(v) != cJSON_GetNumberValue(v2))) {
            cJSON_DeleteItemFromObjectCaseSensitive(d, "low");
            cJSON_DeleteItemFromObjectCaseSensitive(d, "high");
        }
    }
}

/* Rewrites the record's output paths (relative to from) relative to to. */
static void rebase(cJSON *record, const char *from, const char *to)
{
    cJSON *out = cJSON_GetObjectItemCaseSensitive(record, "outputs"), *it;
    cJSON_ArrayForEach(it, out) {
        char abs[PATH_MAX], rel[PATH_MAX];
        if (!cJSON_IsString(it) || it->valuestring[0] == '/' ||
            path_join(abs, sizeof abs, from, it->valuestring) ||
            relative_path(to, abs, rel, sizeof rel))
            continue;
        cJSON_SetValuestring(it, rel);
    }
}

static int read_report(const char *path, const char *dir, const char *out, cJSON **merged)
{
    unsigned char *data;
    size_t len;
    int rc = read_file(path, MAX_REPORT_BYTES, EXIT_INPUT, &data, &len);
    if (rc)
        return rc;
    cJSON *root = cJSON_ParseWithLength((const char *)data, len);
    free(data);
    if (!root || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "images"))) {
        cJSON_Delete(root);
        return fail(EXIT_INPUT, "'%s' is not an attrib report", path);
    }
    if (!*merged) {
        *merged = cJSON_Duplicate(root, 1);
        cJSON_DeleteItemFromObjectCaseSensitive(*merged, "shard");
        cJSON_DeleteItemFromObjectCaseSensitive(*merged, "totals");
        cJSON *images = cJSON_GetObjectItemCaseSensitive(*merged, "images");
        while (cJSON_GetArraySize(images))
            cJSON_DeleteItemFromArray(images, 0);
    }
    const char *method = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(*merged, "method"));
    const char *m2 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "method"));
    const char *sha = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(*merged, "model"), "sha256"));
    const char *sha2 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "model"), "sha256"));
    if (!method || !m2 || strcmp(method, m2) != 0 || !sha || !sha2 || strcmp(sha, sha2) != 0) {
        cJSON_Delete(root);
        return fail(EXIT_INPUT, "'%s' is from another method or model than the first report", path);
    }
    merge_display(*merged, root);
    cJSON *images = cJSON_GetObjectItemCaseSensitive(*merged, "images"), *rec;
    cJSON *src = cJSON_GetObjectItemCaseSensitive(root, "images");
    while ((rec = cJSON_DetachItemFromArray(src, 0))) {
        rebase(rec, dir, out);
        cJSON_AddItemToArray(images, rec);
    }
    /* Shards run side by side: the merged run took as long as the slowest. */
    double secs = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "totals"), "seconds"));
    cJSON *acc = cJSON_GetObjectItemCaseSensitive(*merged, "merged_seconds");
    if (!acc)
        cJSON_AddNumberToObject(*merged, "merged_seconds", secs);
    else if (secs > acc->valuedouble)
        cJSON_SetNumberValue(acc, secs);
    cJSON_Delete(root);
    return EXIT_OK;
}

/* The reports of dir: its shard reports if any, else its summary.json. */
static int read_dir(const char *dir, const char *out, cJSON **merged, int *count)
{
    DIR *d = opendir(dir);
    if (!d)
        return fail(EXIT_INPUT, "cannot read directory '%s'", dir);
    int rc = EXIT_OK, shards = 0;
    char path[PATH_MAX];
    for (struct dirent *e; rc == EXIT_OK && (e = readdir(d));)
        if (is_shard_report(e->d_name) && (rc = path_join(path, sizeof path, dir, e->d_name)) == EXIT_OK) {
            rc = read_report(path, dir, out, merged);
            shards++;
        }
    closedir(d);
    if (rc == EXIT_OK && !shards && (rc = path_join(path, sizeof path, dir, "summary.json")) == EXIT_OK)
        rc = read_report(path, dir, out, merged);
    *count += shards ? shards : 1;
    return rc;
}

static int check_unique(const cJSON *merged)
{
    const cJSON *images = cJSON_GetObjectItemCaseSensitive(merged, "images"), *a, *b = NULL;
    cJSON_ArrayForEach(a, images) {
        if (b && cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(a, "index")) ==
                     cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(b, "index")))
            return fail(EXIT_INPUT, "image '%s' is in more than one report",
                        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a, "image")));
        b = a;
    }
    return EXIT_OK;
}

static int cmd_merge(void *opts, const operands *ops)
{
    const char *out = ((const struct merge_opts *)opts)->out;
    if (ops->n < 1)
        return fail(EXIT_USAGE, "no report directory given (usage: attrib merge DIR... [-o OUT])");
    if (!out)
        out = ops->args[0];
    int rc = make_dirs(out), count = 0;
    cJSON *merged = NULL;
    for (int i = 0; rc == EXIT_OK && i < ops->n; i++)
        rc = read_dir(ops->args[i], out, &merged, &count);
    double seconds = 0;
    if (rc == EXIT_OK) {
        cJSON *acc = cJSON_GetObjectItemCaseSensitive(merged, "merged_seconds");
        seconds = acc ? acc->valuedouble : 0;
        cJSON_DeleteItemFromObjectCaseSensitive(merged, "merged_seconds");
        rc = report_write_tables(merged, out, "summary", seconds);
    }
    if (rc == EXIT_OK)
        rc = check_unique(merged);
    if (rc == EXIT_OK)
        rc = report_write_html(merged, out);
    if (rc == EXIT_OK)
        printf("merged %d report%s, %d images, into %s/summary.json\n", count, count == 1 ? "" : "s",
               cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(merged, "images")), out);
    cJSON_Delete(merged);
    return rc;
}

const struct command_spec merge_spec = {
    .synopsis = "attrib merge DIR... [-o OUT]",
    .description =
        "Combines the reports that batch runs wrote into DIRs - summary.shard-K-of-N.json\n"
        "from --shard runs (all shards of a directory), else summary.json - into one\n"
        "summary.json, summary.csv and index.html in OUT, in the order of the original\n"
        "input list. All reports must come from the same method and model file.\n",
    COMMAND_RUN(struct merge_opts, options, cmd_merge),
    .operands = OPERANDS_FILES,
};
