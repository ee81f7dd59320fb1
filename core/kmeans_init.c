/* k-means++ (greedy) and random initialisation over the in-memory sample. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "kmeans_init.h"
#include "pass.h"
#include "rng.h"
#include "sample.h"

/* Rows per work item; fixed so that potentials, summed per block and merged
 * in block order, do not depend on the thread count. */
#define INIT_BLOCK 2048
#define MAX_TRIALS 64

static strata_status too_few_distinct(const strata_init_job *job) {
  size_t distinct = strata_count_distinct_rows(job->x, job->m, job->d);
  if (job->sample_is_all)
    return strata_fail(STRATA_ERR_DATA, "the data has only %zu distinct rows, fewer than k = %zu",
                       distinct, job->k);
  return strata_fail(STRATA_ERR_DATA,
                     "the init sample of %zu rows has only %zu distinct rows, fewer than k = %zu; "
                     "raise the init sample size",
                     job->m, distinct, job->k);
}

typedef struct {
  size_t nblocks;
  float *dist;        /* trials × m, candidate-major */
  double *block_pot;  /* nblocks × trials */
  void **scratch;     /* per thread */
  size_t scratch_bytes;
} pp_work;

/* dist[j][i] = min(closest[i], ||x_i - cand_j||^2) for all rows, and each
 * candidate's potential (sum over rows), summed block by block in order. */
static void candidate_potentials(const strata_init_job *job, pp_work *w, const float *cand,
                                 size_t trials, const float *closest, double *pot) {
  size_t m = job->m, d = job->d;
#pragma omp parallel for schedule(dynamic, 1) num_threads(job->threads)
  for (size_t b = 0; b < w->nblocks; b++) {
    size_t r0 = b * INIT_BLOCK, rows = m - r0 < INIT_BLOCK ? m - r0 : INIT_BLOCK;
    int t = omp_get_thread_num();
    float *tmp = (float *)w->scratch[t];
    strata_scratch sc = {(char *)w->scratch[t] + (size_t)MAX_TRIALS * INIT_BLOCK * sizeof(float),
                         w->scratch_bytes};
    job->kern->dist2_to_points(job->x + r0 * d, rows, d, d, cand, trials, tmp, sc);
    for (size_t j = 0; j < trials; j++) {
      double s = 0.0;
      float *out = w->dist + j * m + r0;
      const float *dj = tmp + j * rows;
      for (size_t i = 0; i < rows; i++) {
        float v = dj[i] < closest[r0 + i] ? dj[i] : closest[r0 + i];
        out[i] = v;
        s += v;
      }
      w->block_pot[b * trials + j] = s;
    }
  }
  for (size_t j = 0; j < trials; j++) {
    double s = 0.0;
    for (size_t b = 0; b < w->nblocks; b++) s += w->block_pot[b * trials + j];
    pot[j] = s;
  }
}

static void pp_work_free(pp_work *w, int threads) {
  if (w->scratch)
    for (int t = 0; t < threads; t++) free(w->scratch[t]);
  free(w->scratch);
  free(w->dist);
  free(w->block_pot);
}

strata_status strata_init_kmeanspp(const strata_init_job *job, double *centers) {
  return strata_init_kmeanspp_from(job, centers, 0);
}

strata_status strata_init_kmeanspp_from(const strata_init_job *job, double *centers, size_t ngiven) {
  size_t m = job->m, d = job->d, k = job->k;
  size_t trials = 2 + (size_t)floor(log((double)k));
  if (trials > MAX_TRIALS) trials = MAX_TRIALS;
  strata_rng rng;
  strata_rng_seed(&rng, job->seed, 0x1000 + (uint64_t)job->run);

  pp_work w = {0};
  w.nblocks = (m + INIT_BLOCK - 1) / INIT_BLOCK;
  w.dist = malloc(trials * m * sizeof *w.dist);
  w.block_pot = malloc(w.nblocks * trials * sizeof *w.block_pot);
  w.scratch = calloc((size_t)job->threads, sizeof *w.scratch);
  w.scratch_bytes = job->kern->scratch_bytes(INIT_BLOCK, d, trials);
  float *closest = malloc(m * sizeof *closest);
  double *cum = malloc(m * sizeof *cum);
  float *cand = malloc(trials * d * sizeof *cand);
  size_t *cand_id = malloc(trials * sizeof *cand_id);
  double *pot = malloc(trials * sizeof *pot);
  strata_status st = STRATA_OK;
  int ok = w.dist && w.block_pot && w.scratch && closest && cum && cand && cand_id && pot;
  for (int t = 0; ok && t < job->threads; t++) {
    w.scratch[t] = aligned_alloc(64, ((size_t)MAX_TRIALS * INIT_BLOCK * sizeof(float) +
                                      w.scratch_bytes + 63) / 64 * 64);
    ok = w.scratch[t] != NULL;
  }
  if (!ok) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for k-means++ on %zu rows", m);
    goto done;
  }

  /* First centre: uniform, unless given ones come first. */
  for (size_t i = 0; i < m; i++) closest[i] = INFINITY;
  double current = INFINITY;
  if (ngiven == 0) {
    size_t first = (size_t)strata_rng_below(&rng, m);
    for (size_t j = 0; j < d; j++) centers[j] = job->x[first * d + j];
  }
  for (size_t g = 0; g < (ngiven ? ngiven : 1); g++) {
    for (size_t j = 0; j < d; j++) cand[j] = (float)centers[g * d + j];
    candidate_potentials(job, &w, cand, 1, closest, pot);
    memcpy(closest, w.dist, m * sizeof *closest);
    current = pot[0];
  }

  for (size_t c = ngiven ? ngiven : 1; c < k; c++) {
    if ((c & 63) == 0 && (st = strata_check_cancel()) != STRATA_OK) goto done;
    if (!(current > 0.0)) {
      st = too_few_distinct(job);
      goto done;
    }
    double acc = 0.0;
    for (size_t i = 0; i < m; i++) { acc += closest[i]; cum[i] = acc; }
    for (size_t t = 0; t < trials; t++) {
      double r = strata_rng_uniform(&rng) * acc;
      size_t lo = 0, hi = m - 1; /* first index with cum > r, clipped */
      while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cum[mid] <= r) lo = mid + 1; else hi = mid;
      }
      cand_id[t] = lo;
      memcpy(cand + t * d, job->x + lo * d, d * sizeof *cand);
    }
    candidate_potentials(job, &w, cand, trials, closest, pot);
    size_t best = 0;
    for (size_t t = 1; t < trials; t++)
      if (pot[t] < pot[best]) best = t;
    current = pot[best];
    memcpy(closest, w.dist + best * m, m * sizeof *closest);
    for (size_t j = 0; j < d; j++) centers[c * d + j] = job->x[cand_id[best] * d + j];
  }
done:
  pp_work_free(&w, job->threads);
  free(closest); free(cum); free(cand); free(cand_id); free(pot);
  return st;
}

static uint64_t row_hash(const float *x, size_t d) {
  uint64_t h = 1469598103934665603ULL;
  const unsigned char *p = (const unsigned char *)x;
  for (size_t i = 0; i < d * sizeof(float); i++) { h ^= p[i]; h *= 1099511628211ULL; }
  return h;
}

/* Walks a seeded permutation of the sample, taking rows unlike every row
 * taken so far, so the k centres are distinct. */
strata_status strata_init_random(const strata_init_job *job, double *centers) {
  size_t m = job->m, d = job->d, k = job->k;
  strata_rng rng;
  strata_rng_seed(&rng, job->seed, 0x2000 + (uint64_t)job->run);
  size_t cap = 16;
  while (cap < 2 * k) cap *= 2;
  size_t *perm = malloc(m * sizeof *perm);
  int64_t *table = malloc(cap * sizeof *table); /* open addressing: sample row or -1 */
  if (!perm || !table) {
    free(perm); free(table);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for random init");
  }
  for (size_t i = 0; i < m; i++) perm[i] = i;
  for (size_t i = 0; i < cap; i++) table[i] = -1;
  size_t taken = 0;
  for (size_t i = 0; i < m && taken < k; i++) {
    size_t j = i + (size_t)strata_rng_below(&rng, m - i);
    size_t r = perm[j]; perm[j] = perm[i]; perm[i] = r;
    const float *xr = job->x + r * d;
    size_t h = (size_t)row_hash(xr, d) & (cap - 1);
    int dup = 0;
    for (; table[h] >= 0; h = (h + 1) & (cap - 1))
      if (memcmp(job->x + (size_t)table[h] * d, xr, d * sizeof(float)) == 0) { dup = 1; break; }
    if (dup) continue;
    table[h] = (int64_t)r;
    for (size_t c = 0; c < d; c++) centers[taken * d + c] = xr[c];
    taken++;
  }
  free(perm);
  free(table);
  if (taken < k) return too_few_distinct(job);
  return STRATA_OK;
}
