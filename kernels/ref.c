/* Reference kernels: plain C, float64 arithmetic throughout.  Slow on
 * purpose-free grounds only: this file is the oracle every other backend is
 * tested against, so it favours the obviously correct over the fast. */
#include <math.h>
#include <string.h>

#include "kernels_internal.h"

static size_t ref_scratch_bytes(const strata_kernel_ctx *ctx, size_t rows, size_t d, size_t k) {
  (void)rows; (void)d; (void)k;
  return 0;
}

static double dist2_f64(const float *x, const float *c, size_t d) {
  double s = 0.0;
  for (size_t j = 0; j < d; j++) {
    double t = (double)x[j] - (double)c[j];
    s += t * t;
  }
  return s;
}

static void ref_assign_reduce(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld, size_t d,
                              const float *c, const float *c_norm2, size_t k,
                              int32_t *labels, float *dist2, strata_block_acc *acc,
                              strata_scratch scratch) {
  (void)c_norm2; (void)scratch;
  for (size_t i = 0; i < rows; i++) {
    const float *xi = x + i * ld;
    size_t best = 0;
    double best_d = dist2_f64(xi, c, d);
    for (size_t l = 1; l < k; l++) {
      double dl = dist2_f64(xi, c + l * d, d);
      if (dl < best_d) { best_d = dl; best = l; }
    }
    labels[i] = (int32_t)best;
    if (dist2) dist2[i] = (float)best_d;
    if (acc) {
      double *s = acc->sums + best * d;
      for (size_t j = 0; j < d; j++) s[j] += (double)xi[j];
      acc->counts[best] += 1;
      acc->inertia += best_d;
    }
  }
}

/* The definition of kernels.h's weighted_reduce, as written there. */
static double ref_weighted_reduce(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld, size_t d,
                                  const float *c, const int32_t *labels, const float *wt, double *sums,
                                  int64_t *counts, double *wsum) {
  (void)ctx;
  const size_t d4 = d / 4 * 4;
  double inertia = 0.0;
  for (size_t i = 0; i < rows; i++) {
    const size_t l = (size_t)labels[i];
    const double w = (double)wt[i];
    const float *xi = x + i * ld, *cl = c + l * d;
    double *s = sums + l * d;
    double q[4] = {0.0, 0.0, 0.0, 0.0};
    size_t j = 0;
    for (; j < d4; j += 4)
      for (size_t r = 0; r < 4; r++) {
        const double v = (double)xi[j + r], e = v - (double)cl[j + r];
        s[j + r] += w * v;
        q[r] += e * e;
      }
    inertia += strata_weighted_row_end(xi, cl, s, w, j, d, q, &counts[l], &wsum[l]);
  }
  return inertia;
}

static void ref_dist2_to_points(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld, size_t d,
                                const float *cand, size_t m, float *out,
                                strata_scratch scratch) {
  (void)scratch;
  for (size_t j = 0; j < m; j++)
    for (size_t i = 0; i < rows; i++)
      out[j * rows + i] = (float)dist2_f64(x + i * ld, cand + j * d, d);
}

double strata_min_sum_tail(double s[32], const float *a, const float *b, float *out, size_t i, size_t n) {
  for (; i < n; i++) {
    const float v = a[i] < b[i] ? a[i] : b[i];
    out[i] = v;
    s[i % 32] += (double)v;
  }
  double t[8], u[4];
  for (size_t l = 0; l < 8; l++) t[l] = (s[l] + s[l + 8]) + (s[l + 16] + s[l + 24]);
  for (size_t l = 0; l < 4; l++) u[l] = t[l] + t[l + 4];
  return (u[0] + u[2]) + (u[1] + u[3]);
}

double strata_min_sum_ref(const strata_kernel_ctx *ctx, const float *a, const float *b, float *out,
                          size_t n) {
  double s[32] = {0};
  return strata_min_sum_tail(s, a, b, out, 0, n);
}

size_t strata_store_labels_u8_tail(const int32_t *lab, uint8_t *prev, size_t i, size_t m) {
  size_t moved = 0;
  for (; i < m; i++) {
    const uint8_t v = (uint8_t)lab[i];
    moved += prev[i] != v;
    prev[i] = v;
  }
  return moved;
}

static size_t ref_store_labels_u8(const strata_kernel_ctx *ctx, const int32_t *lab, uint8_t *prev, size_t m) {
  return strata_store_labels_u8_tail(lab, prev, 0, m);
}

/* The table every other starts from (kernels/dispatch.c, opencl_table.c). */
static const strata_kernels ref_table = {
  .name = "ref",
  .ctx = {&ref_table, -1},
  .lloyd = {.scratch_bytes = ref_scratch_bytes, .assign_reduce = ref_assign_reduce,
            .weighted_reduce = ref_weighted_reduce},
  .labels = {.store_u8 = ref_store_labels_u8},
  .seed = {.dist2_to_points = ref_dist2_to_points, .min_sum = strata_min_sum_ref},
};

const strata_kernels *strata_kernels_ref(void) { return &ref_table; }

void strata_kernels_overlay(strata_kernels *out, const strata_kernels *o) {
  *out = ref_table;
  out->name = o->name;
  out->ctx = (strata_kernel_ctx){out, -1};
#define STRATA_OVERLAY_SLOT(family, slot) \
  if (o->family.slot) out->family.slot = o->family.slot;
  STRATA_KERNEL_SLOTS(STRATA_OVERLAY_SLOT)
#undef STRATA_OVERLAY_SLOT
}
