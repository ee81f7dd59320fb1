/* Row sampling for initialisation. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "rng.h"
#include "sample.h"

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

static size_t sort_unique(uint64_t *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_u64);
  size_t w = 0;
  for (size_t i = 0; i < n; i++)
    if (w == 0 || v[i] != v[w - 1]) v[w++] = v[i];
  return w;
}

/* The rounds of strata_sample_choose with membership in a bitmap: each
 * round draws as many rows as are still missing, and every draw that is
 * new (to the set and to the round) counts once, as sort_unique would. */
static strata_status choose_dense(strata_sample *s, size_t n, size_t m, strata_rng *rng) {
  uint64_t *seen = calloc(n / 64 + 1, sizeof *seen);
  if (!seen) {
    strata_sample_free(s);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for the init sample (%zu rows)", m);
  }
  size_t have = 0;
  while (have < m) {
    size_t added = 0;
    for (size_t i = have; i < m; i++) {
      uint64_t r = strata_rng_below(rng, n);
      uint64_t bit = (uint64_t)1 << (r % 64);
      if (!(seen[r / 64] & bit)) seen[r / 64] |= bit, added++;
    }
    have += added;
  }
  size_t w = 0;
  for (size_t r = 0; r < n && w < m; r++)
    if (seen[r / 64] >> (r % 64) & 1) s->rows[w++] = r;
  free(seen);
  return STRATA_OK;
}

strata_status strata_sample_choose(strata_sample *s, size_t n, size_t m, size_t d, uint64_t seed) {
  memset(s, 0, sizeof *s);
  if (m > n) m = n;
  s->m = m;
  s->d = d;
  s->rows = malloc((m ? m : 1) * sizeof *s->rows);
  /* Zeroed: ranks each fill the rows they read and OR the buffers. */
  s->x = calloc((m ? m : 1) * (d ? d : 1), sizeof *s->x);
  if (!s->rows || !s->x) {
    strata_sample_free(s);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for the init sample (%zu rows)", m);
  }
  if (m == n) {
    for (size_t i = 0; i < m; i++) s->rows[i] = i;
    return STRATA_OK;
  }
  strata_rng rng;
  strata_rng_seed(&rng, seed, 0x5a3b1e);
  /* Draw m, drop repeats, draw again as many as are missing, until m rows
   * are distinct.  While m is far below n one or two rounds do it: sort and
   * drop repeats, O(m log m) whatever n is.  Near n the rounds become many
   * (the last few missing rows are rarely hit: 20,000 of 20,011 took
   * thousands of rounds, 7 s of sorting), so there the same rounds are
   * counted in a bitmap of n bits instead: the same draws, the same rows. */
  if (n / 64 <= m) return choose_dense(s, n, m, &rng);
  size_t have = 0;
  while (have < m) {
    for (size_t i = have; i < m; i++) s->rows[i] = strata_rng_below(&rng, n);
    have = sort_unique(s->rows, m);
  }
  return STRATA_OK;
}

strata_status strata_sample_want_weights(strata_sample *s) {
  s->w = calloc(s->m ? s->m : 1, sizeof *s->w);
  RETURN_IF(!s->w, STRATA_ERR_NOMEM, "out of memory for the init sample's weights (%zu rows)", s->m);
  return STRATA_OK;
}

void strata_sample_take(strata_sample *s, const float *raw, const float *w, size_t row0, size_t rows) {
  /* First sampled row at or after row0. */
  size_t lo = 0, hi = s->m;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->rows[mid] < row0) lo = mid + 1; else hi = mid;
  }
  for (size_t i = lo; i < s->m && s->rows[i] < row0 + rows; i++) {
    memcpy(s->x + i * s->d, raw + (s->rows[i] - row0) * s->d, s->d * sizeof *s->x);
    if (s->w && w) s->w[i] = w[s->rows[i] - row0];
  }
}

strata_status strata_sample_finish(strata_sample *s, const strata_scaler *sc) {
  float *raw = malloc((s->d ? s->d : 1) * sizeof *raw);
  RETURN_IF(!raw, STRATA_ERR_NOMEM, "out of memory");
  size_t w = 0;
  strata_status st = STRATA_OK;
  for (size_t i = 0; i < s->m; i++) {
    size_t kept = 0;
    /* The scaler reads its input again on the slow path: copy the row out
     * before compacting in place. */
    memcpy(raw, s->x + i * s->d, s->d * sizeof *raw);
    st = strata_scaler_apply(sc, raw, 1, s->rows[i], s->x + w * s->d, NULL, &kept);
    if (st != STRATA_OK) break;
    if (kept) {
      if (s->w) s->w[w] = s->w[i];
      s->rows[w++] = s->rows[i];
    }
  }
  free(raw);
  s->m = w;
  return st;
}

void strata_sample_free(strata_sample *s) {
  if (!s) return;
  free(s->rows);
  free(s->x);
  free(s->w);
  memset(s, 0, sizeof *s);
}

static int cmp_rows(const void *a, const void *b, void *d) {
  return memcmp(*(const float *const *)a, *(const float *const *)b, *(size_t *)d * sizeof(float));
}

size_t strata_count_distinct_rows(const float *x, size_t m, size_t d) {
  if (m == 0) return 0;
  const float **p = malloc(m * sizeof *p);
  if (!p) return m; /* cannot tell; assume distinct */
  for (size_t i = 0; i < m; i++) p[i] = x + i * d;
  qsort_r(p, m, sizeof *p, cmp_rows, &d);
  size_t distinct = 1;
  for (size_t i = 1; i < m; i++)
    if (memcmp(p[i], p[i - 1], d * sizeof(float)) != 0) distinct++;
  free(p);
  return distinct;
}
