/* AVX-512F kernels.  This file alone is compiled with -mavx512f -mavx2 -mfma
 * (kernels/CMakeLists.txt); dispatch.c hands its tables out only after
 * cpu_features.c has seen AVX-512F in CPUID and the ZMM state in XCR0.
 *
 * Distances ("row-lane" direct kernel): a tile of 32 rows is transposed into
 * scratch so that one zmm holds feature j of 16 rows; each centroid value is
 * broadcast and (x - c)^2 is accumulated in float32 for 2×16 rows × 8
 * centroids in 16 zmm accumulators.  The subtraction runs on the FP-add
 * pipes next to the FMAs, so the direct form costs about what the
 * ||x||^2 - 2x.c + ||c||^2 expansion would, and it has no cancellation:
 * exact geometric ties are exact float ties, resolved to the lower index by
 * a strict '<' taken in increasing centroid order.  The argmin is lane-wise
 * over rows (3 instructions per 16 rows per centroid, nothing horizontal).
 * It reaches 150-220 GFLOP/s single-threaded on Zen 5 from k*d ~ 4096 up,
 * twice OpenBLAS's sgemm there (on that host; the scheduler measures both).
 *
 * Small d (d <= 16, k <= 64: small_path): tiles of 16 rows are
 * loaded and transposed in registers (24 shuffles for d <= 8, where a zmm
 * holds two rows) and stay there for all k centroids: no scratch round trip.
 * Same distances and argmin; the rows are prefetched 4 KiB ahead.
 *
 * Epilogue (acc != NULL): rows are added to sums[label] in float64 in
 * increasing row order (bit-identical to the reference for equal labels),
 * counted, and the exact float64 (x - c_label)^2 is added to the inertia.
 * For k <= 64 and d <= 64 it runs after the block's argmin, label by label,
 * with four labels' sums in registers at a time (accumulate_grouped);
 * otherwise per row after each tile (accumulate_tile in simd_frame.h).  Both avoid
 * what is slow on AMD: masked loads that miss the cache, and loads of data
 * just written by a masked store (which cannot be forwarded).
 *
 * AMD Zen notes that shaped this file (measured on Zen 5 in these VMs):
 *  - masked 512-bit loads streaming from DRAM run ~4x slower than plain
 *    ones, so full-width plain loads are used wherever the 64 bytes stay
 *    inside the caller's buffer;
 *  - a 512-bit store-to-load round trip costs ~14 cycles;
 *  - about two 512-bit FP operations retire per cycle, adds, subtractions,
 *    FMAs and conversions together (a mix of adds and FMAs is no faster
 *    than either alone), so at small d the count of FP operations per row
 *    is the cost: 2 k d / 16 for the distances, 4 d / 8 for the epilogue;
 *  - shuffles and blends mostly run beside them;
 *  - vpcompressd waits for its destination register's old value even when
 *    zero-masking (compress_epi32_avx512 breaks that dependency). */
#if !defined(__AVX512F__) || !defined(__AVX2__) || !defined(__FMA__)
#error "avx512.c must be compiled with -mavx512f -mavx2 -mfma (see kernels/CMakeLists.txt)"
#endif

#include <immintrin.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cpu_features.h"
#include "kernels_internal.h"

#define A512_LANES 16
#define A512_ROW_TILE 32 /* rows per tile: two zmm of rows */
#define A512_KC 8        /* centroids per register tile: 2×8 accumulators */

#define A512_INLINE static inline __attribute__((always_inline))

static inline __mmask16 mask16_first(size_t n) {
  return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);
}

static inline __mmask8 mask8_first(size_t n) {
  return n >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << n) - 1u);
}

/* ---- prefetch ---------------------------------------------------------- */

/* The assignment reads a block's rows once, in order, from DRAM at about
 * 1 ns per row (d = 8) when d is small, and the hardware prefetcher alone
 * does not keep up on Zen 5: single thread, 1e7 x 8 rows, k = 10 took 3.1
 * ms per 1e6 rows without software prefetch against 2.3 with it at 4 KiB
 * ahead (8 KiB: the same; 16-32 KiB: slower; 1e6 x 16, k = 8: 4.4 -> 3.4).
 * Prefetches stop at the end of the caller's block: the next block may
 * belong to another thread.  (The general path, d > 16 or k > 64, spends
 * long enough per row that the hardware prefetcher suffices: prefetching
 * there measured neutral to 2% slower.) */
#ifndef A512_PF_AHEAD
#define A512_PF_AHEAD 4096
#endif

/* Prefetches the n bytes A512_PF_AHEAD past p that lie below end (integer
 * arithmetic: no pointer is formed outside the block). */
static inline void prefetch_ahead_avx512(const void *p, size_t n, const void *end) {
  const uintptr_t a = (uintptr_t)p + A512_PF_AHEAD, e = (uintptr_t)end;
  for (size_t f = 0; f < n && a + f < e; f += 64) _mm_prefetch((const char *)(a + f), _MM_HINT_T0);
}

/* ---- transpose -------------------------------------------------------- */

/* In-register 16×16 transpose: r[i] lane j -> r[j] lane i.  Two in-lane
 * unpack stages give, for row group g and s in 0..3, vectors whose 128-bit
 * lane q holds rows 4g..4g+3 of column 4q+s; two shuffle_f32x4 stages then
 * transpose the 4×4 grid of 128-bit blocks. */
A512_INLINE void transpose16x16_avx512(__m512 r[16]) {
  __m512 t[16];
#pragma GCC unroll 8
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  __m512 u[16]; /* u[4g + s] */
#pragma GCC unroll 4
  for (int g = 0; g < 4; g++) {
    const __m512d lo0 = _mm512_castps_pd(t[4 * g]), hi0 = _mm512_castps_pd(t[4 * g + 1]);
    const __m512d lo1 = _mm512_castps_pd(t[4 * g + 2]), hi1 = _mm512_castps_pd(t[4 * g + 3]);
    u[4 * g + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(lo0, lo1));
    u[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(lo0, lo1));
    u[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(hi0, hi1));
    u[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(hi0, hi1));
  }
#pragma GCC unroll 4
  for (int s = 0; s < 4; s++) {
    const __m512 v0 = _mm512_shuffle_f32x4(u[s], u[4 + s], 0x88);
    const __m512 v1 = _mm512_shuffle_f32x4(u[s], u[4 + s], 0xDD);
    const __m512 v2 = _mm512_shuffle_f32x4(u[8 + s], u[12 + s], 0x88);
    const __m512 v3 = _mm512_shuffle_f32x4(u[8 + s], u[12 + s], 0xDD);
    r[0 + s] = _mm512_shuffle_f32x4(v0, v2, 0x88);
    r[4 + s] = _mm512_shuffle_f32x4(v1, v3, 0x88);
    r[8 + s] = _mm512_shuffle_f32x4(v0, v2, 0xDD);
    r[12 + s] = _mm512_shuffle_f32x4(v1, v3, 0xDD);
  }
}

/* ---- the framework's vocabulary (kernels/simd_frame.h) ------------------ */

#define SF_LANES A512_LANES
#define SF_KC A512_KC
#define SF_DLANES 8 /* the epilogue's float64 chunks */
#define SF_INLINE A512_INLINE
typedef __m512 sf_ps;
typedef __m512i sf_pi;
typedef __m512d sf_pd;
typedef __mmask16 sf_rmask;
#define sf_setzero_ps _mm512_setzero_ps
#define sf_set1_ps _mm512_set1_ps
#define sf_loadu_ps _mm512_loadu_ps
#define sf_sub_ps _mm512_sub_ps
#define sf_fmadd_ps _mm512_fmadd_ps
#define sf_bcast_ps(p) _mm512_set1_ps(*(p))
#define sf_setzero_pi _mm512_setzero_si512
#define sf_set1_epi32 _mm512_set1_epi32
#define sf_store_pi _mm512_store_si512
#define sf_rmask_first mask16_first
#define sf_store_rows_ps _mm512_mask_storeu_ps
#define sf_store_rows_epi32 _mm512_mask_storeu_epi32
#define sf_maskload_rows_ps(p, m) _mm512_maskz_loadu_ps((m), (p))
#define sf_round_half_ps(v) _mm512_cvtph_ps(_mm512_cvtps_ph((v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC))
#define sf_setzero_pd _mm512_setzero_pd
#define sf_add_pd _mm512_add_pd
#define sf_fmadd_pd _mm512_fmadd_pd
#define sf_hsum_pd _mm512_reduce_add_pd
#define sf_transpose transpose16x16_avx512
#define sf_storeu_ps _mm512_storeu_ps
typedef __mmask8 sf_dmask; /* lanes of an 8-wide chunk */
#define sf_dmask_first mask8_first
#define sf_loadu_pd _mm512_loadu_pd
#define sf_storeu_pd _mm512_storeu_pd
#define sf_sub_pd _mm512_sub_pd
#define sf_cvtload_pd(p) _mm512_cvtps_pd(_mm256_loadu_ps(p))
#define sf_cvtload_tail_pd load8_tail_pd_avx512
#define sf_maskload_cvt_pd load8_pd_avx512

A512_INLINE void sf_argmin_step(__m512 acc, __m512 *best, __m512i *bidx, __m512i idx) {
  const __mmask16 lt = _mm512_cmp_ps_mask(acc, *best, _CMP_LT_OQ);
  *best = _mm512_mask_mov_ps(*best, lt, acc);
  *bidx = _mm512_mask_mov_epi32(*bidx, lt, idx);
}

/* ---- epilogue chunks (the loop is accumulate_tile in simd_frame.h) ------- */

/* 8 floats (the first n of them; the rest read as 0) widened to float64. */
A512_INLINE __m512d load8_pd_avx512(const float *p, __mmask8 m) {
  return _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_maskz_loadu_ps((__mmask16)m, p)));
}

/* 8 floats at p widened to float64, lanes >= the mask zero.  A plain 32-byte
 * load is used when it stays below end (the caller's buffer), which is every
 * row but the last few: masked loads are slow on AMD, 512-bit ones most. */
A512_INLINE __m512d load8_tail_pd_avx512(const float *p, __mmask8 m, const float *end) {
  if (end - p >= 8) return _mm512_maskz_cvtps_pd(m, _mm256_loadu_ps(p)); /* signed: p may be >= end */
  return load8_pd_avx512(p, m);
}

/* sums[lanes m] += x (a row's last chunk). */
A512_INLINE void sf_mask_add_pd(double *p, __mmask8 m, __m512d x) {
  _mm512_mask_storeu_pd(p, m, _mm512_add_pd(_mm512_maskz_loadu_pd(m, p), x));
}

/* x - c of chunk j in float64 (the BLAS path's distances without sums). */
A512_INLINE __m512d sf_row_diff_pd(const float *xi, const float *cl, size_t j, size_t d,
                                   const float *x_end) {
  const __mmask8 m = mask8_first(d - j);
  return _mm512_sub_pd(load8_tail_pd_avx512(xi + j, m, x_end), load8_pd_avx512(cl + j, m));
}

/* The per-row and the label-grouped epilogues (simd_frame.h), for the
 * small-d path. */
static void finish_rows(const float *x, size_t rows, size_t ld, size_t d, const float *c,
                        const int32_t *labels, float *dist2, strata_block_acc *acc);
static void accumulate_grouped(const float *x, size_t rows, size_t ld, size_t d,
                               const float *c, size_t k, const int32_t *labels,
                               strata_block_acc *acc, void *scratch);
static int grouped_ld(size_t rows, size_t ld);


/* ---- label-grouped epilogue (small k and d) ------------------------------
 *
 * The loop is simd_frame.h's (accumulate_grouped); here the lists'
 * vpcompressd and the slots: for d <= 64 a label's row is at most 8 zmm, so
 * a slot holds both its sums and its centroid in registers. */
#define A512_GROUP_MAX_K 64
#define A512_GROUP_MAX_D 64

/* vpcompressd into a register.  On Zen 5 the instruction waits for the old
 * value of its destination even when zero-masking, so compresses that the
 * compiler puts in the same register form a ~5-cycle chain (a list loop ran
 * at ~5 cycles per 16 rows); zeroing the register first, an idiom that
 * breaks the dependency, lets them overlap (~2 cycles). */
A512_INLINE __m512i compress_epi32_avx512(__mmask16 m, __m512i v) {
  __m512i r;
  __asm__("vpxord %0, %0, %0\n\tvpcompressd %1, %0%{%2%}%{z%}" : "=&v"(r) : "v"(v), "Yk"(m));
  return r;
}

typedef __mmask16 sf_lmask;
#define sf_compress_epi32 compress_epi32_avx512
#define sf_cmpeq_lanes _mm512_cmpeq_epi32_mask
#define sf_loadu_pi _mm512_loadu_si512
#define sf_storeu_pi _mm512_storeu_si512
#define sf_add_epi32 _mm512_add_epi32
#define sf_mullo_epi32 _mm512_mullo_epi32
#define sf_iota_epi32() _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

/* The lists' last labels i < i_end (fewer than 16): a masked step. */
A512_INLINE size_t sf_list_tail(int32_t *dst, const int32_t *labels, size_t i, size_t i_end,
                                size_t ld, __m512i lv, __m512i iv) {
  const __mmask16 mt = mask16_first(i_end - i);
  const __m512i v = _mm512_maskz_loadu_epi32(mt, labels + i);
  const __mmask16 m = _mm512_mask_cmpeq_epi32_mask(mt, v, lv);
  _mm512_storeu_si512(dst, compress_epi32_avx512(m, iv));
  return (size_t)__builtin_popcount((unsigned)m);
}

#define SF_GROUP_MAX_K A512_GROUP_MAX_K
#define SF_GROUP_MAX_D A512_GROUP_MAX_D
#define SF_GROUP_NV 8 /* 8-wide chunks per row, at most */

typedef struct {
  const float *x, *c, *c_end;
  size_t d;
  double *sums;  /* acc->sums, row stride d */
  __mmask8 m[8]; /* valid lanes of each 8-wide chunk of a row */
} sf_group;
typedef __m512d sf_slot_cent[8]; /* a slot's centroid, in registers */

A512_INLINE void sf_group_init(sf_group *g, const float *x, size_t d, const float *c, size_t k,
                               double *sums, const double *cd) {
  g->x = x;
  g->c = c;
  g->c_end = c + k * d;
  g->d = d;
  g->sums = sums;
  for (int v = 0; v < 8; v++) g->m[v] = 8 * (size_t)v < d ? mask8_first(d - 8 * (size_t)v) : 0;
}

/* 8-wide chunks per row in the grouped epilogue (2 G nv zmm for G slots). */
static int sf_group_nv(size_t d) { return d <= 8 ? 1 : d <= 16 ? 2 : d <= 32 ? 4 : 8; }

/* The slots read the float32 centroids: nothing after the lists. */
static size_t sf_group_cents_bytes(size_t d, size_t k) { return 0; }
static const double *sf_group_cents(const float *c, size_t d, size_t k, void *at) { return NULL; }

/* One row at element offset o into slot (s, cd): s += x, and the row's
 * (x - c)^2 into the slot's inertia accumulators.  full: d == 8 nv.  Every
 * arithmetic op counts here (Zen 5 retires about two 512-bit FP ops per
 * cycle, adds and FMAs together), so x - c is an FMA (exact, like the
 * subtraction) and the squares go straight into accumulators:
 * nv == 1: *qa; nv == 2: chunk 0 into *qa, chunk 1 into *qb (two chains
 * per slot); nv >= 4: the chunks' sum into *qa. */
A512_INLINE void slot_row_avx512(const sf_group *g, size_t o, __m512d s[8], const __m512d cd[8],
                                 __m512d *qa, __m512d *qb, const int nv, const int full) {
  const float *xi = g->x + o;
  __m512d e = _mm512_setzero_pd();
#pragma GCC unroll 8
  for (int v = 0; v < nv; v++) {
    const __m256 raw = _mm256_loadu_ps(xi + 8 * v);
    const __m512d xj = full ? _mm512_cvtps_pd(raw) : _mm512_maskz_cvtps_pd(g->m[v], raw);
    s[v] = _mm512_add_pd(s[v], xj);
    const __m512d dj = _mm512_fnmadd_pd(cd[v], _mm512_set1_pd(1.0), xj); /* exactly x - c */
    if (nv <= 2) {
      if (v == 0) *qa = _mm512_fmadd_pd(dj, dj, *qa);
      else *qb = _mm512_fmadd_pd(dj, dj, *qb);
    } else {
      e = v == 0 ? _mm512_mul_pd(dj, dj) : _mm512_fmadd_pd(dj, dj, e);
    }
  }
  if (nv > 2) *qa = _mm512_add_pd(*qa, e);
}

/* A slot takes label l: its sums and its centroid into registers. */
A512_INLINE void sf_slot_load(const sf_group *g, size_t l, __m512d s[8], __m512d (*cd)[8],
                              const int nv, const int full) {
  const float *cl = g->c + l * g->d;
  const double *sl = g->sums + l * g->d;
#pragma GCC unroll 8
  for (int v = 0; v < nv; v++) {
    s[v] = full ? _mm512_loadu_pd(sl + 8 * v) : _mm512_maskz_loadu_pd(g->m[v], sl + 8 * v);
    (*cd)[v] = load8_tail_pd_avx512(cl + 8 * v, g->m[v], g->c_end);
  }
}

A512_INLINE void sf_slot_store(const sf_group *g, size_t l, const __m512d s[8], const int nv,
                               const int full) {
  double *sl = g->sums + l * g->d;
#pragma GCC unroll 8
  for (int v = 0; v < nv; v++) {
    if (full) _mm512_storeu_pd(sl + 8 * v, s[v]);
    else _mm512_mask_storeu_pd(sl + 8 * v, g->m[v], s[v]);
  }
}

/* steps rows of every slot.  Two steps per iteration into alternate
 * inertia accumulators: the FMA latency stays off the critical path. */
A512_INLINE void sf_slot_steps(const sf_group *g, const int32_t *const p[], __m512d s[][8],
                               __m512d cd[][8], __m512d qa[], __m512d qb[], size_t steps,
                               const int nv, const int full, const int G) {
  size_t t = 0;
  for (; t + 2 <= steps; t += 2) {
#pragma GCC unroll 4
    for (int u = 0; u < G; u++) {
      /* nv == 2 has its two chains per row; the others alternate rows. */
      slot_row_avx512(g, (size_t)p[u][t], s[u], cd[u], &qa[u], &qb[u], nv, full);
      if (nv == 2) slot_row_avx512(g, (size_t)p[u][t + 1], s[u], cd[u], &qa[u], &qb[u], nv, full);
      else slot_row_avx512(g, (size_t)p[u][t + 1], s[u], cd[u], &qb[u], &qa[u], nv, full);
    }
  }
  if (t < steps) {
#pragma GCC unroll 4
    for (int u = 0; u < G; u++)
      slot_row_avx512(g, (size_t)p[u][t], s[u], cd[u], &qa[u], &qb[u], nv, full);
  }
}
#define sf_slot_inertia(qa, qb) _mm512_add_pd((qa), (qb))

/* ---- small d: 16-row tiles transposed in registers ------------------------
 *
 * For d <= 16 the scratch round trip of the general path (transpose, store,
 * reload per centroid tile) and its 16x16 transpose for 8 columns cost more
 * than the distances themselves.  Here a tile of 16 rows is loaded and
 * transposed in registers and stays there for all k centroids:
 *  - d <= 8: 8 loads of two rows each (one zmm when ld == 8), and a
 *    3-stage network of 24 shuffles (transpose16x8_avx512) whose lanes hold
 *    the rows in a fixed permuted order; the labels and distances are put
 *    back in row order with one vpermd/vpermps each;
 *  - 8 < d <= 16: 16 row loads and the 16x16 transpose.
 * With d <= 8, tiles go in pairs (small_step2_avx512): each centroid
 * coordinate is broadcast once for 32 rows, which took D (1e7 x 8, k = 10)
 * from 15.7-16.4 to 14.4-14.7 ms per iteration (8 alternated runs each).
 * A tile whose plain loads would pass the end of the caller's block (a
 * partial tile, or the last one when d < W) is copied, zero-padded, to the
 * stack with masked loads first.  The rows are prefetched 4 KiB ahead
 * (prefetch_ahead_avx512).  The distances and the argmin are those of the
 * general path (direct float32 (x - c)^2, strict '<' in increasing centroid
 * order); the sums, counts and inertia are the label-grouped epilogue after
 * the block. */
#define A512_SMALL_MAX_D 16

static const int32_t a512_iota[A512_GROUP_MAX_K] = {
  0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
  22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
  44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};

/* z[p]: rows 2p (low 256 bits) and 2p+1 (high).  t[j]: column j of the 16
 * rows with lane 4q+e holding row perm(4q+e): rows 0,2,4,6, 1,3,5,7,
 * 8,10,12,14, 9,11,13,15 (SMALL8_LANE_OF_ROW inverts it). */
A512_INLINE void transpose16x8_avx512(const __m512 z[8], __m512 t[8]) {
  __m512 a[8], s[8];
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {
    a[2 * i] = _mm512_unpacklo_ps(z[2 * i], z[2 * i + 1]);
    a[2 * i + 1] = _mm512_unpackhi_ps(z[2 * i], z[2 * i + 1]);
  }
  /* s[4g + q], 128-bit lane L: column q + 4 (L & 1) of rows 2p + (L >> 1),
   * p = 4g..4g+3. */
#pragma GCC unroll 2
  for (int g = 0; g < 2; g++) {
    s[4 * g + 0] = _mm512_shuffle_ps(a[4 * g], a[4 * g + 2], 0x44);
    s[4 * g + 1] = _mm512_shuffle_ps(a[4 * g], a[4 * g + 2], 0xEE);
    s[4 * g + 2] = _mm512_shuffle_ps(a[4 * g + 1], a[4 * g + 3], 0x44);
    s[4 * g + 3] = _mm512_shuffle_ps(a[4 * g + 1], a[4 * g + 3], 0xEE);
  }
#pragma GCC unroll 4
  for (int q = 0; q < 4; q++) {
    t[q] = _mm512_shuffle_f32x4(s[q], s[4 + q], 0x88);     /* 128-bit lanes 0, 2 */
    t[q + 4] = _mm512_shuffle_f32x4(s[q], s[4 + q], 0xDD); /* 128-bit lanes 1, 3 */
  }
}

#define SMALL8_LANE_OF_ROW _mm512_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7, 8, 12, 9, 13, 10, 14, 11, 15)

/* Loads a tile of nr <= 16 rows and transposes it into t[0..W) (W = 8 or
 * 16; columns >= d hold whatever follows the row, or zero). */
A512_INLINE void small_load_avx512(const float *x, size_t nr, size_t ld, size_t d,
                                   const float *x_end, __m512 t[16], const int W) {
  /* Plain loads of W floats from every row start stay inside the buffer. */
  if (nr == A512_LANES && x_end - (x + 15 * ld) >= W) {
    if (W == 8) {
      __m512 z[8];
      if (ld == 8) {
#pragma GCC unroll 8
        for (int p = 0; p < 8; p++) z[p] = _mm512_loadu_ps(x + 16 * p);
      } else {
#pragma GCC unroll 8
        for (int p = 0; p < 8; p++) {
          const __m512d lo = _mm512_castpd256_pd512(_mm256_castps_pd(_mm256_loadu_ps(x + 2 * p * ld)));
          const __m256d hi = _mm256_castps_pd(_mm256_loadu_ps(x + (2 * p + 1) * ld));
          z[p] = _mm512_castpd_ps(_mm512_insertf64x4(lo, hi, 1));
        }
      }
      transpose16x8_avx512(z, t);
    } else {
#pragma GCC unroll 16
      for (int r = 0; r < 16; r++) t[r] = _mm512_loadu_ps(x + r * ld);
      transpose16x16_avx512(t);
    }
    return;
  }
  /* Zero-padded copy with row stride W; each row store is 16 wide, so with
   * W = 8 the next row overwrites the upper half (d <= 8: zeros anyway). */
  float buf[17 * A512_LANES] __attribute__((aligned(64)));
  const __mmask16 md = mask16_first(d);
#pragma GCC unroll 16
  for (int r = 0; r < 16; r++)
    _mm512_storeu_ps(buf + r * W, (size_t)r < nr ? _mm512_maskz_loadu_ps(md, x + r * ld)
                                               : _mm512_setzero_ps());
  if (W == 8) {
    __m512 z[8];
#pragma GCC unroll 8
    for (int p = 0; p < 8; p++) z[p] = _mm512_loadu_ps(buf + 16 * p);
    transpose16x8_avx512(z, t);
  } else {
#pragma GCC unroll 16
    for (int r = 0; r < 16; r++) t[r] = _mm512_loadu_ps(buf + 16 * r);
    transpose16x16_avx512(t);
  }
}

/* Distances of the tile to centroids l0 .. l0+kc-1 and the running argmin
 * (strict '<' in increasing l: ties keep the lower index). */
A512_INLINE void small_step_avx512(const __m512 t[16], size_t d, const float *c, size_t l0,
                                   const int kc, const int W, __m512 *best, __m512i *bidx) {
  __m512 acc[A512_KC];
  const float *cl = c + l0 * d;
#pragma GCC unroll 8
  for (int l = 0; l < kc; l++) acc[l] = _mm512_setzero_ps();
#pragma GCC unroll 16
  for (int j = 0; j < W; j++) {
    if ((size_t)j >= d) break;
#pragma GCC unroll 8
    for (int l = 0; l < kc; l++) {
      const __m512 e = _mm512_sub_ps(t[j], _mm512_set1_ps(cl[(size_t)l * d + (size_t)j]));
      acc[l] = _mm512_fmadd_ps(e, e, acc[l]);
    }
  }
  __m512 b = *best;
  __m512i bi = *bidx;
#pragma GCC unroll 8
  for (int l = 0; l < kc; l++) {
    const __mmask16 lt = _mm512_cmp_ps_mask(acc[l], b, _CMP_LT_OQ);
    b = _mm512_mask_mov_ps(b, lt, acc[l]);
    /* The index broadcast from memory: a load, not a GPR-to-vector move. */
    bi = _mm512_mask_mov_epi32(bi, lt, _mm512_set1_epi32(a512_iota[l0 + (size_t)l]));
  }
  *best = b;
  *bidx = bi;
}

/* small_step_avx512 for two tiles at once (W = 8): each centroid
 * coordinate is broadcast once for 32 rows, so the loads (a broadcast per
 * coordinate and centroid) no longer limit the subtractions and FMAs. */
#define A512_KC2 4
A512_INLINE void small_step2_avx512(const __m512 ta[8], const __m512 tb[8], size_t d,
                                    const float *c, size_t l0, const int kc, __m512 best[2],
                                    __m512i bidx[2]) {
  __m512 aa[A512_KC2], ab[A512_KC2];
  const float *cl = c + l0 * d;
#pragma GCC unroll 8
  for (int l = 0; l < kc; l++) aa[l] = ab[l] = _mm512_setzero_ps();
#pragma GCC unroll 8
  for (int j = 0; j < 8; j++) {
    if ((size_t)j >= d) break;
#pragma GCC unroll 8
    for (int l = 0; l < kc; l++) {
      const __m512 cv = _mm512_set1_ps(cl[(size_t)l * d + (size_t)j]);
      const __m512 ea = _mm512_sub_ps(ta[j], cv), eb = _mm512_sub_ps(tb[j], cv);
      aa[l] = _mm512_fmadd_ps(ea, ea, aa[l]);
      ab[l] = _mm512_fmadd_ps(eb, eb, ab[l]);
    }
  }
  __m512 ba = best[0], bb = best[1];
  __m512i ia = bidx[0], ib = bidx[1];
#pragma GCC unroll 8
  for (int l = 0; l < kc; l++) {
    const __m512i lv = _mm512_set1_epi32(a512_iota[l0 + (size_t)l]);
    const __mmask16 lta = _mm512_cmp_ps_mask(aa[l], ba, _CMP_LT_OQ);
    const __mmask16 ltb = _mm512_cmp_ps_mask(ab[l], bb, _CMP_LT_OQ);
    ba = _mm512_mask_mov_ps(ba, lta, aa[l]);
    bb = _mm512_mask_mov_ps(bb, ltb, ab[l]);
    ia = _mm512_mask_mov_epi32(ia, lta, lv);
    ib = _mm512_mask_mov_epi32(ib, ltb, lv);
  }
  best[0] = ba;
  best[1] = bb;
  bidx[0] = ia;
  bidx[1] = ib;
}

/* Labels (and dist2 if not NULL) of all rows, 16 at a time.  x_end: one
 * past the last float that may be read (the caller's block may go on after
 * these rows). */
A512_INLINE void small_assign_avx512(const float *x, size_t rows, size_t ld, size_t d,
                                     const float *c, size_t k, int32_t *labels, float *dist2,
                                     const float *x_end, const int W) {
  size_t i0 = 0;
  if (W == 8) {
    for (; i0 + 2 * A512_LANES <= rows && x_end - (x + (i0 + 31) * ld) >= W; i0 += 2 * A512_LANES) {
      __m512 ta[16], tb[16];
      const float *xi = x + i0 * ld;
      __asm__("" : "+r"(xi));
      prefetch_ahead_avx512(xi, 2 * A512_LANES * ld * sizeof(float), x_end);
      small_load_avx512(xi, A512_LANES, ld, d, x_end, ta, W);
      small_load_avx512(xi + A512_LANES * ld, A512_LANES, ld, d, x_end, tb, W);
      __m512 best[2] = {_mm512_set1_ps(INFINITY), _mm512_set1_ps(INFINITY)};
      __m512i bidx[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
      size_t l0 = 0;
      for (; l0 + A512_KC2 <= k; l0 += A512_KC2) small_step2_avx512(ta, tb, d, c, l0, A512_KC2, best, bidx);
      switch (k - l0) {
        case 3: small_step2_avx512(ta, tb, d, c, l0, 3, best, bidx); break;
        case 2: small_step2_avx512(ta, tb, d, c, l0, 2, best, bidx); break;
        case 1: small_step2_avx512(ta, tb, d, c, l0, 1, best, bidx); break;
        default: break;
      }
#pragma GCC unroll 2
      for (int h = 0; h < 2; h++) {
        const __m512i bi = _mm512_permutexvar_epi32(SMALL8_LANE_OF_ROW, bidx[h]);
        _mm512_storeu_si512(labels + i0 + 16 * (size_t)h, bi);
        if (dist2) _mm512_storeu_ps(dist2 + i0 + 16 * (size_t)h, _mm512_permutexvar_ps(SMALL8_LANE_OF_ROW, best[h]));
      }
    }
  }
  for (; i0 < rows; i0 += A512_LANES) {
    const size_t nr = rows - i0 < A512_LANES ? rows - i0 : A512_LANES;
    __m512 t[16];
    const float *xi = x + i0 * ld;
    /* Opaque to the optimiser: otherwise it keeps a pointer per row of the
     * tile and steps each one (on the stack) every tile. */
    __asm__("" : "+r"(xi));
    prefetch_ahead_avx512(xi, A512_LANES * ld * sizeof(float), x_end);
    small_load_avx512(xi, nr, ld, d, x_end, t, W);
    __m512 best = _mm512_set1_ps(INFINITY);
    __m512i bidx = _mm512_setzero_si512();
    size_t l0 = 0;
    for (; l0 + A512_KC <= k; l0 += A512_KC) small_step_avx512(t, d, c, l0, A512_KC, W, &best, &bidx);
    switch (k - l0) {
      case 7: small_step_avx512(t, d, c, l0, 7, W, &best, &bidx); break;
      case 6: small_step_avx512(t, d, c, l0, 6, W, &best, &bidx); break;
      case 5: small_step_avx512(t, d, c, l0, 5, W, &best, &bidx); break;
      case 4: small_step_avx512(t, d, c, l0, 4, W, &best, &bidx); break;
      case 3: small_step_avx512(t, d, c, l0, 3, W, &best, &bidx); break;
      case 2: small_step_avx512(t, d, c, l0, 2, W, &best, &bidx); break;
      case 1: small_step_avx512(t, d, c, l0, 1, W, &best, &bidx); break;
      default: break;
    }
    if (W == 8) { /* lanes back to row order */
      bidx = _mm512_permutexvar_epi32(SMALL8_LANE_OF_ROW, bidx);
      best = _mm512_permutexvar_ps(SMALL8_LANE_OF_ROW, best);
    }
    if (nr == A512_LANES) {
      _mm512_storeu_si512(labels + i0, bidx);
      /* float32 direct sums of squares: already >= 0, no cancellation. */
      if (dist2) _mm512_storeu_ps(dist2 + i0, best);
    } else {
      const __mmask16 m = mask16_first(nr);
      _mm512_mask_storeu_epi32(labels + i0, m, bidx);
      if (dist2) _mm512_mask_storeu_ps(dist2 + i0, m, best);
    }
  }
}

/* W = 8 or 16; DC: d as a constant (8 or 16), or 0 for d < W. */
#define A512_SMALL_VARIANT(NAME, W, DC)                                                          \
  static __attribute__((noinline)) void NAME(const float *x, size_t rows, size_t ld, size_t d,   \
                                             const float *c, size_t k, int32_t *labels,          \
                                             float *dist2, const float *x_end) {                 \
    small_assign_avx512(x, rows, ld, DC ? DC : d, c, k, labels, dist2, x_end, W);               \
  }
A512_SMALL_VARIANT(small_assign_w8_avx512, 8, 0)
A512_SMALL_VARIANT(small_assign_d8_avx512, 8, 8)
A512_SMALL_VARIANT(small_assign_w16_avx512, 16, 0)
A512_SMALL_VARIANT(small_assign_d16_avx512, 16, 16)

static void small_assign_any_avx512(const float *x, size_t rows, size_t ld, size_t d,
                                    const float *c, size_t k, int32_t *labels, float *dist2,
                                    const float *x_end) {
  if (d == 8) small_assign_d8_avx512(x, rows, ld, d, c, k, labels, dist2, x_end);
  else if (d < 8) small_assign_w8_avx512(x, rows, ld, d, c, k, labels, dist2, x_end);
  else if (d == 16) small_assign_d16_avx512(x, rows, ld, d, c, k, labels, dist2, x_end);
  else small_assign_w16_avx512(x, rows, ld, d, c, k, labels, dist2, x_end);
}

/* The small-d path: labels (and dist2), then the grouped epilogue. */
static void small_path(const float *x, size_t rows, size_t ld, size_t d, const float *c,
                              size_t k, int32_t *labels, float *dist2, strata_block_acc *acc,
                              int32_t *idx) {
  small_assign_any_avx512(x, rows, ld, d, c, k, labels, dist2, x + (rows - 1) * ld + d);
  if (!acc) return;
  if (grouped_ld(rows, ld)) {
    accumulate_grouped(x, rows, ld, d, c, k, labels, acc, idx);
  } else {
    /* Offsets too large for the int32 lists (a huge ld): the per-row
     * epilogue in place, as the BLAS path does. */
    finish_rows(x, rows, ld, d, c, labels, NULL, acc);
  }
}

static int small_ok(size_t d, size_t k) { return d <= A512_SMALL_MAX_D && k <= A512_GROUP_MAX_K; }

/* ---- half-precision packed rows (k-means++ on large samples) ------------ */

/* A tile: the float tile's layout (transpose_tile) in halves, then
 * the 32 rows' squared norms in float32. */
static size_t tile_half_norms_off_avx512(size_t d) {
  const size_t dr = (d + A512_LANES - 1) / A512_LANES * A512_LANES;
  return strata_round_up64((dr ? dr : A512_LANES) * A512_ROW_TILE * sizeof(uint16_t));
}

/* ...then the 8-bit screen (see below): for each group of 4 coordinates,
 * each row vector's 16 rows × 4 bytes; then per row its scale, the squared
 * norm of its 8-bit approximation and that approximation's error. */
static size_t tile_screen_off_avx512(size_t d) {
  return tile_half_norms_off_avx512(d) + A512_ROW_TILE * sizeof(float);
}
static size_t screen_groups(size_t d) { return (d + 3) / 4; }
static size_t tile_screen_rows_off_avx512(size_t d) {
  return tile_screen_off_avx512(d) + screen_groups(d) * A512_ROW_TILE * 4;
}

static size_t tile_half_bytes_avx512(size_t d) {
  return tile_screen_rows_off_avx512(d) + 3 * A512_ROW_TILE * sizeof(float);
}

static size_t packed_half_bytes(const strata_kernel_ctx *ctx, size_t rows, size_t d) {
  return (rows + A512_ROW_TILE - 1) / A512_ROW_TILE * tile_half_bytes_avx512(d);
}

A512_INLINE __m512 half_row_vec_avx512(const uint16_t *xt, size_t j, size_t r) {
  return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(xt + j * A512_ROW_TILE + r * A512_LANES)));
}

/* ---- the 8-bit screen ----
 *
 * Late in k-means++ a candidate is nearer than the current closest centre to
 * few rows (0.35% of pairs at k = 1024 on 128 dimensions), yet every pair is
 * measured.  Each row r is also kept as s_r q_r with q_r 8-bit integers
 * (s_r = max|x|/127), with E_r = ||x - s_r q_r|| bounded above; candidates
 * likewise.  With integer dot products (VNNI: 64 products per instruction,
 * three times the fma rate, from half the bytes) the approximate distance A
 * gives ||x - c|| >= sqrt(A) - E_r - E_c.  Where that proves the distance at
 * least the row's closest (with a margin for the float32 roundings of both
 * A and the distance kernel), the pair's distance is not needed; a row
 * vector with any pair not proven is measured exactly, all of it. */
#define A512_SCREEN_REL 0x1p-12f  /* slack on closest */
#define A512_SCREEN_A_REL 0x1p-18f /* float32 error of A, relative to its norms */

/* Row vector r (16 rows) of a half tile into the screen: q + 128 as bytes
 * (VNNI multiplies unsigned by signed bytes), and per row s, s^2 ||q||^2, E. */
static void screen_pack_avx512(const uint16_t *xt, size_t d, size_t r, char *scr, float *rows_out) {
  __m512 amax = _mm512_setzero_ps();
  for (size_t j = 0; j < d; j++) amax = _mm512_max_ps(amax, _mm512_abs_ps(half_row_vec_avx512(xt, j, r)));
  const __m512 scale = _mm512_div_ps(amax, _mm512_set1_ps(127.0f));
  const __mmask16 live = _mm512_cmp_ps_mask(amax, _mm512_setzero_ps(), _CMP_GT_OQ);
  const __m512 inv = _mm512_maskz_div_ps(live, _mm512_set1_ps(127.0f), amax);
  __m512i qq = _mm512_setzero_si512();
  __m512 err = _mm512_setzero_ps();
  const size_t g = screen_groups(d);
  for (size_t gi = 0; gi < g; gi++) {
    __m512i packed = _mm512_setzero_si512();
    for (size_t b = 0; b < 4; b++) {
      const size_t j = gi * 4 + b;
      __m512i q = _mm512_setzero_si512();
      if (j < d) {
        const __m512 v = half_row_vec_avx512(xt, j, r);
        q = _mm512_cvtps_epi32(_mm512_mul_ps(v, inv)); /* nearest */
        q = _mm512_max_epi32(_mm512_min_epi32(q, _mm512_set1_epi32(127)), _mm512_set1_epi32(-127));
        const __m512 e = _mm512_fnmadd_ps(scale, _mm512_cvtepi32_ps(q), v);
        err = _mm512_fmadd_ps(e, e, err);
        qq = _mm512_add_epi32(qq, _mm512_mullo_epi32(q, q));
      }
      const __m512i u = _mm512_and_si512(_mm512_add_epi32(q, _mm512_set1_epi32(128)), _mm512_set1_epi32(0xFF));
      packed = _mm512_or_si512(packed, _mm512_slli_epi32(u, (unsigned)(8 * b)));
    }
    _mm512_storeu_si512(scr + (gi * 2 + r) * 64, packed);
  }
  /* The float32 sum of squares is within (d + 2) 2^-24 of the exact one. */
  const __m512 up = _mm512_set1_ps(1.0f + (float)(d + 8) * 0x1p-23f);
  _mm512_storeu_ps(rows_out, scale);
  _mm512_storeu_ps(rows_out + A512_ROW_TILE, _mm512_mul_ps(_mm512_mul_ps(scale, scale), _mm512_cvtepi32_ps(qq)));
  _mm512_storeu_ps(rows_out + 2 * A512_ROW_TILE, _mm512_mul_ps(_mm512_sqrt_ps(_mm512_mul_ps(err, up)), up));
}

/* Each value rounded to a half (ties to even) as it is stored; the padding
 * lanes hold +0.  Then each row's squared norm, from the stored halves. */
static void pack_rows_half(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld, size_t d, void *packed) {
  char *p = packed;
  const size_t tb = tile_half_bytes_avx512(d), noff = tile_half_norms_off_avx512(d);
  const size_t dr = (d + A512_LANES - 1) / A512_LANES * A512_LANES;
  for (size_t i0 = 0; i0 < rows; i0 += A512_ROW_TILE, p += tb) {
    uint16_t *xt = (uint16_t *)p;
    const size_t nr = rows - i0 < A512_ROW_TILE ? rows - i0 : A512_ROW_TILE;
    for (size_t r0 = 0; r0 < A512_ROW_TILE; r0 += A512_LANES) {
      for (size_t j0 = 0; j0 < dr; j0 += A512_LANES) {
        __m512 v[16];
        const __mmask16 m = mask16_first(d > j0 ? d - j0 : 0);
#pragma GCC unroll 16
        for (size_t r = 0; r < 16; r++)
          v[r] = r0 + r < nr ? _mm512_maskz_loadu_ps(m, x + (i0 + r0 + r) * ld + j0) : _mm512_setzero_ps();
        transpose16x16_avx512(v);
#pragma GCC unroll 16
        for (size_t q = 0; q < 16; q++)
          _mm256_storeu_si256((__m256i *)(xt + (j0 + q) * A512_ROW_TILE + r0),
                              _mm512_cvtps_ph(v[q], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
      }
      __m512 nrm = _mm512_setzero_ps();
      for (size_t j = 0; j < d; j++) {
        const __m512 v = half_row_vec_avx512(xt, j, r0 / A512_LANES);
        nrm = _mm512_fmadd_ps(v, v, nrm);
      }
      _mm512_storeu_ps((float *)(p + noff) + r0, nrm);
      screen_pack_avx512(xt, d, r0 / A512_LANES, p + tile_screen_off_avx512(d),
                         (float *)(p + tile_screen_rows_off_avx512(d)) + r0);
    }
  }
}

/* The expansion ||x||^2 + ||c||^2 - 2 x.c needs one fma per coordinate
 * where (x - c)^2 needs a subtraction too; with the products of halves
 * exact in float32 it loses only the sums' rounding, except where it
 * cancels: lanes whose result is below 2^-6 (||x||^2 + ||c||^2) are
 * recomputed directly (with the float kernel's order, so near-duplicates
 * get its bits).  A larger result is within (d + 2) 2^-24 / 2^-6 relative. */
#define A512_HALF_EXACT_BELOW 0x1p-6f

/* Up to two row vectors of half tiles (16 rows each, 32 halves between
 * coordinates), not necessarily of one tile: their norms, where their
 * distances go (candidate l at out[r] + l out_ld) and their valid lanes. */
typedef struct {
  const uint16_t *x[2];
  const float *xn[2];
  float *out[2];
  __mmask16 lanes[2];
} a512_half_rows;

A512_INLINE __m512 half_vec_at_avx512(const uint16_t *x, size_t j) {
  return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(x + j * A512_ROW_TILE)));
}

/* Direct squared distances of one row vector to one point. */
static __attribute__((noinline)) __m512 half_direct_avx512(const uint16_t *x, size_t d, const float *c) {
  __m512 acc = _mm512_setzero_ps();
  for (size_t j = 0; j < d; j++) {
    const __m512 t = _mm512_sub_ps(half_vec_at_avx512(x, j), _mm512_set1_ps(c[j]));
    acc = _mm512_fmadd_ps(t, t, acc);
  }
  return acc;
}

A512_INLINE void half_rows_step_avx512(const a512_half_rows *hr, size_t d, const float *c, const float *cn,
                                       const int kc, const int rv, size_t out_ld) {
  __m512 acc[2][A512_KC];
#pragma GCC unroll 8
  for (int l = 0; l < kc; l++) acc[0][l] = acc[1][l] = _mm512_setzero_ps();
  const uint16_t *xa = hr->x[0], *xb = rv == 2 ? hr->x[1] : hr->x[0];
  for (size_t j = 0; j < d; j++) {
    const __m512 x0 = half_vec_at_avx512(xa, j);
    const __m512 x1 = rv == 2 ? half_vec_at_avx512(xb, j) : x0;
#pragma GCC unroll 8
    for (int l = 0; l < kc; l++) {
      const __m512 cb = _mm512_set1_ps(c[(size_t)l * d + j]);
      acc[0][l] = _mm512_fmadd_ps(x0, cb, acc[0][l]);
      if (rv == 2) acc[1][l] = _mm512_fmadd_ps(x1, cb, acc[1][l]);
    }
  }
  const __m512 m2 = _mm512_set1_ps(-2.0f), zero = _mm512_setzero_ps(), tau = _mm512_set1_ps(A512_HALF_EXACT_BELOW);
  for (int r = 0; r < rv; r++) {
    const __m512 xnr = _mm512_loadu_ps(hr->xn[r]);
#pragma GCC unroll 8
    for (int l = 0; l < kc; l++) {
      const __m512 s = _mm512_add_ps(xnr, _mm512_set1_ps(cn[l]));
      __m512 e = _mm512_max_ps(_mm512_fmadd_ps(acc[r][l], m2, s), zero);
      const __mmask16 near = _mm512_mask_cmp_ps_mask(hr->lanes[r], e, _mm512_mul_ps(s, tau), _CMP_LT_OQ);
      if (near) e = _mm512_mask_mov_ps(e, near, half_direct_avx512(hr->x[r], d, c + (size_t)l * d));
      _mm512_mask_storeu_ps(hr->out[r] + (size_t)l * out_ld, hr->lanes[r], e);
    }
  }
}

/* All m points against the rows: groups of 8, then the tail made constant
 * by the switch. */
A512_INLINE void half_rows_avx512(const a512_half_rows *hr_in, size_t d, const float *c, const float *cn,
                                  size_t m, const int rv, size_t out_ld) {
  a512_half_rows hr = *hr_in;
  size_t l0 = 0;
  for (; l0 + A512_KC <= m; l0 += A512_KC) {
    half_rows_step_avx512(&hr, d, c + l0 * d, cn + l0, A512_KC, rv, out_ld);
    hr.out[0] += A512_KC * out_ld;
    hr.out[1] += A512_KC * out_ld;
  }
  const float *cl = c + l0 * d, *cnl = cn + l0;
  switch (m - l0) {
    case 7: half_rows_step_avx512(&hr, d, cl, cnl, 7, rv, out_ld); break;
    case 6: half_rows_step_avx512(&hr, d, cl, cnl, 6, rv, out_ld); break;
    case 5: half_rows_step_avx512(&hr, d, cl, cnl, 5, rv, out_ld); break;
    case 4: half_rows_step_avx512(&hr, d, cl, cnl, 4, rv, out_ld); break;
    case 3: half_rows_step_avx512(&hr, d, cl, cnl, 3, rv, out_ld); break;
    case 2: half_rows_step_avx512(&hr, d, cl, cnl, 2, rv, out_ld); break;
    case 1: half_rows_step_avx512(&hr, d, cl, cnl, 1, rv, out_ld); break;
    default: break;
  }
}

static __attribute__((noinline)) void half_rows_rv1_avx512(const a512_half_rows *hr, size_t d, const float *c,
                                                           const float *cn, size_t m, size_t out_ld) {
  half_rows_avx512(hr, d, c, cn, m, 1, out_ld);
}
static __attribute__((noinline)) void half_rows_rv2_avx512(const a512_half_rows *hr, size_t d, const float *c,
                                                           const float *cn, size_t m, size_t out_ld) {
  half_rows_avx512(hr, d, c, cn, m, 2, out_ld);
}

/* The rows of one tile: its two row vectors, or one when nr <= 16. */
static a512_half_rows half_tile_rows_avx512(const char *p, size_t d, size_t nr, float *out) {
  const uint16_t *xt = (const uint16_t *)p;
  const float *xn = (const float *)(p + tile_half_norms_off_avx512(d));
  a512_half_rows hr = {{xt, xt + A512_LANES}, {xn, xn + A512_LANES}, {out, out + A512_LANES},
                       {mask16_first(nr), mask16_first(nr > A512_LANES ? nr - A512_LANES : 0)}};
  return hr;
}

static void half_cand_norms_avx512(const float *c, size_t d, size_t m, float *cn) {
  for (size_t l = 0; l < m; l++) {
    __m512 acc = _mm512_setzero_ps();
    for (size_t j0 = 0; j0 < d; j0 += A512_LANES) {
      const __m512 v = _mm512_maskz_loadu_ps(mask16_first(d - j0), c + l * d + j0);
      acc = _mm512_fmadd_ps(v, v, acc);
    }
    cn[l] = _mm512_reduce_add_ps(acc);
  }
}

static void dist2_packed_half(const strata_kernel_ctx *ctx, const void *packed, size_t rows, size_t d, const float *cand,
                                     size_t m, float *out) {
  enum { GROUP = 64 };
  float cn[GROUP];
  for (size_t g0 = 0; g0 < m; g0 += GROUP) {
    const size_t mg = m - g0 < GROUP ? m - g0 : GROUP;
    const float *cg = cand + g0 * d;
    half_cand_norms_avx512(cg, d, mg, cn);
    const char *p = packed;
    const size_t tb = tile_half_bytes_avx512(d);
    for (size_t i0 = 0; i0 < rows; i0 += A512_ROW_TILE, p += tb) {
      const size_t nr = rows - i0 < A512_ROW_TILE ? rows - i0 : A512_ROW_TILE;
      const a512_half_rows hr = half_tile_rows_avx512(p, d, nr, out + g0 * rows + i0);
      if (nr > A512_LANES) half_rows_rv2_avx512(&hr, d, cg, cn, mg, rows);
      else half_rows_rv1_avx512(&hr, d, cg, cn, mg, rows);
    }
  }
}

/* The screen's integer products need AVX512-VNNI, checked at run time. */
#define A512_VNNI __attribute__((target("avx512vnni")))
#define A512_SCREEN_MAX_D 4096 /* the candidates' bytes live on the stack */

typedef struct {
  int32_t q[A512_KC][A512_SCREEN_MAX_D / 4]; /* 4 signed bytes per group */
  int32_t sum_q128[A512_KC];                 /* 128 sum(q): the unsigned rows' offset */
  float m2s[A512_KC], p[A512_KC], e[A512_KC];/* -2 s, s^2 ||q||^2, E (rounded up) */
} a512_screen_cands;

/* kc candidates (kc <= 8) as the screen wants them. */
static void screen_cands_avx512(const float *c, size_t d, size_t kc, a512_screen_cands *sc) {
  const __m512 up = _mm512_set1_ps(1.0f + (float)(d + 8) * 0x1p-23f);
  for (size_t l = 0; l < kc; l++) {
    const float *cl = c + l * d;
    __m512 amax = _mm512_setzero_ps();
    for (size_t j0 = 0; j0 < d; j0 += A512_LANES)
      amax = _mm512_max_ps(amax, _mm512_abs_ps(_mm512_maskz_loadu_ps(mask16_first(d - j0), cl + j0)));
    const float mx = _mm512_reduce_max_ps(amax), scale = mx / 127.0f, inv = mx > 0.0f ? 127.0f / mx : 0.0f;
    __m512i sq = _mm512_setzero_si512(), qq = _mm512_setzero_si512();
    __m512 err = _mm512_setzero_ps();
    int8_t *qb = (int8_t *)sc->q[l];
    for (size_t j0 = 0; j0 < screen_groups(d) * 4; j0 += A512_LANES) {
      const __mmask16 m = mask16_first(d > j0 ? d - j0 : 0);
      const __m512 v = _mm512_maskz_loadu_ps(m, cl + j0);
      __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(v, _mm512_set1_ps(inv)));
      q = _mm512_max_epi32(_mm512_min_epi32(q, _mm512_set1_epi32(127)), _mm512_set1_epi32(-127));
      const __m512 e = _mm512_fnmadd_ps(_mm512_set1_ps(scale), _mm512_cvtepi32_ps(q), v);
      err = _mm512_fmadd_ps(e, e, err);
      sq = _mm512_add_epi32(sq, q);
      qq = _mm512_add_epi32(qq, _mm512_mullo_epi32(q, q));
      const size_t nb = screen_groups(d) * 4 - j0 < A512_LANES ? screen_groups(d) * 4 - j0 : A512_LANES;
      int8_t bytes[A512_LANES];
      _mm_storeu_si128((__m128i *)bytes, _mm512_cvtepi32_epi8(q));
      memcpy(qb + j0, bytes, nb);
    }
    sc->sum_q128[l] = 128 * _mm512_reduce_add_epi32(sq);
    sc->m2s[l] = -2.0f * scale;
    sc->p[l] = scale * scale * (float)_mm512_reduce_add_epi32(qq);
    sc->e[l] = sqrtf(_mm512_reduce_add_ps(err) * _mm512_cvtss_f32(up)) * _mm512_cvtss_f32(up);
  }
}

/* Which lanes of each row vector of one tile have a pair with the kc
 * candidates that the screen does not prove at least the row's closest. */
A512_VNNI A512_INLINE void screen_tile_avx512(const char *scr, const float *rows, const float *xn,
                                              const float *closest, size_t g, const a512_screen_cands *sc,
                                              const int kc, const int rv, float cn_max, float errk,
                                              const __mmask16 lanes[2], __mmask16 need[2]) {
  __m512i acc[2][A512_KC];
#pragma GCC unroll 8
  for (int l = 0; l < kc; l++) acc[0][l] = acc[1][l] = _mm512_setzero_si512();
  for (size_t gi = 0; gi < g; gi++) {
    const __m512i x0 = _mm512_loadu_si512(scr + gi * 128);
    const __m512i x1 = rv == 2 ? _mm512_loadu_si512(scr + gi * 128 + 64) : x0;
#pragma GCC unroll 8
    for (int l = 0; l < kc; l++) {
      const __m512i cb = _mm512_set1_epi32(sc->q[l][gi]);
      acc[0][l] = _mm512_dpbusd_epi32(acc[0][l], x0, cb);
      if (rv == 2) acc[1][l] = _mm512_dpbusd_epi32(acc[1][l], x1, cb);
    }
  }
  for (int r = 0; r < rv; r++) {
    const __m512 xs = _mm512_loadu_ps(rows + r * A512_LANES);
    const __m512 px = _mm512_loadu_ps(rows + A512_ROW_TILE + r * A512_LANES);
    const __m512 ex = _mm512_loadu_ps(rows + 2 * A512_ROW_TILE + r * A512_LANES);
    const __m512 d0 = _mm512_maskz_loadu_ps(lanes[r], closest + r * A512_LANES);
    const __m512 slack = _mm512_fmadd_ps(_mm512_set1_ps(errk),
                                         _mm512_add_ps(_mm512_loadu_ps(xn + r * A512_LANES), _mm512_set1_ps(cn_max)),
                                         _mm512_mul_ps(d0, _mm512_set1_ps(1.0f + A512_SCREEN_REL)));
    const __m512 reach = _mm512_add_ps(_mm512_sqrt_ps(slack), ex);
    __mmask16 nd = 0;
#pragma GCC unroll 8
    for (int l = 0; l < kc; l++) {
      const __m512 dot = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][l], _mm512_set1_epi32(sc->sum_q128[l])));
      const __m512 pn = _mm512_add_ps(px, _mm512_set1_ps(sc->p[l]));
      const __m512 a = _mm512_fmadd_ps(_mm512_mul_ps(xs, _mm512_set1_ps(sc->m2s[l])), dot, pn);
      const __m512 a_lo = _mm512_fnmadd_ps(_mm512_set1_ps(A512_SCREEN_A_REL), pn, a);
      const __m512 t = _mm512_add_ps(reach, _mm512_set1_ps(sc->e[l]));
      nd |= _mm512_mask_cmp_ps_mask(lanes[r], a_lo, _mm512_mul_ps(t, t), _CMP_LT_OQ);
    }
    need[r] = nd;
  }
}

/* Screens every tile against kc candidates; a row vector the screen
 * clears gets closest, the others are measured two at a time (wherever they
 * are: a pair keeps the distance kernel at its full rate). */
A512_VNNI A512_INLINE void below_tiles_kc_avx512(const char *packed, size_t rows, size_t d, const float *c,
                                                 const float *cn, const a512_screen_cands *sc, const int kc,
                                                 const float *closest, float cn_max, float errk, float *out) {
  const size_t tb = tile_half_bytes_avx512(d);
  a512_half_rows pending;
  int npending = 0;
  const char *p = packed;
  for (size_t i0 = 0; i0 < rows; i0 += A512_ROW_TILE, p += tb) {
    const size_t nr = rows - i0 < A512_ROW_TILE ? rows - i0 : A512_ROW_TILE;
    const a512_half_rows hr = half_tile_rows_avx512(p, d, nr, out + i0);
    const int rv = nr > A512_LANES ? 2 : 1;
    const char *scr = p + tile_screen_off_avx512(d);
    const float *srows = (const float *)(p + tile_screen_rows_off_avx512(d));
    __mmask16 need[2] = {0, 0};
    if (rv == 2)
      screen_tile_avx512(scr, srows, hr.xn[0], closest + i0, screen_groups(d), sc, kc, 2, cn_max, errk, hr.lanes,
                         need);
    else
      screen_tile_avx512(scr, srows, hr.xn[0], closest + i0, screen_groups(d), sc, kc, 1, cn_max, errk, hr.lanes,
                         need);
    for (int r = 0; r < rv; r++) {
      if (!need[r]) {
        const __m512 cl = _mm512_maskz_loadu_ps(hr.lanes[r], closest + i0 + (size_t)r * A512_LANES);
        for (int l = 0; l < kc; l++) _mm512_mask_storeu_ps(hr.out[r] + (size_t)l * rows, hr.lanes[r], cl);
        continue;
      }
      pending.x[npending] = hr.x[r];
      pending.xn[npending] = hr.xn[r];
      pending.out[npending] = hr.out[r];
      pending.lanes[npending] = hr.lanes[r];
      if (++npending == 2) {
        half_rows_step_avx512(&pending, d, c, cn, kc, 2, rows);
        npending = 0;
      }
    }
  }
  if (npending) half_rows_step_avx512(&pending, d, c, cn, kc, 1, rows);
}

static A512_VNNI __attribute__((noinline)) void below_tiles_avx512(const void *packed, size_t rows, size_t d,
                                                                    const float *c, const float *cn,
                                                                    const a512_screen_cands *sc, size_t kc,
                                                                    const float *closest, float cn_max,
                                                                    float errk, float *out) {
  switch (kc) {
    case 8: below_tiles_kc_avx512(packed, rows, d, c, cn, sc, 8, closest, cn_max, errk, out); break;
    case 7: below_tiles_kc_avx512(packed, rows, d, c, cn, sc, 7, closest, cn_max, errk, out); break;
    case 6: below_tiles_kc_avx512(packed, rows, d, c, cn, sc, 6, closest, cn_max, errk, out); break;
    case 5: below_tiles_kc_avx512(packed, rows, d, c, cn, sc, 5, closest, cn_max, errk, out); break;
    case 4: below_tiles_kc_avx512(packed, rows, d, c, cn, sc, 4, closest, cn_max, errk, out); break;
    case 3: below_tiles_kc_avx512(packed, rows, d, c, cn, sc, 3, closest, cn_max, errk, out); break;
    case 2: below_tiles_kc_avx512(packed, rows, d, c, cn, sc, 2, closest, cn_max, errk, out); break;
    default: below_tiles_kc_avx512(packed, rows, d, c, cn, sc, 1, closest, cn_max, errk, out); break;
  }
}


/* kernels.h's dist2_packed_half_below: groups of 8 candidates through the
 * screen where the CPU has VNNI, else the plain distances. */
static void dist2_packed_half_below(const strata_kernel_ctx *ctx, const void *packed, size_t rows,
                                    size_t d, const float *cand, size_t m, const float *closest,
                                    float *out) {
  if (!strata_cpu_info_get()->cpu_avx512vnni || d > A512_SCREEN_MAX_D) {
    dist2_packed_half(ctx, packed, rows, d, cand, m, out);
    return;
  }
  a512_screen_cands sc;
  float cn[A512_KC];
  /* The distance kernel's float32 error: twice the dot product's (d 2^-24
   * of the norms each) and the sums', with room. */
  const float errk = (float)(2 * d + 8) * 0x1p-24f;
  for (size_t g0 = 0; g0 < m; g0 += A512_KC) {
    const size_t kc = m - g0 < A512_KC ? m - g0 : A512_KC;
    const float *cg = cand + g0 * d;
    float cn_max = 0.0f;
    half_cand_norms_avx512(cg, d, kc, cn);
    for (size_t l = 0; l < kc; l++) cn_max = cn[l] > cn_max ? cn[l] : cn_max;
    screen_cands_avx512(cg, d, kc, &sc);
    below_tiles_avx512(packed, rows, d, cg, cn, &sc, kc, closest, cn_max, errk, out + g0 * rows);
  }
}

/* ---- k-means++ potentials --------------------------------------------- */

/* kernels.h's min_sum: the four accumulators hold lanes l = i mod 32 in
 * order, and the reference finishes the tail and the combination, so the
 * sum is the reference's bit for bit. */
A512_INLINE void min_sum16_avx512(const float *a, const float *b, float *out, __m512d *lo, __m512d *hi) {
  const __m512 v = _mm512_min_ps(_mm512_loadu_ps(a), _mm512_loadu_ps(b));
  _mm512_storeu_ps(out, v);
  *lo = _mm512_add_pd(*lo, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
  *hi = _mm512_add_pd(*hi, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))));
}

static double min_sum(const strata_kernel_ctx *ctx, const float *a, const float *b, float *out, size_t n) {
  __m512d s[4] = {_mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd(), _mm512_setzero_pd()};
  size_t i = 0;
  for (; i + 2 * A512_LANES <= n; i += 2 * A512_LANES) {
    min_sum16_avx512(a + i, b + i, out + i, &s[0], &s[1]);
    min_sum16_avx512(a + i + A512_LANES, b + i + A512_LANES, out + i + A512_LANES, &s[2], &s[3]);
  }
  double lanes[32];
  for (int q = 0; q < 4; q++) _mm512_storeu_pd(lanes + 8 * q, s[q]);
  return strata_min_sum_tail(lanes, a, b, out, i, n);
}

/* ---- BLAS path: fused argmin over a score tile -------------------------- */

static void argmin_scan(const float *s, size_t nr, size_t lds, const float *cn, size_t kt, int32_t l0,
                        float *best, float *second, int32_t *best_idx) {
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i step = _mm512_set1_epi32(A512_LANES);
  for (size_t r = 0; r < nr; r++) {
    const float *sr = s + r * lds;
    __m512 bv = _mm512_set1_ps(INFINITY), sv = bv;
    __m512i bi = _mm512_setzero_si512();
    __m512i idx = _mm512_add_epi32(lane, _mm512_set1_epi32(l0));
    size_t l = 0;
    for (; l + A512_LANES <= kt; l += A512_LANES) {
      const __m512 v = _mm512_add_ps(_mm512_loadu_ps(sr + l), _mm512_loadu_ps(cn + l));
      const __mmask16 lt = _mm512_cmp_ps_mask(v, bv, _CMP_LT_OQ);
      sv = _mm512_min_ps(sv, _mm512_max_ps(bv, v));
      bv = _mm512_mask_mov_ps(bv, lt, v);
      bi = _mm512_mask_mov_epi32(bi, lt, idx);
      idx = _mm512_add_epi32(idx, step);
    }
    if (l < kt) {
      const __mmask16 m = mask16_first(kt - l);
      const __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, sr + l), _mm512_maskz_loadu_ps(m, cn + l));
      const __mmask16 lt = _mm512_mask_cmp_ps_mask(m, v, bv, _CMP_LT_OQ);
      sv = _mm512_mask_min_ps(sv, m, sv, _mm512_max_ps(bv, v));
      bv = _mm512_mask_mov_ps(bv, lt, v);
      bi = _mm512_mask_mov_epi32(bi, lt, idx);
    }
    /* Each lane kept its lowest index; across lanes take the lowest index
     * among those holding the minimum.  A later tile must be strictly
     * better to win, as its indices are all higher.  The runner-up is the
     * smallest of the lanes' runners-up and the other lanes' minima. */
    const float vmin = _mm512_reduce_min_ps(bv);
    const __mmask16 eq = _mm512_cmp_ps_mask(bv, _mm512_set1_ps(vmin), _CMP_EQ_OQ);
    const __mmask16 one = (__mmask16)(eq & (0u - (unsigned)eq));
    const float o = _mm512_mask_reduce_min_ps((__mmask16)~one, bv), t = _mm512_reduce_min_ps(sv);
    if (vmin < best[r]) best_idx[r] = _mm512_mask_reduce_min_epi32(eq, bi);
    strata_scan_merge(vmin, o < t ? o : t, &best[r], &second[r]);
  }
}

/* ---- the framework, compiled for AVX-512 -------------------------------- */

#define SF_HAS_SMALL_PATH
#define SF_NAME "avx512"
#define SF_DIRECT_TABLE strata_kernels_avx512_table
#define SF_BLAS_TABLE strata_kernels_blas_avx512_table
#define SF_BLAS_DIRECT_ONLY strata_blas_direct_only_avx512
#define SF_HALF_BELOW dist2_packed_half_below
#include "simd_frame.h"
