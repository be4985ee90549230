/* inputs.c - turning command-line arguments into a list of images. */
#include "inputs.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"
#include "error.h"
#include "fsutil.h"

static const char *const image_extensions[] = {
    ".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tga", ".pgm", ".ppm", ".pnm", ".psd",
};

int has_image_extension(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return 0;
    for (size_t i = 0; i < sizeof image_extensions / sizeof image_extensions[0]; i++)
        if (strcasecmp(dot, image_extensions[i]) == 0)
            return 1;
    return 0;
}

static int add(struct input_list *l, const char *path, const char *name)
{
    if (l->n >= INPUT_MAX_IMAGES)
        return fail(EXIT_USAGE, "more than %d images", INPUT_MAX_IMAGES);
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        struct input *p = realloc(l->items, cap * sizeof *p);
        if (!p)
            return fail(EXIT_INTERNAL, "out of memory");
        l->items = p;
        l->cap = cap;
    }
    struct input *in = &l->items[l->n];
    in->path = strdup(path);
    in->name = strdup(name);
    in->target = -1;
    in->index = l->n;
    if (!in->path || !in->name) {
        free(in->path);
        free(in->name);
        return fail(EXIT_INTERNAL, "out of memory");
    }
    l->n++;
    return EXIT_OK;
}

/* "a/b/cat.jpg" -> "a/b/cat" */
static void strip_extension(const char *rel, char *out, size_t size)
{
    snprintf(out, size, "%s", rel);
    char *dot = strrchr(out, '.'), *slash = strrchr(out, '/');
    if (dot && (!slash || dot > slash + 1))
        *dot = '\0';
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the images of dir (relative path rel below the argument), sorted. */
static int add_directory(struct input_list *l, const char *dir, const char *rel, int recursive)
{
    DIR *d = opendir(dir);
    if (!d)
        return fail(EXIT_INPUT, "cannot read directory '%s': %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = EXIT_OK;
    for (struct dirent *e; rc == EXIT_OK && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue; /* hidden files, ".", ".." */
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **p = realloc(names, cap * sizeof *p);
            if (!p) {
                rc = fail(EXIT_INTERNAL, "out of memory");
                break;
            }
            names = p;
        }
        if (!(names[n++] = strdup(e->d_name)))
            rc = fail(EXIT_INTERNAL, "out of memory");
    }
    closedir(d);
    if (rc == EXIT_OK && n) /* qsort(NULL, 0, ...) is undefined */
        qsort(names, n, sizeof *names, compare_names);
    for (size_t i = 0; rc == EXIT_OK && i < n; i++) {
        char path[PATH_MAX], sub[PATH_MAX], stem[PATH_MAX];
        struct stat st;
        if (path_join(path, sizeof path, dir, names[i]) ||
            snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", names[i]) >= (int)sizeof sub) {
            rc = fail(EXIT_INPUT, "path too long below '%s'", dir);
            break;
        }
        if (stat(path, &st) != 0)
            continue; /* a dangling link */
        if (S_ISDIR(st.st_mode)) {
            struct stat lst;
            /* Linked directories are not followed: they can loop. */
            if (recursive && lstat(path, &lst) == 0 && !S_ISLNK(lst.st_mode))
                rc = add_directory(l, path, sub, recursive);
        } else if (S_ISREG(st.st_mode) && has_image_extension(names[i])) {
            strip_extension(sub, stem, sizeof stem);
            rc = add(l, path, stem);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static int add_stdin(struct input_list *l)
{
    char *line = NULL;
    size_t cap = 0, before = l->n;
    ssize_t len;
    int rc = EXIT_OK;
    while (rc == EXIT_OK && (len = getline(&line, &cap, stdin)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        char stem[PATH_MAX];
        path_stem(line, stem, sizeof stem);
        rc = add(l, line, stem);
    }
    free(line);
    if (rc == EXIT_OK && l->n == before)
        rc = fail(EXIT_INPUT, "no image paths on standard input");
    return rc;
}

struct name_ref {
    const char *name;
    size_t index;
};

static int compare_refs(const void *a, const void *b)
{
    const struct name_ref *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

static int name_taken(const struct name_ref *refs, size_t n, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(refs[mid].name, name);
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Makes names unique: the second "cat" becomes "cat-2", the third "cat-3"
 * (skipping names already in the list), in list order. O(n log n), so a
 * million images are fine. */
static int uniquify(struct input_list *l)
{
    if (l->n < 2)
        return EXIT_OK;
    struct name_ref *refs = malloc(l->n * sizeof *refs);
    char **renamed = calloc(l->n, sizeof *renamed);
    int rc = refs && renamed ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; rc == EXIT_OK && i < l->n; i++)
        refs[i] = (struct name_ref){ l->items[i].name, i };
    if (rc == EXIT_OK)
        qsort(refs, l->n, sizeof *refs, compare_refs);
    int k = 2; /* next suffix to try within the current group of equal names */
    for (size_t i = 1; rc == EXIT_OK && i < l->n; i++) {
        if (strcmp(refs[i].name, refs[i - 1].name) != 0) {
            k = 2;
            continue;
        }
        char candidate[PATH_MAX];
        do
            snprintf(candidate, sizeof candidate, "%s-%d", refs[i].name, k++);
        while (name_taken(refs, l->n, candidate));
        if (!(renamed[refs[i].index] = strdup(candidate)))
            rc = fail(EXIT_INTERNAL, "out of memory");
    }
    for (size_t i = 0; i < l->n; i++)
        if (renamed && renamed[i]) {
            free(l->items[i].name);
            l->items[i].name = renamed[i];
        }
    free(renamed);
    free(refs);
    return rc;
}

int inputs_collect(char **args, int nargs, int recursive, struct input_list *out)
{
    memset(out, 0, sizeof *out); /* inputs_free() is safe on it whatever happens */
    int rc = EXIT_OK, used_stdin = 0;
    for (int i = 0; rc == EXIT_OK && i < nargs; i++) {
        struct stat st;
        const char *a = args[i];
        if (strcmp(a, "-") == 0) {
            if (used_stdin++)
                rc = fail(EXIT_USAGE, "'-' (paths on standard input) given twice");
            else
                rc = add_stdin(out);
        } else if (stat(a, &st) == 0 && S_ISDIR(st.st_mode)) {
            size_t before = out->n;
            rc = add_directory(out, a, "", recursive);
            if (rc == EXIT_OK && out->n == before)
                rc = fail(EXIT_INPUT, "no images in directory '%s'%s", a,
                          recursive ? "" : " (--recursive for subdirectories)");
        } else {
            char stem[PATH_MAX];
            path_stem(a, stem, sizeof stem);
            rc = add(out, a, stem);
        }
    }
    if (rc == EXIT_OK)
        rc = uniquify(out);
    if (rc)
        inputs_free(out);
    return rc;
}

int parse_shard(const struct opt *o, const char *arg, void *shard)
{
    (void)o;
    long *k = &((struct shard *)shard)->k, *n = &((struct shard *)shard)->n;
    char *slash = strchr(arg, '/');
    char head[32];
    if (!slash || (size_t)(slash - arg) >= sizeof head)
        return fail(EXIT_USAGE, "--shard must be K/N (the K-th of N slices), got '%s'", arg);
    memcpy(head, arg, (size_t)(slash - arg));
    head[slash - arg] = '\0';
    if (parse_long(slash + 1, 1, 1000000, "--shard N", n) ||
        parse_long(head, 1, *n, "--shard K", k))
        return EXIT_USAGE;
    return EXIT_OK;
}

void inputs_shard(struct input_list *l, long k, long n)
{
    size_t kept = 0;
    for (size_t i = 0; i < l->n; i++) {
        if ((long)(i % (size_t)n) == k - 1) {
            l->items[kept++] = l->items[i];
        } else {
            free(l->items[i].path);
            free(l->items[i].name);
        }
    }
    l->n = kept;
}

int inputs_read_classes(struct input_list *l, const char *tsv, long default_target,
                        long max_class)
{
    for (size_t i = 0; i < l->n; i++)
        l->items[i].target = default_target, l->items[i].target_line = 0;
    FILE *f = fopen(tsv, "r");
    if (!f)
        return fail(EXIT_USAGE, "--class-file: cannot open '%s': %s", tsv, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    int rc = EXIT_OK;
    while (rc == EXIT_OK && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        char *tab = strrchr(line, '\t');
        long cls;
        if (!tab) {
            rc = fail(EXIT_USAGE, "--class-file %s:%ld: expected PATH<TAB>CLASS", tsv, lineno);
            break;
        }
        *tab = '\0';
        if (parse_long(tab + 1, 0, max_class, "class", &cls)) {
            rc = fail(EXIT_USAGE, "--class-file %s:%ld: '%s' is not a class from 0 to %ld", tsv,
                      lineno, tab + 1, max_class);
            break;
        }
        for (size_t i = 0; i < l->n; i++)
            if (strcmp(l->items[i].path, line) == 0)
                l->items[i].target = cls, l->items[i].target_line = lineno;
    }
    free(line);
    fclose(f);
    return rc;
}

void inputs_free(struct input_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].path);
        free(l->items[i].name);
    }
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* Whether folder names label: the whole label or one of its comma-separated
 * synonyms, ignoring case and with '_' read as ' '. */
static int names_label(const char *folder, const char *label)
{
    for (const char *syn = label; syn && *syn;) {
        while (*syn == ' ')
            syn++;
        const char *end = strchr(syn, ',');
        size_t n = end ? (size_t)(end - syn) : strlen(syn), k = 0;
        for (; k < n && folder[k]; k++) {
            char a = folder[k] == '_' ? ' ' : folder[k];
            if (tolower((unsigned char)a) != tolower((unsigned char)syn[k]))
                break;
        }
        if (k == n && !folder[k])
            return 1;
        syn = end ? end + 1 : NULL;
    }
    return 0;
}

/* The class folder names: a number below classes or a label; -1: none. */
static long folder_class(const char *folder, char *const *labels, int nlabels, long classes)
{
    char *end;
    long c = strtol(folder, &end, 10);
    if (*folder && !*end && c >= 0 && c < classes)
        return c;
    for (int i = 0; i < nlabels && i < classes; i++)
        if (labels[i] && names_label(folder, labels[i]))
            return i;
    return -1;
}

int inputs_classes_from_folders(struct input_list *l, char *const *labels, int nlabels,
                                long classes)
{
    for (size_t i = 0; i < l->n; i++) {
        struct input *it = &l->items[i];
        char dir[PATH_MAX];
        const char *slash = strrchr(it->path, '/');
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - it->path) : 0, it->path);
        const char *folder = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
        if (!*folder || strcmp(folder, ".") == 0 || strcmp(folder, "..") == 0)
            return fail(EXIT_USAGE, "--class-from-folder: '%s' is in no class folder", it->path);
        it->target = folder_class(folder, labels, nlabels, classes);
        it->target_line = 0;
        if (it->target < 0)
            return fail(EXIT_USAGE, "--class-from-folder: folder '%s' (of '%s') names no class "
                        "of the model: a class number 0 to %ld or a label of its card", folder,
                        it->path, classes - 1);
    }
    return EXIT_OK;
}
