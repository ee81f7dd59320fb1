/* Model allocation and the read-only view handed to applications. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cholesky.h"
#include "error.h"
#include "model.h"

strata_model *strata_model_alloc(int k, int d) {
  strata_model *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  size_t kd = (size_t)k * (size_t)d;
  m->info.k = k;
  m->info.d = d;
  m->info.reg_covar = m->info.log_likelihood = m->info.bic = m->info.aic = NAN;
  m->features = calloc((size_t)d ? (size_t)d : 1, sizeof *m->features);
  m->centroids = calloc(kd ? kd : 1, sizeof(double));
  m->centroids_original = calloc(kd ? kd : 1, sizeof(double));
  m->scale_shift = calloc((size_t)d ? (size_t)d : 1, sizeof(double));
  m->scale_factor = calloc((size_t)d ? (size_t)d : 1, sizeof(double));
  m->impute = calloc((size_t)d ? (size_t)d : 1, sizeof(double));
  m->sizes = calloc((size_t)k ? (size_t)k : 1, sizeof(int64_t));
  m->feature_group = malloc(((size_t)d ? (size_t)d : 1) * sizeof(int));
  if (m->feature_group)
    for (int j = 0; j < d; j++) m->feature_group[j] = -1;
  if (!m->features || !m->centroids || !m->centroids_original || !m->scale_shift ||
      !m->scale_factor || !m->impute || !m->sizes || !m->feature_group) {
    strata_model_free(m);
    return NULL;
  }
  strata_model_sync_info(m);
  return m;
}

int strata_model_set_string(char **field, const char *s) {
  char *copy = NULL;
  if (s && !(copy = strdup(s))) return 0;
  free(*field);
  *field = copy;
  return 1;
}

int strata_model_set_iter_stats(strata_model *m, const strata_iter_stats *s, int n) {
  strata_iter_stats *copy = NULL;
  if (n > 0) {
    copy = malloc((size_t)n * sizeof *copy);
    if (!copy) return 0;
    memcpy(copy, s, (size_t)n * sizeof *copy);
  }
  free(m->iter_stats);
  m->iter_stats = copy;
  m->info.n_iter_stats = n;
  strata_model_sync_info(m);
  return 1;
}

int strata_model_set_categorical(strata_model *m, const char *const *names, int n) {
  char **copy = calloc(n > 0 ? (size_t)n : 1, sizeof *copy);
  if (!copy) return 0;
  for (int g = 0; g < n; g++)
    if (!(copy[g] = strdup(names[g]))) {
      for (int h = 0; h < g; h++) free(copy[h]);
      free(copy);
      return 0;
    }
  for (int g = 0; m->categorical && g < m->info.n_categorical; g++) free(m->categorical[g]);
  free(m->categorical);
  m->categorical = copy;
  m->info.n_categorical = n;
  strata_model_sync_info(m);
  return 1;
}

static int copy_array(void **dst, const void *src, size_t n, size_t size) {
  void *copy = malloc(n ? n * size : 1);
  if (!copy) return 0;
  memcpy(copy, src, n * size);
  free(*dst);
  *dst = copy;
  return 1;
}

int strata_model_set_lineage(strata_model *m, const char *path, const char *created,
                             const int *seg, const double *dist) {
  size_t k = (size_t)m->info.k;
  int ok = strata_model_set_string(&m->parent_path, path) &&
           strata_model_set_string(&m->parent_created, created) &&
           copy_array((void **)&m->parent_segment, seg, k, sizeof *seg) &&
           copy_array((void **)&m->parent_distance, dist, k, sizeof *dist);
  strata_model_sync_info(m);
  return ok;
}

int strata_model_set_reference(strata_model *m, const double *mean, const double *std,
                               const double *mean_distance) {
  size_t k = (size_t)m->info.k, d = (size_t)m->info.d;
  int ok = copy_array((void **)&m->train_mean, mean, d, sizeof *mean) &&
           copy_array((void **)&m->train_std, std, d, sizeof *std) &&
           copy_array((void **)&m->train_mean_distance, mean_distance, k, sizeof *mean_distance);
  strata_model_sync_info(m);
  return ok;
}

size_t strata_model_mixture_ncov(const char *type, size_t k, size_t d) {
  if (!type) return 0;
  if (strcmp(type, "full") == 0) return k * d * d;
  if (strcmp(type, "tied") == 0) return d * d;
  if (strcmp(type, "diag") == 0) return k * d;
  if (strcmp(type, "spherical") == 0) return k;
  return 0;
}

int strata_model_set_mixture(strata_model *m, const char *type, const double *weights, const double *cov,
                             size_t ncov) {
  int ok = strata_model_set_string(&m->covariance_type, type) &&
           copy_array((void **)&m->weights, weights, (size_t)m->info.k, sizeof *weights) &&
           copy_array((void **)&m->covariances, cov, ncov, sizeof *cov);
  m->n_covariances = ok ? ncov : 0;
  strata_model_sync_info(m);
  return ok;
}

int strata_model_set_merges(strata_model *m, const double *merges, int n) {
  if (!copy_array((void **)&m->merges, merges, (size_t)n * 4, sizeof *merges)) return 0;
  m->info.n_merges = n;
  strata_model_sync_info(m);
  return 1;
}

int strata_model_set_core(strata_model *m, const double *points, const int32_t *segment, int n) {
  if (!copy_array((void **)&m->core_points, points, (size_t)n * (size_t)m->info.d, sizeof *points) ||
      !copy_array((void **)&m->core_segment, segment, (size_t)n, sizeof *segment))
    return 0;
  m->info.n_core = n;
  strata_model_sync_info(m);
  return 1;
}

int strata_model_set_transforms(strata_model *m, const int *kind, const double *param) {
  size_t d = (size_t)m->info.d;
  if (!kind) {
    free(m->transform_kind);
    free(m->transform_param);
    m->transform_kind = NULL;
    m->transform_param = NULL;
  } else if (!copy_array((void **)&m->transform_kind, kind, d, sizeof *kind) ||
             !copy_array((void **)&m->transform_param, param, 3 * d, sizeof *param)) {
    return 0;
  }
  strata_model_sync_info(m);
  return 1;
}

int strata_model_set_micro(strata_model *m, const double *means, const int64_t *sizes, int n) {
  if (!copy_array((void **)&m->micro_centroids, means, (size_t)n * (size_t)m->info.d, sizeof *means) ||
      !copy_array((void **)&m->micro_sizes, sizes, (size_t)n, sizeof *sizes))
    return 0;
  m->info.n_micro = n;
  strata_model_sync_info(m);
  return 1;
}

strata_status strata_model_check_transforms(const strata_model *m, strata_status st, const char *where) {
  if (!m->transform_kind) return STRATA_OK;
  for (int j = 0; j < m->info.d; j++) {
    const int kind = m->transform_kind[j];
    const double *q = m->transform_param + 3 * (size_t)j;
    const char *f = m->features[j] ? m->features[j] : "?";
    RETURN_IF(kind < STRATA_TRANSFORM_NONE || kind > STRATA_TRANSFORM_AGE_DAYS, st,
              "%s 'transform/kind' holds %d for feature '%s' (0 none, 1 log1p, 2 yeo-johnson, 3 clip, 4 age-days)",
              where, kind, f);
    RETURN_IF(kind == STRATA_TRANSFORM_AGE_DAYS && !isfinite(q[1]), st,
              "%s 'transform/param' holds the reference day %g for feature '%s'", where, q[1], f);
    RETURN_IF(kind != STRATA_TRANSFORM_NONE && m->feature_group[j] >= 0, st,
              "%s 'transform/kind' transforms the one-hot feature '%s'", where, f);
    RETURN_IF(kind == STRATA_TRANSFORM_YEO_JOHNSON && !(isfinite(q[0]) && fabs(q[0]) <= 1e6), st,
              "%s 'transform/param' holds the yeo-johnson lambda %g for feature '%s'", where, q[0], f);
    RETURN_IF(kind == STRATA_TRANSFORM_CLIP && !(isfinite(q[1]) && isfinite(q[2]) && q[1] <= q[2]), st,
              "%s 'transform/param' holds the clip bounds %g..%g for feature '%s'", where, q[1], q[2], f);
  }
  return STRATA_OK;
}

int strata_model_set_kdist(strata_model *m, const double *kdist, int n, uint64_t sample) {
  if (!copy_array((void **)&m->kdist, kdist, (size_t)n, sizeof *kdist)) return 0;
  m->info.n_kdist = n;
  m->info.kdist_sample = sample;
  strata_model_sync_info(m);
  return 1;
}

void strata_model_sync_info(strata_model *m) {
  strata_model_info *i = &m->info;
  i->micro_centroids = m->micro_centroids;
  i->micro_sizes = m->micro_sizes;
  i->kdist = m->kdist;
  i->transform_kind = m->transform_kind;
  i->transform_param = m->transform_kind ? m->transform_param : NULL;
  i->merges = m->merges;
  i->core_points = m->core_points;
  i->core_segment = m->core_segment;
  i->features = (const char *const *)m->features;
  i->centroids = m->centroids;
  i->centroids_original = m->centroids_original;
  i->scale_shift = m->scale_shift;
  i->scale_factor = m->scale_factor;
  i->impute = m->impute;
  i->sizes = m->sizes;
  i->iter_stats = m->iter_stats;
  i->categorical = (const char *const *)m->categorical;
  i->feature_group = m->feature_group;
  /* A model written before the kind was recorded is a k-means model. */
  i->estimator = m->estimator ? m->estimator : STRATA_MODEL_KIND_DEFAULT;
  i->init = m->init ? m->init : "";
  i->refine = m->refine ? m->refine : "";
  i->weight_column = m->weight_column;
  i->scale = m->scale ? m->scale : "";
  i->missing = m->missing ? m->missing : "";
  i->backend = m->backend ? m->backend : "";
  i->backend_reason = m->backend_reason;
  i->mode = m->mode ? m->mode : "";
  i->input_file = m->input_file ? m->input_file : "";
  i->input_location = m->input_location ? m->input_location : "";
  i->version = m->version ? m->version : "";
  i->created = m->created ? m->created : "";
  i->parent_path = m->parent_path ? m->parent_path : "";
  i->parent_created = m->parent_created ? m->parent_created : "";
  i->parent_segment = m->parent_segment;
  i->parent_distance = m->parent_distance;
  /* All three or none, so that a reader can test one. */
  int ref = m->train_mean && m->train_std && m->train_mean_distance;
  i->train_mean = ref ? m->train_mean : NULL;
  i->train_std = ref ? m->train_std : NULL;
  i->train_mean_distance = ref ? m->train_mean_distance : NULL;
  int mixture = m->covariance_type && m->weights && m->covariances;
  i->covariance_type = mixture ? m->covariance_type : NULL;
  i->weights = mixture ? m->weights : NULL;
  i->covariances = mixture ? m->covariances : NULL;
}

/* The kinds the model format holds.  The format, not the estimator
 * registry, decides what a file may say: io/ does not see core/, and a test
 * (tests/test_estimator.c) checks that every registered estimator is
 * listed here. */
static const char *const model_kinds[] = {STRATA_MODEL_KIND_DEFAULT, "gmm", "ward", "dbscan"};

int strata_model_estimator_known(const char *name) {
  for (size_t i = 0; name && i < sizeof model_kinds / sizeof *model_kinds; i++)
    if (strcmp(name, model_kinds[i]) == 0) return 1;
  return 0;
}

const strata_model_info *strata_model_get_info(const strata_model *m) { return &m->info; }

void strata_model_free(strata_model *m) {
  if (!m) return;
  if (m->features)
    for (int j = 0; j < m->info.d; j++) free(m->features[j]);
  free(m->features);
  free(m->centroids);
  free(m->centroids_original);
  free(m->scale_shift);
  free(m->scale_factor);
  free(m->impute);
  free(m->sizes);
  free(m->iter_stats);
  for (int g = 0; m->categorical && g < m->info.n_categorical; g++) free(m->categorical[g]);
  free(m->categorical);
  free(m->feature_group);
  free(m->estimator); free(m->refine); free(m->weight_column); free(m->init); free(m->scale); free(m->missing); free(m->backend); free(m->backend_reason); free(m->mode);
  free(m->input_file); free(m->input_location); free(m->version); free(m->created);
  free(m->parent_path); free(m->parent_created); free(m->parent_segment); free(m->parent_distance);
  free(m->train_mean); free(m->train_std); free(m->train_mean_distance);
  free(m->covariance_type); free(m->weights); free(m->covariances);
  free(m->merges);
  free(m->fit_weight_dist);
  free(m->core_points); free(m->core_segment);
  free(m->micro_centroids); free(m->micro_sizes); free(m->kdist);
  free(m->transform_kind); free(m->transform_param);
  free(m);
}

/* Weights positive and summing to 1, covariances finite and positive
 * definite: what the E-step's densities need. */
static strata_status check_mixture(const strata_model *m, strata_status st, const char *where) {
  const size_t k = (size_t)m->info.k, d = (size_t)m->info.d;
  const char *type = m->covariance_type;
  RETURN_IF(m->n_covariances != strata_model_mixture_ncov(type, k, d) || m->n_covariances == 0, st,
            "%s 'gmm/covariances' holds %zu values for covariance type '%s'", where, m->n_covariances,
            type ? type : "");
  double sum = 0.0;
  for (size_t c = 0; c < k; c++) {
    RETURN_IF(!(m->weights[c] > 0.0) || !(m->weights[c] <= 1.0), st, "%s 'gmm/weights' holds %g for segment %zu",
              where, m->weights[c], c);
    sum += m->weights[c];
  }
  RETURN_IF(!(fabs(sum - 1.0) <= 1e-9), st, "%s 'gmm/weights' sum to %.17g, not 1", where, sum);
  for (size_t i = 0; i < m->n_covariances; i++)
    RETURN_IF(!isfinite(m->covariances[i]), st, "%s 'gmm/covariances' holds %g at %zu", where,
              m->covariances[i], i);
  int matrices = strcmp(type, "full") == 0 || strcmp(type, "tied") == 0;
  if (!matrices) {
    for (size_t i = 0; i < m->n_covariances; i++)
      RETURN_IF(!(m->covariances[i] > 0.0), st, "%s 'gmm/covariances' holds the variance %g at %zu", where,
                m->covariances[i], i);
    return STRATA_OK;
  }
  double *l = malloc(d * d * sizeof *l), logdet;
  RETURN_IF(!l, STRATA_ERR_NOMEM, "out of memory");
  size_t bad = SIZE_MAX;
  for (size_t c = 0; c * d * d < m->n_covariances && bad == SIZE_MAX; c++) {
    const double *a = m->covariances + c * d * d;
    int sym = 1;
    for (size_t i = 0; i < d; i++)
      for (size_t j = 0; j < i; j++) sym &= a[i * d + j] == a[j * d + i];
    if (!sym || !strata_cholesky(a, d, l, &logdet)) bad = c;
  }
  free(l);
  RETURN_IF(bad != SIZE_MAX, st, "%s 'gmm/covariances' of segment %zu is not a symmetric positive definite matrix",
            where, bad);
  return STRATA_OK;
}

strata_status strata_model_check_values(const strata_model *m, strata_status st, const char *where) {
  const int k = m->info.k, d = m->info.d;
  /* The mean and median rules fill missing values with impute; the others
   * never read it. */
  const int imputes = m->missing && (strcmp(m->missing, "mean") == 0 || strcmp(m->missing, "median") == 0);
  for (int c = 0; c < k; c++) {
    RETURN_IF(m->sizes[c] < 0, st, "%s 'sizes' holds %lld for segment %d", where, (long long)m->sizes[c], c);
    double norm2 = 0.0;
    for (int j = 0; j < d; j++) {
      const double v = m->centroids[(size_t)c * d + j], o = m->centroids_original[(size_t)c * d + j];
      RETURN_IF(!isfinite(v) || !isfinite(o), st, "%s '%s' holds %g for segment %d, feature '%s'", where,
                isfinite(v) ? "centroids_original" : "centroids", isfinite(v) ? o : v, c, m->features[j]);
      norm2 += (double)(float)v * (double)(float)v;
    }
    /* The kernels score in float32: a centroid finite in float64 but not
     * there (a fuzzed model held -4.3e273) sent every row to segment 0 at
     * an infinite distance with exit 0.  A fit cannot make one (its
     * inertia would not be finite). */
    RETURN_IF(!isfinite((float)norm2), st,
              "%s 'centroids' of segment %d are beyond float range (squared norm %g; the scoring is in float32)",
              where, c, norm2);
  }
  for (int j = 0; j < d; j++) {
    const double f = m->scale_factor[j];
    RETURN_IF(!(f > 0.0) || !isfinite(f), st,
              "%s 'scaler/factor' holds %g for feature '%s' (a positive finite number is needed)", where, f,
              m->features[j]);
    RETURN_IF(!isfinite(m->scale_shift[j]), st, "%s 'scaler/shift' holds %g for feature '%s'", where,
              m->scale_shift[j], m->features[j]);
    RETURN_IF(imputes && !isfinite(m->impute[j]), st, "%s 'scaler/impute' holds %g for feature '%s' (rule %s)",
              where, m->impute[j], m->features[j], m->missing);
  }
  RETURN_IF(!(m->info.inertia >= 0.0) || !isfinite(m->info.inertia), st, "%s 'inertia' is %g", where,
            m->info.inertia);
  FORWARD_IF_ERROR(strata_model_check_transforms(m, st, where));
  return m->weights ? check_mixture(m, st, where) : STRATA_OK;
}
