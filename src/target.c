/* target.c - --target SPEC parsed: class:N, segment:CLASS[@MASK],
 * similar-to:IMAGE|VECTOR.npy (target.h). */
#include "target.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "card.h"
#include "error.h"
#include "options.h"

const char *const target_kind_names[] = { "class", "segment", "similar-to", "box", NULL };
const char *const target_words[] = { "class:", "segment:", "similar-to:", "box:", NULL };

#define TARGET_FORMS                                                                        \
    "class:N, segment:CLASS, segment:CLASS@MASK.png, similar-to:IMAGE|VECTOR.npy or "       \
    "box:X,Y,W,H[:CLASS]"

/* A class number in [0, CARD_MAX_LABELS) from text ending at end or '\0'. */
static int parse_class(const char *text, const char *end, const char *arg, long *out)
{
    char *stop = NULL;
    long v = strtol(text, &stop, 10);
    if (stop == text || stop != end || *text == '-' || *text == '+' || v < 0 ||
        v >= CARD_MAX_LABELS)
        return fail(EXIT_USAGE, "--target %s: the class must be a number from 0 to %d", arg,
                    CARD_MAX_LABELS - 1);
    *out = v;
    return EXIT_OK;
}

/* box:X,Y,W,H[:CLASS]: four numbers (the box in input pixels), a class. */
static int parse_box(const char *value, const char *arg, struct target_spec *t)
{
    const char *p = value;
    for (int i = 0; i < 4; i++) {
        char *stop = NULL;
        t->box[i] = strtod(p, &stop);
        char want = i < 3 ? ',' : '\0';
        if (stop == p || !isfinite(t->box[i]) || (*stop != want && !(i == 3 && *stop == ':')))
            return fail(EXIT_USAGE, "--target %s: a box is X,Y,W,H in the model's input pixels, "
                        "then :CLASS if it must be of that class", arg);
        p = *stop ? stop + 1 : stop;
        if (i == 3 && *stop == ':')
            return parse_class(p, p + strlen(p), arg, &t->cls);
    }
    return EXIT_OK;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcasecmp(s + n - t, tail) == 0;
}

int parse_target(const struct opt *o, const char *arg, void *dest)
{
    (void)o;
    struct target_spec t = { .kind = TARGET_CLASS, .cls = -1 };
    if (!*arg)
        return fail(EXIT_USAGE, "--target needs a value, got an empty one");
    const char *colon = strchr(arg, ':');
    const char *value = colon ? colon + 1 : arg;
    size_t kind_len = colon ? (size_t)(colon - arg) : 0;
    int rc = EXIT_OK;
    if (strcmp(arg, TARGET_PREDICTED) == 0) {
        t.cls = -1;
    } else if (!colon || (kind_len == 5 && strncmp(arg, "class", 5) == 0)) {
        rc = parse_class(value, value + strlen(value), arg, &t.cls);
    } else if (kind_len == 7 && strncmp(arg, "segment", 7) == 0) {
        const char *at = strchr(value, '@');
        t.kind = TARGET_SEGMENT;
        rc = parse_class(value, at ? at : value + strlen(value), arg, &t.cls);
        if (rc == EXIT_OK && at && !at[1])
            rc = fail(EXIT_USAGE, "--target %s: no mask file after '@'", arg);
        t.path = at ? at + 1 : NULL;
    } else if (kind_len == 3 && strncmp(arg, "box", 3) == 0) {
        t.kind = TARGET_BOX;
        rc = parse_box(value, arg, &t);
        if (rc == EXIT_OK && !(t.box[2] > 0 && t.box[3] > 0))
            rc = fail(EXIT_USAGE, "--target %s: the box's width and height must be positive", arg);
    } else if (kind_len == 10 && strncmp(arg, "similar-to", 10) == 0) {
        t.kind = TARGET_SIMILAR;
        t.path = value;
        t.vector = ends_with(value, ".npy");
        if (!*value)
            rc = fail(EXIT_USAGE, "--target %s: no reference image or vector after ':'", arg);
    } else {
        rc = fail(EXIT_USAGE, "--target must be " TARGET_FORMS ", got '%s'", arg);
    }
    if (rc == EXIT_OK)
        *(struct target_spec *)dest = t;
    return rc;
}

void format_target(const void *dest, char *buf, size_t size)
{
    const struct target_spec *t = dest;
    switch (t->kind) {
    case TARGET_SEGMENT:
        if (t->path)
            snprintf(buf, size, "segment:%ld@%s", t->cls, t->sha256);
        else
            snprintf(buf, size, "segment:%ld", t->cls);
        break;
    case TARGET_BOX:
        snprintf(buf, size, "box:%.17g,%.17g,%.17g,%.17g:%ld", t->box[0], t->box[1], t->box[2],
                 t->box[3], t->cls);
        break;
    case TARGET_SIMILAR:
        snprintf(buf, size, "similar-to:%s:%s", t->vector ? "vector" : "image", t->sha256);
        break;
    default:
        if (t->cls < 0)
            snprintf(buf, size, "%s", TARGET_PREDICTED);
        else
            snprintf(buf, size, "class:%ld", t->cls);
    }
}
