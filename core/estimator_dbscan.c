/* DBSCAN as a non-iterative method (core/fit_direct.h): core/dbscan.c on
 * the kept scaled rows.  The model keeps eps, min_samples and the core
 * points with their segments (for `strata assign`: the segment of the
 * nearest core point within eps, else noise) and, like every model, the
 * segments' centroids (means of their rows, noise left out) for profile
 * and report. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dbscan.h"
#include "error.h"
#include "estimator.h"
#include "fit_direct.h"
#include "kdist.h"

typedef struct {
  double *core;    /* n_core×d */
  int32_t *seg;    /* n_core */
  size_t n_core;
  double eps;      /* given, or chosen at the k-distance knee */
  strata_kdist kd; /* eps auto: the curve (else empty) */
} dbscan_state;

static strata_status dbscan_check(const strata_fit_params *p, size_t *kmax) {
  RETURN_IF(!p->eps_auto && (!(p->eps > 0.0) || !isfinite(p->eps)), STRATA_ERR_USAGE,
            "dbscan needs eps, a number above 0 in scaled units, or auto (--eps)");
  RETURN_IF(p->eps_auto && p->eps_sample < 2, STRATA_ERR_USAGE,
            "eps auto needs a sample of at least 2 rows (eps-sample %zu)", p->eps_sample);
  RETURN_IF(p->min_samples < 1, STRATA_ERR_USAGE, "min-samples must be at least 1 (got %d)", p->min_samples);
  RETURN_IF(p->parent || p->warm_start, STRATA_ERR_USAGE,
            "refits from a parent model (warm start, matched ids) are for kmeans, not dbscan");
  RETURN_IF(p->init == STRATA_INIT_GIVEN || p->init == STRATA_INIT_KMEANS_PARALLEL, STRATA_ERR_USAGE,
            "initial centroids (a file, k-means||) are for kmeans, not dbscan");
  RETURN_IF(p->n_init != 1, STRATA_ERR_USAGE, "dbscan is deterministic: restarts (n-init %d) are for kmeans",
            p->n_init);
  *kmax = 1;
  return STRATA_OK;
}

/* The k-d tree (index, nodes, boxes: about 16 + 4·d bytes a row), the core
 * flags, the expansion stack, and the core points kept for the model. */
static double dbscan_bytes(const strata_fit_params *p, size_t d, int weighted) {
  (void)weighted;
  (void)p;
  return 48.0 + 12.0 * (double)d;
}

static void dbscan_release(void *state) {
  dbscan_state *s = state;
  if (!s) return;
  free(s->core);
  free(s->seg);
  strata_kdist_free(&s->kd);
  free(s);
}

static strata_status dbscan_cluster(const strata_fit_data *data, const double *x, size_t m, int32_t *labels,
                                    size_t *k, void **state) {
  const strata_fit_params *p = data->p;
  size_t d = data->d;
  dbscan_state *s = calloc(1, sizeof *s);
  RETURN_IF(!s, STRATA_ERR_NOMEM, "out of memory");
  *state = s;
  s->eps = p->eps;
  if (p->eps_auto) {
    FORWARD_IF_ERROR(strata_kdist_knee(data->ctx, x, m, d, (size_t)p->min_samples, p->eps_sample, p->seed, &s->kd));
    s->eps = s->kd.eps;
    strata_log(data->ctx, STRATA_LOG_INFO, "eps auto: %.6g, the knee of the %d-distance curve of %zu rows", s->eps,
               p->min_samples, s->kd.sample);
  }
  uint8_t *core = malloc(m ? m : 1);
  RETURN_IF(!core, STRATA_ERR_NOMEM, "out of memory for DBSCAN on %zu rows", m);
  strata_status st = strata_dbscan(data->ctx, x, data->row_weights, m, d, s->eps, (size_t)p->min_samples, labels, core, k);
  for (size_t i = 0; st == STRATA_OK && i < m; i++) s->n_core += core[i];
  if (st == STRATA_OK && *k == 0)
    st = strata_fail(STRATA_ERR_DATA,
                     "dbscan found no cluster: none of the %zu rows has %d rows within eps %g (scaled units); "
                     "raise --eps or lower --min-samples", m, p->min_samples, s->eps);
  if (st == STRATA_OK) {
    s->core = malloc((s->n_core ? s->n_core : 1) * d * sizeof *s->core);
    s->seg = malloc((s->n_core ? s->n_core : 1) * sizeof *s->seg);
    if (!s->core || !s->seg) st = strata_fail(STRATA_ERR_NOMEM, "out of memory for %zu core points", s->n_core);
  }
  for (size_t i = 0, c = 0; st == STRATA_OK && i < m; i++)
    if (core[i]) {
      memcpy(s->core + c * d, x + i * d, d * sizeof *x);
      s->seg[c++] = labels[i];
    }
  free(core);
  return st;
}

static strata_status dbscan_describe(const void *state, const strata_fit_data *data, strata_model *m) {
  const dbscan_state *s = state;
  RETURN_IF(s->n_core > (size_t)INT32_MAX, STRATA_ERR_DATA, "too many core points (%zu)", s->n_core);
  RETURN_IF(!strata_model_set_core(m, s->core, s->seg, (int)s->n_core), STRATA_ERR_NOMEM, "out of memory");
  m->info.eps = s->eps;
  m->info.min_samples = data->p->min_samples;
  if (s->kd.curve)
    RETURN_IF(!strata_model_set_kdist(m, s->kd.curve, (int)s->kd.npoints, s->kd.sample), STRATA_ERR_NOMEM,
              "out of memory");
  return STRATA_OK;
}

static const strata_direct_ops dbscan_direct = {
    .check = dbscan_check, .bytes = dbscan_bytes, .cluster = dbscan_cluster, .describe = dbscan_describe,
    .release = dbscan_release,
    .too_large = "fit DBSCAN on a seeded sample of at most that many rows, then place every row with "
                 "`strata assign` (the nearest core point within eps)"};

const strata_estimator_ops strata_estimator_dbscan = {.name = "dbscan", .direct = &dbscan_direct};
