/* Refit lineage (see lineage.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "error.h"
#include "hungarian.h"
#include "lineage.h"

strata_status strata_lineage_check(const strata_fit_params *p, const strata_dataset *ds) {
  RETURN_IF(p->warm_start && !p->parent, STRATA_ERR_USAGE, "a warm start needs a parent model");
  if (!p->parent) return STRATA_OK;
  RETURN_IF(p->warm_start && p->init == STRATA_INIT_GIVEN, STRATA_ERR_USAGE,
            "a warm start and initial centroids from a file exclude each other");
  const strata_model_info *pi = strata_model_get_info(p->parent);
  const char *name = p->parent_path ? p->parent_path : "the parent model";
  size_t d = strata_dataset_cols(ds);
  RETURN_IF(d != (size_t)pi->d, STRATA_ERR_USAGE,
            "parent model '%s' has %d features but '%s' has %zu selected", name, pi->d,
            strata_dataset_path(ds), d);
  for (size_t j = 0; j < d; j++)
    RETURN_IF(strcmp(pi->features[j], strata_dataset_col_name(ds, j)) != 0, STRATA_ERR_USAGE,
              "parent model '%s' has feature %zu '%s' but '%s' has '%s' there; a refit must "
              "use the parent's features in its order",
              name, j, pi->features[j], strata_dataset_path(ds), strata_dataset_col_name(ds, j));
  return STRATA_OK;
}

/* Parent segment indices, largest first (ties: lower index first). */
static int *by_size(const strata_model_info *pi) {
  int *order = malloc((size_t)pi->k * sizeof *order);
  if (!order) return NULL;
  for (int i = 0; i < pi->k; i++) order[i] = i;
  for (int i = 1; i < pi->k; i++) {
    int v = order[i], j = i;
    while (j > 0 && pi->sizes[order[j - 1]] < pi->sizes[v]) { order[j] = order[j - 1]; j--; }
    order[j] = v;
  }
  return order;
}

strata_status strata_lineage_warm_start(const strata_init_job *job, const strata_model_info *pi,
                                        const strata_scaler *sc, double *centers) {
  size_t k = job->k, d = job->d, kp = (size_t)pi->k;
  size_t given = k < kp ? k : kp;
  int *order = by_size(pi);
  RETURN_IF(!order, STRATA_ERR_NOMEM, "out of memory");
  /* The kept ones in the parent's order, so a warm start is close to the
   * numbering the renumbering will choose anyway. */
  char *keep = calloc(kp, 1);
  if (!keep) { free(order); return strata_fail(STRATA_ERR_NOMEM, "out of memory"); }
  for (size_t i = 0; i < given; i++) keep[order[i]] = 1;
  for (size_t c = 0, g = 0; c < kp; c++)
    if (keep[c]) strata_scaler_forward(sc, pi->centroids_original + c * d, centers + g++ * d);
  free(keep);
  free(order);
  if (given == k) return STRATA_OK;
  RETURN_IF(job->m < k, STRATA_ERR_DATA, "the init sample holds %zu complete rows, fewer than k = %zu",
            job->m, k);
  return strata_init_kmeanspp_from(job, centers, given);
}

strata_status strata_lineage_renumber(const strata_model_info *pi, const strata_scaler *sc,
                                      size_t k, double *centers, int64_t *sizes, int *parent_seg,
                                      double *parent_dist) {
  size_t kp = (size_t)pi->k, d = sc->d;
  double *cost = malloc(kp * k * sizeof *cost), *pc = malloc(kp * d * sizeof *pc);
  double *old_c = malloc(k * d * sizeof *old_c);
  int64_t *old_s = malloc(k * sizeof *old_s);
  int *match = malloc(kp * sizeof *match), *slot = malloc(k * sizeof *slot);
  strata_status st = STRATA_OK;
  if (!cost || !pc || !old_c || !old_s || !match || !slot) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory matching %zu segments to %zu", k, kp);
    goto done;
  }
  for (size_t p = 0; p < kp; p++) strata_scaler_forward(sc, pi->centroids_original + p * d, pc + p * d);
  for (size_t p = 0; p < kp; p++)
    for (size_t c = 0; c < k; c++) {
      double s = 0.0;
      for (size_t j = 0; j < d; j++) {
        double q = pc[p * d + j] - centers[c * d + j];
        s += q * q;
      }
      cost[p * k + c] = sqrt(s);
    }
  GOTO_IF_ERROR(st, strata_hungarian(cost, kp, k, match, NULL), done);
  /* New numbers: matched centres in the parent's order, then the rest in
   * their fitted order. */
  for (size_t c = 0; c < k; c++) slot[c] = -1;
  size_t next = 0;
  for (size_t p = 0; p < kp; p++)
    if (match[p] >= 0) {
      slot[match[p]] = (int)next;
      parent_seg[next] = (int)p;
      parent_dist[next] = cost[p * k + (size_t)match[p]];
      next++;
    }
  for (size_t c = 0; c < k; c++)
    if (slot[c] < 0) {
      slot[c] = (int)next;
      parent_seg[next] = -1;
      parent_dist[next] = NAN;
      next++;
    }
  memcpy(old_c, centers, k * d * sizeof *old_c);
  memcpy(old_s, sizes, k * sizeof *old_s);
  for (size_t c = 0; c < k; c++) {
    memcpy(centers + (size_t)slot[c] * d, old_c + c * d, d * sizeof *centers);
    sizes[slot[c]] = old_s[c];
  }
done:
  free(cost); free(pc); free(old_c); free(old_s); free(match); free(slot);
  return st;
}

void strata_lineage_mark_replaced(const strata_model_info *pi, size_t k,
                                  const double *mean_distance, int *parent_seg,
                                  const double *parent_dist) {
  for (size_t c = 0; c < k; c++) {
    int p = parent_seg[c];
    if (p < 0) continue;
    double spread = pi->train_mean_distance && pi->train_mean_distance[p] > 0
                        ? pi->train_mean_distance[p]
                        : mean_distance[c];
    if (spread > 0 && parent_dist[c] > STRATA_LINEAGE_REPLACED_RATIO * spread) parent_seg[c] = -1;
  }
}
