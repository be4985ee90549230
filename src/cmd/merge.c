/* merge.c - `attrib merge`: one report (summary.json, summary.csv,
 * index.html) from the reports of several runs or shards. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "command.h"
#include "error.h"
#include "fsutil.h"
#include "gallery.h"
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

/* The merged report: its records stream into the report's journal, one
 * shard's tree in memory at a time. */
struct merged {
    struct report r;
    const char *out;
    int reports;
    double seconds; /* shards run side by side: the slowest's time */
};

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

static int same_run(const cJSON *a, const cJSON *b)
{
    const char *method = record_text(a, "method", NULL), *sha = record_text(a, "model", "sha256");
    return *method && *sha && strcmp(method, record_text(b, "method", NULL)) == 0 &&
           strcmp(sha, record_text(b, "model", "sha256")) == 0;
}

static int read_report(const char *path, const char *dir, struct merged *m)
{
    unsigned char *data;
    size_t len;
    int rc = read_file(path, MAX_REPORT_BYTES, EXIT_INPUT, &data, &len);
    if (rc)
        return rc;
    cJSON *root = cJSON_ParseWithLength((const char *)data, len);
    free(data);
    cJSON *images = cJSON_GetObjectItemCaseSensitive(root, "images"), *rec;
    if (!root || !cJSON_IsArray(images))
        rc = fail(EXIT_INPUT, "'%s' is not an attrib report", path);
    else if (!m->r.root)
        rc = report_init_from(&m->r, root, m->out);
    else if (!same_run(m->r.root, root))
        rc = fail(EXIT_INPUT, "'%s' is from another method or model than the first report", path);
    if (rc == EXIT_OK)
        merge_display(m->r.root, root);
    cJSON_ArrayForEach(rec, images) {
        if (rc)
            break;
        rebase(rec, dir, m->out);
        rc = report_add_record(&m->r, rec);
    }
    double secs = record_number(root, "totals", "seconds");
    m->seconds = secs > m->seconds ? secs : m->seconds;
    m->reports++;
    cJSON_Delete(root);
    return rc;
}

/* The reports of dir: its shard reports if any, else its summary.json. */
static int read_dir(const char *dir, struct merged *m)
{
    DIR *d = opendir(dir);
    if (!d)
        return fail(EXIT_INPUT, "cannot read directory '%s'", dir);
    int rc = EXIT_OK, shards = 0;
    char path[PATH_MAX];
    for (struct dirent *e; rc == EXIT_OK && (e = readdir(d));)
        if (is_shard_report(e->d_name) && (rc = path_join(path, sizeof path, dir, e->d_name)) == EXIT_OK) {
            rc = read_report(path, dir, m);
            shards++;
        }
    closedir(d);
    if (rc == EXIT_OK && !shards && (rc = path_join(path, sizeof path, dir, "summary.json")) == EXIT_OK)
        rc = read_report(path, dir, m);
    return rc;
}

static int cmd_merge(void *opts, const operands *ops)
{
    struct merged m = { .out = ((const struct merge_opts *)opts)->out };
    if (ops->n < 1)
        return fail(EXIT_USAGE, "no report directory given (usage: attrib merge DIR... [-o OUT])");
    if (!m.out)
        m.out = ops->args[0];
    int rc = make_dirs(m.out);
    for (int i = 0; rc == EXIT_OK && i < ops->n; i++)
        rc = read_dir(ops->args[i], &m);
    if (rc == EXIT_OK)
        rc = report_write(&m.r, m.out, "summary", m.seconds);
    if (rc == EXIT_OK)
        rc = report_write_html(&m.r, m.out);
    if (rc == EXIT_OK)
        printf("merged %d report%s, %zu images, into %s/summary.json\n", m.reports,
               m.reports == 1 ? "" : "s", m.r.n, m.out);
    report_free(&m.r);
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
