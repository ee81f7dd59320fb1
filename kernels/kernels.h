/* The backend contract: one table of kernel function pointers per backend.
 *
 * A table starts as a copy of the reference kernels (plain C, float64
 * accumulation — the oracle) and a backend overrides the slots it speeds up,
 * so no slot is ever empty.  The core never branches on ISA; it calls
 * through the table it was given.
 *
 * All kernels work on one block of rows (row-major float32, `ld` floats
 * between rows, ld >= d) against all k centroids (row-major float32, k×d,
 * contiguous) and handle any rows, d, k themselves (no padding required).
 * Kernels are called from inside the core's OpenMP parallel region: they must
 * not start threads of their own and must be reentrant.
 */
#ifndef STRATA_KERNELS_H
#define STRATA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Scratch memory a kernel may use, owned by the calling thread, at least
 * `strata_kernels.scratch_bytes(rows, d, k)` bytes, 64-byte aligned. */
typedef struct {
  void *ptr;
  size_t bytes;
} strata_scratch;

/* Per-block reduction output.  sums (k×d) and counts (k) are ADDED to;
 * the caller zeroes them before the block.  The caller merges blocks in a
 * fixed order, so each block's accumulation must be a deterministic function
 * of the block's rows: rows are added to sums in increasing row order, in
 * float64. */
typedef struct {
  double *sums;     /* INOUT k×d */
  int64_t *counts;  /* INOUT k */
  double inertia;   /* INOUT sum over rows of ||x - c_label||^2 computed in float64 */
} strata_block_acc;

typedef struct strata_kernels {
  const char *name;  /* "ref", "avx2", "avx512", "blas" ... */

  /* Bytes of scratch needed for a block of `rows` rows; may return 0. */
  size_t (*scratch_bytes)(size_t rows, size_t d, size_t k);

  /* Nearest centroid of each row (ties go to the lower index).
   *  x       IN  rows×d, row stride ld
   *  c       IN  k×d centroids
   *  c_norm2 IN  k squared norms of c (float32), for kernels that use the
   *              ||x||^2 - 2x.c + ||c||^2 expansion; may be ignored
   *  labels  OUT rows
   *  dist2   OUT rows, squared distance to the chosen centroid, clamped >= 0;
   *              may be NULL
   *  acc     INOUT if not NULL: sums/counts of the rows by label and the exact
   *              float64 inertia ((x-c)^2, never the expansion) are added */
  void (*assign_reduce)(const float *x, size_t rows, size_t ld, size_t d,
                        const float *c, const float *c_norm2, size_t k,
                        int32_t *labels, float *dist2, strata_block_acc *acc,
                        strata_scratch scratch);

  /* For k-means++: squared distance of every row to each of m candidate
   * points (m small, <= 64), written candidate-major: out[j*rows + i].
   *  x   IN rows×d (stride ld), cand IN m×d, out OUT m×rows (float32, >= 0). */
  void (*dist2_to_points)(const float *x, size_t rows, size_t ld, size_t d,
                          const float *cand, size_t m, float *out,
                          strata_scratch scratch);
} strata_kernels;

/* The reference table (kernels/ref.c). */
const strata_kernels *strata_kernels_ref(void);

/* Backend registry (kernels/dispatch.c): looks a backend up by name
 * ("ref", "cpu", "blas", "auto"); NULL if unknown or not usable here. */
const strata_kernels *strata_kernels_find(const char *name);

#endif
