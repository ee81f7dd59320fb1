/* The Lloyd update between passes (see lloyd.h): shared by strata_fit and
 * strata_sweep so that both follow exactly the same rules. */
#include <stdlib.h>

#include "ctx.h"
#include "error.h"
#include "lloyd.h"

/* Re-seeds each empty cluster with the points farthest from their centroids
 * (scikit-learn's rule): empty clusters in index order take the farthest
 * points in order; each point leaves the sums of the cluster it was in. */
static strata_status relocate_empty(strata_lloyd *l, strata_lloyd_result *res, int *relocated) {
  size_t k = strata_lloyd_k(l), d = strata_lloyd_d(l), empty = 0;
  *relocated = 0;
  /* With row weights a cluster of no weight is empty too (scikit-learn's). */
  for (size_t c = 0; c < k; c++) empty += res->counts[c] == 0 || (res->weight && res->weight[c] == 0.0);
  if (!empty) return STRATA_OK;
  size_t *which = malloc(empty * sizeof *which);
  RETURN_IF(!which, STRATA_ERR_NOMEM, "out of memory");
  for (size_t c = 0, e = 0; c < k; c++)
    if (res->counts[c] == 0 || (res->weight && res->weight[c] == 0.0)) which[e++] = c;
  const strata_far_point *far = NULL;
  strata_status st = strata_lloyd_farthest(l, empty, &far);
  for (size_t e = 0; st == STRATA_OK && e < empty; e++) {
    /* The farthest pass assigned every row again with the same centroids,
     * so each point's label is the one the reduction used. */
    const strata_far_point *pt = &far[e];
    size_t c = which[e], from = (size_t)pt->label;
    double w = res->weight ? pt->w : 1.0;
    for (size_t j = 0; j < d; j++) {
      res->sums[from * d + j] -= w * pt->x[j];
      /* A row of weight 0 still places the centre (its own values). */
      res->sums[c * d + j] = w > 0.0 ? w * pt->x[j] : pt->x[j];
    }
    res->counts[from] -= 1;
    res->counts[c] = 1;
    if (res->weight) {
      res->weight[from] -= w;
      res->weight[c] = w > 0.0 ? w : 1.0;
    }
    strata_log(strata_lloyd_ctx(l), STRATA_LOG_INFO, "cluster %zu was empty; re-seeded with row %llu", c,
               (unsigned long long)pt->row);
  }
  free(which);
  *relocated = 1;
  return st;
}

strata_status strata_lloyd_update(strata_lloyd *l, strata_lloyd_result *res, const double *centers,
                                  double *next, double tol_abs, strata_lloyd_step *out) {
  size_t k = strata_lloyd_k(l), d = strata_lloyd_d(l);
  *out = (strata_lloyd_step){0};
  FORWARD_IF_ERROR(relocate_empty(l, res, &out->relocated));
  double shift = 0.0;
  for (size_t c = 0; c < k; c++) {
    for (size_t j = 0; j < d; j++) {
      double n = res->weight ? res->weight[c] : (double)res->counts[c];
      double v = res->counts[c] > 0 && n > 0.0 ? res->sums[c * d + j] / n : centers[c * d + j];
      double q = v - centers[c * d + j];
      shift += q * q;
      next[c * d + j] = v;
    }
  }
  out->shift = shift;
  if (strata_lloyd_tracks_labels(l) && res->relocations == 0) out->strict = out->converged = 1;
  else if (shift <= tol_abs) out->converged = 1;
  return STRATA_OK;
}
