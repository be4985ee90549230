/* methodlist.c - parsing and opening a list of methods with settings. */
#include "methodlist.h"

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "methods/methods.h"

int method_list_parse(struct method_list *l, const char *arg, const char *option,
                      const char *extra)
{
    memset(l, 0, sizeof *l);
    if (strlen(arg) >= sizeof l->text)
        return fail(EXIT_USAGE, "%s: list too long", option);
    snprintf(l->text, sizeof l->text, "%s", arg);
    for (char *save = NULL, *name = strtok_r(l->text, ",", &save); name;
         name = strtok_r(NULL, ",", &save)) {
        if (l->n == METHOD_LIST_MAX)
            return fail(EXIT_USAGE, "%s: at most %d methods", option, METHOD_LIST_MAX);
        for (int k = 0; k < l->n; k++)
            if (strcmp(l->names[k], name) == 0)
                return fail(EXIT_USAGE, "%s: '%s' given twice", option, name);
        char what[256], *colon = strchr(name, ':');
        l->names[l->n] = name;
        if (colon) /* "name:settings": the name ends here, the settings are checked */
            *colon = '\0';
        const struct method *m = method_find(name);
        int is_extra = extra && strcmp(name, extra) == 0;
        if (!is_extra && !m) {
            char all[512];
            method_names(all, sizeof all, 0);
            return fail(EXIT_USAGE, "%s: unknown method '%s'; methods: %s%s%s", option, name,
                        extra ? extra : "", extra ? ", " : "", all);
        }
        if (colon && is_extra)
            return fail(EXIT_USAGE, "%s: %s takes no options", option, extra);
        snprintf(what, sizeof what, "%s %s", option, name);
        int rc = m && colon ? explain_check_settings(m, colon + 1, what) : EXIT_OK;
        if (colon)
            *colon = ':'; /* the name as given names the method in the outputs */
        if (rc)
            return rc;
        l->methods[l->n] = is_extra ? NULL : m;
        l->settings[l->n++] = colon ? colon + 1 : NULL;
    }
    return l->n ? EXIT_OK : fail(EXIT_USAGE, "%s: no method given", option);
}

int method_list_open(const struct method_list *l, struct explain_run *runs, int *opened,
                     const struct model *model, const struct model_opts *mo, const char *option)
{
    for (int k = 0; k < l->n; k++) {
        opened[k] = 0;
        if (!l->methods[k])
            continue;
        char what[256];
        snprintf(what, sizeof what, "%s %s", option, l->methods[k]->name);
        int rc = explain_run_open(&runs[k], l->methods[k], model, mo, l->settings[k], what);
        opened[k] = 1;
        if (rc)
            return rc;
    }
    return EXIT_OK;
}

void method_list_close(const struct method_list *l, struct explain_run *runs, int *opened)
{
    for (int k = 0; k < l->n; k++)
        if (opened[k]) {
            explain_run_close(&runs[k]);
            opened[k] = 0;
        }
}

int method_list_width(const struct method_list *l, int min)
{
    int w = min;
    for (int k = 0; k < l->n; k++)
        if ((int)strlen(l->names[k]) > w)
            w = (int)strlen(l->names[k]);
    return w;
}
