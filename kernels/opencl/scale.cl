/* scale_rows: the pass's scaler applied on the device, in place, to raw
 * rows just uploaded (kernels.h run_set_scaler), so that the host neither
 * scales nor uploads scaled copies.
 *
 * Every value is computed exactly as core/scaler.c's strata_scaler_apply
 * does: v = (double)x, or impute[j] for a NaN; (float)((v - shift[j]) *
 * inv[j]) in float64, rounded once to float32 (round to nearest even, the
 * default conversion), no contraction (the prelude's FP_CONTRACT OFF), so the
 * device's scaled rows are bit-identical to the host's.
 *
 * A value the host would reject (Inf; NaN when nan_ok is 0) is left as it is
 * and sets *bad: the host then re-scans the chunk with its own scaler for
 * the exact message (column and row).
 *
 * One work-item per value: dimension 0 is the feature, so consecutive
 * work-items touch consecutive floats of a row; STRATA_SCALE_ROWS rows per
 * work-item in dimension 1 amortise the three float64 loads of a feature.
 *
 *  x       rows x d, row-major, packed: raw in, scaled out
 *  shift, inv, impute  d each (impute is read only when nan_ok)
 *  bad     one int, or-ed with 1 on a rejected value */
#if STRATA_HAVE_FP64
__kernel void scale_rows(__global float *restrict x, const uint rows, const uint d,
                         __global const double *restrict shift, __global const double *restrict inv,
                         __global const double *restrict impute, const int nan_ok,
                         __global int *restrict bad) {
  const uint j = (uint)get_global_id(0);
  const uint r0 = (uint)get_global_id(1) * STRATA_SCALE_ROWS;
  if (j >= d) return;
  const double s = shift[j], f = inv[j];
  const double fill = nan_ok ? impute[j] : 0.0;
  const uint r1 = min(rows, r0 + (uint)STRATA_SCALE_ROWS);
  int rejected = 0;
  for (uint r = r0; r < r1; r++) {
    __global float *p = x + (ulong)r * d + j;
    const float v = *p;
    if (isinf(v) || (isnan(v) && !nan_ok)) {
      rejected = 1;
      continue;
    }
    const double w = isnan(v) ? fill : (double)v;
    *p = (float)((w - s) * f);
  }
  if (rejected) atomic_or(bad, 1);
}
#endif
