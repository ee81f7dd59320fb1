/* dist2_points: squared distance of every row to each of m candidate points
 * (the k-means++ update), written candidate-major: out[j * rows + i].
 *
 * One work-item per (row, candidate).  With float64 the value is computed as
 * kernels/ref.c does (float64 differences, rounded once to float), so that
 * k-means++ picks the same candidates as the reference; without float64 it is
 * a float32 sum.  m is small (at most 64) and rows a block of the init
 * sample, so the rows are read straight from global memory (cached). */
__kernel void dist2_points(__global const float *restrict x, const uint rows, const uint d,
                           __global const float *restrict cand, const uint m,
                           __global float *restrict out) {
  const uint i = get_global_id(0), j = get_global_id(1);
  if (i >= rows || j >= m) return;
  __global const float *xr = x + (ulong)i * d;
  __global const float *cr = cand + (ulong)j * d;
#if STRATA_HAVE_FP64
  double s = 0.0;
  for (uint f = 0; f < d; f++) {
    const double t = (double)xr[f] - (double)cr[f];
    const double t2 = t * t;
    s += t2;
  }
  out[(ulong)j * rows + i] = (float)s;
#else
  float s = 0.0f;
  for (uint f = 0; f < d; f++) {
    const float t = xr[f] - cr[f];
    s += t * t;
  }
  out[(ulong)j * rows + i] = s;
#endif
}
