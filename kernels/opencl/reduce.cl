/* reduce_sums_fixed: adds a piece's rows into the exact per-cluster sums,
 * bit-identical to the CPU path (core/lloyd.c with common/exact.h).
 *
 * The CPU path sums each 4096-row block's rows of a cluster in increasing
 * row order in float64, starting from zero, then rounds that block sum once
 * to a 128-bit fixed-point number (value * 2^S_j truncated toward zero) and
 * adds it exactly.  Here one work-item owns one (cluster, feature) pair and
 * does the same for the blocks of the piece: it walks its cluster's rows
 * block by block in the order the host listed them (a stable counting sort
 * of each block's rows by label), rounds each non-empty block's sum exactly
 * as strata_to_fixed does, and adds it to its 128-bit total.  Fixed-point
 * addition is exact, so pieces and blocks may be added in any order: no
 * atomics, and the same bits on every run.
 *
 *  x        rows x d of the piece, packed
 *  order    rows: row indices (into x), grouped by block, then by cluster,
 *           increasing within a cluster
 *  offsets  nblocks x (k + 1): cluster c of block b is
 *           order[offsets[b*(k+1) + c] .. offsets[b*(k+1) + c + 1])
 *  scale    d: 2^S_j
 *  total    k x d x 2: {low 64 bits, high 64 bits} of each exact sum
 *  row_limit, off_grid: a block sum past its rows' limit (common/exact.h
 *           strata_fixed_fits: the values passed the bound the grid was
 *           chosen for) is left out and sets *off_grid; the host fails
 *           the pass */
#if STRATA_HAVE_FP64
__kernel void reduce_sums_fixed(__global const float *restrict x, const uint d, const uint k,
                                const uint nblocks, __global const int *restrict order,
                                __global const int *restrict offsets,
                                __global const double *restrict scale,
                                __global ulong *restrict total, const double row_limit,
                                __global int *restrict off_grid) {
  const ulong g = get_global_id(0);
  if (g >= (ulong)k * d) return;
  const uint cl = (uint)(g / d), j = (uint)(g % d);
  const double sc = scale[j];
  ulong lo = total[2 * g], hi = total[2 * g + 1];
  for (uint b = 0; b < nblocks; b++) {
    __global const int *off = offsets + (ulong)b * (k + 1) + cl;
    const int first = off[0], end = off[1];
    if (first == end) continue; /* the CPU path skips clusters a block did not touch */
    double s = 0.0;
    for (int i = first; i < end; i++) s += (double)x[(ulong)order[i] * d + j];
    /* strata_to_fixed (common/exact.h): both 64-bit halves of |s * 2^S|,
     * each exact, then the sign. */
    const double v = s * sc, m = fabs(v);
    if (!(m <= fmin((double)(end - first) * row_limit, 0x1.0p125))) {
      *off_grid = 1;
      continue;
    }
    const double mh = floor(m * 0x1.0p-64);
    const double ml = m - mh * 0x1.0p64;
    ulong fl = (ulong)ml, fh = (ulong)mh;
    if (v < 0.0) {
      fl = ~fl + 1;
      fh = ~fh + (fl == 0 ? 1 : 0);
    }
    const ulong nl = lo + fl;
    hi += fh + (nl < lo ? 1 : 0);
    lo = nl;
  }
  total[2 * g] = lo;
  total[2 * g + 1] = hi;
}
#endif
