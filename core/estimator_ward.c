/* Ward's hierarchical clustering as a non-iterative method
 * (core/fit_direct.h): the exact nearest-neighbour chain of core/ward.c on
 * the kept scaled rows, cut into k segments or at a merge height.  The
 * model keeps the whole dendrogram (scipy's linkage matrix) and the
 * segments' centroids, so `strata assign` gives a new row the nearest
 * segment centroid. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "estimator.h"
#include "fit_direct.h"
#include "ward.h"
#include "ward_twostep.h"

typedef struct {
  strata_ward_merge *merges; /* m-1 */
  size_t m;
} ward_state;

static strata_status ward_check(const strata_fit_params *p, size_t *kmax) {
  RETURN_IF(!(p->distance_threshold >= 0.0), STRATA_ERR_USAGE,
            "the distance threshold must be a number >= 0 (got %g)", p->distance_threshold);
  RETURN_IF(p->parent || p->warm_start, STRATA_ERR_USAGE,
            "refits from a parent model (warm start, matched ids) are for kmeans, not ward");
  RETURN_IF(p->init == STRATA_INIT_GIVEN || p->init == STRATA_INIT_KMEANS_PARALLEL, STRATA_ERR_USAGE,
            "initial centroids (a file, k-means||) are for kmeans, not ward");
  RETURN_IF(p->n_init != 1, STRATA_ERR_USAGE, "ward is deterministic: restarts (n-init %d) are for kmeans",
            p->n_init);
  RETURN_IF(p->ward_mode != STRATA_WARD_EXACT && p->ward_mode != STRATA_WARD_TWOSTEP &&
                p->ward_mode != STRATA_WARD_AUTO, STRATA_ERR_USAGE, "unknown ward mode %d", (int)p->ward_mode);
  RETURN_IF(p->ward_mode != STRATA_WARD_EXACT && p->ward_micro < 2, STRATA_ERR_USAGE,
            "the two-step mode needs at least 2 micro-clusters (got %d)", p->ward_micro);
  *kmax = p->distance_threshold > 0.0 ? 1 : (size_t)p->k;
  return STRATA_OK;
}

/* The chain's centroids (d) and one label, merge and chain slot per row
 * beyond the driver's: about 8·d + 64 bytes; weighted, the rows of
 * positive weight and their weights once more. */
static double ward_bytes(const strata_fit_params *p, size_t d, int weighted) {
  (void)p;
  return 8.0 * (double)d + 96.0 + (weighted ? 8.0 * (double)d + 12.0 : 0.0);
}

static void ward_release(void *state) {
  ward_state *w = state;
  if (!w) return;
  free(w->merges);
  free(w);
}

/* The dendrogram of m rows x with weights rw (NULL: 1 each; all > 0), cut. */
static strata_status link_and_cut(const strata_fit_data *data, ward_state *w, const double *x, const double *rw,
                                  size_t m, int32_t *labels, size_t *k) {
  const strata_fit_params *p = data->p;
  w->m = m;
  w->merges = malloc((m > 1 ? m - 1 : 1) * sizeof *w->merges);
  RETURN_IF(!w->merges, STRATA_ERR_NOMEM, "out of memory for the dendrogram of %zu rows", m);
  FORWARD_IF_ERROR(strata_ward_linkage(data->ctx, x, rw, m, data->d, w->merges));
  double threshold = p->distance_threshold > 0.0 ? p->distance_threshold : -1.0;
  return strata_ward_cut(w->merges, m, (size_t)p->k, threshold, labels, k);
}

/* Row weights: Ward on the rows of positive weight, each a cluster of its
 * weight from the start (so integer weights merge as the rows repeated,
 * once the copies have joined at height 0); a row of weight 0 changes no
 * merge and goes to the nearest segment's weighted mean, as `strata
 * assign` would place it (the lowest segment on a tie). */
static strata_status weighted_cluster(const strata_fit_data *data, ward_state *w, const double *x, size_t m,
                                      int32_t *labels, size_t *k) {
  const double *rw = data->row_weights;
  size_t d = data->d, mp = 0;
  for (size_t i = 0; i < m; i++) mp += rw[i] > 0.0;
  RETURN_IF(mp < (size_t)data->p->k, STRATA_ERR_DATA,
            "k = %d exceeds the %zu rows of positive weight (Ward joins only those)", data->p->k, mp);
  double *xp = malloc((mp ? mp : 1) * d * sizeof *xp), *wp = malloc((mp ? mp : 1) * sizeof *wp);
  int32_t *lp = malloc((mp ? mp : 1) * sizeof *lp);
  double *mean = NULL, *mass = NULL;
  strata_status st = xp && wp && lp ? STRATA_OK : strata_fail(STRATA_ERR_NOMEM, "out of memory for %zu rows", mp);
  for (size_t i = 0, r = 0; st == STRATA_OK && i < m; i++)
    if (rw[i] > 0.0) {
      memcpy(xp + r * d, x + i * d, d * sizeof *xp);
      wp[r++] = rw[i];
    }
  if (st == STRATA_OK) st = link_and_cut(data, w, xp, wp, mp, lp, k);
  if (st == STRATA_OK) {
    mean = calloc(*k * d + 1, sizeof *mean);
    mass = calloc(*k + 1, sizeof *mass);
    if (!mean || !mass) st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
  }
  for (size_t r = 0; st == STRATA_OK && r < mp; r++) {
    size_t c = (size_t)lp[r];
    mass[c] += wp[r];
    for (size_t j = 0; j < d; j++) mean[c * d + j] += wp[r] * xp[r * d + j];
  }
  for (size_t c = 0; st == STRATA_OK && c < *k; c++)
    for (size_t j = 0; j < d; j++) mean[c * d + j] /= mass[c];
  for (size_t i = 0, r = 0; st == STRATA_OK && i < m; i++) {
    if (rw[i] > 0.0) {
      labels[i] = lp[r++];
      continue;
    }
    double best = INFINITY;
    for (size_t c = 0; c < *k; c++) {
      double q = 0.0;
      for (size_t j = 0; j < d; j++) {
        double e = x[i * d + j] - mean[c * d + j];
        q += e * e;
      }
      if (q < best) {
        best = q;
        labels[i] = (int32_t)c;
      }
    }
  }
  free(xp); free(wp); free(lp); free(mean); free(mass);
  return st;
}

static strata_status ward_cluster(const strata_fit_data *data, const double *x, size_t m, int32_t *labels,
                                  size_t *k, void **state) {
  ward_state *w = calloc(1, sizeof *w);
  RETURN_IF(!w, STRATA_ERR_NOMEM, "out of memory");
  *state = w;
  if (data->row_weights) return weighted_cluster(data, w, x, m, labels, k);
  return link_and_cut(data, w, x, NULL, m, labels, k);
}

static strata_status ward_describe(const void *state, const strata_fit_data *data, strata_model *m) {
  const ward_state *w = state;
  RETURN_IF(w->m - 1 > (size_t)INT32_MAX, STRATA_ERR_DATA, "too many rows for a dendrogram (%zu)", w->m);
  /* strata_ward_merge is four doubles: scipy's row. */
  _Static_assert(sizeof(strata_ward_merge) == 4 * sizeof(double), "a merge is one linkage row");
  RETURN_IF(!strata_model_set_merges(m, (const double *)w->merges, (int)(w->m - 1)), STRATA_ERR_NOMEM,
            "out of memory");
  m->info.distance_threshold = data->p->distance_threshold;
  return STRATA_OK;
}

/* Two-step when asked, or under auto when the rows do not fit. */
static int ward_streamed(const strata_fit_params *p, int fits) {
  return p->ward_mode == STRATA_WARD_TWOSTEP || (p->ward_mode == STRATA_WARD_AUTO && !fits);
}

static const strata_direct_ops ward_direct = {
    .check = ward_check, .bytes = ward_bytes, .cluster = ward_cluster, .describe = ward_describe,
    .release = ward_release,
    .too_large = "give --ward-mode twostep (or auto), which streams the rows into micro-clusters and runs Ward "
                 "on those, in bounded memory",
    .streamed = ward_streamed, .fit_streamed = strata_ward_twostep};

const strata_estimator_ops strata_estimator_ward = {.name = "ward", .direct = &ward_direct};
