/* methodlist.h - a list of attribution methods with their own settings, as
 * eval and sanity take it: "saliency,integrated-gradients:steps=16". */
#ifndef ATTRIB_METHODLIST_H
#define ATTRIB_METHODLIST_H

#include "explain/explain.h"

#define METHOD_LIST_MAX 32
#define METHOD_LIST_TEXT 1024

struct method_list {
    int n;
    char text[METHOD_LIST_TEXT];           /* the list, split in place */
    const char *names[METHOD_LIST_MAX];    /* as given: "integrated-gradients:steps=10" */
    const char *settings[METHOD_LIST_MAX]; /* what follows the name's ':', or NULL */
    const struct method *methods[METHOD_LIST_MAX]; /* NULL for the extra name */
};

/* Parses arg into l, checking each method's name and settings against its
 * option table; messages name option ("--methods"). extra: one name that is
 * not a method but is allowed without settings (eval's "random"), or NULL.
 * EXIT_OK or EXIT_USAGE. */
int method_list_parse(struct method_list *l, const char *arg, const char *option,
                      const char *extra);

/* Opens a run of every method of l on model (runs[k]; the extra name's
 * stays closed, opened[k] 0). Close with method_list_close. */
int method_list_open(const struct method_list *l, struct explain_run *runs, int *opened,
                     const struct model *model, const struct model_opts *mo, const char *option);
void method_list_close(const struct method_list *l, struct explain_run *runs, int *opened);

/* The longest name as given, at least min: a table's first column. */
int method_list_width(const struct method_list *l, int min);

#endif
