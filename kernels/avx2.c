/* AVX2 + FMA kernels.  This file alone is compiled with -mavx2 -mfma -mf16c
 * (kernels/CMakeLists.txt); dispatch.c hands its tables out only after
 * cpu_features.c has seen AVX2, FMA and F16C in CPUID and the YMM state in
 * XCR0.
 *
 * Same design as avx512.c at half the width, with the register tile sized
 * for 16 ymm registers: a tile of 16 rows is transposed into scratch so one
 * ymm holds feature j of 8 rows, and (x - c)^2 is accumulated in float32 for
 * 2×8 rows × 4 centroids (8 accumulators).  Ties keep the lower index (strict
 * '<' in increasing centroid order).  The epilogue adds rows to the float64
 * sums in increasing row order and the exact float64 (x - c_label)^2 to the
 * inertia: for d <= 16 and k <= 64 label by label after the block, as in
 * avx512.c, with a table-driven vpermd standing in for vpcompressd
 * (accumulate_grouped); otherwise per row after each tile.  On CPUs
 * with only AVX2, sgemm beats
 * this kernel for d >= 64 and k*d >= 8192; strata_kernels_for_shape("auto")
 * switches there. */
#if !defined(__AVX2__) || !defined(__FMA__) || !defined(__F16C__)
#error "avx2.c must be compiled with -mavx2 -mfma -mf16c (see kernels/CMakeLists.txt)"
#endif

#include <immintrin.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels_internal.h"

#define A2_LANES 8
#define A2_ROW_TILE 16 /* rows per tile: two ymm of rows */
#define A2_KC 4        /* centroids per register tile: 2×4 accumulators */

#define A2_INLINE static inline __attribute__((always_inline))

/* maskload/maskstore masks: the first n of 8 int32 lanes set. */
static const int32_t a2_mask_table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

static inline __m256i mask8_first_avx2(size_t n) {
  return _mm256_loadu_si256((const __m256i *)(a2_mask_table + 8 - (n < 8 ? n : 8)));
}
/* The first n of 4 lanes set: for 4×int32 (__m128i) ... */
static inline __m128i mask4x32_first_avx2(size_t n) {
  return _mm_loadu_si128((const __m128i *)(a2_mask_table + 8 - (n < 4 ? n : 4)));
}
/* ... and for 4×int64 (__m256i), widened from the same table. */
static inline __m256i mask4x64_first_avx2(size_t n) {
  return _mm256_cvtepi32_epi64(mask4x32_first_avx2(n));
}

/* ---- transpose -------------------------------------------------------- */

A2_INLINE void transpose8x8_avx2(__m256 r[8]) {
  __m256 t[8], s[8];
#pragma GCC unroll 4
  for (int i = 0; i < 4; i++) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
#pragma GCC unroll 2
  for (int g = 0; g < 2; g++) {
    s[4 * g + 0] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
    s[4 * g + 1] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
    s[4 * g + 2] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    s[4 * g + 3] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
#pragma GCC unroll 4
  for (int q = 0; q < 4; q++) {
    r[q] = _mm256_permute2f128_ps(s[q], s[4 + q], 0x20);
    r[4 + q] = _mm256_permute2f128_ps(s[q], s[4 + q], 0x31);
  }
}

/* ---- the framework's vocabulary (kernels/simd_frame.h) ------------------ */

#define SF_LANES A2_LANES
#define SF_KC A2_KC
#define SF_DLANES 4 /* the epilogue's float64 chunks */
#define SF_INLINE A2_INLINE
typedef __m256 sf_ps;
typedef __m256i sf_pi;
typedef __m256d sf_pd;
typedef __m256i sf_rmask; /* maskload/maskstore lanes */
#define sf_setzero_ps _mm256_setzero_ps
#define sf_set1_ps _mm256_set1_ps
#define sf_loadu_ps _mm256_loadu_ps
#define sf_sub_ps _mm256_sub_ps
#define sf_fmadd_ps _mm256_fmadd_ps
#define sf_bcast_ps _mm256_broadcast_ss
#define sf_setzero_pi _mm256_setzero_si256
#define sf_set1_epi32 _mm256_set1_epi32
#define sf_store_pi(p, v) _mm256_store_si256((__m256i *)(p), (v))
#define sf_rmask_first mask8_first_avx2
#define sf_store_rows_ps _mm256_maskstore_ps
#define sf_store_rows_epi32 _mm256_maskstore_epi32
#define sf_maskload_rows_ps _mm256_maskload_ps
#define sf_round_half_ps(v) _mm256_cvtph_ps(_mm256_cvtps_ph((v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC))
#define sf_setzero_pd _mm256_setzero_pd
#define sf_add_pd _mm256_add_pd
#define sf_fmadd_pd _mm256_fmadd_pd
#define sf_hsum_pd hsum_pd_avx2
#define sf_transpose transpose8x8_avx2
#define sf_storeu_ps _mm256_storeu_ps
typedef __m128i sf_dmask; /* float32 lanes of a 4-wide chunk (maskload) */
#define sf_dmask_first mask4x32_first_avx2
#define sf_loadu_pd _mm256_loadu_pd
#define sf_storeu_pd _mm256_storeu_pd
#define sf_sub_pd _mm256_sub_pd
#define sf_cvtload_pd(p) _mm256_cvtps_pd(_mm_loadu_ps(p))
#define sf_cvtload_tail_pd load4_tail_pd_avx2
#define sf_maskload_cvt_pd(p, m) _mm256_cvtps_pd(_mm_maskload_ps((p), (m)))

A2_INLINE void sf_argmin_step(__m256 acc, __m256 *best, __m256i *bidx, __m256i idx) {
  const __m256 lt = _mm256_cmp_ps(acc, *best, _CMP_LT_OQ);
  *best = _mm256_blendv_ps(*best, acc, lt);
  *bidx = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(*bidx), _mm256_castsi256_ps(idx), lt));
}

/* ---- epilogue chunks (the loop is accumulate_tile in simd_frame.h) ------- */

/* The lanes m of 4 floats at p, widened to float64, the rest zero; a plain
 * load when it stays below end (maskload is slow on AMD). */
A2_INLINE __m256d load4_tail_pd_avx2(const float *p, __m128i m, const float *end) {
  if (end - p >= 4) return _mm256_cvtps_pd(_mm_and_ps(_mm_loadu_ps(p), _mm_castsi128_ps(m)));
  return _mm256_cvtps_pd(_mm_maskload_ps(p, m));
}

/* sums[lanes m] += x (a row's last chunk). */
A2_INLINE void sf_mask_add_pd(double *p, __m128i m, __m256d x) {
  const __m256i m64 = _mm256_cvtepi32_epi64(m);
  _mm256_maskstore_pd(p, m64, _mm256_add_pd(_mm256_maskload_pd(p, m64), x));
}

/* x - c of chunk j in float64 (the BLAS path's distances without sums). */
A2_INLINE __m256d sf_row_diff_pd(const float *xi, const float *cl, size_t j, size_t d,
                                 const float *x_end) {
  const __m256d xj = j + 4 <= d ? _mm256_cvtps_pd(_mm_loadu_ps(xi + j))
                                : load4_tail_pd_avx2(xi + j, mask4x32_first_avx2(d - j), x_end);
  const __m256d cj = j + 4 <= d ? _mm256_cvtps_pd(_mm_loadu_ps(cl + j))
                                : load4_tail_pd_avx2(cl + j, mask4x32_first_avx2(d - j), cl);
  return _mm256_sub_pd(xj, cj);
}

static inline double hsum_pd_avx2(__m256d v) {
  const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}


/* ---- label-grouped epilogue (small k and d) ------------------------------
 *
 * The loop is simd_frame.h's (accumulate_grouped): after the argmin of the
 * whole block the rows of each label are listed in increasing order, and G
 * labels at a time are accumulated with their float64 sums in registers,
 * each label's rows in row order (bit-identical sums), G chains interleaved
 * so that the add latency is not paid per row, and no store-to-load chain
 * between rows of the same label (the per-row epilogue pays one on every
 * row of sorted data).  AVX2 has no vpcompressd: a row's 8 labels are
 * compared with a label, the mask picks a permutation from a 256-entry
 * table, and vpermd packs the matching rows' offsets.  The centroids are
 * read from a float64 copy in scratch (16 ymm registers hold only the sums
 * of G labels). */
#define A2_GROUP_MAX_K 64
#define A2_GROUP_MAX_D 16

/* Byte j of entry m: the lane of the j-th set bit of m. */
static const uint64_t a2_compress_lut[256] = {
  0x0000000000000000ull, 0x0000000000000000ull, 0x0000000000000001ull, 0x0000000000000100ull,
  0x0000000000000002ull, 0x0000000000000200ull, 0x0000000000000201ull, 0x0000000000020100ull,
  0x0000000000000003ull, 0x0000000000000300ull, 0x0000000000000301ull, 0x0000000000030100ull,
  0x0000000000000302ull, 0x0000000000030200ull, 0x0000000000030201ull, 0x0000000003020100ull,
  0x0000000000000004ull, 0x0000000000000400ull, 0x0000000000000401ull, 0x0000000000040100ull,
  0x0000000000000402ull, 0x0000000000040200ull, 0x0000000000040201ull, 0x0000000004020100ull,
  0x0000000000000403ull, 0x0000000000040300ull, 0x0000000000040301ull, 0x0000000004030100ull,
  0x0000000000040302ull, 0x0000000004030200ull, 0x0000000004030201ull, 0x0000000403020100ull,
  0x0000000000000005ull, 0x0000000000000500ull, 0x0000000000000501ull, 0x0000000000050100ull,
  0x0000000000000502ull, 0x0000000000050200ull, 0x0000000000050201ull, 0x0000000005020100ull,
  0x0000000000000503ull, 0x0000000000050300ull, 0x0000000000050301ull, 0x0000000005030100ull,
  0x0000000000050302ull, 0x0000000005030200ull, 0x0000000005030201ull, 0x0000000503020100ull,
  0x0000000000000504ull, 0x0000000000050400ull, 0x0000000000050401ull, 0x0000000005040100ull,
  0x0000000000050402ull, 0x0000000005040200ull, 0x0000000005040201ull, 0x0000000504020100ull,
  0x0000000000050403ull, 0x0000000005040300ull, 0x0000000005040301ull, 0x0000000504030100ull,
  0x0000000005040302ull, 0x0000000504030200ull, 0x0000000504030201ull, 0x0000050403020100ull,
  0x0000000000000006ull, 0x0000000000000600ull, 0x0000000000000601ull, 0x0000000000060100ull,
  0x0000000000000602ull, 0x0000000000060200ull, 0x0000000000060201ull, 0x0000000006020100ull,
  0x0000000000000603ull, 0x0000000000060300ull, 0x0000000000060301ull, 0x0000000006030100ull,
  0x0000000000060302ull, 0x0000000006030200ull, 0x0000000006030201ull, 0x0000000603020100ull,
  0x0000000000000604ull, 0x0000000000060400ull, 0x0000000000060401ull, 0x0000000006040100ull,
  0x0000000000060402ull, 0x0000000006040200ull, 0x0000000006040201ull, 0x0000000604020100ull,
  0x0000000000060403ull, 0x0000000006040300ull, 0x0000000006040301ull, 0x0000000604030100ull,
  0x0000000006040302ull, 0x0000000604030200ull, 0x0000000604030201ull, 0x0000060403020100ull,
  0x0000000000000605ull, 0x0000000000060500ull, 0x0000000000060501ull, 0x0000000006050100ull,
  0x0000000000060502ull, 0x0000000006050200ull, 0x0000000006050201ull, 0x0000000605020100ull,
  0x0000000000060503ull, 0x0000000006050300ull, 0x0000000006050301ull, 0x0000000605030100ull,
  0x0000000006050302ull, 0x0000000605030200ull, 0x0000000605030201ull, 0x0000060503020100ull,
  0x0000000000060504ull, 0x0000000006050400ull, 0x0000000006050401ull, 0x0000000605040100ull,
  0x0000000006050402ull, 0x0000000605040200ull, 0x0000000605040201ull, 0x0000060504020100ull,
  0x0000000006050403ull, 0x0000000605040300ull, 0x0000000605040301ull, 0x0000060504030100ull,
  0x0000000605040302ull, 0x0000060504030200ull, 0x0000060504030201ull, 0x0006050403020100ull,
  0x0000000000000007ull, 0x0000000000000700ull, 0x0000000000000701ull, 0x0000000000070100ull,
  0x0000000000000702ull, 0x0000000000070200ull, 0x0000000000070201ull, 0x0000000007020100ull,
  0x0000000000000703ull, 0x0000000000070300ull, 0x0000000000070301ull, 0x0000000007030100ull,
  0x0000000000070302ull, 0x0000000007030200ull, 0x0000000007030201ull, 0x0000000703020100ull,
  0x0000000000000704ull, 0x0000000000070400ull, 0x0000000000070401ull, 0x0000000007040100ull,
  0x0000000000070402ull, 0x0000000007040200ull, 0x0000000007040201ull, 0x0000000704020100ull,
  0x0000000000070403ull, 0x0000000007040300ull, 0x0000000007040301ull, 0x0000000704030100ull,
  0x0000000007040302ull, 0x0000000704030200ull, 0x0000000704030201ull, 0x0000070403020100ull,
  0x0000000000000705ull, 0x0000000000070500ull, 0x0000000000070501ull, 0x0000000007050100ull,
  0x0000000000070502ull, 0x0000000007050200ull, 0x0000000007050201ull, 0x0000000705020100ull,
  0x0000000000070503ull, 0x0000000007050300ull, 0x0000000007050301ull, 0x0000000705030100ull,
  0x0000000007050302ull, 0x0000000705030200ull, 0x0000000705030201ull, 0x0000070503020100ull,
  0x0000000000070504ull, 0x0000000007050400ull, 0x0000000007050401ull, 0x0000000705040100ull,
  0x0000000007050402ull, 0x0000000705040200ull, 0x0000000705040201ull, 0x0000070504020100ull,
  0x0000000007050403ull, 0x0000000705040300ull, 0x0000000705040301ull, 0x0000070504030100ull,
  0x0000000705040302ull, 0x0000070504030200ull, 0x0000070504030201ull, 0x0007050403020100ull,
  0x0000000000000706ull, 0x0000000000070600ull, 0x0000000000070601ull, 0x0000000007060100ull,
  0x0000000000070602ull, 0x0000000007060200ull, 0x0000000007060201ull, 0x0000000706020100ull,
  0x0000000000070603ull, 0x0000000007060300ull, 0x0000000007060301ull, 0x0000000706030100ull,
  0x0000000007060302ull, 0x0000000706030200ull, 0x0000000706030201ull, 0x0000070603020100ull,
  0x0000000000070604ull, 0x0000000007060400ull, 0x0000000007060401ull, 0x0000000706040100ull,
  0x0000000007060402ull, 0x0000000706040200ull, 0x0000000706040201ull, 0x0000070604020100ull,
  0x0000000007060403ull, 0x0000000706040300ull, 0x0000000706040301ull, 0x0000070604030100ull,
  0x0000000706040302ull, 0x0000070604030200ull, 0x0000070604030201ull, 0x0007060403020100ull,
  0x0000000000070605ull, 0x0000000007060500ull, 0x0000000007060501ull, 0x0000000706050100ull,
  0x0000000007060502ull, 0x0000000706050200ull, 0x0000000706050201ull, 0x0000070605020100ull,
  0x0000000007060503ull, 0x0000000706050300ull, 0x0000000706050301ull, 0x0000070605030100ull,
  0x0000000706050302ull, 0x0000070605030200ull, 0x0000070605030201ull, 0x0007060503020100ull,
  0x0000000007060504ull, 0x0000000706050400ull, 0x0000000706050401ull, 0x0000070605040100ull,
  0x0000000706050402ull, 0x0000070605040200ull, 0x0000070605040201ull, 0x0007060504020100ull,
  0x0000000706050403ull, 0x0000070605040300ull, 0x0000070605040301ull, 0x0007060504030100ull,
  0x0000070605040302ull, 0x0007060504030200ull, 0x0007060504030201ull, 0x0706050403020100ull,
};

/* The lanes of v selected by m (8 bits), packed to the front. */
A2_INLINE __m256i compress_epi32_avx2(unsigned m, __m256i v) {
  const __m256i perm = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(a2_compress_lut + m)));
  return _mm256_permutevar8x32_epi32(v, perm);
}

typedef unsigned sf_lmask; /* movemask bits */
#define sf_compress_epi32 compress_epi32_avx2
#define sf_cmpeq_lanes(v, l) ((unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32((v), (l)))))
#define sf_loadu_pi(p) _mm256_loadu_si256((const __m256i *)(p))
#define sf_storeu_pi(p, v) _mm256_storeu_si256((__m256i *)(p), (v))
#define sf_add_epi32 _mm256_add_epi32
#define sf_mullo_epi32 _mm256_mullo_epi32
#define sf_iota_epi32() _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)

/* The lists' last labels i < i_end (fewer than 8), one at a time; lv holds
 * the label (-1: none). */
A2_INLINE size_t sf_list_tail(int32_t *dst, const int32_t *labels, size_t i, size_t i_end, size_t ld,
                              __m256i lv, __m256i iv) {
  const int32_t l = _mm256_cvtsi256_si32(lv);
  size_t n = 0;
  for (; i < i_end; i++)
    if (labels[i] == l) dst[n++] = (int32_t)(i * ld);
  return n;
}

#define SF_GROUP_MAX_K A2_GROUP_MAX_K
#define SF_GROUP_MAX_D A2_GROUP_MAX_D
#define SF_GROUP_NV 4 /* 4-wide chunks per row, at most */

typedef struct {
  const float *x;
  const double *cd; /* float64 centroids, row stride 4 nv (padding zero) */
  double *sums;     /* acc->sums, row stride d */
  size_t d;
  __m256i mf[4]; /* float32 lanes of each 4-wide chunk that are < d (and) */
  __m256i md[4]; /* the same as 64-bit masks (maskload/maskstore) */
} sf_group;
typedef const double *sf_slot_cent; /* a slot's row of the float64 centroids */

A2_INLINE void sf_group_init(sf_group *g, const float *x, size_t d, const float *c, size_t k,
                             double *sums, const double *cd) {
  g->x = x;
  g->cd = cd;
  g->sums = sums;
  g->d = d;
  for (size_t v = 0; v < 4; v++) {
    const size_t nj = 4 * v < d ? (d - 4 * v < 4 ? d - 4 * v : 4) : 0;
    g->mf[v] = _mm256_castsi128_si256(mask4x32_first_avx2(nj));
    g->md[v] = mask4x64_first_avx2(nj);
  }
}

/* 4-wide chunks per row of the grouped epilogue. */
static int sf_group_nv(size_t d) { return d <= 4 ? 1 : d <= 8 ? 2 : 4; }

/* The float64 centroids (k rows of 4 nv, padding zero), after the lists. */
static size_t sf_group_cents_bytes(size_t d, size_t k) {
  return strata_round_up64(k * 4 * (size_t)sf_group_nv(d) * sizeof(double));
}
static const double *sf_group_cents(const float *c, size_t d, size_t k, void *at) {
  const size_t sc = 4 * (size_t)sf_group_nv(d);
  double *cd = at;
  for (size_t l = 0; l < k; l++)
    for (size_t j = 0; j < sc; j++) cd[l * sc + j] = j < d ? (double)c[l * d + j] : 0.0;
  return cd;
}

/* One row at element offset o into slot s: s += x; returns its (x - c)^2
 * summed over the chunks. full: d == 4 nv (no lane masks). */
A2_INLINE __m256d slot_row_avx2(const sf_group *g, size_t o, __m256d s[4], const double *cdl,
                                const int nv, const int full) {
  const float *xi = g->x + o;
  __m256d e = _mm256_setzero_pd();
#pragma GCC unroll 4
  for (int v = 0; v < nv; v++) {
    __m128 raw = _mm_loadu_ps(xi + 4 * v);
    if (!full) raw = _mm_and_ps(raw, _mm256_castps256_ps128(_mm256_castsi256_ps(g->mf[v])));
    const __m256d xj = _mm256_cvtps_pd(raw);
    s[v] = _mm256_add_pd(s[v], xj);
    const __m256d dj = _mm256_sub_pd(xj, _mm256_loadu_pd(cdl + 4 * v));
    e = v == 0 ? _mm256_mul_pd(dj, dj) : _mm256_fmadd_pd(dj, dj, e);
  }
  return e;
}

/* A slot takes label l: its sums into registers, its centroid row. */
A2_INLINE void sf_slot_load(const sf_group *g, size_t l, __m256d s[4], const double **cd,
                            const int nv, const int full) {
  *cd = g->cd + l * 4 * (size_t)nv;
  const double *sl = g->sums + l * g->d;
#pragma GCC unroll 4
  for (int v = 0; v < nv; v++)
    s[v] = full ? _mm256_loadu_pd(sl + 4 * v) : _mm256_maskload_pd(sl + 4 * v, g->md[v]);
}

A2_INLINE void sf_slot_store(const sf_group *g, size_t l, const __m256d s[4], const int nv,
                             const int full) {
  double *sl = g->sums + l * g->d;
#pragma GCC unroll 4
  for (int v = 0; v < nv; v++) {
    if (full) _mm256_storeu_pd(sl + 4 * v, s[v]);
    else _mm256_maskstore_pd(sl + 4 * v, g->md[v], s[v]);
  }
}

/* steps rows of every slot, one step at a time; each slot's squares go
 * into qa (qb stays unused). */
A2_INLINE void sf_slot_steps(const sf_group *g, const int32_t *const p[], __m256d s[][4],
                             const double *const cd[], __m256d qa[], __m256d qb[], size_t steps,
                             const int nv, const int full, const int G) {
  for (size_t t = 0; t < steps; t++) {
#pragma GCC unroll 4
    for (int u = 0; u < G; u++)
      qa[u] = _mm256_add_pd(qa[u], slot_row_avx2(g, (size_t)p[u][t], s[u], cd[u], nv, full));
  }
}
#define sf_slot_inertia(qa, qb) (qa)

/* ---- BLAS path: fused argmin over a score tile -------------------------- */

static inline float hmin_ps_avx2(__m256 v) {
  __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_min_ps(m, _mm_shuffle_ps(m, m, 0x4E));
  m = _mm_min_ps(m, _mm_shuffle_ps(m, m, 0xB1));
  return _mm_cvtss_f32(m);
}

static inline int32_t hmin_epi32_avx2(__m256i v) {
  __m128i m = _mm_min_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  m = _mm_min_epi32(m, _mm_shuffle_epi32(m, 0x4E));
  m = _mm_min_epi32(m, _mm_shuffle_epi32(m, 0xB1));
  return _mm_cvtsi128_si32(m);
}

static void argmin_scan(const float *s, size_t nr, size_t lds, const float *cn, size_t kt, int32_t l0,
                        float *best, float *second, int32_t *best_idx) {
  const __m256i step = _mm256_set1_epi32(A2_LANES);
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256 inf = _mm256_set1_ps(INFINITY);
  for (size_t r = 0; r < nr; r++) {
    const float *sr = s + r * lds;
    __m256 bv = inf, sv = inf;
    __m256i bi = _mm256_setzero_si256();
    __m256i idx = _mm256_add_epi32(iota, _mm256_set1_epi32(l0));
    size_t l = 0;
    for (; l + A2_LANES <= kt; l += A2_LANES) {
      const __m256 v = _mm256_add_ps(_mm256_loadu_ps(sr + l), _mm256_loadu_ps(cn + l));
      const __m256 lt = _mm256_cmp_ps(v, bv, _CMP_LT_OQ);
      sv = _mm256_min_ps(sv, _mm256_max_ps(bv, v));
      bv = _mm256_blendv_ps(bv, v, lt);
      bi = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(bi), _mm256_castsi256_ps(idx), lt));
      idx = _mm256_add_epi32(idx, step);
    }
    if (l < kt) {
      const __m256i m = mask8_first_avx2(kt - l);
      /* Lanes past kt become +inf and so never win (nor come second). */
      const __m256 v = _mm256_blendv_ps(inf, _mm256_add_ps(_mm256_maskload_ps(sr + l, m),
                                                           _mm256_maskload_ps(cn + l, m)),
                                        _mm256_castsi256_ps(m));
      const __m256 lt = _mm256_cmp_ps(v, bv, _CMP_LT_OQ);
      sv = _mm256_min_ps(sv, _mm256_max_ps(bv, v));
      bv = _mm256_blendv_ps(bv, v, lt);
      bi = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(bi), _mm256_castsi256_ps(idx), lt));
    }
    const float vmin = hmin_ps_avx2(bv);
    const __m256 eq = _mm256_cmp_ps(bv, _mm256_set1_ps(vmin), _CMP_EQ_OQ);
    /* The runner-up: the lanes' runners-up and every lane's minimum but one
     * lane holding vmin. */
    const int bits = _mm256_movemask_ps(eq);
    const __m256 one = _mm256_castsi256_ps(_mm256_cmpeq_epi32(iota, _mm256_set1_epi32(bits ? __builtin_ctz((unsigned)bits) : 8)));
    const float o = hmin_ps_avx2(_mm256_blendv_ps(bv, inf, one)), t = hmin_ps_avx2(sv);
    if (vmin < best[r]) {
      const __m256i cand = _mm256_castps_si256(
          _mm256_blendv_ps(_mm256_castsi256_ps(_mm256_set1_epi32(INT32_MAX)), _mm256_castsi256_ps(bi), eq));
      best_idx[r] = hmin_epi32_avx2(cand);
    }
    strata_scan_merge(vmin, o < t ? o : t, &best[r], &second[r]);
  }
}

/* ---- half-precision packed rows (k-means++ on large samples) ------------
 *
 * As in avx512.c: a tile of 16 rows is kept transposed in halves (F16C),
 * 16 halves per coordinate, then the 16 rows' squared norms in float32; the
 * distances use the expansion ||x||^2 + ||c||^2 - 2 x.c (one fma per
 * coordinate; the products of halves are exact in float32), and lanes below
 * 2^-6 of the norms are recomputed directly. */
#define A2_HALF_EXACT_BELOW 0x1p-6f

static size_t tile_half_norms_off_avx2(size_t d) {
  return strata_round_up64((d ? d : 1) * A2_ROW_TILE * sizeof(uint16_t));
}
static size_t tile_half_bytes_avx2(size_t d) {
  return tile_half_norms_off_avx2(d) + strata_round_up64(A2_ROW_TILE * sizeof(float));
}
static size_t packed_half_bytes(const strata_kernel_ctx *ctx, size_t rows, size_t d) {
  return (rows + A2_ROW_TILE - 1) / A2_ROW_TILE * tile_half_bytes_avx2(d);
}

A2_INLINE __m256 half_vec_at_avx2(const uint16_t *x, size_t j) {
  return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + j * A2_ROW_TILE)));
}

/* Each value rounded to a half (ties to even) as it is stored; rows past
 * the end hold +0.  Then each row's squared norm from the stored halves. */
static void pack_rows_half(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld, size_t d, void *packed) {
  char *p = packed;
  const size_t tb = tile_half_bytes_avx2(d), noff = tile_half_norms_off_avx2(d);
  for (size_t i0 = 0; i0 < rows; i0 += A2_ROW_TILE, p += tb) {
    uint16_t *xt = (uint16_t *)p;
    const size_t nr = rows - i0 < A2_ROW_TILE ? rows - i0 : A2_ROW_TILE;
    memset(xt, 0, d * A2_ROW_TILE * sizeof *xt);
    for (size_t r = 0; r < nr; r++) {
      const float *xr = x + (i0 + r) * ld;
      for (size_t j0 = 0; j0 < d; j0 += A2_LANES) {
        uint16_t h[A2_LANES];
        _mm_storeu_si128((__m128i *)h, _mm256_cvtps_ph(_mm256_maskload_ps(xr + j0, mask8_first_avx2(d - j0)),
                                                       _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        for (size_t q = 0; q < A2_LANES && j0 + q < d; q++) xt[(j0 + q) * A2_ROW_TILE + r] = h[q];
      }
    }
    for (size_t r0 = 0; r0 < A2_ROW_TILE; r0 += A2_LANES) {
      __m256 nrm = _mm256_setzero_ps();
      for (size_t j = 0; j < d; j++) {
        const __m256 v = half_vec_at_avx2(xt + r0, j);
        nrm = _mm256_fmadd_ps(v, v, nrm);
      }
      _mm256_storeu_ps((float *)(p + noff) + r0, nrm);
    }
  }
}

/* Direct squared distances of one 8-row vector to one point. */
static __attribute__((noinline)) __m256 half_direct_avx2(const uint16_t *x, size_t d, const float *c) {
  __m256 acc = _mm256_setzero_ps();
  for (size_t j = 0; j < d; j++) {
    const __m256 t = _mm256_sub_ps(half_vec_at_avx2(x, j), _mm256_set1_ps(c[j]));
    acc = _mm256_fmadd_ps(t, t, acc);
  }
  return acc;
}

/* The tile's rv row vectors (8 rows each) against kc points; lanes: the
 * valid rows of each (maskstore masks). */
A2_INLINE void half_tile_step_avx2(const uint16_t *xt, const float *xn, size_t d, const float *c,
                                   const float *cn, const int kc, const int rv, float *out, size_t out_ld,
                                   const __m256i lanes[2]) {
  __m256 acc[2][A2_KC];
#pragma GCC unroll 4
  for (int l = 0; l < kc; l++) acc[0][l] = acc[1][l] = _mm256_setzero_ps();
  for (size_t j = 0; j < d; j++) {
    const __m256 x0 = half_vec_at_avx2(xt, j);
    const __m256 x1 = rv == 2 ? half_vec_at_avx2(xt + A2_LANES, j) : x0;
#pragma GCC unroll 4
    for (int l = 0; l < kc; l++) {
      const __m256 cb = _mm256_broadcast_ss(c + (size_t)l * d + j);
      acc[0][l] = _mm256_fmadd_ps(x0, cb, acc[0][l]);
      if (rv == 2) acc[1][l] = _mm256_fmadd_ps(x1, cb, acc[1][l]);
    }
  }
  const __m256 m2 = _mm256_set1_ps(-2.0f), zero = _mm256_setzero_ps(), tau = _mm256_set1_ps(A2_HALF_EXACT_BELOW);
  for (int r = 0; r < rv; r++) {
    const __m256 xnr = _mm256_loadu_ps(xn + r * A2_LANES);
#pragma GCC unroll 4
    for (int l = 0; l < kc; l++) {
      const __m256 sn = _mm256_add_ps(xnr, _mm256_set1_ps(cn[l]));
      __m256 e = _mm256_max_ps(_mm256_fmadd_ps(acc[r][l], m2, sn), zero);
      const __m256 near = _mm256_and_ps(_mm256_cmp_ps(e, _mm256_mul_ps(sn, tau), _CMP_LT_OQ),
                                        _mm256_castsi256_ps(lanes[r]));
      if (_mm256_movemask_ps(near))
        e = _mm256_blendv_ps(e, half_direct_avx2(xt + (size_t)r * A2_LANES, d, c + (size_t)l * d), near);
      _mm256_maskstore_ps(out + (size_t)l * out_ld + (size_t)r * A2_LANES, lanes[r], e);
    }
  }
}

A2_INLINE void half_tile_avx2(const uint16_t *xt, const float *xn, size_t d, const float *c, const float *cn,
                              size_t m, const int rv, float *out, size_t out_ld, const __m256i lanes[2]) {
  size_t l0 = 0;
  for (; l0 + A2_KC <= m; l0 += A2_KC)
    half_tile_step_avx2(xt, xn, d, c + l0 * d, cn + l0, A2_KC, rv, out + l0 * out_ld, out_ld, lanes);
  const float *cl = c + l0 * d, *cnl = cn + l0;
  float *o = out + l0 * out_ld;
  switch (m - l0) {
    case 3: half_tile_step_avx2(xt, xn, d, cl, cnl, 3, rv, o, out_ld, lanes); break;
    case 2: half_tile_step_avx2(xt, xn, d, cl, cnl, 2, rv, o, out_ld, lanes); break;
    case 1: half_tile_step_avx2(xt, xn, d, cl, cnl, 1, rv, o, out_ld, lanes); break;
    default: break;
  }
}

static __attribute__((noinline)) void half_tile_rv1_avx2(const uint16_t *xt, const float *xn, size_t d,
                                                         const float *c, const float *cn, size_t m, float *out,
                                                         size_t out_ld, const __m256i lanes[2]) {
  half_tile_avx2(xt, xn, d, c, cn, m, 1, out, out_ld, lanes);
}
static __attribute__((noinline)) void half_tile_rv2_avx2(const uint16_t *xt, const float *xn, size_t d,
                                                         const float *c, const float *cn, size_t m, float *out,
                                                         size_t out_ld, const __m256i lanes[2]) {
  half_tile_avx2(xt, xn, d, c, cn, m, 2, out, out_ld, lanes);
}

static void dist2_packed_half(const strata_kernel_ctx *ctx, const void *packed, size_t rows, size_t d, const float *cand, size_t m,
                                   float *out) {
  enum { GROUP = 64 };
  float cn[GROUP];
  for (size_t g0 = 0; g0 < m; g0 += GROUP) {
    const size_t mg = m - g0 < GROUP ? m - g0 : GROUP;
    const float *cg = cand + g0 * d;
    for (size_t l = 0; l < mg; l++) {
      __m256 acc = _mm256_setzero_ps();
      for (size_t j0 = 0; j0 < d; j0 += A2_LANES) {
        const __m256 v = _mm256_maskload_ps(cg + l * d + j0, mask8_first_avx2(d - j0));
        acc = _mm256_fmadd_ps(v, v, acc);
      }
      const __m128 h = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
      const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
      cn[l] = _mm_cvtss_f32(_mm_add_ss(q, _mm_movehdup_ps(q)));
    }
    const char *p = packed;
    const size_t tb = tile_half_bytes_avx2(d), noff = tile_half_norms_off_avx2(d);
    for (size_t i0 = 0; i0 < rows; i0 += A2_ROW_TILE, p += tb) {
      const size_t nr = rows - i0 < A2_ROW_TILE ? rows - i0 : A2_ROW_TILE;
      const __m256i lanes[2] = {mask8_first_avx2(nr), mask8_first_avx2(nr > A2_LANES ? nr - A2_LANES : 0)};
      const uint16_t *xt = (const uint16_t *)p;
      const float *xn = (const float *)(p + noff);
      float *o = out + g0 * rows + i0;
      if (nr > A2_LANES) half_tile_rv2_avx2(xt, xn, d, cg, cn, mg, o, rows, lanes);
      else half_tile_rv1_avx2(xt, xn, d, cg, cn, mg, o, rows, lanes);
    }
  }
}

/* ---- k-means++ potentials --------------------------------------------- */

/* kernels.h's min_sum: eight accumulators hold lanes l = i mod 32 in order,
 * and the reference finishes the tail and the combination. */
static double min_sum(const strata_kernel_ctx *ctx, const float *a, const float *b, float *out, size_t n) {
  __m256d s[8];
  for (int q = 0; q < 8; q++) s[q] = _mm256_setzero_pd();
  size_t i = 0;
  for (; i + 4 * A2_LANES <= n; i += 4 * A2_LANES) {
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++) {
      const size_t o = i + (size_t)q * A2_LANES;
      const __m256 v = _mm256_min_ps(_mm256_loadu_ps(a + o), _mm256_loadu_ps(b + o));
      _mm256_storeu_ps(out + o, v);
      s[2 * q] = _mm256_add_pd(s[2 * q], _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
      s[2 * q + 1] = _mm256_add_pd(s[2 * q + 1], _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    }
  }
  double lanes[32];
  for (int q = 0; q < 8; q++) _mm256_storeu_pd(lanes + 4 * q, s[q]);
  return strata_min_sum_tail(lanes, a, b, out, i, n);
}

/* ---- weighted reduction --------------------------------------------------- */

/* kernels.h's weighted_reduce, four columns per vector: the lanes of q are
 * the definition's q_0..q_3 and each product and sum is rounded as there
 * (mul, then add), so the bits are the reference's.  The avx512 tables use
 * it too (the definition's four chains fit one 256-bit vector). */
double strata_weighted_reduce_avx2(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld,
                                   size_t d, const float *c, const int32_t *labels, const float *wt,
                                   double *sums, int64_t *counts, double *wsum) {
  (void)ctx;
  const size_t d4 = d / 4 * 4;
  double inertia = 0.0;
  for (size_t i = 0; i < rows; i++) {
    const size_t l = (size_t)labels[i];
    const double w = (double)wt[i];
    const __m256d wv = _mm256_set1_pd(w);
    const float *xi = x + i * ld, *cl = c + l * d;
    double *s = sums + l * d;
    __m256d q = _mm256_setzero_pd();
    size_t j = 0;
    for (; j < d4; j += 4) {
      const __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(xi + j));
      const __m256d e = _mm256_sub_pd(v, _mm256_cvtps_pd(_mm_loadu_ps(cl + j)));
      _mm256_storeu_pd(s + j, _mm256_add_pd(_mm256_loadu_pd(s + j), _mm256_mul_pd(wv, v)));
      q = _mm256_add_pd(q, _mm256_mul_pd(e, e));
    }
    double qs[4];
    _mm256_storeu_pd(qs, q);
    inertia += strata_weighted_row_end(xi, cl, s, w, j, d, qs, &counts[l], &wsum[l]);
  }
  return inertia;
}

/* ---- label store ------------------------------------------------------- */

/* 32 labels to bytes with two saturating packs (in-lane) and a dword
 * permute putting the lanes back in order.  The avx512 tables use it too:
 * on Zen 5 it stores a label in 0.033 ns against 0.053 with AVX-512's
 * vpmovdb, and 0.21 for the core's baseline loop (4096 labels, in cache). */
size_t strata_store_labels_u8_avx2(const strata_kernel_ctx *ctx, const int32_t *lab, uint8_t *prev,
                                   size_t m) {
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  size_t moved = 0, i = 0;
  for (; i + 32 <= m; i += 32) {
    const __m256i *p = (const __m256i *)(lab + i);
    const __m256i ab = _mm256_packs_epi32(_mm256_loadu_si256(p), _mm256_loadu_si256(p + 1));
    const __m256i cd = _mm256_packs_epi32(_mm256_loadu_si256(p + 2), _mm256_loadu_si256(p + 3));
    const __m256i v = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(ab, cd), order);
    const __m256i old = _mm256_loadu_si256((const __m256i *)(prev + i));
    moved += (size_t)(32 - __builtin_popcount((unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, old))));
    _mm256_storeu_si256((__m256i *)(prev + i), v);
  }
  return moved + strata_store_labels_u8_tail(lab, prev, i, m);
}

/* ---- the framework, compiled for AVX2 ----------------------------------- */

#define SF_NAME "avx2"
#define SF_DIRECT_TABLE strata_kernels_avx2_table
#define SF_BLAS_TABLE strata_kernels_blas_avx2_table
#define SF_BLAS_DIRECT_ONLY strata_blas_direct_only_avx2
#define SF_HALF_BELOW NULL
#include "simd_frame.h"
