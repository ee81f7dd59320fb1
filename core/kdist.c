/* The k-distance curve and its knee (kdist.h). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kdist.h"
#include "kdtree.h"
#include "pass.h"
#include "rng.h"

/* Its own stream of the seed: the sample does not move with the others. */
#define KDIST_STREAM 0x6b64u

static int by_value(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

/* The first index of the largest x - y, both scaled to [0, 1], on the
 * distances (v holds their squares, ascending); 0 for a flat curve. */
static size_t knee_of(const double *v, size_t s) {
  double lo = sqrt(v[0]), hi = sqrt(v[s - 1]);
  if (s < 3 || !(hi > lo)) return 0;
  double span = hi - lo, best = -INFINITY;
  size_t at = 0;
  for (size_t i = 0; i < s; i++) {
    double gap = (double)i / (double)(s - 1) - (sqrt(v[i]) - lo) / span;
    if (gap > best) { best = gap; at = i; }
  }
  return at;
}

strata_status strata_kdist_knee(const strata_ctx *ctx, const double *x, size_t m, size_t d, size_t k,
                                size_t sample, uint64_t seed, strata_kdist *out) {
  memset(out, 0, sizeof *out);
  RETURN_IF(k > m, STRATA_ERR_DATA,
            "eps auto: min-samples %zu exceeds the %zu rows, so no row can be a core point", k, m);
  size_t s = sample < m ? sample : m;
  RETURN_IF(s < 2, STRATA_ERR_USAGE, "eps auto needs a sample of at least 2 rows (got %zu)", s);
  size_t *idx = malloc(m * sizeof *idx);
  double *v = malloc(s * sizeof *v);
  strata_kdtree *tree = NULL;
  strata_status st = idx && v ? strata_kdtree_build(x, m, d, &tree)
                              : strata_fail(STRATA_ERR_NOMEM, "out of memory for the k-distances of %zu rows", m);
  if (st == STRATA_OK) {
    /* A seeded partial Fisher-Yates: the first s of a permutation. */
    strata_rng rng;
    strata_rng_seed(&rng, seed, KDIST_STREAM);
    for (size_t i = 0; i < m; i++) idx[i] = i;
    for (size_t i = 0; i < s; i++) {
      size_t j = i + (size_t)strata_rng_below(&rng, m - i), t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    int threads = strata_threads_resolve(strata_ctx_threads(ctx)), failed = 0;
#pragma omp parallel num_threads(threads) reduction(| : failed)
    {
      double *heap = malloc(k * sizeof *heap);
      if (!heap) failed = 1;
#pragma omp for schedule(dynamic, 64)
      for (size_t i = 0; i < s; i++)
        if (heap) v[i] = strata_kdtree_kth(tree, x + idx[i] * d, k, heap);
      free(heap);
    }
    if (failed) st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the k-distances");
  }
  if (st == STRATA_OK) st = strata_check_cancel(ctx);
  if (st == STRATA_OK) {
    qsort(v, s, sizeof *v, by_value);
    out->knee = knee_of(v, s);
    /* DBSCAN tests |p - q|² <= eps²: the knee row must be core, so eps²
     * may not round below its squared k-distance. */
    out->eps = sqrt(v[out->knee]);
    while (out->eps * out->eps < v[out->knee]) out->eps = nextafter(out->eps, INFINITY);
    out->sample = s;
    out->npoints = s < STRATA_KDIST_POINTS ? s : STRATA_KDIST_POINTS;
    out->curve = malloc(out->npoints * sizeof *out->curve);
    if (!out->curve) st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
    for (size_t i = 0; st == STRATA_OK && i < out->npoints; i++)
      out->curve[i] = sqrt(v[out->npoints > 1 ? (size_t)llround((double)i * (double)(s - 1) / (double)(out->npoints - 1)) : 0]);
  }
  if (st == STRATA_OK && !(out->eps > 0.0))
    st = strata_fail(STRATA_ERR_DATA,
                     "eps auto: the k-distance at the knee is 0 (at least %zu equal rows around it); give --eps", k);
  strata_kdtree_free(tree);
  free(idx);
  free(v);
  if (st != STRATA_OK) strata_kdist_free(out);
  return st;
}

void strata_kdist_free(strata_kdist *kd) {
  free(kd->curve);
  memset(kd, 0, sizeof *kd);
}
