/* check.h - a minimal test harness: each TEST is a statement of behaviour;
 * CHECKs record failures with file and line, and the run ends with the
 * plain "N passed, M failed" line. */
#ifndef ATTRIB_CHECK_H
#define ATTRIB_CHECK_H

#include <math.h>
#include <stdio.h>

extern int check_failures; /* failures within the current test */

#define CHECK(cond)                                                               \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
            check_failures++;                                                     \
        }                                                                         \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                     \
    do {                                                                          \
        double a_ = (a), b_ = (b);                                                \
        if (!(fabs(a_ - b_) <= (tol))) {                                          \
            fprintf(stderr, "  %s:%d: %s = %.9g, expected %.9g +- %g\n", __FILE__, \
                    __LINE__, #a, a_, b_, (double)(tol));                         \
            check_failures++;                                                     \
        }                                                                         \
    } while (0)

typedef void (*test_fn)(void);
struct test {
    const char *name;
    test_fn fn;
};

#endif
