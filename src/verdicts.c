/* verdicts.c - printing and recording a check's pairs. */
#include "verdicts.h"

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "fsutil.h"

const char *const verdict_format_names[] = { "text", "github", NULL };

static int pair_ok(const cJSON *p)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "ok"));
}

static double pair_number(const cJSON *p, const char *key)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, key));
}

static const char *pair_text(const cJSON *p, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(p, key));
    return s ? s : "";
}

void verdicts_count(const cJSON *pairs, int *passed, int *failed)
{
    const cJSON *p;
    *passed = *failed = 0;
    cJSON_ArrayForEach(p, pairs) {
        if (pair_ok(p))
            ++*passed;
        else
            ++*failed;
    }
}

void verdicts_print_json(const cJSON *pairs)
{
    int passed, failed;
    verdicts_count(pairs, &passed, &failed);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "passed", passed);
    cJSON_AddNumberToObject(o, "failed", failed);
    cJSON_AddItemReferenceToObject(o, "pairs", (cJSON *)pairs);
    char *s = cJSON_PrintUnformatted(o);
    if (s)
        puts(s);
    cJSON_free(s);
    cJSON_Delete(o);
}

/* GitHub's workflow commands: %, CR and LF escaped in the message; also
 * ',' and ':' in properties. */
static void github_escaped(const char *s, int property)
{
    for (; *s; s++) {
        if (*s == '%')
            fputs("%25", stdout);
        else if (*s == '\r')
            fputs("%0D", stdout);
        else if (*s == '\n')
            fputs("%0A", stdout);
        else if (property && *s == ',')
            fputs("%2C", stdout);
        else if (property && *s == ':')
            fputs("%3A", stdout);
        else
            putchar(*s);
    }
}

void verdicts_print(const cJSON *pairs, enum verdict_format f, int quiet, const char *where)
{
    const cJSON *p;
    int passed, failed;
    verdicts_count(pairs, &passed, &failed);
    cJSON_ArrayForEach(p, pairs) {
        int ok = pair_ok(p);
        if (quiet && ok)
            continue;
        printf("%s %s", ok ? "ok  " : "FAIL", pair_text(p, "file"));
        if (cJSON_GetObjectItemCaseSensitive(p, "pearson"))
            printf("  max %.2e  mean %.2e  pearson %.6f  spearman %.6f  iou %.3f",
                   pair_number(p, "max_abs"), pair_number(p, "mean_abs"),
                   pair_number(p, "pearson"), pair_number(p, "spearman"), pair_number(p, "iou"));
        else if (cJSON_GetObjectItemCaseSensitive(p, "max_diff"))
            printf("  max diff %.2e", pair_number(p, "max_diff"));
        if (!ok)
            printf("  (%s)", pair_text(p, "why"));
        putchar('\n');
    }
    if (f == VERDICT_GITHUB)
        cJSON_ArrayForEach(p, pairs) {
            if (pair_ok(p))
                continue;
            fputs("::error file=", stdout);
            if (*pair_text(p, "path")) { /* the file that holds the pair (values.json) */
                github_escaped(pair_text(p, "path"), 1);
            } else {
                github_escaped(where && *where ? where : ".", 1);
                github_escaped("/", 1);
                github_escaped(pair_text(p, "file"), 1);
            }
            fputs(",title=attrib golden::", stdout);
            github_escaped(pair_text(p, "file"), 0);
            github_escaped(": ", 0);
            github_escaped(pair_text(p, "why"), 0);
            putchar('\n');
        }
    printf("%d passed, %d failed\n", passed, failed);
}

static void xml(struct buffer *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': buffer_append(b, "&amp;", 5); break;
        case '<': buffer_append(b, "&lt;", 4); break;
        case '>': buffer_append(b, "&gt;", 4); break;
        case '"': buffer_append(b, "&quot;", 6); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t' || *s == '\n')
                buffer_append(b, s, 1); /* XML 1.0 has no other control characters */
        }
    }
}

static void put(struct buffer *b, const char *s)
{
    buffer_append(b, s, strlen(s));
}

int verdicts_junit(const cJSON *pairs, const char *suite, const char *path)
{
    int passed, failed;
    verdicts_count(pairs, &passed, &failed);
    struct buffer b = { 0 };
    char num[96];
    put(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"");
    xml(&b, suite);
    snprintf(num, sizeof num, "\" tests=\"%d\" failures=\"%d\" errors=\"0\">\n", passed + failed,
             failed);
    put(&b, num);
    const cJSON *p;
    cJSON_ArrayForEach(p, pairs) {
        put(&b, "  <testcase classname=\"");
        xml(&b, suite);
        put(&b, "\" name=\"");
        xml(&b, pair_text(p, "file"));
        if (pair_ok(p)) {
            put(&b, "\"/>\n");
            continue;
        }
        put(&b, "\">\n    <failure message=\"");
        xml(&b, pair_text(p, "why"));
        put(&b, "\">");
        xml(&b, pair_text(p, "file"));
        put(&b, ": ");
        xml(&b, pair_text(p, "why"));
        put(&b, "</failure>\n  </testcase>\n");
    }
    put(&b, "</testsuite>\n</testsuites>\n");
    int rc = b.failed ? fail(EXIT_INTERNAL, "out of memory") : write_file_atomic(path, b.data, b.len);
    buffer_free(&b);
    return rc;
}
