/* The Hungarian method against brute force over every injective matching,
 * square and rectangular, k <= 7, with ties (small integer costs) and
 * without (uniform reals). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hungarian.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static double uniform(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (double)(rng_state >> 11) * 0x1.0p-53;
}

/* Least total over injective maps of the smaller side into the larger one. */
static double brute(const double *cost, size_t r, size_t c, size_t i, unsigned used, double acc,
                    double best) {
  size_t small = r <= c ? r : c, big = r <= c ? c : r;
  if (i == small) return acc < best ? acc : best;
  for (size_t j = 0; j < big; j++) {
    if (used & (1u << j)) continue;
    double a = r <= c ? cost[i * c + j] : cost[j * c + i];
    best = brute(cost, r, c, i + 1, used | (1u << j), acc + a, best);
  }
  return best;
}

static void one_case(size_t r, size_t c, int integer) {
  double cost[64];
  for (size_t i = 0; i < r * c; i++) cost[i] = integer ? floor(uniform() * 4.0) : uniform() * 10.0;
  int match[8];
  double total = -1.0;
  CHECK_OK(strata_hungarian(cost, r, c, match, &total));
  /* A valid matching: min(r, c) pairs, no column twice. */
  unsigned cols = 0;
  size_t pairs = 0;
  double sum = 0.0;
  for (size_t i = 0; i < r; i++) {
    if (match[i] < 0) continue;
    CHECK(match[i] < (int)c);
    CHECK(!(cols & (1u << match[i])));
    cols |= 1u << match[i];
    pairs++;
    sum += cost[i * c + (size_t)match[i]];
  }
  CHECK_MSG(pairs == (r < c ? r : c), "%zu pairs for %zux%zu", pairs, r, c);
  CHECK_NEAR(sum, total, 1e-12);
  double best = brute(cost, r, c, 0, 0, 0.0, INFINITY);
  CHECK_MSG(fabs(total - best) <= 1e-9 * (1.0 + best), "%zux%zu: hungarian %.17g, brute force %.17g",
            r, c, total, best);
}

int main(void) {
  for (size_t r = 1; r <= 7; r++)
    for (size_t c = 1; c <= 7; c++)
      for (int rep = 0; rep < 30; rep++) one_case(r, c, rep & 1);
  /* Degenerate shapes and a bad cost. */
  int m[3] = {7, 7, 7};
  double one = 0.0;
  CHECK_OK(strata_hungarian(&one, 0, 3, m, NULL));
  double nan_cost[4] = {1, NAN, 2, 3};
  CHECK(strata_hungarian(nan_cost, 2, 2, m, NULL) == STRATA_ERR_USAGE);
  /* The identity is kept when it is optimal (a refit of the same model). */
  double eye[9] = {0, 5, 5, 5, 0, 5, 5, 5, 0};
  CHECK_OK(strata_hungarian(eye, 3, 3, m, NULL));
  CHECK(m[0] == 0 && m[1] == 1 && m[2] == 2);
  return check_report();
}
