/* resume.c - a run's key and the check that an image's outputs are done. */
#include "resume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "fsutil.h"
#include "image.h"
#include "report.h"
#include "sha256.h"

/* A summary JSON is a few kB; anything this large is not one. */
#define MAX_SUMMARY_BYTES (64L * 1024 * 1024)

int run_key_make(const struct opt *table, const void *opts, const char *method,
                 const struct model_info *model, char key[RUN_KEY_HEX])
{
    char *options;
    int rc = opts_fingerprint(table, opts, &options);
    if (rc)
        return rc;
    size_t n = strlen(options) + 512;
    char *text = malloc(n);
    if (!text) {
        free(options);
        return fail(EXIT_INTERNAL, "out of memory");
    }
    int len = snprintf(text, n, "attrib %s\nlibtorch %s\ndevice %s\nmodel %s\nmethod %s\n%s",
                       ATTRIB_VERSION, model->libtorch ? model->libtorch : "",
                       model->device ? model->device : "", model->sha256, method, options);
    sha256_hex(text, (size_t)len, key);
    free(text);
    free(options);
    return EXIT_OK;
}

/* Every output the summary lists is a non-empty file. */
static int outputs_present(const cJSON *summary)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(summary, "outputs")) {
        struct stat st;
        if (!cJSON_IsString(f) || stat(f->valuestring, &st) != 0 || !S_ISREG(st.st_mode) ||
            st.st_size == 0)
            return 0;
    }
    return 1;
}

int resume_done(const char *key, const char *image_path, long target, const char *json_path,
                cJSON **summary)
{
    struct stat st;
    *summary = NULL;
    if (stat(json_path, &st) != 0)
        return 0; /* not done yet: the usual case */
    unsigned char *data;
    size_t len;
    if (read_file(json_path, MAX_SUMMARY_BYTES, EXIT_INPUT, &data, &len)) {
        report_warning("resume", "%s: recomputed (%s)", image_path, error_message());
        clear_error();
        return 0;
    }
    cJSON *j = cJSON_ParseWithLength((const char *)data, len);
    free(data);
    if (!j || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "outputs"))) {
        report_warning("resume", "%s: recomputed ('%s' is not a summary attrib wrote)", image_path,
                       json_path);
        cJSON_Delete(j);
        return 0;
    }
    char sha[65];
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "target"),
                                                      "index");
    /* Another key (options, model, versions changed), other image bytes or
     * another given class: an earlier run's result for something else. */
    int done = strcmp(record_text(j, "run_key", NULL), key) == 0 &&
               image_file_sha256(image_path, sha) == 0 &&
               strcmp(record_text(j, "image", "sha256"), sha) == 0 &&
               (target < 0 || (cJSON_IsNumber(t) && t->valuedouble == (double)target)) &&
               outputs_present(j);
    if (done)
        *summary = j;
    else
        cJSON_Delete(j);
    return done;
}
