/* A small seeded generator (splitmix64 to seed xoshiro256**).  Every random
 * choice in Strata goes through one of these, so a seed reproduces a run. */
#ifndef STRATA_RNG_H
#define STRATA_RNG_H

#include <stdint.h>

typedef struct { uint64_t s[4]; } strata_rng;

static inline uint64_t strata_splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Streams for different purposes (sampling, restart r) never overlap in
 * practice: the stream id is mixed into the seed. */
static inline void strata_rng_seed(strata_rng *r, uint64_t seed, uint64_t stream) {
  uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
  for (int i = 0; i < 4; i++) r->s[i] = strata_splitmix64(&x);
}

static inline uint64_t strata_rng_next(strata_rng *r) {
  uint64_t *s = r->s;
  uint64_t t = s[1] << 17;
  uint64_t result = s[1] * 5;
  result = ((result << 7) | (result >> 57)) * 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = (s[3] << 45) | (s[3] >> 19);
  return result;
}

/* Uniform double in [0, 1). */
static inline double strata_rng_uniform(strata_rng *r) {
  return (double)(strata_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), n > 0, without modulo bias (Lemire). */
static inline uint64_t strata_rng_below(strata_rng *r, uint64_t n) {
  uint64_t x = strata_rng_next(r);
  __uint128_t m = (__uint128_t)x * n;
  uint64_t l = (uint64_t)m;
  if (l < n) {
    uint64_t t = (0 - n) % n;
    while (l < t) {
      x = strata_rng_next(r);
      m = (__uint128_t)x * n;
      l = (uint64_t)m;
    }
  }
  return (uint64_t)(m >> 64);
}

#endif
