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

#include "exact.h"
#include "strata.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Scratch memory a kernel may use, owned by the calling thread, at least
 * `strata_kernels.lloyd.scratch_bytes(ctx, rows, d, k)` bytes, 64-byte aligned. */
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

/* ---- Device runs (optional; see the run_* slots below) -------------------
 *
 * A device backend (OpenCL) cannot do useful work one 4096-row block at a
 * time from many threads: it wants whole chunks, centroids uploaded once per
 * pass, and the data left on the device between passes.  A "run" is that
 * conversation for one fit (or one assign): fixed n, d, k, many passes. */
typedef struct strata_kernel_run strata_kernel_run;

struct strata_kernels;

typedef struct {
  const strata_ctx *ctx; /* the job's: where the run logs (borrowed) */
  size_t n;          /* input rows of the job: what may be kept resident */
  size_t d, k;
  int threads;       /* host threads the run may use (OpenMP) when it has to
                        compute on the CPU; it is called outside any parallel
                        region */
  /* CPU table to continue with if the device fails during the run (the
   * scheduler's "auto"): the run warns once and the results stay exact.
   * NULL: a device failure is returned as STRATA_ERR_BACKEND. */
  const struct strata_kernels *fallback;
  /* d scales 2^S_j of the exact accumulator (common/exact.h) when per-cluster
   * sums are wanted (fit); NULL when only labels, counts and inertia are
   * (assign). */
  const double *sum_scale;
  double sum_row_limit; /* strata_fixed_row_limit of sum_scale's grid */
} strata_run_config;

/* The per-column scaler of the pass (core/scaler.h), offered to a run that
 * can apply it itself (run_set_scaler): a scaled value is
 *   (float)((v - shift[j]) * inv[j]),  v = (double)x, or impute[j] for NaN,
 * in float64 with no contraction, exactly as strata_scaler_apply computes it.
 * Inf, and NaN when impute is NULL, are errors. */
typedef struct strata_run_scaler {
  const double *shift, *inv;  /* d each */
  const double *impute;       /* d: the replacement of NaN; NULL: NaN is an error */
  /* The host's scaler, for rows the run has to scale on the CPU (fallback)
   * and to report a rejected value with the host's exact message: scales
   * rows x d raw values (input rows row0...) into out; STRATA_ERR_DATA (with
   * the detail naming column and row) on Inf or a forbidden NaN. */
  strata_status (*host_apply)(const void *ctx, const float *raw, size_t rows, size_t row0,
                              float *out);
  const void *ctx;
} strata_run_scaler;

typedef struct {
  const float *x;    /* m rows x d, packed (row stride d) */
  size_t m;          /* rows; m <= 4096 (one reduction block) */
  size_t row0;       /* identity of the rows: within one run, a block with the
                        same row0 and m holds the same values in every pass
                        (the run may keep it on the device) */
} strata_run_block;

/* What a kernel knows of the backend it runs for: every kernel receives it
 * first (the ctx of the table it was called through), so that one function
 * serves any number of devices.  CPU kernels ignore it. */
typedef struct strata_kernel_ctx {
  const struct strata_kernels *table; /* the table this context belongs to */
  int device;                         /* N of an "opencl:N" table; -1 on the CPU */
} strata_kernel_ctx;

/* ---- Family: assign/reduce (the Lloyd pass) -------------------------------- */
typedef struct {
  /* Bytes of scratch needed for a block of `rows` rows; may return 0. */
  size_t (*scratch_bytes)(const strata_kernel_ctx *ctx, size_t rows, size_t d, size_t k);

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
  void (*assign_reduce)(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld,
                        size_t d, const float *c, const float *c_norm2, size_t k, int32_t *labels,
                        float *dist2, strata_block_acc *acc, strata_scratch scratch);

  /* A weighted pass's reduction (row weights), once assign_reduce has given
   * the block's labels.  For each row i in increasing order, with
   * w = (double)wt[i], l = labels[i], v_j = (double)x[i*ld + j] and
   * e_j = v_j - (double)c[l*d + j]:
   *   sums[l*d + j] += w * v_j       (a product, then a sum: never fused)
   *   counts[l] += 1;  wsum[l] += w
   *   q_r = the sum from 0.0 of e_j^2 over j = r mod 4 below d - d mod 4,
   *         in increasing j (r < 4); then q_0 += e_j^2 for the last d mod 4
   *         columns in order
   * and returns the sum from 0.0, in row order, of w ((q_0 + q_1) + (q_2 + q_3)),
   * the block's weighted inertia.  This is one definition: every table gives
   * the reference's bits.
   *  x IN rows×d (stride ld), c IN k×d, labels IN rows (each < k), wt IN rows,
   *  sums INOUT k×d, counts, wsum INOUT k */
  double (*weighted_reduce)(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld, size_t d,
                            const float *c, const int32_t *labels, const float *wt, double *sums,
                            int64_t *counts, double *wsum);
} strata_lloyd_kernels;

/* ---- Family: label store ------------------------------------------------- */
typedef struct {
  /* Optional (NULL: the core's own loop): a Lloyd pass's label store for
   * byte-wide labels (k < 255): prev[i] = (uint8_t)lab[i] for i < m, and the
   * number of i where that changed prev[i] is returned.  It runs on every row
   * of every pass, after the kernels, so its few instructions per row
   * matter when d and k are small. */
  size_t (*store_u8)(const strata_kernel_ctx *ctx, const int32_t *lab, uint8_t *prev, size_t m);
} strata_label_kernels;

/* ---- Family: seeding (k-means++) ------------------------------------------ */
typedef struct {
  /* Squared distance of every row to each of m candidate points (m small,
   * <= 64), written candidate-major: out[j*rows + i].
   *  x   IN rows×d (stride ld), cand IN m×d, out OUT m×rows (float32, >= 0). */
  void (*dist2_to_points)(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld,
                          size_t d, const float *cand, size_t m, float *out, strata_scratch scratch);

  /* Optional (NULL when not offered): the same distances from rows laid out
   * once in the kernel's own tile order, for callers that measure the same
   * rows against many point sets (k-means++ takes one set per centre, and
   * re-laying the rows out per call costs as much as the distances).
   * packed_bytes(rows, d): bytes pack_rows writes for rows×d;
   * pack_rows: x IN rows×d (stride ld), packed OUT (64-byte aligned);
   * dist2_packed: as dist2_to_points on the packed rows, bit for bit. */
  size_t (*packed_bytes)(const strata_kernel_ctx *ctx, size_t rows, size_t d);
  void (*pack_rows)(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld, size_t d,
                    void *packed);
  void (*dist2_packed)(const strata_kernel_ctx *ctx, const void *packed, size_t rows, size_t d,
                       const float *cand, size_t m, float *out);
  /* Optional, likewise: the rows packed in IEEE half precision (half the
   * bytes: k-means++ on a sample larger than the caches streams it once per
   * centre).  Values must be finite with |v| < 65504; each is rounded to the
   * nearest half (ties to even).  round_half rounds n floats in place the same
   * way, for the candidates, so that a row's distance to itself is 0.
   * dist2_packed_half: float32 distances between the rounded rows and cand
   * (m points, given already rounded), candidate-major as above; a kernel
   * may use the expansion ||x||^2 + ||c||^2 - 2x.c (packed_half_bytes may
   * hold the rows' norms), so a distance is within float32 accuracy where
   * it is below 2^-7 (||x||^2 + ||c||^2) (a row against itself is 0) and
   * within (d + 2) 2^-24 (||x||^2 + ||c||^2) above that. */
  size_t (*packed_half_bytes)(const strata_kernel_ctx *ctx, size_t rows, size_t d);
  void (*pack_rows_half)(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld,
                         size_t d, void *packed);
  void (*dist2_packed_half)(const strata_kernel_ctx *ctx, const void *packed, size_t rows, size_t d,
                            const float *cand, size_t m, float *out);
  void (*round_half)(const strata_kernel_ctx *ctx, float *v, size_t n);
  /* Optional: dist2_packed_half for a k-means++ step, where only distances
   * below closest[i] (one per row) matter: out may hold closest[i] instead
   * of a distance that is at least closest[i], so that min(out, closest)
   * equals min(dist2_packed_half's, closest) bit for bit, while the kernel
   * skips what it can prove.  NULL: call dist2_packed_half. */
  void (*dist2_packed_half_below)(const strata_kernel_ctx *ctx, const void *packed, size_t rows,
                                  size_t d, const float *cand, size_t m, const float *closest,
                                  float *out);

  /* k-means++'s potential update: out[i] = a[i] < b[i] ? a[i] : b[i] for n
   * values; returns the float64 sum of out in one fixed order, so that every
   * table gives the same bits:
   *   s[l] = sum of out[i] over i = l mod 32, in increasing i (l < 32);
   *   t[l] = (s[l] + s[l+8]) + (s[l+16] + s[l+24])           (l < 8);
   *   u[l] = t[l] + t[l+4] (l < 4);  w[l] = u[l] + u[l+2] (l < 2);
   *   result = w[0] + w[1].
   * 32 independent chains, so that a vector unit is not held up by the
   * latency of one running sum. */
  double (*min_sum)(const strata_kernel_ctx *ctx, const float *a, const float *b, float *out,
                    size_t n);
} strata_seed_kernels;

/* ---- Family: device runs (optional: NULL in CPU tables) --------------------
 *
 * When run_open is not NULL the core should drive Lloyd passes through a
 * run instead of calling assign_reduce per block (assign_reduce and
 * dist2_to_points still work, serialised and slower, for the other
 * passes).  All run_* calls for one run come from one thread at a time,
 * outside any parallel region; the run handle is their context.  A pass is:
 *   run_set_centroids (when the centroids changed), run_begin_pass,
 *   run_chunk for every chunk in input order, run_end_pass.
 * Every call returns STRATA_OK or STRATA_ERR_BACKEND / STRATA_ERR_NOMEM
 * with a detail naming the failed call; with cfg->fallback set a device
 * failure is not returned: the run logs one warning and finishes on the
 * CPU.
 *
 * Results: labels equal the reference's except at near-ties (distances are
 * float32).  Given equal labels, the pass totals are bit-identical to the
 * CPU path's in core/lloyd_pass.c, for any chunk size: a block's sums are its
 * rows added in row order in float64, rounded once to fixed point
 * (common/exact.h) and added exactly; counts are integers; inertia is each
 * block's rows in row order, the block totals added exactly
 * (common/xacc.h) and rounded once.  The same
 * inputs give the same outputs on every run (no float atomics). */
typedef struct {
  /* ctx IN: the device's; cfg IN; out OUT. */
  strata_status (*run_open)(const strata_kernel_ctx *ctx, const strata_run_config *cfg,
                            strata_kernel_run **out);
  /* c IN k x d, c_norm2 IN k (may be NULL): the centroids of the following
   * passes, copied; uploaded once, not per chunk. */
  strata_status (*run_set_centroids)(strata_kernel_run *r, const float *c, const float *c_norm2);
  /* Starts a pass: the totals go back to zero. */
  strata_status (*run_begin_pass)(strata_kernel_run *r);
  /* The blocks of one chunk, in input order.
   *  blocks  IN  nblocks blocks; row0 increases along the pass
   *  labels  OUT sum of m: the labels of block 0's rows, then block 1's, ...
   *  dist2   OUT same layout, squared distance to the chosen centroid
   *              (float of the exact float64 value); may be NULL
   * The blocks' rows are not referenced after the call returns. */
  strata_status (*run_chunk)(strata_kernel_run *r, const strata_run_block *blocks, size_t nblocks,
                             int32_t *labels, float *dist2);
  /* Ends a pass.  sums OUT k x d exact sums (cfg->sum_scale set; else may be
   * NULL and is not written), counts OUT k, inertia OUT: the pass totals
   * (written, not added to). */
  strata_status (*run_end_pass)(strata_kernel_run *r, strata_fixed128 *sums, int64_t *counts,
                                double *inertia);
  /* Frees the run; accepts NULL. */
  void (*run_close)(strata_kernel_run *r);
  /* Optional (NULL: rows always arrive scaled).  Offers the run the pass's
   * scaler, once, after run_open and before the first pass.  Returns 1 when
   * the run applies it itself from then on: every run_chunk then receives
   * the RAW rows (no row dropped: the core offers a scaler only when its
   * missing rule keeps every row), and a rejected value makes run_chunk
   * return STRATA_ERR_DATA with host_apply's message for the first bad row.
   * Returns 0 when the rows must keep arriving scaled.  s IN: copied; its
   * arrays and ctx must outlive the run. */
  int (*run_set_scaler)(strata_kernel_run *r, const strata_run_scaler *s);
} strata_run_kernels;

/* One backend's kernels, in families.  A table starts as a copy of the
 * reference table and overrides the slots its backend speeds up, so no
 * required slot is ever empty.  Call a kernel with its table's context:
 *   t->lloyd.assign_reduce(&t->ctx, x, rows, ...)
 * (A mixture E-step family goes beside these, the same way.) */
typedef struct strata_kernels {
  const char *name; /* "ref", "avx2", "avx512", "blas", "opencl:0" ... */
  strata_kernel_ctx ctx;
  strata_lloyd_kernels lloyd;
  strata_label_kernels labels;
  strata_seed_kernels seed;
  strata_run_kernels run;
} strata_kernels;

/* The reference table (kernels/ref.c). */
const strata_kernels *strata_kernels_ref(void);

/* Centroids as every kernel takes them: k×d float64 (scaled units) rounded
 * to float32 into cf, and each rounded row's squared norm, summed in
 * float64, into cnorm (k).  One definition, so that a pass and a profile
 * that score the same model compute the same distances. */
static inline void strata_kernel_centroids(const double *centers, size_t k, size_t d, float *cf, float *cnorm) {
  for (size_t c = 0; c < k; c++) {
    double s = 0.0;
    for (size_t j = 0; j < d; j++) {
      float v = (float)centers[c * d + j];
      cf[c * d + j] = v;
      s += (double)v * v;
    }
    cnorm[c] = (float)s;
  }
}

/* ---- The backend registry (kernels/dispatch.c) ---------------------------
 *
 * One list of every backend this build has; the scheduler, `strata devices`
 * and the conformance tests iterate it, so a new table is registered here
 * once and is then chosen, listed and tested without another list. */
typedef enum {
  STRATA_BACKEND_REF,    /* the reference kernels (float64 oracle) */
  STRATA_BACKEND_DIRECT, /* one ISA's direct SIMD kernels */
  STRATA_BACKEND_BLAS,   /* cblas_sgemm tiles with one ISA's fused argmin */
  STRATA_BACKEND_DEVICE  /* an OpenCL device */
} strata_backend_kind;

typedef struct {
  const char *name;            /* what strata_kernels_find or --backend takes:
                                  "ref", "avx2", "blas-scalar", "opencl:0" */
  strata_backend_kind kind;
  const strata_kernels *table; /* NULL where it cannot run here (the CPU, the
                                  OS or this build lacks it; device unusable) */
  int device;                  /* DEVICE: N of "opencl:N"; else -1 */
} strata_backend;

#define STRATA_BACKENDS_CPU 1u     /* ref, each ISA's direct table, each BLAS table */
#define STRATA_BACKENDS_DEVICES 2u /* every OpenCL device found (discovery on first use) */

/* The registered backends of the kinds in `which`, CPU ones first (ref, then
 * the direct tables from the lowest ISA up, then the BLAS tables), then the
 * devices in the order of kernels/opencl.h.  *out OUT: static entries, valid
 * for the process; returns how many.  Asking for the CPU entries limits
 * OpenBLAS to one thread, as handing out a BLAS table does. */
size_t strata_backends(unsigned which, const strata_backend **out);

/* Looks a CPU backend up by name; NULL if unknown or not usable here.
 * Tables are static: never freed.
 *   "ref"   the reference kernels (float64 oracle)
 *   "cpu"   the direct SIMD kernels of the selected ISA: avx512 > avx2 >
 *           scalar (the reference kernels); STRATA_ISA caps the selection
 *           (kernels/cpu_features.h, which also says how to log the outcome)
 *   "blas"  cblas_sgemm distance tiles with the argmin fused on each tile,
 *           using the selected ISA for the argmin and epilogue; the first
 *           lookup sets OpenBLAS to one thread (we call it from inside our
 *           own OpenMP region)
 *   "auto"  (or NULL) the same as "cpu"; use strata_kernels_for_shape when
 *           d and k are known
 *   any other CPU name of strata_backends ("avx2", "avx512", "blas-scalar",
 *           "blas-avx2", "blas-avx512"): that table, for tests and
 *           benchmarks: NULL unless the CPU, the OS and this build support
 *           it; STRATA_ISA is ignored.
 * Tables differ in speed, not in contract: labels equal the reference's
 * except at near-ties (distances are float32), sums/counts are bit-identical
 * given equal labels, inertia is float64 from (x - c)^2.
 * OpenCL tables ("opencl:N") are not looked up here: a device is prepared
 * before use, and core/scheduler.h resolves every name, these included. */
const strata_kernels *strata_kernels_find(const char *name);

/* Like strata_kernels_find, but "auto" (or NULL) picks by shape between the
 * "cpu" table and the "blas" table from measured crossovers (dispatch.c):
 * with AVX-512 always "cpu" (it beats sgemm at every shape measured); with
 * AVX2, "blas" when d >= 64 and k*d >= 8192; without SIMD, "blas" when
 * k*d >= 16.  Any other name gives strata_kernels_find(name).  Call it once
 * per fit (d, k fixed), not per block.  This is the cost model; the
 * scheduler's "auto" measures both paths on large jobs (core/scheduler.c). */
const strata_kernels *strata_kernels_for_shape(const char *name, size_t d, size_t k);

/* The CPU tables "auto" chooses between for a shape: out[0] is
 * strata_kernels_for_shape("auto", d, k), out[1] the other of the "cpu" and
 * "blas" tables of this CPU.  Both give the same labels, distances, sums and
 * inertia bit for bit (the BLAS path hands near-ties and small shapes to
 * the direct kernels), so the scheduler may pick either by measured speed.
 * Returns 2, or 1 where the BLAS table would run the direct kernel (small
 * k*d): then out[0] is the only choice. */
size_t strata_kernels_cpu_candidates(size_t d, size_t k, const strata_kernels *out[2]);

/* The BLAS library's kernel set as reported by OpenBLAS
 * (openblas_get_corename(), e.g. "Haswell"), for logs and benchmark records. */
const char *strata_kernels_blas_info(void);

#ifdef __cplusplus
}
#endif

#endif
