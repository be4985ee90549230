/* parallel.c - a loop over independent items on a few threads (see
 * parallel.h). Threads are started per loop: the loops it serves take
 * milliseconds, a start tens of microseconds. */
#include "parallel.h"

#include <pthread.h>
#include <stdatomic.h>

struct loop {
    int n;
    atomic_int next;
    parallel_fn fn;
    void *ctx;
};

struct worker {
    struct loop *loop;
    int index;
};

static void drain(struct loop *l, int worker)
{
    for (int i; (i = atomic_fetch_add(&l->next, 1)) < l->n;)
        l->fn(l->ctx, i, worker);
}

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    drain(w->loop, w->index);
    return NULL;
}

void parallel_for(int n, int workers, parallel_fn fn, void *ctx)
{
    struct loop l = { .n = n, .fn = fn, .ctx = ctx };
    atomic_init(&l.next, 0);
    if (workers > PARALLEL_MAX_WORKERS)
        workers = PARALLEL_MAX_WORKERS;
    if (workers > n)
        workers = n;
    pthread_t tid[PARALLEL_MAX_WORKERS];
    struct worker w[PARALLEL_MAX_WORKERS];
    int started[PARALLEL_MAX_WORKERS] = { 0 };
    for (int t = 1; t < workers; t++) {
        w[t] = (struct worker){ &l, t };
        started[t] = pthread_create(&tid[t], NULL, run_worker, &w[t]) == 0;
    }
    drain(&l, 0);
    for (int t = 1; t < workers; t++)
        if (started[t])
            pthread_join(tid[t], NULL);
}

static void *run_background(void *arg)
{
    struct background *b = arg;
    b->fn(b->ctx);
    return NULL;
}

void background_start(struct background *b, void (*fn)(void *ctx), void *ctx, int inline_)
{
    *b = (struct background){ .fn = fn, .ctx = ctx };
    if (!inline_ && pthread_create(&b->tid, NULL, run_background, b) == 0) {
        b->started = 1;
        return;
    }
    fn(ctx);
}

void background_join(struct background *b)
{
    if (b->started)
        pthread_join(b->tid, NULL);
    b->started = 0;
}
