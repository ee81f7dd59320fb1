/* assign_f32: nearest centroid of each row.
 *
 * One work-item per row, STRATA_WG rows per work-group.  Centroids are taken
 * STRATA_TILE_K at a time; for each tile the work-group stages
 * STRATA_TILE_D features of its rows (transposed, so that a work-item reads
 * its own row without bank conflicts) and of the tile's centroids (read by
 * every work-item at the same address: a broadcast) in local memory, and
 * each work-item accumulates STRATA_TILE_K float32 squared distances in
 * registers.  The distance is the direct sum of (x - c)^2 over features in
 * increasing order, so a label is a fixed function of the inputs (no
 * atomics, no order that depends on scheduling) and ties go to the lower
 * centroid index, as in the reference kernels.
 *
 * Outputs per row: the label and, with float64, the exact float64 squared
 * distance to the chosen centroid computed exactly as kernels/ref.c does
 * (same operations, same order, no contraction); without float64 the float32
 * minimum (the host then recomputes the exact value).
 *
 *  x       rows x d, row-major, packed
 *  c       k x d centroids
 *  labels  rows
 *  dist    rows */
#if STRATA_HAVE_FP64
typedef double dist_t;
#else
typedef float dist_t;
#endif

__kernel __attribute__((reqd_work_group_size(STRATA_WG, 1, 1)))
void assign_f32(__global const float *restrict x, const uint rows, const uint d,
                __global const float *restrict c, const uint k,
                __global int *restrict labels, __global dist_t *restrict dist) {
  /* +1 column: the transposed stores of a tile hit different banks. */
  __local float xs[STRATA_TILE_D][STRATA_WG + 1];
  /* Feature-major, so that the STRATA_TILE_K values a work-item needs for
   * one feature are contiguous: one vector load on a CPU device, one
   * broadcast on a GPU. */
  __local float cs[STRATA_TILE_D][STRATA_TILE_K];

  const uint lid = get_local_id(0);
  const uint row0 = get_group_id(0) * STRATA_WG;
  const uint row = row0 + lid;
  const uint nrows = min((uint)STRATA_WG, rows - row0); /* rows of this group */

  float best = INFINITY;
  int best_l = 0;

  for (uint k0 = 0; k0 < k; k0 += STRATA_TILE_K) {
    const uint kt = min((uint)STRATA_TILE_K, k - k0);
    float acc[STRATA_TILE_K];
    for (int t = 0; t < STRATA_TILE_K; t++) acc[t] = 0.0f;

    for (uint d0 = 0; d0 < d; d0 += STRATA_TILE_D) {
      const uint dt = min((uint)STRATA_TILE_D, d - d0);
      barrier(CLK_LOCAL_MEM_FENCE); /* the previous tile has been read */
      /* Consecutive work-items read consecutive features of a row. */
      for (uint i = lid; i < STRATA_WG * STRATA_TILE_D; i += STRATA_WG) {
        const uint r = i / STRATA_TILE_D, j = i % STRATA_TILE_D;
        xs[j][r] = (r < nrows && j < dt) ? x[(ulong)(row0 + r) * d + d0 + j] : 0.0f;
      }
      for (uint i = lid; i < STRATA_TILE_K * STRATA_TILE_D; i += STRATA_WG) {
        const uint t = i / STRATA_TILE_D, j = i % STRATA_TILE_D;
        cs[j][t] = (t < kt && j < dt) ? c[(ulong)(k0 + t) * d + d0 + j] : 0.0f;
      }
      barrier(CLK_LOCAL_MEM_FENCE);
      {
        /* The float32 distances only choose the label: fma is welcome. */
#pragma OPENCL FP_CONTRACT ON
        for (uint j = 0; j < dt; j++) {
          const float xv = xs[j][lid];
#pragma unroll
          for (int t = 0; t < STRATA_TILE_K; t++) {
            const float diff = xv - cs[j][t];
            acc[t] += diff * diff;
          }
        }
      }
    }
    /* Strictly smaller wins: ties keep the lower index.  A constant trip
     * count keeps acc[] in registers (a variable index would spill it). */
#pragma unroll
    for (int t = 0; t < STRATA_TILE_K; t++) {
      if ((uint)t < kt && acc[t] < best) {
        best = acc[t];
        best_l = (int)k0 + t;
      }
    }
  }

  if (row >= rows) return; /* after the last barrier */
  labels[row] = best_l;
#if STRATA_HAVE_FP64
  /* Exactly kernels/ref.c's dist2_f64 for the chosen centroid. */
  __global const float *xr = x + (ulong)row * d;
  __global const float *cr = c + (ulong)best_l * d;
  double s = 0.0;
  for (uint j = 0; j < d; j++) {
    const double t = (double)xr[j] - (double)cr[j];
    const double t2 = t * t;
    s += t2;
  }
  dist[row] = s;
#else
  dist[row] = best;
#endif
}

