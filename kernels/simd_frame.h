/* The direct kernels' framework, written once and compiled once per ISA (as
 * BLIS compiles its frame per configuration): each ISA unit (avx2.c,
 * avx512.c) defines its vocabulary and micro-kernels, then includes this file
 * last, so that every function here is compiled with that unit's flags and
 * the micro-kernels inline into the loops.  Everything here is static: the
 * two units' copies do not meet.
 *
 * What lives here: the transpose of a row tile (transpose_tile), the loop
 * over centroid tiles with its tail (tile_pass), the per-row epilogue (its
 * chunks, sums, counts, exact inertia: accumulate_tile), the label-grouped
 * epilogue (lists, slots, their schedule, the rows after the lists:
 * accumulate_grouped), the BLAS path's epilogue, the block driver
 * (assign_f32: row tiles, label and distance stores, padded copies, the
 * choice of epilogue), the distance-to-points paths over row tiles, and the
 * two tables.  What each ISA keeps: widths, masks, the in-register
 * transpose, the argmin step, the lists' compress, a slot's registers and
 * its per-row step, the half-precision k-means++ kernels, min_sum, the BLAS
 * score-tile scan and (avx512.c) the small-d path.
 *
 * The unit defines before including (names are the unit's own):
 *  SF_LANES, SF_KC, SF_DLANES  floats per vector, centroids per register
 *      tile, doubles per vector; SF_ROW_TILE = 2 SF_LANES rows per tile
 *  SF_INLINE                   static inline, always inlined
 *  sf_ps, sf_pi, sf_pd         float, int32 and double vectors
 *  sf_rmask                    a mask of row lanes (sf_rmask_first(n))
 *  vector ops: sf_setzero_ps, sf_set1_ps, sf_loadu_ps, sf_sub_ps,
 *      sf_fmadd_ps, sf_bcast_ps (one float of memory), sf_setzero_pi,
 *      sf_set1_epi32, sf_store_pi (aligned), sf_store_rows_ps,
 *      sf_store_rows_epi32, sf_maskload_rows_ps, sf_round_half_ps,
 *      sf_setzero_pd, sf_add_pd, sf_fmadd_pd, sf_hsum_pd,
 *      sf_storeu_ps, sf_transpose (SF_LANES vectors in registers)
 *  sf_argmin_step(acc, &best, &bidx, idx)   strict '<' argmin update
 *  the epilogue's float64 chunks: sf_dmask (sf_dmask_first(n)),
 *      sf_loadu_pd, sf_storeu_pd, sf_sub_pd, sf_cvtload_pd (SF_DLANES
 *      floats widened), sf_cvtload_tail_pd(p, m, end) (plain below end),
 *      sf_maskload_cvt_pd(p, m), sf_mask_add_pd(p, m, x) (p[m] += x)
 *  sf_row_diff_pd(xi, cl, j, d, x_end)      x - c for chunk j (no sums)
 *  the grouped epilogue's lists: sf_lmask, sf_cmpeq_lanes, sf_compress_epi32,
 *      sf_loadu_pi, sf_storeu_pi, sf_add_epi32, sf_mullo_epi32,
 *      sf_iota_epi32(), sf_list_tail (the last labels, fewer than SF_LANES)
 *  its slots: SF_GROUP_MAX_K, SF_GROUP_MAX_D, SF_GROUP_NV (chunks per row at
 *      most), sf_group with sf_group_init, sf_group_nv(d),
 *      sf_group_cents_bytes and sf_group_cents (what the slots read the
 *      centroids from, after the lists), sf_slot_cent, sf_slot_load,
 *      sf_slot_store, sf_slot_steps (steps rows of every slot),
 *      sf_slot_inertia(qa, qb)
 *  argmin_scan, min_sum, packed_half_bytes, pack_rows_half,
 *  dist2_packed_half, SF_HALF_BELOW (or NULL)
 *  SF_HAS_SMALL_PATH with small_ok and small_path, where the ISA has a path
 *      of its own for small shapes (declaring the frame's functions it calls)
 *  SF_NAME, SF_DIRECT_TABLE, SF_BLAS_TABLE   the tables' name and symbols
 *  SF_BLAS_DIRECT_ONLY          the symbol saying where the BLAS table runs
 *      the direct kernel (kernels_internal.h) */
#ifndef SF_LANES
#error "simd_frame.h is included by an ISA unit after its vocabulary (see avx2.c)"
#endif

#define SF_ROW_TILE (2 * SF_LANES)
#define SF_PRAGMA_(x) _Pragma(#x)
#define SF_UNROLL(n) SF_PRAGMA_(GCC unroll n)

/* ---- transposed row tiles ------------------------------------------------ */

/* Writes rows [0, nr) of x (nr <= SF_ROW_TILE) as xt[j*SF_ROW_TILE + r] for j
 * < d rounded up to SF_LANES; the kernels read only j < d.  x_end is one past
 * the last float of the caller's block (x_block + (rows-1)*ld + d): reading
 * anywhere below it is safe, so a half-tile whose last SF_LANES-float window
 * ends below it uses plain loads, which may read past d into the next row
 * (those lanes land in rows j >= d of xt and are never used).  Only the last
 * half-tiles of a block use masked loads: on AMD Zen masked loads that miss
 * the cache stream from DRAM about 4x slower than plain ones.  Lanes of rows
 * >= nr in the first half are zero so the kernels see finite values there;
 * the second half is written only when nr > SF_LANES (the kernels read it
 * only then).  Every loop over the SF_LANES vectors has a constant trip count
 * so that they stay in registers: indexing them with a run-time bound puts
 * them on the stack and makes the transpose several times slower. */
static void transpose_tile(const float *x, size_t nr, size_t ld, size_t d, float *xt,
                           const float *x_end) {
  const size_t j_last = (d - 1) / SF_LANES * SF_LANES;
  for (size_t r0 = 0; r0 < nr; r0 += SF_LANES) {
    const size_t nrh = nr - r0 < SF_LANES ? nr - r0 : SF_LANES;
    const float *xr = x + r0 * ld;
    /* Compared as distances from x_end (no pointer past the block formed). */
    const int plain = nrh == SF_LANES &&
                      (size_t)(x_end - xr) >= (SF_LANES - 1) * ld + j_last + SF_LANES;
    for (size_t j0 = 0; j0 < d; j0 += SF_LANES) {
      sf_ps v[SF_LANES];
      if (plain) {
        SF_UNROLL(SF_LANES)
        for (size_t r = 0; r < SF_LANES; r++) v[r] = sf_loadu_ps(xr + r * ld + j0);
      } else {
        const sf_rmask m = sf_rmask_first(d - j0);
        SF_UNROLL(SF_LANES)
        for (size_t r = 0; r < SF_LANES; r++)
          v[r] = r < nrh ? sf_maskload_rows_ps(xr + r * ld + j0, m) : sf_setzero_ps();
      }
      sf_transpose(v);
      float *o = xt + j0 * SF_ROW_TILE + r0;
      SF_UNROLL(SF_LANES)
      for (size_t q = 0; q < SF_LANES; q++) sf_storeu_ps(o + q * SF_ROW_TILE, v[q]);
    }
  }
}

/* ---- distance tile ------------------------------------------------------ */

/* acc[r][l] = sum_j (xt[j][SF_LANES r + lane] - c[l][j])^2 for rv row
 * vectors and kc centroids starting at c.  Always inlined with constant kc
 * and rv so the accumulators live in registers. */
SF_INLINE void dist_tile(const float *xt, size_t d, const float *c, const int kc, const int rv,
                         sf_ps acc[2][SF_KC]) {
  const float *cl[SF_KC];
  SF_UNROLL(SF_KC)
  for (int l = 0; l < kc; l++) {
    cl[l] = c + (size_t)l * d;
    acc[0][l] = sf_setzero_ps();
    acc[1][l] = sf_setzero_ps();
  }
  for (size_t j = 0; j < d; j++) {
    const sf_ps x0 = sf_loadu_ps(xt + j * SF_ROW_TILE);
    const sf_ps x1 = rv == 2 ? sf_loadu_ps(xt + j * SF_ROW_TILE + SF_LANES) : x0;
    SF_UNROLL(SF_KC)
    for (int l = 0; l < kc; l++) {
      const sf_ps cb = sf_bcast_ps(cl[l] + j);
      const sf_ps t0 = sf_sub_ps(x0, cb);
      acc[0][l] = sf_fmadd_ps(t0, t0, acc[0][l]);
      if (rv == 2) {
        const sf_ps t1 = sf_sub_ps(x1, cb);
        acc[1][l] = sf_fmadd_ps(t1, t1, acc[1][l]);
      }
    }
  }
}

/* What a pass over the centroids does with each distance tile. */
enum { SF_ARGMIN = 0, SF_STORE = 1 };

typedef struct {
  sf_ps best[2];  /* running minimum per row lane */
  sf_pi bidx[2];  /* its centroid index */
  float *out;     /* SF_STORE: candidate-major output, row stride out_ld */
  size_t out_ld;
  sf_rmask m[2];  /* valid row lanes of each row vector */
} sf_tile_state;

SF_INLINE void tile_step(const float *xt, size_t d, const float *c, size_t l0, const int kc,
                         const int rv, const int mode, sf_tile_state *st) {
  sf_ps acc[2][SF_KC];
  dist_tile(xt, d, c + l0 * d, kc, rv, acc);
  if (mode == SF_ARGMIN) {
    SF_UNROLL(SF_KC)
    for (int l = 0; l < kc; l++) {
      const sf_pi idx = sf_set1_epi32((int32_t)(l0 + (size_t)l));
      /* Strict '<' in increasing l: ties keep the lower index. */
      for (int r = 0; r < rv; r++) sf_argmin_step(acc[r][l], &st->best[r], &st->bidx[r], idx);
    }
  } else {
    SF_UNROLL(SF_KC)
    for (int l = 0; l < kc; l++) {
      float *o = st->out + (l0 + (size_t)l) * st->out_ld;
      sf_store_rows_ps(o, st->m[0], acc[0][l]);
      if (rv == 2) sf_store_rows_ps(o + SF_LANES, st->m[1], acc[1][l]);
    }
  }
}

/* All k centroids against one transposed row tile: full tiles of SF_KC,
 * then one tail tile whose size is made a constant by the switch. */
SF_INLINE void tile_pass(const float *xt, size_t d, const float *c, size_t k, const int rv,
                         const int mode, sf_tile_state *st_io) {
  sf_tile_state st = *st_io; /* a local copy keeps the state in registers */
  size_t l0 = 0;
  for (; l0 + SF_KC <= k; l0 += SF_KC) tile_step(xt, d, c, l0, SF_KC, rv, mode, &st);
  switch (k - l0) {
#if SF_KC > 4
    case 7: tile_step(xt, d, c, l0, 7, rv, mode, &st); break;
    case 6: tile_step(xt, d, c, l0, 6, rv, mode, &st); break;
    case 5: tile_step(xt, d, c, l0, 5, rv, mode, &st); break;
    case 4: tile_step(xt, d, c, l0, 4, rv, mode, &st); break;
#endif
    case 3: tile_step(xt, d, c, l0, 3, rv, mode, &st); break;
    case 2: tile_step(xt, d, c, l0, 2, rv, mode, &st); break;
    case 1: tile_step(xt, d, c, l0, 1, rv, mode, &st); break;
    default: break;
  }
  *st_io = st;
}

/* One out-of-line copy per (rows, mode): the block loop stays small. */
#define SF_PASS_VARIANT(NAME, RV, MODE)                                                     \
  static __attribute__((noinline)) void NAME(const float *xt, size_t d, const float *c,    \
                                             size_t k, sf_tile_state *st) {               \
    tile_pass(xt, d, c, k, RV, MODE, st);                                                   \
  }
SF_PASS_VARIANT(argmin_pass_rv1, 1, SF_ARGMIN)
SF_PASS_VARIANT(argmin_pass_rv2, 2, SF_ARGMIN)
SF_PASS_VARIANT(store_pass_rv1, 1, SF_STORE)
SF_PASS_VARIANT(store_pass_rv2, 2, SF_STORE)

/* Fresh state for a tile of nr rows. */
SF_INLINE sf_tile_state tile_state_init(size_t nr, sf_ps best0, float *out, size_t out_ld) {
  sf_tile_state st;
  st.best[0] = st.best[1] = best0;
  st.bidx[0] = st.bidx[1] = sf_setzero_pi();
  st.out = out;
  st.out_ld = out_ld;
  st.m[0] = sf_rmask_first(nr);
  st.m[1] = sf_rmask_first(nr > SF_LANES ? nr - SF_LANES : 0);
  return st;
}

/* ---- epilogue: sums, counts, exact inertia ----------------------------- */

typedef struct {
  const float *x_end, *c_end; /* one past the caller's x block and c */
  const double *cd;           /* float64 centroids, stride sld, or NULL */
  double *sums;
  size_t sld;                 /* row stride of sums and cd */
  int64_t *counts;
} sf_epilogue;

/* Where a row's whole SF_DLANES-wide chunks end, and the lanes of the last
 * one (none if d is a multiple of SF_DLANES). */
typedef struct {
  size_t dfull;
  sf_dmask mt;
} sf_tail;
SF_INLINE sf_tail sf_tail_of(size_t d) {
  const size_t dfull = d & ~(size_t)(SF_DLANES - 1);
  return (sf_tail){dfull, sf_dmask_first(d - dfull)};
}

/* One SF_DLANES-wide column chunk of a row: adds x to the label's sums and
 * returns x - c in float64 (zero past d). */
SF_INLINE sf_pd chunk(const float *xi, const float *cl, const double *cdl, double *sl, size_t j,
                      size_t d, sf_tail t, const float *x_end, const float *c_end, const int full) {
  if (j >= d) return sf_setzero_pd(); /* a fixed chunk count may pass the end */
  sf_pd xj, cj;
  if (j < t.dfull) {
    xj = sf_cvtload_pd(xi + j);
    cj = cdl ? sf_loadu_pd(cdl + j) : sf_cvtload_pd(cl + j);
  } else {
    xj = sf_cvtload_tail_pd(xi + j, t.mt, x_end);
    cj = cdl ? sf_loadu_pd(cdl + j) : sf_cvtload_tail_pd(cl + j, t.mt, c_end);
  }
  if (full || j < t.dfull) sf_storeu_pd(sl + j, sf_add_pd(sf_loadu_pd(sl + j), xj));
  else sf_mask_add_pd(sl + j, t.mt, xj);
  return sf_sub_pd(xj, cj);
}

/* The epilogue for a run of rows (one row tile in the direct path, a row
 * block in the BLAS path), rows in increasing order.
 *
 * Per element this is the reference's float64 chain, sums[l][j] += x[i][j]
 * in row order, so sums are bit-identical for equal labels.  It is written
 * for the store-to-load forwarding the next rows of the same label depend
 * on: sums is updated with plain full-vector loads and stores (AMD cannot
 * forward from a masked store, so a masked tail would stall every repeat of
 * a label by the time the store takes to reach L1).  When d is not a
 * multiple of SF_DLANES that needs rows of whole vectors: the caller then
 * passes a padded copy (sld = d rounded up) whose padding only ever gets
 * +0.  With full == 0 (large k*d without a padded copy) tails are masked.
 *  cd   IN  float64 copy of the centroids, row stride sld (padding zero), or
 *           NULL: convert c on the fly
 *  lab  IN  the rows' labels, in a plain array
 *  a    INOUT two inertia accumulators; rows alternate between them (a
 *           fixed function of the rows, so the result is deterministic)
 *  dist2 OUT if not NULL, each row's exact distance (the BLAS path) */
SF_INLINE void accumulate_tile(const float *x, size_t nr, size_t ld, size_t d, const float *c,
                               const int32_t *lab, const sf_epilogue *ep, sf_pd a[2],
                               float *dist2, const int nv, const int full) {
  const size_t sld = ep->sld;
  const float *x_end = ep->x_end, *c_end = ep->c_end;
  const double *cd = ep->cd;
  double *sums = ep->sums;
  int64_t *counts = ep->counts;
  const sf_tail tail = sf_tail_of(d);
  const size_t w = SF_DLANES;
  sf_pd a0 = a[0], a1 = a[1]; /* registers: an array indexed at run time would not be */
  for (size_t i = 0; i < nr; i++) {
    const size_t l = (size_t)lab[i];
    const float *xi = x + i * ld, *cl = c + l * d;
    const double *cdl = cd ? cd + l * sld : NULL;
    double *sl = sums + l * sld;
    counts[l] += 1;
    /* Four partial sums per row so that a row's FMAs are not one chain
     * (rows then overlap in the out-of-order window); named variables, as
     * an array indexed at run time would live in memory.  nv > 0 fixes the
     * number of chunks (d <= SF_DLANES nv) so everything unrolls. */
    sf_pd q0 = sf_setzero_pd(), q1 = q0, q2 = q0, q3 = q0;
    const size_t nchunks = nv > 0 ? (size_t)nv : (d + w - 1) / w;
    size_t u = 0;
    for (; u + 4 <= nchunks; u += 4) {
      const sf_pd e0 = chunk(xi, cl, cdl, sl, w * u, d, tail, x_end, c_end, full);
      const sf_pd e1 = chunk(xi, cl, cdl, sl, w * u + w, d, tail, x_end, c_end, full);
      const sf_pd e2 = chunk(xi, cl, cdl, sl, w * u + 2 * w, d, tail, x_end, c_end, full);
      const sf_pd e3 = chunk(xi, cl, cdl, sl, w * u + 3 * w, d, tail, x_end, c_end, full);
      q0 = sf_fmadd_pd(e0, e0, q0);
      q1 = sf_fmadd_pd(e1, e1, q1);
      q2 = sf_fmadd_pd(e2, e2, q2);
      q3 = sf_fmadd_pd(e3, e3, q3);
    }
    if (u < nchunks) {
      const sf_pd e0 = chunk(xi, cl, cdl, sl, w * u, d, tail, x_end, c_end, full);
      q0 = sf_fmadd_pd(e0, e0, q0);
    }
    if (u + 1 < nchunks) {
      const sf_pd e1 = chunk(xi, cl, cdl, sl, w * u + w, d, tail, x_end, c_end, full);
      q1 = sf_fmadd_pd(e1, e1, q1);
    }
    if (u + 2 < nchunks) {
      const sf_pd e2 = chunk(xi, cl, cdl, sl, w * u + 2 * w, d, tail, x_end, c_end, full);
      q2 = sf_fmadd_pd(e2, e2, q2);
    }
    const sf_pd dist = sf_add_pd(sf_add_pd(q0, q1), sf_add_pd(q2, q3));
    if (dist2) dist2[i] = (float)sf_hsum_pd(dist);
    const sf_pd t = sf_add_pd(a0, dist); /* add into a0, then swap */
    a0 = a1;
    a1 = t;
  }
  a[0] = a0;
  a[1] = a1;
}

#define SF_ACCUMULATE_VARIANT(NAME, NV, FULL)                                                \
  static __attribute__((noinline)) void NAME(const float *x, size_t nr, size_t ld, size_t d,   \
                                             const float *c, const int32_t *lab,               \
                                             const sf_epilogue *ep, sf_pd a[2],                \
                                             float *dist2) {                                   \
    accumulate_tile(x, nr, ld, d, c, lab, ep, a, dist2, NV, FULL);                             \
  }
SF_ACCUMULATE_VARIANT(accumulate_tile_d8, 8 / SF_DLANES, 1)
SF_ACCUMULATE_VARIANT(accumulate_tile_d16, 16 / SF_DLANES, 1)
SF_ACCUMULATE_VARIANT(accumulate_tile_full, 0, 1)
SF_ACCUMULATE_VARIANT(accumulate_tile_masked, 0, 0)

/* Padded float64 sums and centroids (rows of d rounded up to SF_DLANES, each
 * k*dp doubles) are used when they fit in this many bytes; larger k*d spend
 * so long in the distances that the epilogue's cost does not matter. */
#define SF_PAD_MAX ((size_t)64 * 1024)

static size_t padded_d(size_t d) { return (d + SF_DLANES - 1) & ~(size_t)(SF_DLANES - 1); }

static size_t pad_bytes(size_t d, size_t k) {
  const size_t dp = padded_d(d);
  if (k * dp * sizeof(double) > SF_PAD_MAX) return 0;
  return 2 * strata_round_up64(k * dp * sizeof(double));
}

/* The direct kernels' float32 distance of a row to its centroid, as
 * dist_tile and the small path compute it: t = x - c, then one fma per
 * coordinate in increasing j. */
static float direct_dist2(const float *xi, const float *cl, size_t d) {
  float a = 0.0f;
  for (size_t j = 0; j < d; j++) {
    const float t = xi[j] - cl[j];
    a = fmaf(t, t, a);
  }
  return a;
}

/* strata_finish_fn for the BLAS path: the same epilogue, in place, and
 * dist2 as the direct kernels give it (so that both paths write the same
 * distances; sgemm's expansion cancels near a centroid and is never used
 * for them).  Cheap next to the sgemm, so no padded copies. */
static void finish_rows(const float *x, size_t rows, size_t ld, size_t d, const float *c,
                        const int32_t *labels, float *dist2, strata_block_acc *acc) {
  if (acc) {
    /* c_end = c: k is not known here, so tails of c use masked loads. */
    const float *x_end = x + (rows - 1) * ld + d;
    sf_epilogue ep = {x_end, c, NULL, acc->sums, d, acc->counts};
    sf_pd inert[2] = {sf_setzero_pd(), sf_setzero_pd()};
    if (d % SF_DLANES == 0) accumulate_tile_full(x, rows, ld, d, c, labels, &ep, inert, NULL);
    else accumulate_tile_masked(x, rows, ld, d, c, labels, &ep, inert, NULL);
    acc->inertia += sf_hsum_pd(sf_add_pd(inert[0], inert[1]));
  }
  if (!dist2) return;
  /* Eight rows' chains at once: one chain alone waits on each fma. */
  size_t i = 0;
  for (; i + 8 <= rows; i += 8) {
    const float *xr[8], *cr[8];
    float a[8];
    for (int r = 0; r < 8; r++) {
      xr[r] = x + (i + (size_t)r) * ld;
      cr[r] = c + (size_t)labels[i + (size_t)r] * d;
      a[r] = 0.0f;
    }
    for (size_t j = 0; j < d; j++)
      for (int r = 0; r < 8; r++) {
        const float t = xr[r][j] - cr[r][j];
        a[r] = fmaf(t, t, a[r]);
      }
    for (int r = 0; r < 8; r++) dist2[i + (size_t)r] = a[r];
  }
  for (; i < rows; i++) dist2[i] = direct_dist2(x + i * ld, c + (size_t)labels[i] * d, d);
}

/* ---- label-grouped epilogue (small k and d) ------------------------------
 *
 * After the argmin of the whole block, the rows of each label are listed in
 * increasing order (a compress of row offsets by label, no branches), one
 * list after another, and each label is accumulated with its sums held in
 * registers: one load and one store of sums[l] per label per block instead
 * of one per row, no store-to-load chains between rows of the same label (on
 * AMD a forwarded 512-bit round trip costs ~14 cycles, paid on every row when
 * a label repeats), counts for free.  Per element it is still the
 * reference's chain in row order (bit-identical sums).
 *
 * That chain is serial within a label (one float64 add per row), so one
 * label at a time would be bound by the add latency.  G "slots" therefore
 * run G labels' chains interleaved: each step adds one row to every slot,
 * and a slot whose label runs out is stored and takes the next label.  When
 * no labels are left the partial labels are stored and finished with fewer
 * slots (G = 4 -> 2 -> 1); a stored partial sum is the exact running value,
 * so the order per label is unchanged.  A single label (sorted data, or all
 * rows alike) is still one chain: about one add latency per row, which is
 * the contract's floor.
 *
 * The lists hold the rows below i_safe, whose SF_DLANES nv floats can be read
 * with plain loads (no mask, no bounds test per row); the few rows after it
 * (only when d is not a multiple of SF_DLANES nv or ld > d) are each their
 * label's last rows and are added afterwards, in order, with masked loads.
 *
 * Lists cost half a pass over the labels per label, so this is used for
 * k <= SF_GROUP_MAX_K, and d <= SF_GROUP_MAX_D keeps a label's row in
 * registers.  The unit keeps the compress, the slot's registers (its sums
 * and how it reads the centroid) and the per-row step over the slots. */
#define SF_SLOTS_MAX 4
#define SF_LIST_PASS 2 /* labels per pass over the block's labels */

/* The rows of one label still to be added: element offsets p[0..n) from x. */
typedef struct {
  const int32_t *p;
  size_t n;
  size_t l;
} sf_run;

/* Lists of the rows i < i_safe of every label, as element offsets i*ld
 * (the caller checks that they fit in int32), increasing, label after label
 * at idx; q[] gets the non-empty ones and counts[] their sizes.  Labels go
 * SF_LIST_PASS per pass: one load of SF_LANES labels feeds each compare, and
 * the lists are written in parallel (the first in place, the others to tmp
 * and then copied after it).  The cost is the compress and its store, ~2
 * cycles per label and 16 rows on Zen 5 with AVX-512; two labels per pass
 * measured best (1.1 cycles per row for k = 10 against 1.35 for one and
 * four).
 *  idx OUT room for i_safe + SF_LANES offsets (whole vectors are stored)
 *  tmp scratch, SF_LIST_PASS - 1 lists of i_safe + SF_LANES */
static size_t build_lists(const int32_t *labels, size_t i_safe, size_t ld, size_t k,
                          int32_t *idx, int32_t *tmp, sf_run *q, int64_t *counts) {
  const size_t cap = i_safe + SF_LANES;
  const sf_pi iv0 = sf_mullo_epi32(sf_iota_epi32(), sf_set1_epi32((int32_t)ld));
  const sf_pi step = sf_set1_epi32((int32_t)(SF_LANES * ld));
  size_t nq = 0, off = 0;
  for (size_t l0 = 0; l0 < k; l0 += SF_LIST_PASS) {
    int32_t *dst[SF_LIST_PASS];
    sf_pi lv[SF_LIST_PASS];
    size_t n[SF_LIST_PASS];
    SF_UNROLL(SF_LIST_PASS)
    for (int u = 0; u < SF_LIST_PASS; u++) {
      dst[u] = u == 0 ? idx + off : tmp + (size_t)(u - 1) * cap;
      /* -1 never matches: a pass past k lists nothing. */
      lv[u] = sf_set1_epi32(l0 + (size_t)u < k ? (int32_t)(l0 + (size_t)u) : -1);
      n[u] = 0;
    }
    sf_pi iv = iv0;
    size_t i = 0;
    for (; i + SF_LANES <= i_safe; i += SF_LANES) {
      const sf_pi v = sf_loadu_pi(labels + i);
      SF_UNROLL(SF_LIST_PASS)
      for (int u = 0; u < SF_LIST_PASS; u++) {
        /* Register compress + plain store: the memory form is microcoded on AMD. */
        const sf_lmask m = sf_cmpeq_lanes(v, lv[u]);
        sf_storeu_pi(dst[u] + n[u], sf_compress_epi32(m, iv));
        n[u] += (size_t)__builtin_popcount((unsigned)m);
      }
      iv = sf_add_epi32(iv, step);
    }
    if (i < i_safe) {
      SF_UNROLL(SF_LIST_PASS)
      for (int u = 0; u < SF_LIST_PASS; u++)
        n[u] += sf_list_tail(dst[u] + n[u], labels, i, i_safe, ld, lv[u], iv);
    }
    for (int u = 0; u < SF_LIST_PASS; u++) {
      if (n[u] == 0) continue;
      int32_t *p = idx + off;
      if (u > 0) /* whole vectors: may write up to SF_LANES - 1 past, as the lists do */
        for (size_t j = 0; j < n[u]; j += SF_LANES) sf_storeu_pi(p + j, sf_loadu_pi(dst[u] + j));
      const size_t l = l0 + (size_t)u;
      counts[l] += (int64_t)n[u];
      q[nq++] = (sf_run){p, n[u], l};
      off += n[u];
    }
  }
  return nq;
}

/* Runs the queue q[0..nq) with G slots, adding the inertia terms to
 * *inert_io; the labels left unfinished when the queue ran dry go to left[]
 * (at most G - 1; their sums are stored up to where they stopped). */
SF_INLINE size_t run_slots(const sf_group *g, const sf_run *q, size_t nq, sf_run *left,
                           sf_pd *inert_io, const int nv, const int full, const int G) {
  if (nq < (size_t)G) {
    for (size_t u = 0; u < nq; u++) left[u] = q[u];
    return nq;
  }
  sf_pd s[SF_SLOTS_MAX][SF_GROUP_NV], qa[SF_SLOTS_MAX], qb[SF_SLOTS_MAX];
  sf_slot_cent cd[SF_SLOTS_MAX];
  const int32_t *p[SF_SLOTS_MAX];
  size_t rem[SF_SLOTS_MAX], lab[SF_SLOTS_MAX];
  size_t next = 0;
#define SF_SLOT_TAKE(U)                                                                     \
  do {                                                                                      \
    p[U] = q[next].p;                                                                       \
    rem[U] = q[next].n;                                                                     \
    lab[U] = q[next].l;                                                                     \
    next++;                                                                                 \
    sf_slot_load(g, lab[U], s[U], &cd[U], nv, full);                                        \
  } while (0)
  SF_UNROLL(4)
  for (int u = 0; u < G; u++) {
    SF_SLOT_TAKE(u);
    qa[u] = qb[u] = sf_setzero_pd();
  }
  for (;;) {
    size_t steps = rem[0];
    SF_UNROLL(4)
    for (int u = 1; u < G; u++) steps = rem[u] < steps ? rem[u] : steps;
    sf_slot_steps(g, p, s, cd, qa, qb, steps, nv, full, G);
    int dry = 0;
    SF_UNROLL(4)
    for (int u = 0; u < G; u++) {
      p[u] += steps;
      rem[u] -= steps;
      if (!dry && rem[u] == 0) {
        sf_slot_store(g, lab[u], s[u], nv, full);
        if (next < nq) SF_SLOT_TAKE(u);
        else dry = 1;
      }
    }
    if (dry) break;
  }
  /* Store every slot (a finished one again: same value) and hand back the
   * unfinished ones. */
  size_t nl = 0;
  sf_pd in = *inert_io;
  SF_UNROLL(4)
  for (int u = 0; u < G; u++) {
    sf_slot_store(g, lab[u], s[u], nv, full);
    if (rem[u] > 0) left[nl++] = (sf_run){p[u], rem[u], lab[u]};
    in = sf_add_pd(in, sf_slot_inertia(qa[u], qb[u]));
  }
  *inert_io = in;
#undef SF_SLOT_TAKE
  return nl;
}

/* Adds the listed rows q[0..nq) (offsets from x) to sums and returns their
 * inertia terms.  Slots per pass: the registers of G labels (G nv vectors
 * of sums, and the centroids where the unit holds them) must fit. */
SF_INLINE sf_pd run_groups(const sf_group *g, const sf_run *q, size_t nq, const int nv,
                           const int full) {
  sf_run left[SF_SLOTS_MAX], left2[SF_SLOTS_MAX];
  sf_pd inert = sf_setzero_pd();
  size_t nl = nq;
  const sf_run *rest = q;
  if (nv <= 2) {
    nl = run_slots(g, rest, nl, left, &inert, nv, full, 4);
    rest = left;
  }
  if (nv <= 4) {
    nl = run_slots(g, rest, nl, left2, &inert, nv, full, 2);
    rest = left2;
  }
  run_slots(g, rest, nl, left, &inert, nv, full, 1);
  return inert;
}

/* One copy per chunk count (and FULL: d == SF_DLANES NV, no lane masks,
 * d a constant). */
#define SF_GROUPED_VARIANT(NAME, NV, FULL)                                                    \
  static __attribute__((noinline)) sf_pd NAME(const float *x, size_t d, const float *c,       \
                                              size_t k, double *sums, const double *cd,       \
                                              const sf_run *q, size_t nq) {                   \
    sf_group g;                                                                               \
    sf_group_init(&g, x, FULL ? SF_DLANES * NV : d, c, k, sums, cd);                          \
    return run_groups(&g, q, nq, NV, FULL);                                                   \
  }
SF_GROUPED_VARIANT(run_groups_nv1, 1, 0)
SF_GROUPED_VARIANT(run_groups_nv2, 2, 0)
SF_GROUPED_VARIANT(run_groups_nv4, 4, 0)
#if SF_GROUP_NV > 4
SF_GROUPED_VARIANT(run_groups_nv8, 8, 0)
#endif
SF_GROUPED_VARIANT(run_groups_d8x, 8 / SF_DLANES, 1)   /* d == 8 */
SF_GROUPED_VARIANT(run_groups_d16x, 16 / SF_DLANES, 1) /* d == 16 */

/* Rows [i0, rows), each the last of its label: added one at a time, in
 * order, with masked loads. */
static sf_pd tail_rows(const float *x, size_t i0, size_t rows, size_t ld, size_t d,
                       const float *c, const int32_t *labels, strata_block_acc *acc) {
  sf_pd q = sf_setzero_pd();
  for (size_t i = i0; i < rows; i++) {
    const size_t l = (size_t)labels[i];
    const float *xi = x + i * ld, *cl = c + l * d;
    double *sl = acc->sums + l * d;
    acc->counts[l] += 1;
    for (size_t j = 0; j < d; j += SF_DLANES) {
      const sf_dmask m = sf_dmask_first(d - j);
      const sf_pd xj = sf_maskload_cvt_pd(xi + j, m);
      sf_mask_add_pd(sl + j, m, xj);
      const sf_pd e = sf_sub_pd(xj, sf_maskload_cvt_pd(cl + j, m));
      q = sf_fmadd_pd(e, e, q);
    }
  }
  return q;
}

static int grouped(size_t d, size_t k) { return d <= SF_GROUP_MAX_D && k <= SF_GROUP_MAX_K; }

/* Row offsets must fit the int32 lists. */
static int grouped_ld(size_t rows, size_t ld) {
  return (rows - 1) * ld <= (size_t)INT32_MAX - SF_LANES * ld;
}

/* Rows below it read their SF_DLANES nv floats with plain loads: row i reads
 * [x + i ld, x + i ld + SF_DLANES nv), which must end by the block's last
 * float. */
static size_t group_i_safe(size_t rows, size_t ld, size_t d) {
  const size_t span = (rows - 1) * ld + d, w = SF_DLANES * (size_t)sf_group_nv(d);
  const size_t i_safe = span >= w ? (span - w) / ld + 1 : 0;
  return i_safe < rows ? i_safe : rows;
}

/* Lists and temporaries of build_lists, in int32. */
static size_t list_bytes(size_t rows) {
  return strata_round_up64(SF_LIST_PASS * (rows + SF_LANES) * sizeof(int32_t));
}

/* Scratch of the grouped epilogue (after the row tile): the lists, then
 * what the unit's slots read the centroids from (sf_group_cents). */
static size_t group_bytes(size_t rows, size_t d, size_t k) {
  return list_bytes(rows) + sf_group_cents_bytes(d, k);
}

/* The grouped epilogue of a block whose labels are known, for any d <=
 * SF_GROUP_MAX_D (the caller checks grouped_ld).
 *  scratch group_bytes(rows, d, k) bytes */
static void accumulate_grouped(const float *x, size_t rows, size_t ld, size_t d,
                               const float *c, size_t k, const int32_t *labels,
                               strata_block_acc *acc, void *scratch) {
  int32_t *idx = scratch;
  const double *cd = sf_group_cents(c, d, k, (char *)scratch + list_bytes(rows));
  const size_t i_safe = group_i_safe(rows, ld, d);
  sf_run q[SF_GROUP_MAX_K];
  const size_t nq = build_lists(labels, i_safe, ld, k, idx, idx + rows + SF_LANES, q,
                                acc->counts);
  double *sums = acc->sums;
  sf_pd inert;
  if (d == 8) inert = run_groups_d8x(x, d, c, k, sums, cd, q, nq);
  else if (d == 16) inert = run_groups_d16x(x, d, c, k, sums, cd, q, nq);
  else {
    switch (sf_group_nv(d)) {
      case 1: inert = run_groups_nv1(x, d, c, k, sums, cd, q, nq); break;
      case 2: inert = run_groups_nv2(x, d, c, k, sums, cd, q, nq); break;
#if SF_GROUP_NV > 4
      case 4: inert = run_groups_nv4(x, d, c, k, sums, cd, q, nq); break;
      default: inert = run_groups_nv8(x, d, c, k, sums, cd, q, nq); break;
#else
      default: inert = run_groups_nv4(x, d, c, k, sums, cd, q, nq); break;
#endif
    }
  }
  /* The rows from i_safe on, each the last of its label, after the lists. */
  if (i_safe < rows) inert = sf_add_pd(inert, tail_rows(x, i_safe, rows, ld, d, c, labels, acc));
  acc->inertia += sf_hsum_pd(inert);
}

/* ---- the block driver ---------------------------------------------------- */

/* One transposed row tile: d rounded up to a whole transpose block. */
static size_t tile_bytes(size_t d) {
  const size_t dr = (d + SF_LANES - 1) / SF_LANES * SF_LANES;
  return strata_round_up64((dr ? dr : SF_LANES) * SF_ROW_TILE * sizeof(float));
}

/* Scratch: one transposed row tile, then either what the grouped epilogue
 * needs (small k, d) or the padded sums and centroids of the per-row one. */
static size_t scratch_bytes(const strata_kernel_ctx *ctx, size_t rows, size_t d, size_t k) {
  return tile_bytes(d) + (grouped(d, k) ? group_bytes(rows, d, k) : pad_bytes(d, k));
}

static int scratch_ok(strata_scratch s, size_t rows, size_t d, size_t k) {
  return s.ptr != NULL && s.bytes >= scratch_bytes(NULL, rows, d, k);
}

static void assign_f32(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld,
                       size_t d, const float *c, const float *c_norm2, size_t k, int32_t *labels,
                       float *dist2, strata_block_acc *acc, strata_scratch scratch) {
  if (rows == 0 || k == 0) return;
  if (!scratch_ok(scratch, rows, d, k)) {
    /* A caller bug, but a wrong answer would be worse than a slow one. */
    const strata_kernels *ref = strata_kernels_ref();
    ref->lloyd.assign_reduce(&ref->ctx, x, rows, ld, d, c, c_norm2, k, labels, dist2, acc, scratch);
    return;
  }
  void *extra = (char *)scratch.ptr + tile_bytes(d);
#ifdef SF_HAS_SMALL_PATH
  if (small_ok(d, k)) {
    small_path(x, rows, ld, d, c, k, labels, dist2, acc, extra);
    return;
  }
#endif
  float *xt = scratch.ptr;
  const float *x_end = x + (rows - 1) * ld + d;
  sf_pd inert[2] = {sf_setzero_pd(), sf_setzero_pd()};
  int32_t lab[SF_ROW_TILE] __attribute__((aligned(64)));

  /* The epilogue's operands: padded float64 copies of sums and centroids
   * when k*d is small (see accumulate_tile), else in place. */
  sf_epilogue ep = {x_end, c + k * d, NULL, acc ? acc->sums : NULL, d, acc ? acc->counts : NULL};
  const size_t dp = padded_d(d);
  const int grouped_now = acc && grouped(d, k) && grouped_ld(rows, ld);
  /* Padded copies only where scratch_bytes made room for them (not for the
   * grouped shapes, which fall back to the in-place epilogue if ld is too
   * large for their lists). */
  const int padded = acc && !grouped(d, k) && pad_bytes(d, k) != 0;
  if (padded) {
    double *ps = extra;
    double *pc = ps + strata_round_up64(k * dp * sizeof(double)) / sizeof(double);
    for (size_t l = 0; l < k; l++) {
      for (size_t j = 0; j < dp; j++) {
        ps[l * dp + j] = j < d ? acc->sums[l * d + j] : 0.0;
        pc[l * dp + j] = j < d ? (double)c[l * d + j] : 0.0;
      }
    }
    ep.sums = ps;
    ep.cd = pc;
    ep.sld = dp;
  }
  const int full = padded || d % SF_DLANES == 0;

  for (size_t i0 = 0; i0 < rows; i0 += SF_ROW_TILE) {
    const size_t nr = rows - i0 < SF_ROW_TILE ? rows - i0 : SF_ROW_TILE;
    const int two = nr > SF_LANES;
    const float *xi = x + i0 * ld;
    transpose_tile(xi, nr, ld, d, xt, x_end);

    sf_tile_state st = tile_state_init(nr, sf_set1_ps(INFINITY), NULL, 0);
    if (two) argmin_pass_rv2(xt, d, c, k, &st);
    else argmin_pass_rv1(xt, d, c, k, &st);

    sf_store_rows_epi32(labels + i0, st.m[0], st.bidx[0]);
    if (two) sf_store_rows_epi32(labels + i0 + SF_LANES, st.m[1], st.bidx[1]);
    if (dist2) {
      /* float32 direct sums of squares: already >= 0, no cancellation. */
      sf_store_rows_ps(dist2 + i0, st.m[0], st.best[0]);
      if (two) sf_store_rows_ps(dist2 + i0 + SF_LANES, st.m[1], st.best[1]);
    }
    if (acc && !grouped_now) {
      /* Plain stores: later loads of single labels are forwarded from them. */
      sf_store_pi(lab, st.bidx[0]);
      sf_store_pi(lab + SF_LANES, st.bidx[1]);
      if (full && d <= 8) accumulate_tile_d8(xi, nr, ld, d, c, lab, &ep, inert, NULL);
      else if (full && d <= 16) accumulate_tile_d16(xi, nr, ld, d, c, lab, &ep, inert, NULL);
      else if (full) accumulate_tile_full(xi, nr, ld, d, c, lab, &ep, inert, NULL);
      else accumulate_tile_masked(xi, nr, ld, d, c, lab, &ep, inert, NULL);
    }
  }
  if (grouped_now) {
    accumulate_grouped(x, rows, ld, d, c, k, labels, acc, extra);
  } else if (acc) {
    acc->inertia += sf_hsum_pd(sf_add_pd(inert[0], inert[1]));
    if (padded)
      for (size_t l = 0; l < k; l++) memcpy(acc->sums + l * d, ep.sums + l * dp, d * sizeof(double));
  }
}

/* ---- distances to points (k-means++) -------------------------------------- */

/* Distances of one transposed tile of nr rows to m points, into out (stride
 * out_ld, candidate-major). */
static void dist2_tile(const float *xt, size_t nr, size_t d, const float *cand, size_t m,
                       float *out, size_t out_ld) {
  sf_tile_state st = tile_state_init(nr, sf_setzero_ps(), out, out_ld);
  if (nr > SF_LANES) store_pass_rv2(xt, d, cand, m, &st);
  else store_pass_rv1(xt, d, cand, m, &st);
}

static const strata_tile_ops tile_ops = {
  .tile_rows = SF_ROW_TILE,
  .tile_bytes = tile_bytes,
  .transpose = transpose_tile,
  .dist2_tile = dist2_tile,
};

static void dist2_to_points(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld,
                            size_t d, const float *cand, size_t m, float *out,
                            strata_scratch scratch) {
  if (rows == 0 || m == 0) return;
  /* Only the transposed tile is used here. */
  if (scratch.ptr == NULL || scratch.bytes < tile_bytes(d)) {
    const strata_kernels *ref = strata_kernels_ref();
    ref->seed.dist2_to_points(&ref->ctx, x, rows, ld, d, cand, m, out, scratch);
    return;
  }
  strata_tiles_dist2(&tile_ops, x, rows, ld, d, cand, m, out, scratch.ptr);
}

static size_t packed_bytes(const strata_kernel_ctx *ctx, size_t rows, size_t d) {
  return strata_tiles_packed_bytes(&tile_ops, rows, d);
}
static void pack_rows(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld, size_t d,
                      void *packed) {
  strata_tiles_pack(&tile_ops, x, rows, ld, d, packed);
}
static void dist2_packed(const strata_kernel_ctx *ctx, const void *packed, size_t rows, size_t d,
                         const float *cand, size_t m, float *out) {
  strata_tiles_dist2_packed(&tile_ops, packed, rows, d, cand, m, out);
}

/* Rounds to the nearest half (ties to even), in place. */
static void round_half(const strata_kernel_ctx *ctx, float *v, size_t n) {
  for (size_t i = 0; i < n; i += SF_LANES) {
    const sf_rmask m = sf_rmask_first(n - i);
    sf_store_rows_ps(v + i, m, sf_round_half_ps(sf_maskload_rows_ps(v + i, m)));
  }
}

/* ---- BLAS path and the tables ------------------------------------------- */

static const strata_kernels *direct_table(void) { return &SF_DIRECT_TABLE; }

/* Shapes whose direct epilogue sums the inertia in another order than
 * finish_rows (label by label, or the small path's): there the BLAS table
 * runs the direct kernel, so that both give the same bits.  sgemm does not
 * pay at such small k*d anyway. */
static int direct_only(size_t d, size_t k) {
#ifdef SF_HAS_SMALL_PATH
  if (small_ok(d, k)) return 1;
#endif
  return grouped(d, k);
}

int SF_BLAS_DIRECT_ONLY(size_t d, size_t k) { return direct_only(d, k); }

static const strata_blas_isa blas_isa = {
  .scan = argmin_scan,
  .finish = finish_rows,
  .direct = direct_table,
  .direct_only = direct_only,
};

static void assign_f32_blas(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld,
                            size_t d, const float *c, const float *c_norm2, size_t k,
                            int32_t *labels, float *dist2, strata_block_acc *acc,
                            strata_scratch scratch) {
  strata_blas_assign_reduce(x, rows, ld, d, c, c_norm2, k, labels, dist2, acc, scratch, &blas_isa);
}

static size_t scratch_bytes_blas(const strata_kernel_ctx *ctx, size_t rows, size_t d, size_t k) {
  /* dist2_to_points runs the direct kernel; scratch serves either. */
  const size_t a = strata_blas_scratch_bytes(rows, d, k, &blas_isa), b = scratch_bytes(ctx, rows, d, k);
  return a > b ? a : b;
}

/* Both tables share every slot but the assignment.  They hold only what
 * this ISA overrides: kernels/dispatch.c lays them over the reference table
 * (the label store and the weighted reduction are avx2.c's, which the
 * avx512 tables use too). */
#define SF_SEED_SLOTS                                                                        \
  {                                                                                          \
    .dist2_to_points = dist2_to_points, .packed_bytes = packed_bytes, .pack_rows = pack_rows,  \
    .dist2_packed = dist2_packed, .packed_half_bytes = packed_half_bytes,                    \
    .pack_rows_half = pack_rows_half, .dist2_packed_half = dist2_packed_half,                \
    .round_half = round_half, .dist2_packed_half_below = SF_HALF_BELOW, .min_sum = min_sum,  \
  }

const strata_kernels SF_DIRECT_TABLE = {
  .name = SF_NAME,
  .lloyd = {.scratch_bytes = scratch_bytes, .assign_reduce = assign_f32,
            .weighted_reduce = strata_weighted_reduce_avx2},
  .labels = {.store_u8 = strata_store_labels_u8_avx2},
  .seed = SF_SEED_SLOTS,
};

const strata_kernels SF_BLAS_TABLE = {
  .name = "blas",
  .lloyd = {.scratch_bytes = scratch_bytes_blas, .assign_reduce = assign_f32_blas,
            .weighted_reduce = strata_weighted_reduce_avx2},
  .labels = {.store_u8 = strata_store_labels_u8_avx2},
  .seed = SF_SEED_SLOTS,
};
