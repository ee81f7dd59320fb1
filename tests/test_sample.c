/* The init sample's row choice (core/sample.c) against the draw-sort-top-up
 * rounds it is defined by, written out here: the same rows for m far below
 * n (the sorting path) and m near n (the bitmap path), sorted and
 * distinct, at sizes around the switch (n / 64) and with n not a multiple
 * of 64; m = n and m > n take every row.  (The oracle's rounds near n
 * are what made the choice slow - 20,000 of 20,011 rows took 7 s - so the
 * oracle runs near n only on small tables; the large case is checked for
 * shape.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rng.h"
#include "sample.h"

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

/* The definition: draw the missing rows, sort, drop repeats, until m. */
static uint64_t *oracle(size_t n, size_t m, uint64_t seed) {
  uint64_t *v = malloc((m ? m : 1) * sizeof *v);
  strata_rng rng;
  strata_rng_seed(&rng, seed, 0x5a3b1e);
  size_t have = 0;
  while (have < m) {
    for (size_t i = have; i < m; i++) v[i] = strata_rng_below(&rng, n);
    qsort(v, m, sizeof *v, cmp_u64);
    size_t w = 0;
    for (size_t i = 0; i < m; i++)
      if (w == 0 || v[i] != v[w - 1]) v[w++] = v[i];
    have = w;
  }
  return v;
}

static void check_same(size_t n, size_t m, uint64_t seed, int with_oracle) {
  strata_sample s;
  CHECK_OK(strata_sample_choose(&s, n, m, 3, seed));
  size_t want = m > n ? n : m;
  CHECK_MSG(s.m == want, "n=%zu m=%zu: %zu rows", n, m, s.m);
  uint64_t *v = m < n && with_oracle ? oracle(n, m, seed) : NULL;
  int same = 1, sorted = 1;
  for (size_t i = 0; i < s.m; i++) {
    if (i && s.rows[i] <= s.rows[i - 1]) sorted = 0;
    if (s.rows[i] >= n) sorted = 0;
    if (v ? s.rows[i] != v[i] : m >= n && s.rows[i] != i) same = 0;
  }
  CHECK_MSG(sorted, "n=%zu m=%zu: rows not sorted, distinct and below n", n, m);
  CHECK_MSG(same, "n=%zu m=%zu seed=%llu: rows differ from the rounds' definition", n, m,
            (unsigned long long)seed);
  free(v);
  strata_sample_free(&s);
}

int main(void) {
  static const size_t ns[] = {1, 2, 7, 63, 64, 65, 1000, 4097, 20011};
  for (size_t a = 0; a < sizeof ns / sizeof *ns; a++) {
    size_t n = ns[a];
    size_t ms[] = {1, n / 64, n / 64 + 1, n / 3, n / 2, n - 1, n, n + 5};
    for (size_t b = 0; b < sizeof ms / sizeof *ms; b++)
      for (uint64_t seed = 1; seed <= 3; seed++)
        if (ms[b] > 0) check_same(n, ms[b], seed, n <= 1000 || ms[b] <= n / 2);
  }
  check_same(20011, 20000, 42, 0);
  return check_report();
}
