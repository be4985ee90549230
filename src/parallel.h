/* parallel.h - a loop over independent items on a few threads, for the C
 * work between model passes (classviz's parameterisation and transforms
 * over images and colour planes). Each item's result must not depend on
 * which thread runs it: the output is then the same for any thread count. */
#ifndef ATTRIB_PARALLEL_H
#define ATTRIB_PARALLEL_H

#include <pthread.h>

/* The most workers a loop uses (callers size per-worker scratch by it). */
#define PARALLEL_MAX_WORKERS 8

/* fn(ctx, item, worker) for every item in [0, n), on up to workers threads
 * (worker 0 is the calling thread; worker < workers). Items are handed out
 * in order from a shared counter. Where a thread cannot be started, the
 * others (at least the caller) do its share. */
typedef void (*parallel_fn)(void *ctx, int item, int worker);
void parallel_for(int n, int workers, parallel_fn fn, void *ctx);

/* A task on a thread of its own beside the caller's work (the pipeline's
 * step beside the network's passes): started, then joined. Where no thread
 * can be started, or when inline is set, the task runs in the caller at
 * once, so the result is the same either way. */
struct background {
    void (*fn)(void *ctx);
    void *ctx;
    int started; /* a thread runs it; join waits for it */
    pthread_t tid;
};
void background_start(struct background *b, void (*fn)(void *ctx), void *ctx, int inline_);
void background_join(struct background *b);

#endif
