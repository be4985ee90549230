/* options.c - the one parser, the messages and the --help listing made from
 * option tables (options.h). */
#include "options.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define HELP_COLUMN 21  /* where help text starts in --help */
#define HELP_WIDTH 79   /* the last column --help writes */
#define SHORT_WORDS 28  /* a word list this long or shorter is its own metavar */
#define SUGGEST_DISTANCE 2 /* misspellings this close are suggested (as git does) */

void (*opts_commands_with)(const char *name, char *buf, size_t size);

static int flatten(const struct opt *t, size_t base, const char *heading, struct opt_row *rows,
                   int n)
{
    for (; t && t->kind != OPTK_END && n < OPT_MAX_ROWS; t++) {
        if (t->kind == OPTK_GROUP) /* a group without a heading of its own is its parent's */
            n = flatten(t->group, base + t->offset, t->help ? t->help : heading, rows, n);
        else
            rows[n++] = (struct opt_row){ t, base + t->offset, heading };
    }
    return n;
}

int opts_flatten(const struct opt *table, struct opt_row *rows)
{
    return flatten(table, 0, NULL, rows, 0);
}

int opt_takes_value(const struct opt *o)
{
    return o->kind != OPTK_FLAG;
}

static void *dest(void *opts, size_t offset)
{
    return (char *)opts + offset;
}

/* One row's value as text. */
static int format_value(const struct opt *o, const void *d, char *buf, size_t size)
{
    switch (o->kind) {
    case OPTK_FLAG: snprintf(buf, size, "%d", *(const int *)d); break;
    case OPTK_INT: snprintf(buf, size, "%ld", *(const long *)d); break;
    case OPTK_REAL: snprintf(buf, size, "%.17g", *(const double *)d); break;
    case OPTK_ENUM: snprintf(buf, size, "%s", o->words[*(const int *)d]); break;
    case OPTK_STRING: case OPTK_PATH: case OPTK_LIST: {
        const char *v = *(const char *const *)d;
        snprintf(buf, size, "%s", v ? v : "(none)");
        break;
    }
    case OPTK_CUSTOM:
        if (!o->format)
            return fail(EXIT_INTERNAL, "option --%s has no format for a run's key", o->name);
        o->format(d, buf, size);
        break;
    default: buf[0] = '\0';
    }
    return EXIT_OK;
}

int opts_fingerprint(const struct opt *table, const void *opts, char **out)
{
    struct opt_row rows[OPT_MAX_ROWS];
    int n = opts_flatten(table, rows);
    size_t len = 0, cap = 256;
    char *text = malloc(cap), value[PATH_MAX + 64];
    for (int i = 0; text && i < n; i++) {
        const struct opt *o = rows[i].o;
        if (o->flags & OPT_NOT_RESULT)
            continue;
        if (format_value(o, (const char *)opts + rows[i].offset, value, sizeof value)) {
            free(text);
            return EXIT_INTERNAL;
        }
        size_t need = strlen(o->name) + strlen(value) + 3;
        if (len + need > cap) {
            cap = 2 * (len + need);
            char *t = realloc(text, cap);
            if (!t)
                free(text);
            text = t;
        }
        if (text)
            len += (size_t)snprintf(text + len, cap - len, "%s=%s\n", o->name, value);
    }
    *out = text;
    return text ? EXIT_OK : fail(EXIT_INTERNAL, "out of memory");
}

void opts_defaults(const struct opt *table, void *opts)
{
    struct opt_row rows[OPT_MAX_ROWS];
    int n = opts_flatten(table, rows);
    for (int i = 0; i < n; i++) {
        const struct opt *o = rows[i].o;
        void *d = dest(opts, rows[i].offset);
        switch (o->kind) {
        case OPTK_FLAG: *(int *)d = 0; break;
        case OPTK_INT: *(long *)d = (long)o->def; break;
        case OPTK_REAL: *(double *)d = o->def; break;
        case OPTK_ENUM: *(int *)d = (int)o->def; break;
        case OPTK_STRING: case OPTK_PATH: case OPTK_LIST: *(const char **)d = o->def_str; break;
        case OPTK_CUSTOM:
            if (o->def_str)
                o->parse(o, o->def_str, d);
            break;
        default: break;
        }
    }
}

int edit_distance(const char *a, const char *b, int cap)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return cap + 1;
    int d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1; /* a transposition: "stpes" */
            d[i][j] = v;
        }
    return d[la][lb] > cap ? cap + 1 : d[la][lb];
}

/* Whether word is part of candidate with its symbols spelled out, as users
 * type them: "plusplus" for "gradcam++". */
static int spelled_part(const char *word, const char *candidate)
{
    char spelled[128];
    size_t n = 0;
    for (const char *c = candidate; *c && n + 5 < sizeof spelled; c++) {
        if (*c == '+') {
            memcpy(spelled + n, "plus", 4);
            n += 4;
        } else {
            spelled[n++] = *c;
        }
    }
    spelled[n] = '\0';
    return strlen(word) >= 4 && strcmp(spelled, candidate) != 0 && strstr(spelled, word);
}

/* How far word is from candidate for suggestions: a candidate that starts
 * with word, or holds it once its symbols are spelled out, is one edit away. */
static int suggest_distance(const char *word, const char *candidate)
{
    size_t wl = strlen(word);
    if ((wl >= 2 && strncmp(candidate, word, wl) == 0) || spelled_part(word, candidate))
        return 1;
    return edit_distance(word, candidate, SUGGEST_DISTANCE);
}

/* "--steps or --stride" or "": the words of list closest to word (within
 * SUGGEST_DISTANCE; see suggest_distance). */
static void close_words(const char *word, const char *const *list, int nlist,
                        const char *dashes, char *buf, size_t size)
{
    size_t used = 0;
    int best = SUGGEST_DISTANCE + 1, shown = 0;
    buf[0] = '\0';
    for (int i = 0; i < nlist; i++) {
        int d = suggest_distance(word, list[i]);
        best = d < best ? d : best;
    }
    int match[3];
    for (int i = 0; i < nlist && best <= SUGGEST_DISTANCE && shown < 3; i++)
        if (suggest_distance(word, list[i]) == best)
            match[shown++] = i;
    for (int k = 0; k < shown && used < size; k++) /* "a", "a or b", "a, b or c" */
        used += (size_t)snprintf(buf + used, size - used, "%s%s%s",
                                 k == 0 ? "" : k == shown - 1 ? " or " : ", ", dashes,
                                 list[match[k]]);
}

static int unknown_long(const char *cmd, const char *name, const struct opt_row *rows, int n)
{
    const char *names[OPT_MAX_ROWS + 1];
    int k = 0;
    for (int i = 0; i < n; i++)
        names[k++] = rows[i].o->name;
    names[k++] = "help";
    char close[256], elsewhere[1024] = "";
    close_words(name, names, k, "--", close, sizeof close);
    if (*close)
        return fail(EXIT_USAGE, "unknown option --%s (did you mean %s?)", name, close);
    if (opts_commands_with)
        opts_commands_with(name, elsewhere, sizeof elsewhere);
    if (*elsewhere)
        return fail(EXIT_USAGE, "--%s is not an option of %s (it is one of: %s)", name, cmd,
                    elsewhere);
    return fail(EXIT_USAGE, "unknown option --%s (see --help)", name);
}

static int bad_int(const struct opt *o, const char *shown, const char *arg, int quote)
{
    return fail(EXIT_USAGE, "%s must be an integer from %.0f to %.0f, got %s%s%s", shown,
                o->min, o->max, quote ? "'" : "", arg, quote ? "'" : "");
}

static int bad_real(const struct opt *o, const char *shown, const char *arg, int quote)
{
    return fail(EXIT_USAGE, "%s must be a number from %g to %g, got %s%s%s", shown, o->min,
                o->max, quote ? "'" : "", arg, quote ? "'" : "");
}

static int words_count(const char *const *w)
{
    int n = 0;
    while (w && w[n])
        n++;
    return n;
}

static void join_words(const char *const *w, const char *sep, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; w && w[i] && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? sep : "", w[i]);
}

static int bad_word(const struct opt *o, const char *shown, const char *arg)
{
    char all[512], close[256];
    join_words(o->words, ", ", all, sizeof all);
    close_words(arg, o->words, words_count(o->words), "", close, sizeof close);
    if (*close)
        return fail(EXIT_USAGE, "%s must be one of %s; got '%s' (did you mean %s?)", shown, all,
                    arg, close);
    return fail(EXIT_USAGE, "%s must be one of %s; got '%s'", shown, all, arg);
}

static int word_index(const char *const *words, const char *arg, size_t len)
{
    for (int i = 0; words && words[i]; i++)
        if (strlen(words[i]) == len && strncmp(words[i], arg, len) == 0)
            return i;
    return -1;
}

int opts_word_index(const char *const *words, const char *word)
{
    return word_index(words, word, strlen(word));
}

static int check_list(const struct opt *o, const char *shown, const char *arg)
{
    if (!o->words)
        return EXIT_OK;
    for (const char *p = arg;; p++) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (word_index(o->words, p, len) < 0) {
            char item[128];
            snprintf(item, sizeof item, "%.*s", (int)len, p);
            return bad_word(o, shown, item);
        }
        if (!end)
            return EXIT_OK;
        p = end;
    }
}

/* Reads arg into the destination d of row o; shown names it in messages. */
static int set_value(const struct opt *o, void *d, const char *arg, const char *shown)
{
    char *end;
    switch (o->kind) {
    case OPTK_FLAG:
        *(int *)d = 1;
        return EXIT_OK;
    case OPTK_INT: {
        errno = 0;
        long v = strtol(arg, &end, 10);
        if (end == arg || *end != '\0' || errno == ERANGE) {
            int rc = o->parse ? o->parse(o, arg, NULL) : EXIT_OK; /* the row's own refusal */
            return rc ? rc : bad_int(o, shown, arg, 1);
        }
        if (v < o->min || v > o->max)
            return bad_int(o, shown, arg, 0);
        *(long *)d = v;
        return EXIT_OK;
    }
    case OPTK_REAL: {
        errno = 0;
        double v = strtod(arg, &end);
        if (end == arg || *end != '\0' || errno == ERANGE || !isfinite(v))
            return bad_real(o, shown, arg, 1);
        if (v < o->min || v > o->max)
            return bad_real(o, shown, arg, 0);
        *(double *)d = v;
        return EXIT_OK;
    }
    case OPTK_ENUM: {
        int i = word_index(o->words, arg, strlen(arg));
        if (i < 0)
            return bad_word(o, shown, arg);
        *(int *)d = i;
        return EXIT_OK;
    }
    case OPTK_STRING:
    case OPTK_PATH:
    case OPTK_LIST:
        if (!*arg)
            return fail(EXIT_USAGE, "%s needs a value, got an empty one", shown);
        if (o->kind == OPTK_LIST) {
            int rc = check_list(o, shown, arg);
            if (rc == EXIT_OK && o->parse)
                rc = o->parse(o, arg, NULL);
            if (rc)
                return rc;
        }
        *(const char **)d = arg;
        return EXIT_OK;
    case OPTK_CUSTOM:
        return o->parse(o, arg, d);
    default:
        return fail(EXIT_INTERNAL, "%s: bad option table", shown);
    }
}

/* The parser's state over one command line. */
struct parser {
    struct opt_row rows[OPT_MAX_ROWS];
    int n, given[OPT_MAX_ROWS];
    void *opts;
};

static int find_long(const struct parser *p, const char *name, size_t len)
{
    for (int i = 0; i < p->n; i++)
        if (strlen(p->rows[i].o->name) == len && strncmp(p->rows[i].o->name, name, len) == 0)
            return i;
    return -1;
}

static int find_letter(const struct parser *p, char c)
{
    for (int i = 0; i < p->n; i++)
        if (p->rows[i].o->letter == c)
            return i;
    return -1;
}

static int take(struct parser *p, int i, const char *arg, const char *shown)
{
    const struct opt *o = p->rows[i].o;
    if (p->given[i]++ && opt_takes_value(o))
        return fail(EXIT_USAGE, "%s takes no more than one value", shown);
    return set_value(o, dest(p->opts, p->rows[i].offset), arg, shown);
}

/* One "--name[=value]" word (value, if not attached, from argv[*i + 1]). */
static int long_option(struct parser *p, int argc, char **argv, int *i, int *help)
{
    const char *word = argv[*i] + 2, *eq = strchr(word, '=');
    size_t len = eq ? (size_t)(eq - word) : strlen(word);
    char shown[128], name[96];
    snprintf(name, sizeof name, "%.*s", (int)len, word);
    snprintf(shown, sizeof shown, "--%s", name);
    if (strcmp(name, "help") == 0) {
        *help = 1;
        return EXIT_OK;
    }
    int r = find_long(p, word, len);
    if (r < 0)
        return unknown_long(argv[0], name, p->rows, p->n);
    if (!opt_takes_value(p->rows[r].o)) {
        if (eq)
            return fail(EXIT_USAGE, "%s takes no value, got '%s'", shown, eq + 1);
        return take(p, r, NULL, shown);
    }
    if (eq)
        return take(p, r, eq + 1, shown);
    if (*i + 1 >= argc)
        return fail(EXIT_USAGE, "%s needs a value", shown);
    return take(p, r, argv[++*i], shown);
}

/* One "-abc" word: flags, and a letter whose value is the rest or the next word. */
static int short_options(struct parser *p, int argc, char **argv, int *i, int *help)
{
    const char *word = argv[*i];
    for (const char *c = word + 1; *c; c++) {
        if (*c == 'h') {
            *help = 1;
            return EXIT_OK;
        }
        int r = find_letter(p, *c);
        if (r < 0)
            return fail(EXIT_USAGE, "unknown option -%c (see --help)", *c);
        char shown[128];
        snprintf(shown, sizeof shown, "-%c (--%s)", *c, p->rows[r].o->name);
        if (!opt_takes_value(p->rows[r].o)) {
            int rc = take(p, r, NULL, shown);
            if (rc)
                return rc;
            continue;
        }
        if (c[1])
            return take(p, r, c + 1, shown);
        if (*i + 1 >= argc)
            return fail(EXIT_USAGE, "%s needs a value", shown);
        return take(p, r, argv[++*i], shown);
    }
    return EXIT_OK;
}

int opts_parse(const struct opt *table, void *opts, int argc, char **argv, int stop_after,
               struct opt_operands *ops, int *help)
{
    struct parser *p = calloc(1, sizeof *p);
    if (!p)
        return fail(EXIT_INTERNAL, "out of memory");
    p->n = opts_flatten(table, p->rows);
    p->opts = opts;
    *help = 0;
    *ops = (struct opt_operands){ .args = ops->args, .dashdash = -1 };
    int rc = EXIT_OK, only_operands = 0;
    for (int i = 1; rc == EXIT_OK && !*help && i < argc; i++) {
        const char *a = argv[i];
        if (only_operands || a[0] != '-' || a[1] == '\0') {
            ops->args[ops->n++] = argv[i];
            if (stop_after && ops->n >= stop_after)
                only_operands = 1;
        } else if (strcmp(a, "--") == 0) {
            if (ops->dashdash < 0)
                ops->dashdash = ops->n;
            only_operands = 1;
        } else if (a[1] == '-') {
            rc = long_option(p, argc, argv, &i, help);
        } else {
            rc = short_options(p, argc, argv, &i, help);
        }
    }
    if (ops->dashdash < 0)
        ops->dashdash = ops->n;
    free(p);
    return rc;
}

const struct opt *opts_find(const struct opt *table, const char *name, size_t *offset)
{
    struct opt_row rows[OPT_MAX_ROWS];
    int n = opts_flatten(table, rows);
    for (int i = 0; i < n; i++)
        if (strcmp(rows[i].o->name, name) == 0) {
            if (offset)
                *offset = rows[i].offset;
            return rows[i].o;
        }
    return NULL;
}

int opts_set(const struct opt *table, void *opts, const char *name, const char *value,
             const char *prefix)
{
    size_t offset;
    const struct opt *o = opts_find(table, name, &offset);
    if (!o) {
        struct opt_row rows[OPT_MAX_ROWS];
        const char *names[OPT_MAX_ROWS];
        int n = opts_flatten(table, rows);
        for (int i = 0; i < n; i++)
            names[i] = rows[i].o->name;
        char close[256];
        close_words(name, names, n, "", close, sizeof close);
        if (*close)
            return fail(EXIT_USAGE, "%s: unknown option '%s' (did you mean %s?)", prefix, name,
                        close);
        return fail(EXIT_USAGE, "%s: unknown option '%s'", prefix, name);
    }
    if (opt_takes_value(o) && !value)
        return fail(EXIT_USAGE, "%s needs a value (%s=VALUE)", prefix, name);
    if (!opt_takes_value(o) && value)
        return fail(EXIT_USAGE, "%s takes no value, got '%s'", prefix, value);
    return set_value(o, dest(opts, offset), value, prefix);
}

const char *opt_metavar(const struct opt *o, char *buf, size_t size)
{
    if (o->metavar)
        return o->metavar;
    switch (o->kind) {
    case OPTK_INT: return "N";
    case OPTK_REAL: return "X";
    case OPTK_PATH: return "PATH";
    case OPTK_LIST: return "LIST";
    case OPTK_ENUM:
        join_words(o->words, "|", buf, size);
        return strlen(buf) <= SHORT_WORDS ? buf : "WORD";
    default: return "VALUE";
    }
}

const char *opt_default_text(const struct opt *o, char *buf, size_t size)
{
    buf[0] = '\0';
    if (o->default_text)
        return o->default_text;
    switch (o->kind) {
    case OPTK_INT: snprintf(buf, size, "%ld", (long)o->def); break;
    case OPTK_REAL: snprintf(buf, size, "%g", o->def); break;
    case OPTK_ENUM: snprintf(buf, size, "%s", o->words[(int)o->def]); break;
    case OPTK_STRING: case OPTK_PATH: case OPTK_LIST: case OPTK_CUSTOM:
        if (o->def_str)
            snprintf(buf, size, "%s", o->def_str);
        break;
    default: break;
    }
    return buf;
}

/* The help text of a row with its allowed words and default added. */
static void full_help(const struct opt *o, char *buf, size_t size)
{
    char mv[256], def[256], words[512] = "";
    size_t used = (size_t)snprintf(buf, size, "%s", o->help ? o->help : "");
    if (o->kind == OPTK_ENUM && strcmp(opt_metavar(o, mv, sizeof mv), "WORD") == 0) {
        join_words(o->words, ", ", words, sizeof words);
        used += (size_t)snprintf(buf + used, used < size ? size - used : 0, "; one of: %s", words);
    }
    const char *d = opt_default_text(o, def, sizeof def);
    if (*d && used < size)
        snprintf(buf + used, size - used, " (default: %s)", d);
}

/* Writes text from HELP_COLUMN, wrapping at HELP_WIDTH with continuation
 * lines indented to HELP_COLUMN. */
static void wrap(FILE *f, const char *text)
{
    int col = HELP_COLUMN;
    while (*text) {
        while (*text == ' ')
            text++;
        size_t len = strcspn(text, " ");
        if (col > HELP_COLUMN && col + 1 + (int)len > HELP_WIDTH) {
            fprintf(f, "\n%*s", HELP_COLUMN, "");
            col = HELP_COLUMN;
        } else if (col > HELP_COLUMN) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", (int)len, text);
        col += (int)len;
        text += len;
    }
    fputc('\n', f);
}

void opts_print_help(FILE *f, const struct opt *table)
{
    struct opt_row rows[OPT_MAX_ROWS];
    int n = opts_flatten(table, rows);
    const char *heading = NULL;
    fputs("Options:\n  -h, --help         show this help\n", f);
    for (int i = 0; i < n; i++) {
        const struct opt *o = rows[i].o;
        if (rows[i].heading != heading) {
            heading = rows[i].heading;
            if (heading)
                fprintf(f, "\n%s:\n", heading);
        }
        char left[128], mv[256], help[1024];
        const char *value = opt_takes_value(o) ? opt_metavar(o, mv, sizeof mv) : "";
        int len;
        if (o->letter)
            len = snprintf(left, sizeof left, "  -%c, --%s%s%s", o->letter, o->name,
                           *value ? " " : "", value);
        else
            len = snprintf(left, sizeof left, "  --%s%s%s", o->name, *value ? " " : "", value);
        full_help(o, help, sizeof help);
        fputs(left, f);
        if (len >= HELP_COLUMN)
            fprintf(f, "\n%*s", HELP_COLUMN, "");
        else
            fprintf(f, "%*s", HELP_COLUMN - len, "");
        wrap(f, help);
    }
}
