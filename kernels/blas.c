/* The BLAS path: distances as ||c||^2 - 2 x.c from cblas_sgemm tiles, the
 * argmin fused on each tile while it is in L2, then the exact float64
 * epilogue for the winners.  Compiled for baseline x86-64; the ISA files plug
 * in vectorised scan/finish functions (kernels_internal.h), and this file's
 * plain-C ones make the scalar table.
 *
 * Why tiles: a row block of STRATA_BLAS_ROW_BLOCK rows against a tile of
 * STRATA_BLAS_COL_BLOCK centroids gives a 256×512×4 = 512 KiB score tile,
 * which the scan reads back from L2 right after sgemm wrote it; scores for
 * all k at once would go to DRAM and back for large k. */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "kernels_internal.h"

/* ---- one thread for OpenBLAS --------------------------------------------- */

static pthread_once_t g_blas_once = PTHREAD_ONCE_INIT;

static void blas_init(void) {
  /* Our OpenMP region owns the cores; an OpenBLAS pthread pool on top of it
   * would oversubscribe them.  This is process-wide, so it is done once. */
  openblas_set_num_threads(1);
}

void strata_blas_init_once(void) { pthread_once(&g_blas_once, blas_init); }

const char *strata_kernels_blas_info(void) {
  /* openblas_get_corename() reports the kernel set OpenBLAS picked at load
   * time (DYNAMIC_ARCH builds honour OPENBLAS_CORETYPE). */
  return openblas_get_corename();
}

/* ---- plain-C scan and epilogue ----------------------------------------- */

static void argmin_scan_scalar(const float *s, size_t nr, size_t lds, const float *cn,
                               size_t kt, int32_t l0, float *best, int32_t *best_idx) {
  for (size_t r = 0; r < nr; r++) {
    const float *sr = s + r * lds;
    float b = best[r];
    int32_t bi = best_idx[r];
    for (size_t l = 0; l < kt; l++) {
      const float v = sr[l] + cn[l];
      if (v < b) { b = v; bi = l0 + (int32_t)l; }
    }
    best[r] = b;
    best_idx[r] = bi;
  }
}

void strata_finish_rows_scalar(const float *x, size_t rows, size_t ld, size_t d,
                               const float *c, const int32_t *labels, float *dist2,
                               strata_block_acc *acc) {
  if (!dist2 && !acc) return;
  for (size_t i = 0; i < rows; i++) {
    const size_t l = (size_t)labels[i];
    const float *xi = x + i * ld, *cl = c + l * d;
    double dist = 0.0;
    for (size_t j = 0; j < d; j++) {
      const double t = (double)xi[j] - (double)cl[j];
      dist += t * t;
    }
    if (dist2) dist2[i] = (float)dist;
    if (acc) {
      double *s = acc->sums + l * d;
      for (size_t j = 0; j < d; j++) s[j] += (double)xi[j];
      acc->counts[l] += 1;
      acc->inertia += dist;
    }
  }
}

/* ---- driver --------------------------------------------------------------- */

/* Scratch layout (each part 64-byte aligned):
 *   scores  ROW_BLOCK × min(k, COL_BLOCK) floats
 *   best    ROW_BLOCK floats
 *   cn      k floats: ||c||^2, +inf for exact duplicates of an earlier centroid
 *   table   dup_table_size(k) int32: hash table for finding those duplicates */
static size_t score_cols(size_t k) { return k < STRATA_BLAS_COL_BLOCK ? k : STRATA_BLAS_COL_BLOCK; }

static size_t dup_table_size(size_t k) {
  size_t n = 16;
  while (n < 2 * k) n *= 2;
  return n;
}

size_t strata_blas_scratch_bytes(size_t rows, size_t d, size_t k) {
  (void)d;
  const size_t rb = rows < STRATA_BLAS_ROW_BLOCK ? rows : STRATA_BLAS_ROW_BLOCK;
  const size_t rbs = rb ? rb : 1, ks = k ? k : 1;
  return strata_round_up64(rbs * score_cols(ks) * sizeof(float)) +
         strata_round_up64(rbs * sizeof(float)) + strata_round_up64(ks * sizeof(float)) +
         strata_round_up64(dup_table_size(ks) * sizeof(int32_t));
}

static uint64_t hash_row(const float *r, size_t d) {
  uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a over the values */
  for (size_t j = 0; j < d; j++) {
    const float v = r[j] + 0.0f; /* -0 and +0 are the same point */
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    h = (h ^ u) * 0x100000001b3ull;
  }
  return h ^ (h >> 29);
}

static int rows_equal(const float *a, const float *b, size_t d) {
  for (size_t j = 0; j < d; j++)
    if (!(a[j] == b[j])) return 0;
  return 1;
}

/* Identical centroids must tie exactly and go to the lower index (as in the
 * direct kernels), but sgemm need not give identical columns identical bits
 * (their position in its micro-tiles differs).  So a centroid equal to an
 * earlier one gets ||c||^2 = +inf and can never win: the row goes to the
 * first copy, as an exact tie would.  O(k d) per call, next to O(rows k d). */
static void mask_duplicates(const float *c, size_t k, size_t d, float *cn, int32_t *table) {
  const size_t n = dup_table_size(k), mask = n - 1;
  for (size_t i = 0; i < n; i++) table[i] = -1;
  for (size_t l = 0; l < k; l++) {
    const float *cl = c + l * d;
    for (size_t h = (size_t)hash_row(cl, d) & mask;; h = (h + 1) & mask) {
      if (table[h] < 0) { table[h] = (int32_t)l; break; }
      if (rows_equal(c + (size_t)table[h] * d, cl, d)) { cn[l] = INFINITY; break; }
    }
  }
}

void strata_blas_assign_reduce(const float *x, size_t rows, size_t ld, size_t d,
                               const float *c, const float *c_norm2, size_t k,
                               int32_t *labels, float *dist2, strata_block_acc *acc,
                               strata_scratch scratch, const strata_blas_isa *isa) {
  if (rows == 0 || k == 0) return;
  if (scratch.ptr == NULL || scratch.bytes < strata_blas_scratch_bytes(rows, d, k) ||
      d == 0 || d > (size_t)INT32_MAX || k > (size_t)INT32_MAX || ld > (size_t)INT32_MAX) {
    /* Outside what this path can express (or a caller bug): the reference
     * answer is still the right answer. */
    const strata_kernels *ref = strata_kernels_ref();
    ref->lloyd.assign_reduce(&ref->ctx, x, rows, ld, d, c, c_norm2, k, labels, dist2, acc, scratch);
    return;
  }
  const size_t rb_max = rows < STRATA_BLAS_ROW_BLOCK ? rows : STRATA_BLAS_ROW_BLOCK;
  const size_t kt_max = score_cols(k);
  char *p = scratch.ptr;
  float *scores = (float *)p;
  p += strata_round_up64(rb_max * kt_max * sizeof(float));
  float *best = (float *)p;
  p += strata_round_up64(rb_max * sizeof(float));
  float *cn = (float *)p;
  p += strata_round_up64(k * sizeof(float));
  int32_t *table = (int32_t *)p;
  for (size_t l = 0; l < k; l++) {
    if (c_norm2) {
      cn[l] = c_norm2[l];
    } else {
      float s = 0.0f;
      for (size_t j = 0; j < d; j++) s += c[l * d + j] * c[l * d + j];
      cn[l] = s;
    }
  }
  mask_duplicates(c, k, d, cn, table);

  for (size_t i0 = 0; i0 < rows; i0 += STRATA_BLAS_ROW_BLOCK) {
    const size_t nr = rows - i0 < STRATA_BLAS_ROW_BLOCK ? rows - i0 : STRATA_BLAS_ROW_BLOCK;
    const float *xb = x + i0 * ld;
    for (size_t r = 0; r < nr; r++) { best[r] = INFINITY; labels[i0 + r] = 0; }
    for (size_t l0 = 0; l0 < k; l0 += STRATA_BLAS_COL_BLOCK) {
      const size_t kt = k - l0 < STRATA_BLAS_COL_BLOCK ? k - l0 : STRATA_BLAS_COL_BLOCK;
      /* scores = -2 X C^T; ||c||^2 is added by the scan, ||x||^2 never. */
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)nr, (blasint)kt, (blasint)d,
                  -2.0f, xb, (blasint)ld, c + l0 * d, (blasint)d, 0.0f, scores, (blasint)kt);
      isa->scan(scores, nr, kt, cn + l0, kt, (int32_t)l0, best, labels + i0);
    }
    /* The expansion cancels badly near a centroid, so dist2 and the inertia
     * are recomputed exactly for the winner. */
    isa->finish(xb, nr, ld, d, c, labels + i0, dist2 ? dist2 + i0 : NULL, acc);
  }
}

/* ---- the table for CPUs without AVX2 ------------------------------------ */

static const strata_blas_isa blas_isa_scalar = {
  .scan = argmin_scan_scalar,
  .finish = strata_finish_rows_scalar,
};

static void assign_f32_blas_scalar(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld, size_t d,
                                   const float *c, const float *c_norm2, size_t k,
                                   int32_t *labels, float *dist2, strata_block_acc *acc,
                                   strata_scratch scratch) {
  strata_blas_assign_reduce(x, rows, ld, d, c, c_norm2, k, labels, dist2, acc, scratch,
                            &blas_isa_scalar);
}

static size_t scratch_bytes_blas_scalar(const strata_kernel_ctx *ctx, size_t rows, size_t d, size_t k) {
  return strata_blas_scratch_bytes(rows, d, k);
}

/* The rest (distances to points, min_sum) is the reference table's. */
const strata_kernels strata_kernels_blas_scalar_table = {
  .name = "blas",
  .lloyd = {.scratch_bytes = scratch_bytes_blas_scalar, .assign_reduce = assign_f32_blas_scalar},
};
