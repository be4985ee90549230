/* batch.h - running a subcommand over many images. */
#ifndef ATTRIB_BATCH_H
#define ATTRIB_BATCH_H

/* Runs one(ctx, path) for each path. An image that fails with EXIT_INPUT
 * is reported on stderr and the rest still run; any other failure (model,
 * output, usage) stops the loop. Returns the worst exit code seen. */
int for_each_image(const char *cmd, char **paths, int n,
                   int (*one)(void *ctx, const char *path), void *ctx);

#endif
