/* batch.c - the per-image loop every subcommand shares. */
#include "batch.h"

#include "error.h"

int for_each_image(const char *cmd, char **paths, int n,
                   int (*one)(void *ctx, const char *path), void *ctx)
{
    int worst = EXIT_OK;
    for (int i = 0; i < n; i++) {
        int rc = one(ctx, paths[i]);
        if (rc == EXIT_OK)
            continue;
        if (rc != EXIT_INPUT)
            return rc; /* main() reports it */
        report_error(cmd, error_message());
        clear_error();
        worst = rc;
    }
    return worst;
}
