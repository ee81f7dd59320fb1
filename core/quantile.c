/* The quantile sketch (see quantile.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "quantile.h"

void strata_qsketch_init(strata_qsketch *s) { memset(s, 0, sizeof *s); }

void strata_qsketch_free(strata_qsketch *s) {
  for (int h = 0; h < STRATA_QSKETCH_LEVELS; h++) free(s->level[h]);
  memset(s, 0, sizeof *s);
}

/* Merges sorted `v` into sorted level h in place (from the back). */
static strata_status level_merge(strata_qsketch *s, int h, const float *v, size_t count) {
  RETURN_IF(h >= STRATA_QSKETCH_LEVELS, STRATA_ERR_INTERNAL, "quantile sketch overflow");
  if (!s->level[h]) {
    s->level[h] = malloc(2 * STRATA_QSKETCH_K * sizeof(float));
    RETURN_IF(!s->level[h], STRATA_ERR_NOMEM, "out of memory for the quantile sketch");
  }
  float *a = s->level[h];
  size_t na = s->count[h], i = na, j = count, w = na + count;
  while (j > 0) {
    if (i > 0 && a[i - 1] > v[j - 1]) a[--w] = a[--i];
    else a[--w] = v[--j];
  }
  s->count[h] = na + count;
  return STRATA_OK;
}

/* Keeps every other value of a full level and pushes them one level up. */
static strata_status compact(strata_qsketch *s, int h) {
  while (s->count[h] >= STRATA_QSKETCH_K) {
    float *a = s->level[h];
    size_t n = s->count[h];
    unsigned off = (s->parity >> h) & 1u;
    s->parity ^= 1u << h;
    size_t half = 0;
    /* Even count only: an odd one stays behind at the top of the level. */
    size_t m = n & ~(size_t)1;
    float left = a[n - 1];
    int keep_last = (n & 1) != 0;
    float *up = a; /* survivors packed to the front, sorted */
    for (size_t i = off; i < m; i += 2) up[half++] = a[i];
    /* Push survivors up before reusing this level. */
    strata_status st = level_merge(s, h + 1, up, half);
    if (st != STRATA_OK) return st;
    s->count[h] = 0;
    if (keep_last) { a[0] = left; s->count[h] = 1; }
    h++;
  }
  return STRATA_OK;
}

strata_status strata_qsketch_add_sorted(strata_qsketch *s, const float *v, size_t count) {
  s->n += count;
  while (count > 0) {
    size_t take = count < STRATA_QSKETCH_K ? count : STRATA_QSKETCH_K;
    FORWARD_IF_ERROR(level_merge(s, 0, v, take));
    FORWARD_IF_ERROR(compact(s, 0));
    v += take;
    count -= take;
  }
  return STRATA_OK;
}

typedef struct { float v; uint64_t w; } weighted;

static int cmp_weighted(const void *a, const void *b) {
  float x = ((const weighted *)a)->v, y = ((const weighted *)b)->v;
  return (x > y) - (x < y);
}

double strata_qsketch_quantile(const strata_qsketch *s, double q) {
  size_t total = 0;
  for (int h = 0; h < STRATA_QSKETCH_LEVELS; h++) total += s->count[h];
  if (total == 0) return NAN;
  weighted *all = malloc(total * sizeof *all);
  if (!all) return NAN;
  size_t w = 0;
  uint64_t weight = 0;
  for (int h = 0; h < STRATA_QSKETCH_LEVELS; h++)
    for (size_t i = 0; i < s->count[h]; i++) {
      all[w++] = (weighted){s->level[h][i], (uint64_t)1 << h};
      weight += (uint64_t)1 << h;
    }
  qsort(all, total, sizeof *all, cmp_weighted);
  /* Lower median for even counts, as a sorted array's element at
   * floor(q * (n - 1)). */
  double target = q * (double)(weight - 1);
  uint64_t cum = 0;
  double out = all[total - 1].v;
  for (size_t i = 0; i < total; i++) {
    cum += all[i].w;
    if ((double)cum > target) { out = all[i].v; break; }
  }
  free(all);
  return out;
}

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

size_t strata_sort_finite_column(const float *x, size_t rows, size_t d, size_t j, float *out) {
  size_t n = 0;
  for (size_t i = 0; i < rows; i++) {
    float v = x[i * d + j];
    if (isfinite(v)) out[n++] = v;
  }
  qsort(out, n, sizeof *out, cmp_float);
  return n;
}
