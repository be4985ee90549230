/* rng.h - seeded random numbers, the same on every machine. */
#ifndef ATTRIB_RNG_H
#define ATTRIB_RNG_H

#include <stdint.h>

/* xoshiro256** seeded with splitmix64: the same seed gives the same
 * numbers on every machine. */
struct rng {
    uint64_t s[4];
};
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
double rng_uniform(struct rng *r);        /* [0, 1) */
double rng_normal(struct rng *r);         /* standard normal */
int rng_range(struct rng *r, int lo, int hi); /* uniform in [lo, hi] */

#endif
