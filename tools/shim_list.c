/* shim_list.c - a build step: reads attrib/shim.h and writes the X-macro
 * lists the lazy loader (src/shim_loader.c) expands into its forwarders,
 * so that each function of the shim's API is written twice (its prototype
 * in shim.h, its definition in shim/), not again in the loader.
 *
 *   shim_list SHIM_H OUT_H
 *
 * SHIM_FUNCTIONS(X) gets X(ret, name, (params), (args), failure) for each
 * function that returns a value; failure is what the call returns when the
 * library cannot be loaded. SHIM_RELEASERS(X) gets X(name, param, arg) for
 * each void function of one handle (the frees). attrib_last_error is the
 * loader's own. The header is read as this project writes it: prototypes
 * at file scope, each ending in ';'; anything else it cannot read fails
 * the build with the statement it stopped at. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TEXT (1 << 20)

static char text[MAX_TEXT];

/* The file without comments, preprocessor lines and what
 * #ifdef __cplusplus ... #endif holds (extern "C"'s braces). */
static size_t read_clean(FILE *f)
{
    size_t n = 0;
    int in_comment = 0, in_cplusplus = 0;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        const char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        if (!in_comment && *s == '#') {
            if (strncmp(s, "#ifdef __cplusplus", 18) == 0)
                in_cplusplus = 1;
            else if (strncmp(s, "#endif", 6) == 0)
                in_cplusplus = 0;
            continue;
        }
        if (in_cplusplus)
            continue;
        for (const char *c = line; *c; c++) {
            if (in_comment) {
                if (c[0] == '*' && c[1] == '/')
                    in_comment = 0, c++;
                continue;
            }
            if (c[0] == '/' && c[1] == '*') {
                in_comment = 1, c++;
                continue;
            }
            if (n + 2 >= MAX_TEXT)
                return 0;
            text[n++] = *c == '\n' || *c == '\t' ? ' ' : *c;
        }
    }
    text[n] = '\0';
    return n;
}

/* s with every run of spaces made one, in place. */
static char *squeeze(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++)
        if (*r != ' ' || (w > s && w[-1] != ' '))
            *w++ = *r;
    *w = '\0';
    return s;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* The parameter's name: its last identifier, before any [N]. */
static int param_name(const char *param, char *out, size_t size)
{
    const char *e = param + strlen(param);
    while (e > param && (isspace((unsigned char)e[-1]) || e[-1] == ']')) {
        if (e[-1] == ']')
            while (e > param && e[-1] != '[')
                e--;
        e--;
    }
    const char *s = e;
    while (s > param && (isalnum((unsigned char)s[-1]) || s[-1] == '_'))
        s--;
    if (s == e || (size_t)(e - s) >= size)
        return 0;
    snprintf(out, size, "%.*s", (int)(e - s), s);
    return 1;
}

/* One prototype: "RET NAME(PARAMS)". */
static int emit(char *decl, FILE *funcs, FILE *releasers)
{
    char *open = strchr(decl, '('), *close = strrchr(decl, ')');
    if (!open || !close || close < open)
        return 0;
    *open = '\0', *close = '\0';
    char *head = trim(decl), *params = squeeze(trim(open + 1));
    char *name = head + strlen(head);
    while (name > head && (isalnum((unsigned char)name[-1]) || name[-1] == '_'))
        name--;
    if (!*name || name == head)
        return 0;
    char ret[256];
    snprintf(ret, sizeof ret, "%.*s", (int)(name - head), head);
    char *r = trim(ret);
    if (strcmp(name, "attrib_last_error") == 0)
        return 1;
    char args[1024] = "", copy[1024];
    snprintf(copy, sizeof copy, "%s", params);
    if (strcmp(params, "void") != 0) {
        for (char *save = NULL, *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
            char arg[128];
            if (!param_name(p, arg, sizeof arg))
                return 0;
            strcat(args, *args ? ", " : "");
            strcat(args, arg);
        }
    }
    if (strcmp(r, "void") == 0) {
        if (strchr(args, ','))
            return 0;
        fprintf(releasers, "    X(%s, %s, %s) \\\n", name, params, args);
        return 1;
    }
    char failure[300];
    if (strcmp(r, "attrib_status") == 0)
        snprintf(failure, sizeof failure, "ATTRIB_E_MODEL");
    else if (strcmp(name, "attrib_libtorch_version") == 0)
        snprintf(failure, sizeof failure, "\"unknown\"");
    else
        snprintf(failure, sizeof failure, "(%s){ 0 }", r);
    fprintf(funcs, "    X(%s, %s, (%s), (%s), %s) \\\n", r, name, params, args, failure);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: shim_list SHIM_H OUT_H\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "r");
    if (!in || !read_clean(in)) {
        fprintf(stderr, "shim_list: cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(in);
    char funcs_buf[1 << 16], rel_buf[1 << 12];
    FILE *funcs = fmemopen(funcs_buf, sizeof funcs_buf, "w");
    FILE *releasers = fmemopen(rel_buf, sizeof rel_buf, "w");
    int depth = 0, count = 0;
    char *start = text;
    for (char *c = text; *c; c++) {
        if (*c == '{')
            depth++;
        else if (*c == '}')
            depth--;
        else if (*c == ';' && depth == 0) {
            *c = '\0';
            char *stmt = trim(start);
            start = c + 1;
            if (strncmp(stmt, "typedef", 7) == 0 || !strchr(stmt, '('))
                continue;
            if (!emit(stmt, funcs, releasers)) {
                fprintf(stderr, "shim_list: %s: cannot read the declaration '%s'\n", argv[1],
                        stmt);
                return 1;
            }
            count++;
        }
    }
    fclose(funcs);
    fclose(releasers);
    FILE *out = fopen(argv[2], "w");
    if (!out || count == 0) {
        fprintf(stderr, "shim_list: %s\n", count ? "cannot write the list" : "no function found");
        return 1;
    }
    fprintf(out, "/* Made from attrib/shim.h by tools/shim_list.c: do not edit. */\n"
                 "#define SHIM_FUNCTIONS(X) \\\n%s\n#define SHIM_RELEASERS(X) \\\n%s\n",
            funcs_buf, rel_buf);
    return fclose(out) == 0 ? 0 : 1;
}
