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
#include "meminfo.h"

/* ---- one thread for OpenBLAS --------------------------------------------- */

static pthread_once_t g_blas_once = PTHREAD_ONCE_INIT;

static void blas_init(void) {
  /* Our OpenMP region owns the cores; an OpenBLAS pthread pool on top of it
   * would oversubscribe them.  This is process-wide, so it is done once. */
  openblas_set_num_threads(1);
}

void strata_blas_init_once(void) { pthread_once(&g_blas_once, blas_init); }

static _Thread_local int buffer_room;

int strata_blas_buffer_room(void) {
  if (!buffer_room) buffer_room = strata_address_space_free(STRATA_OPENBLAS_BUFFER_BYTES);
  return buffer_room;
}

const char *strata_kernels_blas_info(void) {
  /* openblas_get_corename() reports the kernel set OpenBLAS picked at load
   * time (DYNAMIC_ARCH builds honour OPENBLAS_CORETYPE). */
  return openblas_get_corename();
}

/* ---- plain-C scan and epilogue ----------------------------------------- */

static void argmin_scan_scalar(const float *s, size_t nr, size_t lds, const float *cn,
                               size_t kt, int32_t l0, float *best, float *second, int32_t *best_idx) {
  for (size_t r = 0; r < nr; r++) {
    const float *sr = s + r * lds;
    float b = best[r], s2 = second[r];
    int32_t bi = best_idx[r];
    for (size_t l = 0; l < kt; l++) {
      const float v = sr[l] + cn[l];
      if (v < b) { s2 = b; b = v; bi = l0 + (int32_t)l; }
      else if (v < s2) s2 = v;
    }
    best[r] = b;
    second[r] = s2;
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
 *   best, second  ROW_BLOCK floats each
 *   cn      k floats: ||c||^2, +inf for exact duplicates of an earlier centroid
 *   table   dup_table_size(k) int32: hash table for finding those duplicates
 *   redo    REDO_ROWS × d floats, REDO_ROWS int32 twice: the rows handed to
 *           the direct kernel, their places and labels
 *   direct  the direct kernel's scratch for REDO_ROWS rows */
/* Rows handed to the direct kernel at once: it works on tiles of up to 32
 * rows against all k centroids, so a few rows per call would pay for a
 * whole tile each.  About 1% of rows go there on overlapping blobs. */
#define REDO_ROWS 64

static size_t score_cols(size_t k) { return k < STRATA_BLAS_COL_BLOCK ? k : STRATA_BLAS_COL_BLOCK; }

static size_t dup_table_size(size_t k) {
  size_t n = 16;
  while (n < 2 * k) n *= 2;
  return n;
}

static size_t direct_scratch(const strata_blas_isa *isa, size_t rb, size_t d, size_t k) {
  const strata_kernels *t = isa->direct();
  return strata_round_up64(t->lloyd.scratch_bytes(&t->ctx, rb, d, k));
}

size_t strata_blas_scratch_bytes(size_t rows, size_t d, size_t k, const strata_blas_isa *isa) {
  const size_t rb = rows < STRATA_BLAS_ROW_BLOCK ? rows : STRATA_BLAS_ROW_BLOCK;
  const size_t rbs = rb ? rb : 1, ks = k ? k : 1, ds = d ? d : 1;
  return strata_round_up64(rbs * score_cols(ks) * sizeof(float)) +
         2 * strata_round_up64(rbs * sizeof(float)) + strata_round_up64(ks * sizeof(float)) +
         strata_round_up64(dup_table_size(ks) * sizeof(int32_t)) +
         strata_round_up64(REDO_ROWS * ds * sizeof(float)) + 2 * strata_round_up64(REDO_ROWS * sizeof(int32_t)) +
         direct_scratch(isa, REDO_ROWS, ds, ks);
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

/* How far apart two scores must be for sgemm's order to be the direct
 * kernel's.  With u = 2^-24, D the exact squared distance, any summation
 * order of d terms errs by at most gamma_d = d u / (1 - d u) of the sum of
 * their magnitudes, so
 *   score + ||x||^2 (||c||^2 and -2 x.c in float32, then one add)
 *     errs by at most (d + 2) u (||c||^2 + 2 ||x|| ||c||),
 *   the direct kernel's float32 (x - c)^2 chain by (d + 3) u (||x|| + ||c||)^2.
 * A row whose runner-up score exceeds its best by more than twice both
 * errors has the same nearest centroid in both computations.  The bound
 * below doubles the constants again (and uses the largest centroid norm):
 * a row it flags needlessly costs one direct scan, one it missed would
 * change a model. */
static double gap_needed(double x_norm, double c_max, size_t d) {
  const double g = 2.0 * ((double)d + 4.0) * 0x1p-24;
  const double e_blas = g * (c_max * c_max + 2.0 * x_norm * c_max);
  const double e_direct = g * (x_norm + c_max) * (x_norm + c_max);
  return 2.0 * (e_blas + e_direct);
}

/* ||x||^2 in float64 (products exact), four chains so that the adds do not
 * wait on each other: this runs on every row. */
static double norm2(const float *x, size_t d) {
  double a[4] = {0.0, 0.0, 0.0, 0.0};
  size_t j = 0;
  for (; j + 4 <= d; j += 4)
    for (int q = 0; q < 4; q++) a[q] += (double)x[j + (size_t)q] * (double)x[j + (size_t)q];
  for (; j < d; j++) a[0] += (double)x[j] * (double)x[j];
  return (a[0] + a[1]) + (a[2] + a[3]);
}

/* The rows whose label the direct kernel decides, REDO_ROWS at a time. */
typedef struct {
  float *x;        /* REDO_ROWS × d, packed */
  int32_t *at;     /* their row numbers in the block */
  int32_t *label;  /* the direct kernel's labels */
  size_t n;
  const float *block;
  size_t ld, d;
  const float *c;
  size_t k;
  int32_t *labels; /* the block's */
  const strata_kernels *direct;
  strata_scratch scratch;
} redo_list;

static void redo_flush(redo_list *q) {
  if (q->n == 0) return;
  q->direct->lloyd.assign_reduce(&q->direct->ctx, q->x, q->n, q->d, q->d, q->c, NULL, q->k, q->label, NULL,
                                 NULL, q->scratch);
  for (size_t i = 0; i < q->n; i++) q->labels[q->at[i]] = q->label[i];
  q->n = 0;
}

static void redo_add(redo_list *q, size_t row) {
  memcpy(q->x + q->n * q->d, q->block + row * q->ld, q->d * sizeof(float));
  q->at[q->n++] = (int32_t)row;
  if (q->n == REDO_ROWS) redo_flush(q);
}

void strata_blas_assign_reduce(const float *x, size_t rows, size_t ld, size_t d,
                               const float *c, const float *c_norm2, size_t k,
                               int32_t *labels, float *dist2, strata_block_acc *acc,
                               strata_scratch scratch, const strata_blas_isa *isa) {
  if (rows == 0 || k == 0) return;
  if (scratch.ptr == NULL || scratch.bytes < strata_blas_scratch_bytes(rows, d, k, isa) ||
      d == 0 || d > (size_t)INT32_MAX || k > (size_t)INT32_MAX || ld > (size_t)INT32_MAX) {
    /* Outside what this path can express (or a caller bug): the direct
     * kernel's answer is the one this path gives. */
    const strata_kernels *t = isa->direct();
    const strata_kernels *ref = strata_kernels_ref();
    if (scratch.ptr && scratch.bytes >= t->lloyd.scratch_bytes(&t->ctx, rows, d, k)) ref = t;
    ref->lloyd.assign_reduce(&ref->ctx, x, rows, ld, d, c, c_norm2, k, labels, dist2, acc, scratch);
    return;
  }
  /* Without room for OpenBLAS's buffer (an address-space limit) sgemm
   * would never return; the direct kernel gives the same answer. */
  if ((isa->direct_only && isa->direct_only(d, k)) || !strata_blas_buffer_room()) {
    const strata_kernels *t = isa->direct();
    t->lloyd.assign_reduce(&t->ctx, x, rows, ld, d, c, c_norm2, k, labels, dist2, acc, scratch);
    return;
  }
  const size_t rb_max = rows < STRATA_BLAS_ROW_BLOCK ? rows : STRATA_BLAS_ROW_BLOCK;
  const size_t kt_max = score_cols(k);
  char *p = scratch.ptr;
  float *scores = (float *)p;
  p += strata_round_up64(rb_max * kt_max * sizeof(float));
  float *best = (float *)p;
  p += strata_round_up64(rb_max * sizeof(float));
  float *second = (float *)p;
  p += strata_round_up64(rb_max * sizeof(float));
  float *cn = (float *)p;
  p += strata_round_up64(k * sizeof(float));
  int32_t *table = (int32_t *)p;
  p += strata_round_up64(dup_table_size(k) * sizeof(int32_t));
  redo_list redo = {(float *)p, NULL, NULL, 0, x, ld, d, c, k, labels, isa->direct(), {NULL, 0}};
  p += strata_round_up64(REDO_ROWS * d * sizeof(float));
  redo.at = (int32_t *)p;
  p += strata_round_up64(REDO_ROWS * sizeof(int32_t));
  redo.label = (int32_t *)p;
  p += strata_round_up64(REDO_ROWS * sizeof(int32_t));
  redo.scratch = (strata_scratch){p, direct_scratch(isa, REDO_ROWS, d, k)};
  double c_max2 = 0.0;
  for (size_t l = 0; l < k; l++) {
    if (c_norm2) {
      cn[l] = c_norm2[l];
    } else {
      float s = 0.0f;
      for (size_t j = 0; j < d; j++) s += c[l * d + j] * c[l * d + j];
      cn[l] = s;
    }
    if ((double)cn[l] > c_max2) c_max2 = (double)cn[l];
  }
  /* The largest ||c|| from the float32 norms, which err by at most
   * gamma_d of themselves (and NaN or +inf make every row a near-tie). */
  const double c_max = sqrt(c_max2 * (1.0 + 2.0 * ((double)d + 2.0) * 0x1p-24));
  mask_duplicates(c, k, d, cn, table);

  for (size_t i0 = 0; i0 < rows; i0 += STRATA_BLAS_ROW_BLOCK) {
    const size_t nr = rows - i0 < STRATA_BLAS_ROW_BLOCK ? rows - i0 : STRATA_BLAS_ROW_BLOCK;
    const float *xb = x + i0 * ld;
    for (size_t r = 0; r < nr; r++) { best[r] = second[r] = INFINITY; labels[i0 + r] = 0; }
    for (size_t l0 = 0; l0 < k; l0 += STRATA_BLAS_COL_BLOCK) {
      const size_t kt = k - l0 < STRATA_BLAS_COL_BLOCK ? k - l0 : STRATA_BLAS_COL_BLOCK;
      /* scores = -2 X C^T; ||c||^2 is added by the scan, ||x||^2 never. */
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)nr, (blasint)kt, (blasint)d,
                  -2.0f, xb, (blasint)ld, c + l0 * d, (blasint)d, 0.0f, scores, (blasint)kt);
      isa->scan(scores, nr, kt, cn + l0, kt, (int32_t)l0, best, second, labels + i0);
    }
    /* Near-ties (and anything not finite) go to the direct kernel. */
    for (size_t r = 0; r < nr; r++) {
      const double x_norm = sqrt(norm2(xb + r * ld, d));
      if (!((double)second[r] - (double)best[r] > gap_needed(x_norm, c_max, d))) redo_add(&redo, i0 + r);
    }
  }
  redo_flush(&redo);
  /* The expansion cancels badly near a centroid, so dist2 and the inertia
   * are recomputed exactly for the winner. */
  isa->finish(x, rows, ld, d, c, labels, dist2, acc);
}

/* ---- the table for CPUs without AVX2 ------------------------------------ */

/* Without SIMD the direct kernel is the reference (float64 distances). */
static const strata_blas_isa blas_isa_scalar = {
  .scan = argmin_scan_scalar,
  .finish = strata_finish_rows_scalar,
  .direct = strata_kernels_ref,
};

static void assign_f32_blas_scalar(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld, size_t d,
                                   const float *c, const float *c_norm2, size_t k,
                                   int32_t *labels, float *dist2, strata_block_acc *acc,
                                   strata_scratch scratch) {
  strata_blas_assign_reduce(x, rows, ld, d, c, c_norm2, k, labels, dist2, acc, scratch,
                            &blas_isa_scalar);
}

static size_t scratch_bytes_blas_scalar(const strata_kernel_ctx *ctx, size_t rows, size_t d, size_t k) {
  return strata_blas_scratch_bytes(rows, d, k, &blas_isa_scalar);
}

/* The rest (distances to points, min_sum) is the reference table's. */
const strata_kernels strata_kernels_blas_scalar_table = {
  .name = "blas",
  .lloyd = {.scratch_bytes = scratch_bytes_blas_scalar, .assign_reduce = assign_f32_blas_scalar},
};
