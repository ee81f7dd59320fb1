/* Declarations shared by the kernel files only (not part of the backend
 * contract in kernels.h): the per-ISA tables, and the pieces of the BLAS
 * path that each ISA file plugs its own fused argmin and epilogue into.
 *
 * The ISA tables are exported as data, not through getter functions: a
 * getter compiled with -mavx512f could in principle contain AVX-512
 * instructions, and dispatch.c must be able to take the address of every
 * table on any x86-64 before it knows what the CPU supports. */
#ifndef STRATA_KERNELS_INTERNAL_H
#define STRATA_KERNELS_INTERNAL_H

#include "kernels.h"

#if defined(STRATA_BUILD_AVX2)
extern const strata_kernels strata_kernels_avx2_table;       /* direct, AVX2+FMA */
extern const strata_kernels strata_kernels_blas_avx2_table;  /* sgemm + AVX2 argmin */
#endif

/* The end of a row of weighted_reduce (kernels.h), shared by the
 * reference and avx2.c: the columns from j on, each into its sum and its
 * squared distance into q[0], in order; the row's count and weight; returns
 * the row's term w ((q_0 + q_1) + (q_2 + q_3)). */
static inline double strata_weighted_row_end(const float *xi, const float *cl, double *s, double w, size_t j,
                                             size_t d, double q[4], int64_t *count, double *wsum) {
  for (; j < d; j++) {
    const double v = (double)xi[j], e = v - (double)cl[j];
    s[j] += w * v;
    q[0] += e * e;
  }
  *count += 1;
  *wsum += w;
  return w * ((q[0] + q[1]) + (q[2] + q[3]));
}

#if defined(STRATA_BUILD_AVX2)
/* The AVX2 weighted reduction and label store, which the avx512 tables
 * share (kernels/avx2.c). */
double strata_weighted_reduce_avx2(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld,
                                   size_t d, const float *c, const int32_t *labels, const float *wt,
                                   double *sums, int64_t *counts, double *wsum);
size_t strata_store_labels_u8_avx2(const strata_kernel_ctx *ctx, const int32_t *lab, uint8_t *prev,
                                   size_t m);
#endif
#if defined(STRATA_BUILD_AVX512)
extern const strata_kernels strata_kernels_avx512_table;      /* direct, AVX-512F */
extern const strata_kernels strata_kernels_blas_avx512_table; /* sgemm + AVX-512 argmin */
#endif
extern const strata_kernels strata_kernels_blas_scalar_table; /* sgemm + plain-C argmin */

/* The reference table's min_sum, for the tables that keep it, and its last
 * step for the vector ones: s[l] holds the sums of lanes l = i mod 32 of
 * values [0, i) (i a multiple of 32); adds values [i, n) and combines. */
double strata_min_sum_ref(const strata_kernel_ctx *ctx, const float *a, const float *b, float *out,
                          size_t n);
double strata_min_sum_tail(double s[32], const float *a, const float *b, float *out, size_t i, size_t n);

/* store_labels_u8 from row i on (the vector tables' tail): the changes. */
size_t strata_store_labels_u8_tail(const int32_t *lab, uint8_t *prev, size_t i, size_t m);

/* ---- Row tiles (kernels/tiles.c) -------------------------------------------
 *
 * The direct kernels work on tiles of tile_rows rows transposed so that a
 * vector holds one column of the tile.  dist2_to_points transposes each tile
 * into scratch as it goes; the packed slots (kernels.h) keep the transposed
 * tiles, tile_bytes(d) apart, so that k-means++ transposes its sample once. */
typedef struct {
  size_t tile_rows;
  size_t (*tile_bytes)(size_t d);
  /* x IN nr rows (nr <= tile_rows) of stride ld; x_end: one past the
   * caller's whole block (no load may pass it); xt OUT the tile. */
  void (*transpose)(const float *x, size_t nr, size_t ld, size_t d, float *xt, const float *x_end);
  /* Squared distances of the tile's nr rows to m points: out[j*out_ld + i]. */
  void (*dist2_tile)(const float *xt, size_t nr, size_t d, const float *cand, size_t m, float *out,
                     size_t out_ld);
} strata_tile_ops;

/* dist2_to_points over rows >= 1 with xt (tile_bytes(d)) as the tile buffer. */
void strata_tiles_dist2(const strata_tile_ops *o, const float *x, size_t rows, size_t ld,
                        size_t d, const float *cand, size_t m, float *out, float *xt);
size_t strata_tiles_packed_bytes(const strata_tile_ops *o, size_t rows, size_t d);
void strata_tiles_pack(const strata_tile_ops *o, const float *x, size_t rows, size_t ld, size_t d,
                       void *packed);
void strata_tiles_dist2_packed(const strata_tile_ops *o, const void *packed, size_t rows, size_t d,
                               const float *cand, size_t m, float *out);

/* ---- BLAS path (kernels/blas.c) ------------------------------------------
 *
 * Rows are taken STRATA_BLAS_ROW_BLOCK at a time; against each tile of
 * STRATA_BLAS_COL_BLOCK centroids one cblas_sgemm writes -2 x.c into a
 * scratch tile that stays in L2, and the ISA's scan folds ||c||^2 in and
 * updates the running argmin while the tile is still in cache.  ||x||^2 is
 * never formed: it does not change the argmin. */
#ifndef STRATA_BLAS_ROW_BLOCK
#define STRATA_BLAS_ROW_BLOCK 256
#endif
#ifndef STRATA_BLAS_COL_BLOCK
#define STRATA_BLAS_COL_BLOCK 512
#endif

/* Crossover of strata_kernels_for_shape("auto"), from bench_kernels' sweep
 * (single thread, 32768 rows, d in {8..300} x k in {8..2000}; see
 * dispatch.c): never on AVX-512; on AVX2 when d >= STRATA_BLAS_MIN_D_AVX2 and
 * k*d >= STRATA_BLAS_MIN_KD_AVX2; without SIMD when k*d >=
 * STRATA_BLAS_MIN_KD_SCALAR. */
#ifndef STRATA_BLAS_MIN_D_AVX2
#define STRATA_BLAS_MIN_D_AVX2 64
#endif
#ifndef STRATA_BLAS_MIN_KD_AVX2
#define STRATA_BLAS_MIN_KD_AVX2 8192
#endif
#ifndef STRATA_BLAS_MIN_KD_SCALAR
#define STRATA_BLAS_MIN_KD_SCALAR 16
#endif

/* Folds one score tile into the running argmin of nr rows.
 *  s        IN  nr×kt tile of -2 x.c, row stride lds
 *  cn       IN  kt squared norms of the tile's centroids
 *  l0       IN  index of the tile's first centroid
 *  best     INOUT nr running minima of ||c||^2 - 2 x.c
 *  second   INOUT nr running second-smallest values (a value equal to the
 *               minimum counts: two equal scores give second == best)
 *  best_idx INOUT nr running argmins; a later tile only wins if strictly
 *               smaller, and within a tile ties go to the lower index. */
typedef void (*strata_scan_fn)(const float *s, size_t nr, size_t lds,
                               const float *cn, size_t kt, int32_t l0,
                               float *best, float *second, int32_t *best_idx);

/* Running top two of one row after a tile whose own top two are (tb, ts). */
static inline void strata_scan_merge(float tb, float ts, float *best, float *second) {
  const float b = *best, s = *second;
  const float hi = tb < b ? b : tb; /* the larger of the two minima */
  *second = s < ts ? (s < hi ? s : hi) : (ts < hi ? ts : hi);
  *best = tb < b ? tb : b;
}

/* Per-row epilogue once labels are known, rows in increasing order:
 * the exact float64 ||x - c_label||^2, written to dist2 (as float) if dist2
 * is not NULL, and, if acc is not NULL, added to acc->inertia together with
 * the row into acc->sums and acc->counts. */
typedef void (*strata_finish_fn)(const float *x, size_t rows, size_t ld, size_t d,
                                 const float *c, const int32_t *labels,
                                 float *dist2, strata_block_acc *acc);

/* The BLAS path's labels are the direct kernels' labels of the same ISA,
 * bit for bit (so that choosing between the two by measured speed cannot
 * change a model): sgemm's expansion is only trusted where a row's
 * runner-up is farther than both computations' rounding errors can
 * explain, and the rows where it is not are given to `direct`. */
typedef struct {
  strata_scan_fn scan;
  strata_finish_fn finish;
  const strata_kernels *(*direct)(void);
  /* Shapes the direct kernel takes whole (NULL: none) */
  int (*direct_only)(size_t d, size_t k);
} strata_blas_isa;

size_t strata_blas_scratch_bytes(size_t rows, size_t d, size_t k, const strata_blas_isa *isa);

/* Shapes at which the BLAS table of an ISA runs that ISA's direct kernel
 * (its direct_only): there the two tables are one. */
int strata_blas_direct_only_avx2(size_t d, size_t k);
int strata_blas_direct_only_avx512(size_t d, size_t k);
void strata_blas_assign_reduce(const float *x, size_t rows, size_t ld, size_t d,
                               const float *c, const float *c_norm2, size_t k,
                               int32_t *labels, float *dist2, strata_block_acc *acc,
                               strata_scratch scratch, const strata_blas_isa *isa);

/* Plain-C epilogue (used by the scalar BLAS table and as the fallback). */
void strata_finish_rows_scalar(const float *x, size_t rows, size_t ld, size_t d,
                               const float *c, const int32_t *labels,
                               float *dist2, strata_block_acc *acc);

/* Limits the BLAS library to one thread (once per process): kernels run
 * inside the core's OpenMP region, which already owns the cores. */
void strata_blas_init_once(void);

/* OpenBLAS's work buffer: BUFFER_SIZE of Debian's x86-64 build and a page,
 * taken by a thread's first BLAS or LAPACK call.  When it cannot be had,
 * OpenBLAS 0.3.21's blas_memory_alloc retries for ever (`strata pca` and a
 * BLAS-backend fit under `ulimit -v 200000` spun until killed). */
#define STRATA_OPENBLAS_BUFFER_BYTES (((size_t)128 << 20) + ((size_t)64 << 10))

/* 1 when the calling thread may call OpenBLAS: the address space for its
 * work buffer was free once (then OpenBLAS holds it). */
int strata_blas_buffer_room(void);

/* Every slot of kernels.h, family by family, for code that walks them all. */
#define STRATA_KERNEL_SLOTS(X)                                                               \
  X(lloyd, scratch_bytes) X(lloyd, assign_reduce) X(lloyd, weighted_reduce) X(labels, store_u8) \
  X(seed, dist2_to_points) X(seed, packed_bytes) X(seed, pack_rows) X(seed, dist2_packed)    \
  X(seed, packed_half_bytes) X(seed, pack_rows_half) X(seed, dist2_packed_half)              \
  X(seed, round_half) X(seed, dist2_packed_half_below) X(seed, min_sum)                      \
  X(run, run_open) X(run, run_set_centroids) X(run, run_begin_pass) X(run, run_chunk)        \
  X(run, run_end_pass) X(run, run_close) X(run, run_set_scaler)

/* out = the reference table with every non-NULL slot of o laid over it,
 * named o->name, its context pointing at out (device -1). */
void strata_kernels_overlay(strata_kernels *out, const strata_kernels *o);

static inline size_t strata_round_up64(size_t bytes) { return (bytes + 63) & ~(size_t)63; }

#endif
