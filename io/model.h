/* Internal layout of strata_model, shared by the core (which fills it) and
 * io/model_file.c (which saves and loads it). */
#ifndef STRATA_MODEL_H
#define STRATA_MODEL_H

#include "strata.h"

struct strata_model {
  strata_model_info info;   /* what the public API sees; points into the fields below */
  char **features;          /* d strings */
  double *centroids;        /* k×d scaled */
  double *centroids_original;
  double *scale_shift, *scale_factor, *impute; /* d each */
  int64_t *sizes;           /* k */
  strata_iter_stats *iter_stats;
  char **categorical;       /* info.n_categorical names */
  int *feature_group;       /* d */
  char *parent_path, *parent_created;
  int *parent_segment;      /* k, or NULL */
  double *parent_distance;  /* k, or NULL */
  double *train_mean, *train_std, *train_mean_distance; /* d, d, k, or all NULL */
  double *merges;           /* ward: info.n_merges×4, or NULL */
  double *core_points;      /* dbscan: info.n_core×d, or NULL */
  int32_t *core_segment;    /* dbscan: info.n_core, or NULL */
  double *micro_centroids;  /* two-step ward: info.n_micro×d, or NULL */
  int64_t *micro_sizes;     /* two-step ward: info.n_micro, or NULL */
  double *kdist;            /* dbscan with eps auto: info.n_kdist, or NULL */
  char *estimator;          /* the estimator kind ("kmeans"); NULL reads as "kmeans" */
  char *refine;             /* "swap", "none"; NULL in models written before it was recorded */
  char *weight_column;      /* the row-weight column, or NULL (unweighted) */
  /* a Gaussian mixture's (estimator "gmm"), else NULL: /gmm in the file */
  char *covariance_type;
  double *weights;          /* k */
  double *covariances;      /* n_covariances, laid out by type (strata_model_info) */
  /* A weighted fit of a method whose model keeps row counts, not weights
   * (Ward, DBSCAN): 2k values, each segment's total row weight, then its
   * rows' w ||x - c|| summed, for the metrics a weighted sweep reports;
   * NULL otherwise, and in a model read from a file (never saved). */
  double *fit_weight_dist;
  size_t n_covariances;
  int *transform_kind;      /* d strata_transform_kind, or NULL (no transforms) */
  double *transform_param;  /* d×3: yeo-johnson lambda, clip lower, upper (NaN unused), or NULL */
  char *init, *scale, *missing, *backend, *backend_reason, *mode, *input_file, *input_location, *version, *created;
};

/* Allocates a model with zeroed arrays for k segments of d features.
 * Returns NULL when out of memory. */
strata_model *strata_model_alloc(int k, int d);
/* Replaces a string field (copies s; NULL stays NULL). Returns 0 on OOM. */
int strata_model_set_string(char **field, const char *s);
/* Replaces the per-iteration statistics (copies n entries). Returns 0 on OOM. */
int strata_model_set_iter_stats(strata_model *m, const strata_iter_stats *s, int n);
/* Replaces the categorical column names (copies n strings). Returns 0 on OOM. */
int strata_model_set_categorical(strata_model *m, const char *const *names, int n);
/* Records the parent model (copies everything; seg and dist have k entries).
 * Returns 0 on OOM. */
int strata_model_set_lineage(strata_model *m, const char *path, const char *created,
                             const int *seg, const double *dist);
/* Records the training reference (copies d, d and k values). Returns 0 on OOM. */
int strata_model_set_reference(strata_model *m, const double *mean, const double *std,
                               const double *mean_distance);
/* Replaces the dendrogram (copies n×4 values). Returns 0 on OOM. */
int strata_model_set_merges(strata_model *m, const double *merges, int n);
/* Replaces DBSCAN's core points (copies n×d values and n segments).
 * Returns 0 on OOM. */
int strata_model_set_core(strata_model *m, const double *points, const int32_t *segment, int n);
/* Records two-step Ward's micro-clusters (copies n×d means and n sizes).
 * Returns 0 on OOM. */
int strata_model_set_micro(strata_model *m, const double *means, const int64_t *sizes, int n);
/* Records DBSCAN's k-distance curve (copies n values) and the rows of the
 * sample it was measured on.  Returns 0 on OOM. */
int strata_model_set_kdist(strata_model *m, const double *kdist, int n, uint64_t sample);
/* The estimator kind of a model file that names none (written before
 * kinds were recorded). */
#define STRATA_MODEL_KIND_DEFAULT "kmeans"
/* 1 when name is an estimator kind the model format holds
 * (strata_model_load refuses a model of any other kind). */
int strata_model_estimator_known(const char *name);
/* Records a Gaussian mixture's weights (k) and covariances (ncov values;
 * strata_model_mixture_ncov) of covariance type `type`.  Returns 0 on OOM. */
int strata_model_set_mixture(strata_model *m, const char *type, const double *weights, const double *cov,
                             size_t ncov);
/* The number of covariance values of a mixture of type `type` ("full",
 * "tied", "diag", "spherical"), k components, d features; 0 for another
 * type. */
size_t strata_model_mixture_ncov(const char *type, size_t k, size_t d);
/* STRATA_OK when m holds values a scorer can use: finite centroids (both
 * units), positive finite scale factors, finite shifts, finite imputation
 * values where the missing rule imputes, sizes >= 0, a finite inertia >= 0;
 * for a mixture positive finite weights summing to 1 and finite, positive
 * definite covariances;
 * else st with a detail "<where> '<field>' holds <value> for ...".  The
 * loader refuses such a file (STRATA_ERR_FORMAT), a fit such a result. */
strata_status strata_model_check_values(const strata_model *m, strata_status st, const char *where);
/* Records the transforms before scaling (copies d kinds and d×3
 * parameters; kind NULL removes them).  Returns 0 on OOM. */
int strata_model_set_transforms(strata_model *m, const int *kind, const double *param);
/* STRATA_OK when the transforms can be applied: known kinds, a finite
 * yeo-johnson lambda, finite clip bounds lower <= upper; else st with a
 * detail naming the feature. */
strata_status strata_model_check_transforms(const strata_model *m, strata_status st, const char *where);
/* Re-points m->info at the fields after they changed. */
void strata_model_sync_info(strata_model *m);

#endif
