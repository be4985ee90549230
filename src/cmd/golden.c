/* golden.c - `attrib golden update|check`: regression goldens in two
 * commands. update runs an attribution command and keeps its exact maps
 * (.npy), or predict, eval or sanity and keeps their numbers (values.json),
 * with the command, in DIR; check runs the same command again and compares,
 * with each command's own default tolerances, a diff picture per failing
 * map, JUnit XML and GitHub annotations for CI. */
#define _DEFAULT_SOURCE /* nftw's FTW_DEPTH and FTW_PHYS */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <math.h>

#include <cJSON.h>

#include "commands.h"
#include "compare.h"
#include "diffpic.h"
#include "error.h"
#include "explain/explain.h"
#include "fsutil.h"
#include "goldvalues.h"
#include "verdicts.h"

enum { MAX_ARGS = 256, MAX_MANIFEST = 1 << 20, MAX_VALUES = 256 << 20 };
#define VALUES_FILE "values.json"
#define STDOUT_FILE "stdout.jsonl"

/* check's options (update takes none). Tolerances left out are the
 * command's own (defaults[] below). */
struct golden_opts {
    struct tolerances t;
    double max_value_diff;
    int json, quiet, format;
    const char *junit, *diffs;
};

static const struct opt golden_tolerances[] = {
    TOLERANCE_ROWS(NAN, NAN, NAN, NAN, NAN, "the command's, below"),
    OPT_END,
};

static const struct opt options[] = {
    OPT_FLAG(0, "json", struct golden_opts, json, "one JSON object with every pair"),
    OPT_FLAG('q', "quiet", struct golden_opts, quiet, "list only the pairs that fail"),
    OPT_ENUM(0, "format", struct golden_opts, format, verdict_format_names, VERDICT_TEXT,
             "text, or github: also a GitHub Actions error annotation per failure"),
    OPT_PATH(0, "junit", struct golden_opts, junit, NULL, "FILE",
             "also write the result as JUnit XML (a test case per map or image)"),
    OPT_DIR(0, "diffs", struct golden_opts, diffs, "golden-diffs", "DIR",
            "where a failing map's picture goes (golden, new and their difference): "
            "DIR/NAME.diff.png"),
    { .kind = OPTK_REAL, .name = "max-value-diff",
      .offset = OPT_FIELD(struct golden_opts, max_value_diff, double), .min = 0, .max = 1e9,
      .def = NAN, .metavar = "X", .default_text = "the command's, below",
      .help = "predict, eval, sanity: the largest difference of a probability, an area or a "
              "similarity (class indices must be equal)" },
    OPT_GROUP("Tolerances (maps)", struct golden_opts, t, golden_tolerances),
    OPT_END,
};

/* A map's largest difference, as a fraction of its largest value: the room for
 * a unit flipped at its kink (the "" row's reason); a changed class, layer or
 * model moves maps by far more (0.3 to 1 in goldens.md). */
#define MAP_MAX_ABS 1e-2

/* Each command's default tolerances, and why they are what they are. */
static const struct {
    const char *commands; /* space-separated; "" for every other attribution method */
    struct tolerances t;  /* maps */
    double value_diff;    /* values; 0 for maps */
    const char *reason;
} defaults[] = {
#define NO_MAPS { 0, 0, 0, 0, 0, 0 }
    { "predict", NO_MAPS, 1e-4,
      "class indices exact; probabilities are a softmax of logits that other CPUs' kernels move "
      "by < 1e-6" },
    { "eval", NO_MAPS, 1e-3, "areas under 51-point curves of probabilities" },
    { "sanity", NO_MAPS, 1e-3,
      "rank correlations and SSIM over every pixel; a tie broken another way moves them ~1e-5" },
    { "integrated-gradients smoothgrad occlusion gradient-shap deeplift rise lime kernel-shap",
      { MAP_MAX_ABS, 1e-4, 0.9999, 0.999, 0.99, 5 }, 0,
      "passes summed in a fixed order; the random draws (noise, masks, samples, noise "
      "baselines) are attrib's own seeded generator, the same everywhere: byte-identical on one "
      "build and thread count, the margin is for another CPU's kernels (below)" },
    { "", { MAP_MAX_ABS, 1e-4, 0.9999, 0.999, 0.99, 5 }, 0,
      "one pass (or a layer's activation and gradient): another CPU's or thread count's kernels "
      "round otherwise, which moves Grad-CAM < 1e-5 of the max but flips the odd ReLU6 unit on "
      "its kink, and a gradient's pixels behind it: MobileNetV2's saliency 3.3e-3 of the max at "
      "one pixel (mean 2.9e-5) between an Intel AVX-512 CPU and an AMD EPYC; the mean and the "
      "correlations hold the rest of the map" },
};

static int listed(const char *list, const char *cmd)
{
    size_t n = strlen(cmd);
    for (const char *p = strstr(list, cmd); p; p = strstr(p + 1, cmd))
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

static size_t default_for(const char *cmd)
{
    size_t n = sizeof defaults / sizeof *defaults;
    for (size_t i = 0; i + 1 < n; i++)
        if (listed(defaults[i].commands, cmd))
            return i;
    return n - 1;
}

/* The tolerances given, the command's default for the others. */
static void settle(struct golden_opts *o, const char *cmd)
{
    size_t k = default_for(cmd);
    const struct tolerances *d = &defaults[k].t;
    double *given[5] = { &o->t.max_abs, &o->t.mean_abs, &o->t.min_pearson, &o->t.min_spearman,
                         &o->t.min_iou };
    const double def[5] = { d->max_abs, d->mean_abs, d->min_pearson, d->min_spearman, d->min_iou };
    for (int i = 0; i < 5; i++)
        if (isnan(*given[i]))
            *given[i] = def[i];
    if (isnan(o->max_value_diff))
        o->max_value_diff = defaults[k].value_diff;
}

static int unlink_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tree(const char *dir)
{
    nftw(dir, unlink_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs this executable with args (NULL-terminated) in the folder workdir
 * (NULL: this one), its standard output into the file out if not NULL;
 * its exit status. */
static int run_self(char **args, const char *out, const char *workdir)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return fail(EXIT_INTERNAL, "cannot find the attrib executable");
    exe[n] = '\0';
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return fail(EXIT_INTERNAL, "fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
        if (out && (fd < 0 || dup2(fd, STDOUT_FILENO) < 0))
            _exit(EXIT_OUTPUT);
        if (workdir && chdir(workdir) != 0)
            _exit(EXIT_USAGE);
        execv(exe, args);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return fail(EXIT_INTERNAL, "waitpid: %s", strerror(errno));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The option row an argument word of cmd names ("--model", "--model=x",
 * "-o"), or NULL for an operand. */
static const struct opt *option_of(const struct opt *table, const char *word)
{
    if (word[0] != '-' || word[1] == '\0')
        return NULL;
    struct opt_row rows[OPT_MAX_ROWS];
    int n = opts_flatten(table, rows);
    size_t len = word[1] == '-' ? strcspn(word + 2, "=") : 0;
    for (int i = 0; i < n; i++)
        if (word[1] == '-' ? strlen(rows[i].o->name) == len &&
                                 strncmp(rows[i].o->name, word + 2, len) == 0
                           : rows[i].o->letter == word[1])
            return rows[i].o;
    return NULL;
}

/* Whether the option o is given by one of the words. */
static int given_in(const struct opt *table, const struct opt *o, char **words, int n)
{
    for (int i = 0; i < n; i++)
        if (option_of(table, words[i]) == o)
            return 1;
    return 0;
}

/* attrib CMD ARGS... EXTRA... TAIL, where an option EXTRA or the fixed
 * tail give again replaces the recorded one (an option takes one value).
 * TAIL: a map command's "-o out --save-raw --no-report -q"; a values
 * command's "--json" (its standard output into out/STDOUT_FILE) and "-o out"
 * where it has -o. */
static int run_into(const cJSON *command, char **extra, int nextra, const char *out,
                    const char *workdir)
{
    char *maps_tail[] = { "-o", (char *)out, "--save-raw", "--no-report", "-q" };
    char *values_tail[] = { "--json", "-o", (char *)out };
    char *args[MAX_ARGS], **tail = maps_tail, captured[PATH_MAX];
    int n = 0, ntail = (int)(sizeof maps_tail / sizeof *maps_tail);
    args[n++] = "attrib";
    const cJSON *it, *first = cJSON_GetArrayItem(command, 0);
    const struct command *cmd = cJSON_IsString(first) ? command_find(first->valuestring) : NULL;
    if (!cmd)
        return fail(EXIT_USAGE, "the golden command is not an attrib command");
    struct command_spec spec;
    struct opt rows[COMMAND_SPEC_ROWS];
    command_spec_of(cmd, &spec, rows);
    int values = goldvalues_command(cmd->name);
    if (values) {
        tail = values_tail;
        ntail = option_of(spec.options, "-o") ? 3 : 1;
        if (path_join(captured, sizeof captured, out, STDOUT_FILE))
            return EXIT_OUTPUT;
    }
    int skip = 0, after_dashdash = 0;
    cJSON_ArrayForEach(it, command) {
        if (!cJSON_IsString(it) || n >= MAX_ARGS - nextra - ntail - 1)
            return fail(EXIT_USAGE, "the golden command is not a list of words");
        const char *w = it->valuestring;
        const struct opt *o = after_dashdash || it == first ? NULL : option_of(spec.options, w);
        after_dashdash |= strcmp(w, "--") == 0;
        if (skip) {
            skip = 0;
            continue;
        }
        if (o && (given_in(spec.options, o, extra, nextra) ||
                  given_in(spec.options, o, tail, ntail))) {
            /* its value is the next word unless attached ("--x=v", "-cN") */
            skip = opt_takes_value(o) && !strchr(w, '=') && !(w[1] != '-' && w[2]);
            continue;
        }
        args[n++] = it->valuestring;
    }
    for (int i = 0; i < nextra; i++)
        args[n++] = extra[i];
    for (int i = 0; i < ntail; i++)
        args[n++] = tail[i];
    args[n] = NULL;
    int rc = run_self(args, values ? captured : NULL, workdir);
    if (rc)
        return fail(rc, "'attrib %s ...' failed (exit %d); see above", args[1], rc);
    return EXIT_OK;
}

/* What a golden of cmd keeps: 1 maps (an attribution method), 2 values
 * (predict, eval, sanity), 0 nothing. */
static int golden_kind(const char *cmd)
{
    const struct command *c = command_find(cmd);
    return c && c->method ? 1 : goldvalues_command(cmd) ? 2 : 0;
}

/* Whether path names a superpixel file (NAME.METHOD.segments.npy). */
static int is_segments_file(const char *path)
{
    size_t n = strlen(path), seg = strlen(SEGMENTS_SUFFIX);
    return n > seg && strcmp(path + n - seg, SEGMENTS_SUFFIX) == 0;
}

/* Moves the .npy files below from into to, keeping subfolders. */
static int keep_maps(const char *from, const char *rel, const char *to)
{
    char src[PATH_MAX], dst[PATH_MAX];
    snprintf(src, sizeof src, "%s%s%s", from, *rel ? "/" : "", rel);
    struct stat st;
    if (stat(src, &st) != 0)
        return fail(EXIT_OUTPUT, "cannot read '%s'", src);
    if (S_ISDIR(st.st_mode)) {
        int rc = EXIT_OK;
        DIR *d = opendir(src);
        if (!d)
            return fail(EXIT_OUTPUT, "cannot read '%s'", src);
        for (struct dirent *e; rc == EXIT_OK && (e = readdir(d));) {
            char sub[PATH_MAX];
            if (e->d_name[0] == '.')
                continue;
            if (snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name) >= (int)sizeof sub)
                rc = fail(EXIT_OUTPUT, "path too long below '%s'", from);
            else
                rc = keep_maps(from, sub, to);
        }
        closedir(d);
        return rc;
    }
    size_t len = strlen(rel);
    if (len < 4 || strcmp(rel + len - 4, ".npy") != 0 || is_segments_file(rel))
        return EXIT_OK; /* maps only */
    if (snprintf(dst, sizeof dst, "%s/%s", to, rel) >= (int)sizeof dst)
        return fail(EXIT_OUTPUT, "path too long: '%s'", rel);
    char *slash = strrchr(dst, '/');
    *slash = '\0';
    int rc = make_dirs(dst);
    *slash = '/';
    if (rc == EXIT_OK && rename(src, dst) != 0)
        rc = fail(EXIT_OUTPUT, "cannot move '%s' to '%s': %s", src, dst, strerror(errno));
    return rc;
}

static int remove_npy(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)ftw;
    size_t n = strlen(path);
    if (flag == FTW_F && n > 4 && strcmp(path + n - 4, ".npy") == 0)
        remove(path);
    return 0;
}

/* A fresh run's superpixel files are not maps (keep_maps leaves them out
 * of the goldens): dropped before the comparison. */
static int remove_segments(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)ftw;
    if (flag == FTW_F && is_segments_file(path))
        remove(path);
    return 0;
}

/* A fresh folder, by its absolute path (the command may run elsewhere). */
static int make_temp_dir(char *out, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    char made[PATH_MAX];
    snprintf(made, sizeof made, "%s/attrib-golden-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(made))
        return fail(EXIT_OUTPUT, "cannot create a temporary directory: %s", strerror(errno));
    if (size < PATH_MAX || !realpath(made, out))
        snprintf(out, size, "%s", made);
    return EXIT_OK;
}

/* Where update ran, as the path from the golden folder dir (which exists):
 * check runs the command there, so that the paths in it (images, --model,
 * --class-file) mean what they meant, from whatever folder check runs. */
static int workdir_from(const char *dir, char *out, size_t size)
{
    char golden[PATH_MAX], here[PATH_MAX];
    if (!realpath(dir, golden) || !getcwd(here, sizeof here))
        return fail(EXIT_OUTPUT, "cannot resolve '%s': %s", dir, strerror(errno));
    return path_relative(golden, here, out, size);
}

/* The extra words of check with the values of path options made absolute:
 * the command runs in the recorded folder, the words were typed here. */
static int absolute_path_values(const cJSON *command, char **extra, int nextra, char **owned)
{
    const struct command *cmd = command_find(cJSON_GetStringValue(cJSON_GetArrayItem(command, 0)));
    struct command_spec spec;
    struct opt rows[COMMAND_SPEC_ROWS];
    command_spec_of(cmd, &spec, rows);
    char here[PATH_MAX];
    if (!getcwd(here, sizeof here))
        return fail(EXIT_INTERNAL, "getcwd: %s", strerror(errno));
    for (int i = 0; i < nextra; i++) {
        const struct opt *o = option_of(spec.options, extra[i]);
        if (!o || o->kind != OPTK_PATH)
            continue;
        const char *eq = extra[i][1] == '-' ? strchr(extra[i], '=') : NULL;
        int at = eq ? i : i + 1;
        const char *value = eq ? eq + 1 : at < nextra ? extra[at] : NULL;
        if (!value || value[0] == '/' || strcmp(value, "-") == 0)
            continue;
        size_t need = strlen(here) + strlen(value) + (eq ? (size_t)(eq - extra[i]) + 1 : 0) + 2;
        char *w = malloc(need);
        if (!w)
            return fail(EXIT_INTERNAL, "out of memory");
        if (eq)
            snprintf(w, need, "%.*s%s/%s", (int)(eq - extra[i] + 1), extra[i], here, value);
        else
            snprintf(w, need, "%s/%s", here, value);
        extra[at] = owned[at] = w;
        i = at;
    }
    return EXIT_OK;
}

/* The values of a values command's run in out (its captured stdout). */
static int read_values(const char *cmd, const char *out, cJSON **values)
{
    char path[PATH_MAX];
    unsigned char *data;
    size_t len;
    int rc = path_join(path, sizeof path, out, STDOUT_FILE);
    if (rc == EXIT_OK)
        rc = read_file(path, MAX_VALUES, EXIT_INTERNAL, &data, &len);
    if (rc == EXIT_OK) {
        rc = goldvalues_collect(cmd, (const char *)data, values);
        free(data);
    }
    return rc;
}

static int write_json(const char *dir, const char *file, const cJSON *j)
{
    char path[PATH_MAX];
    char *text = cJSON_Print(j);
    int rc = path_join(path, sizeof path, dir, file);
    if (rc == EXIT_OK)
        rc = text ? write_file_atomic(path, text, strlen(text)) : fail(EXIT_INTERNAL, "out of memory");
    cJSON_free(text);
    return rc;
}

static int update(const char *dir, char **cmd, int ncmd)
{
    int kind = ncmd < 1 ? 0 : golden_kind(cmd[0]);
    if (!kind)
        return fail(EXIT_USAGE, "golden update DIR needs an attribution command (saliency, "
                    "gradcam, integrated-gradients, ...), predict, eval or sanity after it");
    cJSON *manifest = cJSON_CreateObject();
    cJSON_AddStringToObject(manifest, "tool", "attrib");
    cJSON_AddStringToObject(manifest, "version", ATTRIB_VERSION);
    cJSON *command = cJSON_AddArrayToObject(manifest, "command");
    for (int i = 0; i < ncmd; i++)
        cJSON_AddItemToArray(command, cJSON_CreateString(cmd[i]));
    char tmp[PATH_MAX];
    cJSON *values = NULL;
    int rc = make_temp_dir(tmp, sizeof tmp);
    if (rc == EXIT_OK) {
        rc = run_into(command, NULL, 0, tmp, NULL);
        if (rc == EXIT_OK && kind == 2)
            rc = read_values(cmd[0], tmp, &values);
        if (rc == EXIT_OK && (rc = make_dirs(dir)) == EXIT_OK) {
            nftw(dir, remove_npy, 16, FTW_PHYS); /* maps of images no longer listed go */
            rc = kind == 1 ? keep_maps(tmp, "", dir) : write_json(dir, VALUES_FILE, values);
        }
        remove_tree(tmp);
    }
    if (rc == EXIT_OK && kind == 1) { /* a values golden turned into a maps golden */
        char path[PATH_MAX];
        if (path_join(path, sizeof path, dir, VALUES_FILE) == EXIT_OK)
            remove(path);
    }
    char workdir[PATH_MAX];
    if (rc == EXIT_OK)
        rc = workdir_from(dir, workdir, sizeof workdir);
    if (rc == EXIT_OK) {
        cJSON_AddStringToObject(manifest, "workdir", workdir);
        rc = write_json(dir, "golden.json", manifest);
    }
    if (rc == EXIT_OK)
        printf("golden %s of 'attrib %s' recorded in %s\n", kind == 1 ? "maps" : "values", cmd[0],
               dir);
    cJSON_Delete(values);
    cJSON_Delete(manifest);
    return rc;
}

/* A picture of each failing map pair that was measured (both maps there,
 * same size) into o->diffs; its path goes into the pair's record. */
static int diff_pictures(const struct golden_opts *o, const char *dir, const char *tmp,
                         cJSON *pairs)
{
    cJSON *p;
    int rc = EXIT_OK;
    cJSON_ArrayForEach(p, pairs) {
        const char *file = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "file"));
        if (rc || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "ok")) || !file ||
            !cJSON_GetObjectItemCaseSensitive(p, "pearson"))
            continue;
        char a[PATH_MAX], b[PATH_MAX], pic[PATH_MAX], stem[PATH_MAX];
        float *g = NULL, *f = NULL;
        size_t n, m, dims[3], d2[3];
        int nd = 0, nd2 = 0;
        /* NAME.METHOD.npy -> DIFFS/NAME.METHOD.diff.png */
        snprintf(stem, sizeof stem, "%.*s", (int)(strlen(file) - (strrchr(file, '.') ? strlen(
                     strrchr(file, '.')) : 0)), file);
        rc = path_join(a, sizeof a, dir, file);
        if (rc == EXIT_OK)
            rc = path_join(b, sizeof b, tmp, file);
        if (rc == EXIT_OK)
            rc = make_dirs(o->diffs);
        if (rc == EXIT_OK)
            rc = output_path(o->diffs, stem, ".diff.png", pic, sizeof pic);
        int readable = rc == EXIT_OK && map_read_shape(a, &g, &n, dims, &nd) == EXIT_OK &&
                       map_read_shape(b, &f, &m, d2, &nd2) == EXIT_OK;
        if (rc == EXIT_OK && !readable)
            clear_error(); /* an unreadable map is the pair's failure, already recorded */
        if (readable && n == m && (nd == 2 || nd == 3)) {
            size_t c = nd == 3 ? dims[0] : 1, h = dims[nd - 2], w = dims[nd - 1];
            char title[PATH_MAX + 64];
            snprintf(title, sizeof title, "%s: %s", file,
                     cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, "why")));
            rc = c * h * w == n ? diffpic_write(pic, g, f, c, h, w, title) : EXIT_OK;
            if (rc == EXIT_OK && c * h * w == n)
                cJSON_AddStringToObject(p, "diff", pic);
        }
        free(g);
        free(f);
    }
    return rc;
}

static int check(const char *dir, struct golden_opts *o, char **extra, int nextra)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    unsigned char *data;
    size_t len;
    int rc = path_join(path, sizeof path, dir, "golden.json");
    if (rc == EXIT_OK)
        rc = read_file(path, MAX_MANIFEST, EXIT_INPUT, &data, &len);
    if (rc)
        return rc == EXIT_INPUT ? fail(EXIT_USAGE, "'%s' has no golden.json: record it with "
                                       "'attrib golden update %s -- COMMAND ...'", dir, dir)
                                : rc;
    cJSON *manifest = cJSON_ParseWithLength((const char *)data, len);
    free(data);
    const cJSON *command = cJSON_GetObjectItemCaseSensitive(manifest, "command");
    const char *cmd = cJSON_GetStringValue(cJSON_GetArrayItem(command, 0));
    int kind = cmd ? golden_kind(cmd) : 0;
    if (!cJSON_IsArray(command) || !kind) {
        cJSON_Delete(manifest);
        return fail(EXIT_USAGE, "'%s' is not a golden.json written by attrib", path);
    }
    settle(o, cmd);
    /* the folder update ran in (goldens written before attrib kept it run
     * in this folder, as they always did) */
    const char *recorded = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(manifest,
                                                                                 "workdir"));
    char workdir[PATH_MAX];
    struct stat st;
    if (recorded && path_join(workdir, sizeof workdir, dir, recorded) == EXIT_OK &&
        (stat(workdir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        cJSON_Delete(manifest);
        return fail(EXIT_USAGE, "'%s': the folder the golden was recorded in, '%s' from it, "
                    "is not there", path, recorded);
    }
    char **owned = calloc((size_t)nextra + 1, sizeof *owned);
    rc = owned ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK && o->junit) /* now, not after the command has run */
        rc = prepare_output_file(o->junit);
    if (rc == EXIT_OK) /* made only for a failing map, but known to be possible now */
        rc = check_output_dir(o->diffs);
    if (rc == EXIT_OK && recorded)
        rc = absolute_path_values(command, extra, nextra, owned);
    cJSON *pairs = cJSON_CreateArray(), *golden = NULL, *fresh = NULL;
    if (rc == EXIT_OK)
        rc = make_temp_dir(tmp, sizeof tmp);
    if (rc == EXIT_OK) {
        rc = run_into(command, extra, nextra, tmp, recorded ? workdir : NULL);
        if (rc == EXIT_OK && kind == 1)
            nftw(tmp, remove_segments, 16, FTW_PHYS);
        if (rc == EXIT_OK && kind == 1)
            rc = compare_collect(dir, tmp, &o->t, pairs);
        if (rc == EXIT_OK && kind == 1)
            rc = diff_pictures(o, dir, tmp, pairs);
        if (rc == EXIT_OK && kind == 2) {
            unsigned char *text;
            rc = path_join(path, sizeof path, dir, VALUES_FILE);
            if (rc == EXIT_OK)
                rc = read_file(path, MAX_VALUES, EXIT_INPUT, &text, &len);
            if (rc == EXIT_OK) {
                golden = cJSON_ParseWithLength((const char *)text, len);
                free(text);
                rc = cJSON_IsObject(golden) ? read_values(cmd, tmp, &fresh)
                                            : fail(EXIT_INPUT, "'%s' is not a values golden", path);
            }
            if (rc == EXIT_OK) {
                goldvalues_compare(golden, fresh, o->max_value_diff, pairs);
                cJSON *p;
                cJSON_ArrayForEach(p, pairs) /* where annotations point */
                    cJSON_AddStringToObject(p, "path", path);
            }
        }
        remove_tree(tmp);
    }
    int passed, failed;
    verdicts_count(pairs, &passed, &failed);
    if (rc == EXIT_OK && o->junit) {
        char suite[PATH_MAX + 32];
        snprintf(suite, sizeof suite, "attrib golden %s", dir);
        rc = verdicts_junit(pairs, suite, o->junit);
    }
    if (rc == EXIT_OK && o->json)
        verdicts_print_json(pairs);
    else if (rc == EXIT_OK)
        verdicts_print(pairs, (enum verdict_format)o->format, o->quiet, dir);
    for (int i = 0; owned && i < nextra; i++)
        free(owned[i]);
    free(owned);
    cJSON_Delete(golden);
    cJSON_Delete(fresh);
    cJSON_Delete(pairs);
    cJSON_Delete(manifest);
    return rc ? rc : failed ? EXIT_INPUT : EXIT_OK;
}

static int cmd_golden(void *opts, const operands *ops)
{
    struct golden_opts *o = opts;
    if (ops->n < 2 || (strcmp(ops->args[0], "update") != 0 && strcmp(ops->args[0], "check") != 0))
        return fail(EXIT_USAGE, "usage: attrib golden update|check DIR ... (see --help)");
    const char *dir = ops->args[1];
    if (strcmp(ops->args[0], "update") == 0)
        return update(dir, ops->args + 2, ops->n - 2);
    if (ops->dashdash > 2)
        return fail(EXIT_USAGE, "unexpected '%s' (extra arguments for the command go after --)",
                    ops->args[2]);
    return check(dir, o, ops->args + 2, ops->n - 2);
}

static const char *const subcommands[] = { "update", "check", NULL };

/* text word-wrapped to the help's 79 columns, each line indented. */
static void wrapped(FILE *f, const char *text, int indent)
{
    enum { WIDTH = 79 };
    int col = 0;
    for (const char *w = text; *w;) {
        size_t len = strcspn(w, " ");
        if (col && col + 1 + (int)len > WIDTH) {
            fputc('\n', f);
            col = 0;
        }
        col += col ? fprintf(f, " ") : fprintf(f, "%*s", indent, "");
        col += fprintf(f, "%.*s", (int)len, w);
        w += len;
        w += strspn(w, " ");
    }
    fputc('\n', f);
}

/* The defaults table, from defaults[]. */
static void defaults_help(FILE *f)
{
    fprintf(f, "\nDefault tolerances, and why:\n");
    for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++) {
        const char *who = *defaults[i].commands ? defaults[i].commands : "every other method";
        char line[512];
        if (defaults[i].value_diff > 0)
            snprintf(line, sizeof line, "%s: --max-value-diff %g; %s", who,
                     defaults[i].value_diff, defaults[i].reason);
        else
            snprintf(line, sizeof line, "%s: --max-abs %g --mean-abs %g --min-pearson %g "
                     "--min-spearman %g --min-iou %g; %s", who, defaults[i].t.max_abs,
                     defaults[i].t.mean_abs, defaults[i].t.min_pearson, defaults[i].t.min_spearman,
                     defaults[i].t.min_iou, defaults[i].reason);
        wrapped(f, line, 2);
    }
}

const struct command_spec golden_spec = {
    .synopsis = "attrib golden update DIR [--] COMMAND ARGS...\n"
                "       attrib golden check DIR [tolerances] [--json] [-q] [--format github]\n"
                "                           [--junit FILE] [--diffs DIR] [-- EXTRA ARGS...]",
    .description =
        "update runs 'attrib COMMAND ARGS...' and keeps in DIR what it computed, with\n"
        "the command (golden.json): an attribution method's exact map of every image\n"
        "(--save-raw: NAME.METHOD.npy, mirroring input folders), or the numbers of\n"
        "predict (classes, probabilities), eval (deletion and insertion AUCs) and sanity\n"
        "(similarities), in values.json. Commit DIR. check runs the recorded command\n"
        "again - in the folder update ran in (golden.json's workdir, a path from DIR:\n"
        "its relative paths mean what they meant, from wherever check runs), with EXTRA\n"
        "ARGS appended (their paths taken from here; e.g. --model new.pt; an option\n"
        "given there replaces the recorded one) - and compares: maps as\n"
        "'attrib compare' does, values within --max-value-diff (class indices equal). A\n"
        "failing map gets a picture in --diffs (golden, new, |difference|). Exit 0 when\n"
        "all agree, 1 when any differs beyond the tolerances or is missing. Options go\n"
        "before the command (update) or before -- (check).\n",
    .more_help = defaults_help,
    COMMAND_RUN(struct golden_opts, options, cmd_golden),
    .stop_after = 3, /* update DIR COMMAND: the rest is the command's */
    .operands = OPERANDS_WORDS,
    .operand_words = subcommands,
};
