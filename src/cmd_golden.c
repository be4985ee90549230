/* cmd_golden.c - `attrib golden update|check`: golden-heatmap regression in
 * two commands. update runs an attribution command and keeps its exact maps
 * (.npy) and the command in DIR; check runs the same command again and
 * compares. */
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

#include <cJSON.h>

#include "commands.h"
#include "compare.h"
#include "error.h"
#include "fsutil.h"

static const char *const attribution_commands[] = {
    "saliency", "gradcam", "guided-backprop", "guided-gradcam",
};

enum { MAX_ARGS = 256, MAX_MANIFEST = 1 << 20 };

/* check's options are compare's (update takes none). */

static int unlink_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tree(const char *dir)
{
    nftw(dir, unlink_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs this executable with args (NULL-terminated); its exit status. */
static int run_self(char **args)
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

/* attrib CMD ARGS... EXTRA... -o out --save-raw --no-report -q, where an
 * option EXTRA or the fixed tail give again replaces the recorded one (an
 * option takes one value). */
static int run_into(const cJSON *command, char **extra, int nextra, const char *out)
{
    char *args[MAX_ARGS], *tail[] = { "-o", (char *)out, "--save-raw", "--no-report", "-q" };
    int n = 0, ntail = (int)(sizeof tail / sizeof *tail);
    args[n++] = "attrib";
    const cJSON *it, *first = cJSON_GetArrayItem(command, 0);
    const struct command *cmd = cJSON_IsString(first) ? command_find(first->valuestring) : NULL;
    if (!cmd)
        return fail(EXIT_USAGE, "the golden command is not an attrib command");
    struct command_spec spec;
    struct opt rows[COMMAND_SPEC_ROWS];
    command_spec_of(cmd, &spec, rows);
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
    int rc = run_self(args);
    if (rc)
        return fail(rc, "'attrib %s ...' failed (exit %d); see above", args[1], rc);
    return EXIT_OK;
}

static int is_attribution(const char *cmd)
{
    for (size_t i = 0; i < sizeof attribution_commands / sizeof *attribution_commands; i++)
        if (strcmp(cmd, attribution_commands[i]) == 0)
            return 1;
    return 0;
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
    if (len < 4 || strcmp(rel + len - 4, ".npy") != 0)
        return EXIT_OK;
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

static int make_temp_dir(char *out, size_t size)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(out, size, "%s/attrib-golden-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(out) ? EXIT_OK : fail(EXIT_OUTPUT, "cannot create a temporary directory: %s",
                                         strerror(errno));
}

static int update(const char *dir, char **cmd, int ncmd)
{
    if (ncmd < 1 || !is_attribution(cmd[0]))
        return fail(EXIT_USAGE, "golden update DIR needs an attribution command after it "
                    "(saliency, gradcam, guided-backprop, guided-gradcam)");
    cJSON *manifest = cJSON_CreateObject();
    cJSON_AddStringToObject(manifest, "tool", "attrib");
    cJSON_AddStringToObject(manifest, "version", ATTRIB_VERSION);
    cJSON *command = cJSON_AddArrayToObject(manifest, "command");
    for (int i = 0; i < ncmd; i++)
        cJSON_AddItemToArray(command, cJSON_CreateString(cmd[i]));
    char tmp[PATH_MAX];
    int rc = make_temp_dir(tmp, sizeof tmp);
    if (rc == EXIT_OK) {
        rc = run_into(command, NULL, 0, tmp);
        if (rc == EXIT_OK && (rc = make_dirs(dir)) == EXIT_OK) {
            nftw(dir, remove_npy, 16, FTW_PHYS); /* maps of images no longer listed go */
            rc = keep_maps(tmp, "", dir);
        }
        remove_tree(tmp);
    }
    char path[PATH_MAX];
    char *text = cJSON_Print(manifest);
    if (rc == EXIT_OK && (rc = path_join(path, sizeof path, dir, "golden.json")) == EXIT_OK)
        rc = text ? write_file_atomic(path, text, strlen(text)) : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK)
        printf("golden maps of 'attrib %s' recorded in %s\n", cmd[0], dir);
    cJSON_free(text);
    cJSON_Delete(manifest);
    return rc;
}

static int check(const char *dir, const struct tolerances *t, int json, int quiet, char **extra,
                 int nextra)
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
    if (!cJSON_IsArray(command) || cJSON_GetArraySize(command) < 1) {
        cJSON_Delete(manifest);
        return fail(EXIT_USAGE, "'%s' is not a golden.json written by attrib", path);
    }
    rc = make_temp_dir(tmp, sizeof tmp);
    if (rc == EXIT_OK) {
        rc = run_into(command, extra, nextra, tmp);
        if (rc == EXIT_OK)
            rc = compare_paths(dir, tmp, t, json, quiet);
        remove_tree(tmp);
    }
    cJSON_Delete(manifest);
    return rc;
}

static int cmd_golden(void *opts, const operands *ops)
{
    const struct compare_opts *o = opts;
    if (ops->n < 2 || (strcmp(ops->args[0], "update") != 0 && strcmp(ops->args[0], "check") != 0))
        return fail(EXIT_USAGE, "usage: attrib golden update|check DIR ... (see --help)");
    const char *dir = ops->args[1];
    if (strcmp(ops->args[0], "update") == 0)
        return update(dir, ops->args + 2, ops->n - 2);
    if (ops->dashdash > 2)
        return fail(EXIT_USAGE, "unexpected '%s' (extra arguments for the command go after --)",
                    ops->args[2]);
    return check(dir, &o->t, o->json, o->quiet, ops->args + 2, ops->n - 2);
}

static const char *const subcommands[] = { "update", "check", NULL };

const struct command_spec golden_spec = {
    .synopsis = "attrib golden update DIR [--] COMMAND ARGS...\n"
                "       attrib golden check DIR [tolerances] [--json] [-q] [-- EXTRA ARGS...]",
    .description =
        "update runs 'attrib COMMAND ARGS... --save-raw' (COMMAND: saliency, gradcam,\n"
        "guided-backprop or guided-gradcam) and keeps in DIR the exact map of every\n"
        "image (NAME.COMMAND.npy, mirroring input folders) and the command\n"
        "(golden.json). Commit DIR. check runs the recorded command again - from the\n"
        "same working directory, with EXTRA ARGS appended (e.g. --model new.pt; an\n"
        "option given there replaces the recorded one) - and compares every map as\n"
        "'attrib compare' does. Exit 0 when all agree, 1 when any differs beyond the\n"
        "tolerances or is missing. Options go before the command (update) or before\n"
        "-- (check).\n",
    COMMAND_RUN(struct compare_opts, compare_options, cmd_golden),
    .stop_after = 3, /* update DIR COMMAND: the rest is the command's */
    .operands = OPERANDS_WORDS,
    .operand_words = subcommands,
};
