/* k-means++ (greedy) and random initialisation over the in-memory sample. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "error.h"
#include "kmeans_init.h"
#include "pass.h"
#include "rng.h"
#include "sample.h"

/* Rows per potential segment: a draw walks block sums, then the segment
 * sums of its block, then at most this many rows.  Potentials are summed
 * segment by segment and block by block in order, so they do not depend on
 * the thread count. */
#define INIT_SEG 256
#define INIT_BLOCK 2048
#define SEGS_PER_BLOCK (INIT_BLOCK / INIT_SEG)
/* Rows per work item: small, so that the threads finish each of the k
 * steps together (a step takes 0.1-0.3 ms at k = 1024); a multiple of
 * INIT_SEG. */
#define INIT_ITEM 512
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
  size_t nblocks, nitems;
  float *dist[2];     /* trials × m, candidate-major; steps alternate between the
                         two, so the kept candidate's row becomes `closest` in place */
  int cur;            /* the buffer the next potential pass writes */
  double *block_pot;  /* nblocks × trials */
  double *seg_pot;    /* trials × nseg, candidate-major */
  size_t nseg;
  void **scratch;     /* per thread */
  size_t scratch_bytes;
  char *packed;       /* the sample in the kernel's tile order, block after block, or NULL */
  size_t packed_stride; /* bytes per INIT_ITEM rows */
  int half;           /* packed in half precision (use_half) */
  float *cand_half;   /* the candidates rounded to halves, trials × d */
  const strata_seed_kernels *ms; /* min_sum: the kernel's, or the reference's */
  const strata_kernel_ctx *ms_ctx;
} pp_work;

/* A sample at least this large is packed in half precision when the kernel
 * offers it: it no longer fits the caches, each of the k steps streams it,
 * and half the bytes is what bounds the step (see docs/PERFORMANCE.md). */
#define HALF_MIN_BYTES ((size_t)8 << 20)
/* ...and when every value is small enough that a half keeps it to 2^-11
 * relative (2^-1 absolute at the bound): scaled data is. */
#define HALF_MAX_ABS 1024.0f

static int use_half(const strata_init_job *job) {
  const strata_kernels *kern = job->kern;
  if (!kern->seed.pack_rows_half || !kern->seed.dist2_packed_half || !kern->seed.packed_half_bytes || !kern->seed.round_half)
    return 0;
  if (job->m * job->d * sizeof(float) < HALF_MIN_BYTES) return 0;
  uint32_t big = 0;
  for (size_t i = 0; i < job->m * job->d; i++) big |= !(fabsf(job->x[i]) <= HALF_MAX_ABS);
  return !big;
}

/* Lays the sample out once in the kernel's tile order when it offers one:
 * every step measures the same rows again. */
static strata_status pack_sample(const strata_init_job *job, pp_work *w, int half) {
  const strata_kernels *kern = job->kern;
  if (!half && (!kern->seed.pack_rows || !kern->seed.dist2_packed || !kern->seed.packed_bytes)) return STRATA_OK;
  size_t bytes = half ? kern->seed.packed_half_bytes(&kern->ctx, INIT_ITEM, job->d) : kern->seed.packed_bytes(&kern->ctx, INIT_ITEM, job->d);
  void (*pack)(const strata_kernel_ctx *, const float *, size_t, size_t, size_t, void *) =
      half ? kern->seed.pack_rows_half : kern->seed.pack_rows;
  w->half = half;
  w->packed_stride = (bytes + 63) / 64 * 64;
  w->packed = aligned_alloc(64, w->nitems * w->packed_stride);
  if (half) w->cand_half = malloc(MAX_TRIALS * job->d * sizeof *w->cand_half);
  RETURN_IF(!w->packed || (half && !w->cand_half), STRATA_ERR_NOMEM, "out of memory for k-means++ on %zu rows",
            job->m);
#pragma omp parallel for schedule(dynamic, 1) num_threads(job->threads)
  for (size_t it = 0; it < w->nitems; it++) {
    size_t r0 = it * INIT_ITEM, rows = job->m - r0 < INIT_ITEM ? job->m - r0 : INIT_ITEM;
    pack(&kern->ctx, job->x + r0 * job->d, rows, job->d, job->d, w->packed + it * w->packed_stride);
  }
  return STRATA_OK;
}

/* dist[j][i] = min(closest[i], ||x_i - cand_j||^2) for all rows into the
 * current buffer, and each candidate's potential (sum over rows), summed
 * segment by segment and block by block in order. */
static void candidate_potentials(const strata_init_job *job, pp_work *w, const float *cand,
                                 size_t trials, const float *closest, double *pot) {
  size_t m = job->m, d = job->d;
  float *dist = w->dist[w->cur];
  if (w->half) {
    /* Rounded like the rows, so that a row's distance to itself is 0. */
    memcpy(w->cand_half, cand, trials * d * sizeof *cand);
    job->kern->seed.round_half(&job->kern->ctx, w->cand_half, trials * d);
    cand = w->cand_half;
  }
#pragma omp parallel for schedule(dynamic, 1) num_threads(job->threads)
  for (size_t it = 0; it < w->nitems; it++) {
    size_t r0 = it * INIT_ITEM, rows = m - r0 < INIT_ITEM ? m - r0 : INIT_ITEM;
    int t = omp_get_thread_num();
    float *tmp = (float *)w->scratch[t];
    strata_scratch sc = {(char *)w->scratch[t] + (size_t)MAX_TRIALS * INIT_ITEM * sizeof(float),
                         w->scratch_bytes};
    if (w->half && job->kern->seed.dist2_packed_half_below)
      job->kern->seed.dist2_packed_half_below(&job->kern->ctx, w->packed + it * w->packed_stride, rows, d, cand, trials, closest + r0,
                                         tmp);
    else if (w->half)
      job->kern->seed.dist2_packed_half(&job->kern->ctx, w->packed + it * w->packed_stride, rows, d, cand, trials, tmp);
    else if (w->packed)
      job->kern->seed.dist2_packed(&job->kern->ctx, w->packed + it * w->packed_stride, rows, d, cand, trials, tmp);
    else
      job->kern->seed.dist2_to_points(&job->kern->ctx, job->x + r0 * d, rows, d, d, cand, trials, tmp, sc);
    for (size_t j = 0; j < trials; j++)
      for (size_t s0 = 0; s0 < rows; s0 += INIT_SEG) {
        size_t len = rows - s0 < INIT_SEG ? rows - s0 : INIT_SEG;
        w->seg_pot[j * w->nseg + (r0 + s0) / INIT_SEG] =
            w->ms->min_sum(w->ms_ctx, tmp + j * rows + s0, closest + r0 + s0, dist + j * m + r0 + s0, len);
      }
  }
  size_t nseg_used = (m + INIT_SEG - 1) / INIT_SEG;
  for (size_t j = 0; j < trials; j++) {
    const double *seg = w->seg_pot + j * w->nseg;
    double total = 0.0;
    for (size_t b = 0; b < w->nblocks; b++) {
      double s = 0.0;
      for (size_t si = b * SEGS_PER_BLOCK; si < (b + 1) * SEGS_PER_BLOCK && si < nseg_used; si++) s += seg[si];
      w->block_pot[b * trials + j] = s;
      total += s;
    }
    pot[j] = total;
  }
}

static void pp_work_free(pp_work *w, int threads) {
  if (w->scratch)
    for (int t = 0; t < threads; t++) free(w->scratch[t]);
  free(w->scratch);
  free(w->dist[0]);
  free(w->dist[1]);
  free(w->block_pot);
  free(w->seg_pot);
  free(w->packed);
  free(w->cand_half);
}

/* A row drawn with probability closest[i] / total: the block from the
 * per-block sums of the last potential pass, the segment from its segment
 * sums, then the row inside it; a full prefix array over the sample per
 * step would cost as much as a pass. */
static size_t draw_row(strata_rng *rng, const float *closest, size_t m, const double *block_sum,
                       const double *seg_sum, size_t nblocks, double total) {
  double r = strata_rng_uniform(rng) * total;
  size_t b = 0;
  for (; b + 1 < nblocks && r >= block_sum[b]; b++) r -= block_sum[b];
  while (b > 0 && !(block_sum[b] > 0.0)) b--; /* rounding carried r into an empty tail */
  size_t r0 = b * INIT_BLOCK, end = m - r0 < INIT_BLOCK ? m : r0 + INIT_BLOCK;
  size_t nseg = (end - r0 + INIT_SEG - 1) / INIT_SEG, s = 0;
  const double *ss = seg_sum + b * SEGS_PER_BLOCK;
  for (; s + 1 < nseg && r >= ss[s]; s++) r -= ss[s];
  while (s > 0 && !(ss[s] > 0.0)) s--;
  size_t s0 = r0 + s * INIT_SEG, s1 = end - s0 < INIT_SEG ? end : s0 + INIT_SEG;
  double acc = 0.0;
  size_t last = s0; /* the last row with weight, should rounding leave r past the end */
  for (size_t i = s0; i < s1; i++) {
    if (closest[i] > 0.0f) last = i;
    acc += closest[i];
    if (acc > r) return i;
  }
  return last;
}

strata_status strata_init_kmeanspp(const strata_init_job *job, double *centers) {
  return strata_init_kmeanspp_from(job, centers, 0);
}

static strata_status kmeanspp(const strata_init_job *job, double *centers, size_t ngiven, int half) {
  size_t m = job->m, d = job->d, k = job->k;
  size_t trials = 2 + (size_t)floor(log((double)k));
  if (trials > MAX_TRIALS) trials = MAX_TRIALS;
  strata_rng rng;
  strata_rng_seed(&rng, job->seed, job->stream ? job->stream : 0x1000 + (uint64_t)job->run);

  pp_work w = {0};
  const strata_kernels *ms = job->kern->seed.min_sum ? job->kern : strata_kernels_ref();
  w.ms = &ms->seed;
  w.ms_ctx = &ms->ctx;
  w.nblocks = (m + INIT_BLOCK - 1) / INIT_BLOCK;
  w.nseg = w.nblocks * SEGS_PER_BLOCK;
  w.nitems = (m + INIT_ITEM - 1) / INIT_ITEM;
  w.dist[0] = malloc(trials * m * sizeof *w.dist[0]);
  w.dist[1] = malloc(trials * m * sizeof *w.dist[1]);
  w.block_pot = malloc(w.nblocks * trials * sizeof *w.block_pot);
  w.seg_pot = calloc(trials * w.nseg, sizeof *w.seg_pot); /* a short last block's tail stays 0 */
  w.scratch = calloc((size_t)job->threads, sizeof *w.scratch);
  w.scratch_bytes = job->kern->lloyd.scratch_bytes(&job->kern->ctx, INIT_ITEM, d, trials);
  float *start = malloc(m * sizeof *start); /* before the first centre: INFINITY */
  const float *closest = start;
  double *block_sum = malloc(w.nblocks * sizeof *block_sum);
  double *seg_sum = malloc(w.nseg * sizeof *seg_sum);
  float *cand = malloc(trials * d * sizeof *cand);
  size_t *cand_id = malloc(trials * sizeof *cand_id);
  double *pot = malloc(trials * sizeof *pot);
  strata_status st = STRATA_OK;
  int ok = w.dist[0] && w.dist[1] && w.block_pot && w.seg_pot && w.scratch && start && block_sum && seg_sum &&
           cand && cand_id && pot;
  for (int t = 0; ok && t < job->threads; t++) {
    w.scratch[t] = aligned_alloc(64, ((size_t)MAX_TRIALS * INIT_ITEM * sizeof(float) +
                                      w.scratch_bytes + 63) / 64 * 64);
    ok = w.scratch[t] != NULL;
  }
  if (!ok) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for k-means++ on %zu rows", m);
    goto done;
  }
  if ((st = pack_sample(job, &w, half)) != STRATA_OK) goto done;

  /* First centre: uniform, unless given ones come first. */
  for (size_t i = 0; i < m; i++) start[i] = INFINITY;
  double current = INFINITY;
  if (ngiven == 0) {
    size_t first = (size_t)strata_rng_below(&rng, m);
    for (size_t j = 0; j < d; j++) centers[j] = job->x[first * d + j];
  }
  for (size_t g = 0; g < (ngiven ? ngiven : 1); g++) {
    for (size_t j = 0; j < d; j++) cand[j] = (float)centers[g * d + j];
    candidate_potentials(job, &w, cand, 1, closest, pot);
    closest = w.dist[w.cur];
    w.cur ^= 1;
    current = pot[0];
  }
  for (size_t b = 0; b < w.nblocks; b++) block_sum[b] = w.block_pot[b];
  memcpy(seg_sum, w.seg_pot, w.nseg * sizeof *seg_sum);

  for (size_t c = ngiven ? ngiven : 1; c < k; c++) {
    if ((c & 63) == 0 && (st = strata_check_cancel(job->ctx)) != STRATA_OK) goto done;
    if (!(current > 0.0)) {
      st = too_few_distinct(job);
      goto done;
    }
    for (size_t t = 0; t < trials; t++) {
      cand_id[t] = draw_row(&rng, closest, m, block_sum, seg_sum, w.nblocks, current);
      memcpy(cand + t * d, job->x + cand_id[t] * d, d * sizeof *cand);
    }
    candidate_potentials(job, &w, cand, trials, closest, pot);
    size_t best = 0;
    for (size_t t = 1; t < trials; t++)
      if (pot[t] < pot[best]) best = t;
    current = pot[best];
    for (size_t b = 0; b < w.nblocks; b++) block_sum[b] = w.block_pot[b * trials + best];
    memcpy(seg_sum, w.seg_pot + best * w.nseg, w.nseg * sizeof *seg_sum);
    closest = w.dist[w.cur] + best * m;
    w.cur ^= 1;
    for (size_t j = 0; j < d; j++) centers[c * d + j] = job->x[cand_id[best] * d + j];
  }
done:
  pp_work_free(&w, job->threads);
  free(start); free(block_sum); free(seg_sum); free(cand); free(cand_id); free(pot);
  return st;
}

strata_status strata_init_kmeanspp_from(const strata_init_job *job, double *centers, size_t ngiven) {
  if (!use_half(job)) return kmeanspp(job, centers, ngiven, 0);
  strata_status st = kmeanspp(job, centers, ngiven, 1);
  /* Rows that differ only below half precision look like one: what ran out
   * of distinct rows in halves may not in floats. */
  if (st == STRATA_ERR_DATA) st = kmeanspp(job, centers, ngiven, 0);
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
