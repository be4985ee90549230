/* rng.h - seeded random numbers, the same on every machine. */
#ifndef ATTRIB_RNG_H
#define ATTRIB_RNG_H

#include <stddef.h>
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
/* n standard normals into out: Box-Muller with both of its outputs (r cos,
 * then r sin, from one pair of uniforms), half the cost of rng_normal's
 * one per pair; an odd n drops the last sine. */
void rng_normals(struct rng *r, float *out, size_t n);

#endif
