/* The model file (layout in io/model_file.h): strata_model_save and
 * strata_model_load.  Scalars are root attributes described once in the
 * tables below, so save and load cannot drift apart.  Saving builds the
 * file in memory and writes it through io/output_file.h. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "h5_util.h"
#include "model_file.h"
#include "output_file.h"

#define MODEL_FORMAT "strata-model"
/* Version 2 is written only by a model with transforms (/transform), which
 * an older build must refuse rather than score without them; every other
 * model stays version 1. */
#define MODEL_FORMAT_VERSION 2

typedef enum { FIELD_INT, FIELD_U64, FIELD_DOUBLE } field_kind;

/* Numeric root attributes: offsets into strata_model_info. */
static const struct {
  const char *name;
  field_kind kind;
  size_t offset;
  int optional; /* absent from older models: loads as 0; 2: also written only when not 0 */
} numeric_attrs[] = {
    {"inertia", FIELD_DOUBLE, offsetof(strata_model_info, inertia), 0},
    {"iterations", FIELD_INT, offsetof(strata_model_info, iterations), 0},
    {"converged", FIELD_INT, offsetof(strata_model_info, converged), 0},
    {"n_init", FIELD_INT, offsetof(strata_model_info, n_init), 0},
    {"best_init", FIELD_INT, offsetof(strata_model_info, best_init), 0},
    {"seed", FIELD_U64, offsetof(strata_model_info, seed), 0},
    {"tol", FIELD_DOUBLE, offsetof(strata_model_info, tol), 0},
    {"max_iter", FIELD_INT, offsetof(strata_model_info, max_iter), 0},
    {"rows", FIELD_U64, offsetof(strata_model_info, rows), 0},
    {"rows_dropped", FIELD_U64, offsetof(strata_model_info, rows_dropped), 0},
    {"seconds", FIELD_DOUBLE, offsetof(strata_model_info, seconds), 0},
    {"categorical_weight", FIELD_DOUBLE, offsetof(strata_model_info, categorical_weight), 0},
    {"refine_trials", FIELD_INT, offsetof(strata_model_info, refine_trials), 1},
    {"refine_swaps", FIELD_INT, offsetof(strata_model_info, refine_swaps), 1},
    /* mini-batch models only: a Lloyd model's file stays as it was */
    {"batch_rows", FIELD_U64, offsetof(strata_model_info, batch_rows), 2},
};

/* String root attributes: read from the info view, loaded into the model. */
static const struct {
  const char *name;
  size_t info_offset;  /* const char * in strata_model_info */
  size_t model_offset; /* char * in struct strata_model */
  int optional;        /* absent from older models: loads as NULL */
} string_attrs[] = {
    /* absent before estimators were named: such a model is k-means */
    {"estimator", offsetof(strata_model_info, estimator), offsetof(strata_model, estimator), 1},
    {"init", offsetof(strata_model_info, init), offsetof(strata_model, init), 0},
    {"refine", offsetof(strata_model_info, refine), offsetof(strata_model, refine), 1},
    /* weighted fits only */
    {"weight_column", offsetof(strata_model_info, weight_column), offsetof(strata_model, weight_column), 1},
    {"scale", offsetof(strata_model_info, scale), offsetof(strata_model, scale), 0},
    {"missing", offsetof(strata_model_info, missing), offsetof(strata_model, missing), 0},
    {"backend", offsetof(strata_model_info, backend), offsetof(strata_model, backend), 0},
    {"backend_reason", offsetof(strata_model_info, backend_reason), offsetof(strata_model, backend_reason), 1},
    {"mode", offsetof(strata_model_info, mode), offsetof(strata_model, mode), 0},
    {"input_file", offsetof(strata_model_info, input_file), offsetof(strata_model, input_file), 0},
    {"input_location", offsetof(strata_model_info, input_location), offsetof(strata_model, input_location), 0},
    {"library_version", offsetof(strata_model_info, version), offsetof(strata_model, version), 0},
    {"created", offsetof(strata_model_info, created), offsetof(strata_model, created), 0},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void field_types(field_kind kind, hid_t *file_type, hid_t *mem_type) {
  switch (kind) {
    case FIELD_INT:
      *file_type = H5T_STD_I32LE;
      *mem_type = H5T_NATIVE_INT;
      break;
    case FIELD_U64:
      *file_type = H5T_STD_U64LE;
      *mem_type = H5T_NATIVE_UINT64;
      break;
    default:
      *file_type = H5T_IEEE_F64LE;
      *mem_type = H5T_NATIVE_DOUBLE;
      break;
  }
}

/* The per-iteration series, one dataset each under /iterations. */
enum { SERIES_INERTIA, SERIES_SHIFT, SERIES_RELOCATIONS, SERIES_SECONDS, SERIES_RPS, SERIES_COUNT };
static const char *const series_names[SERIES_COUNT] = {"inertia", "shift", "relocations", "seconds",
                                                       "rows_per_second"};

/* ------------------------------------------------------------ save */

static int write_array(hid_t loc, const char *name, hid_t file_type, hid_t mem_type, int rank,
                       const hsize_t *dims, const void *data) {
  hid_t space = H5Screate_simple(rank, dims, NULL);
  hid_t dset =
      space >= 0 ? H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
  hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  int rc =
      dset >= 0 && (n == 0 || H5Dwrite(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0) ? 0 : -1;
  if (strata_h5_close(dset) < 0) rc = -1;
  strata_h5_close(space);
  return rc;
}

static int write_attributes(hid_t file, const strata_model_info *info) {
  const int version = info->transform_kind ? 2 : 1;
  if (strata_h5_write_string(file, "format", MODEL_FORMAT) < 0 ||
      strata_h5_write_scalar(file, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &version) < 0 ||
      strata_h5_write_scalar(file, "k", H5T_STD_I32LE, H5T_NATIVE_INT, &info->k) < 0 ||
      strata_h5_write_scalar(file, "d", H5T_STD_I32LE, H5T_NATIVE_INT, &info->d) < 0)
    return -1;
  for (size_t i = 0; i < COUNT(numeric_attrs); i++) {
    hid_t ft, mt;
    field_types(numeric_attrs[i].kind, &ft, &mt);
    if (numeric_attrs[i].optional == 2 && numeric_attrs[i].kind == FIELD_U64 &&
        *(const uint64_t *)((const char *)info + numeric_attrs[i].offset) == 0)
      continue;
    if (strata_h5_write_scalar(file, numeric_attrs[i].name, ft, mt,
                               (const char *)info + numeric_attrs[i].offset) < 0)
      return -1;
  }
  for (size_t i = 0; i < COUNT(string_attrs); i++) {
    const char *s = *(const char *const *)((const char *)info + string_attrs[i].info_offset);
    if (string_attrs[i].model_offset == offsetof(strata_model, version) && (!s || !*s)) s = strata_version();
    if (string_attrs[i].optional && !s) continue;
    if (strata_h5_write_string(file, string_attrs[i].name, s) < 0) return -1;
  }
  return 0;
}

static int write_features(hid_t file, const strata_model_info *info) {
  hsize_t d = (hsize_t)info->d;
  const char **names = malloc((d ? d : 1) * sizeof *names);
  hid_t type = strata_h5_utf8_type();
  int rc = -1;
  if (names && type >= 0) {
    for (hsize_t j = 0; j < d; j++) names[j] = info->features[j] ? info->features[j] : "";
    rc = write_array(file, "features", type, type, 1, &d, names);
  }
  strata_h5_close(type);
  free(names);
  return rc;
}

static int write_iterations(hid_t file, const strata_model_info *info) {
  hsize_t n = (hsize_t)(info->n_iter_stats > 0 ? info->n_iter_stats : 0);
  hid_t group = H5Gcreate2(file, "iterations", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  double *values = malloc((n ? n : 1) * sizeof *values);
  int64_t *counts = malloc((n ? n : 1) * sizeof *counts);
  int rc = group >= 0 && values && counts ? 0 : -1;
  for (int s = 0; s < SERIES_COUNT && rc == 0; s++) {
    for (hsize_t i = 0; i < n; i++) {
      const strata_iter_stats *it = &info->iter_stats[i];
      switch (s) {
        case SERIES_INERTIA: values[i] = it->inertia; break;
        case SERIES_SHIFT: values[i] = it->shift; break;
        case SERIES_RELOCATIONS: counts[i] = it->relocations; break;
        case SERIES_SECONDS: values[i] = it->seconds; break;
        default: values[i] = it->rows_per_second; break;
      }
    }
    rc = s == SERIES_RELOCATIONS
             ? write_array(group, series_names[s], H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &n, counts)
             : write_array(group, series_names[s], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, values);
  }
  free(values);
  free(counts);
  if (strata_h5_close(group) < 0) rc = -1;
  return rc;
}

static int write_scaler(hid_t file, const strata_model_info *info) {
  hsize_t d = (hsize_t)info->d;
  hid_t scaler = H5Gcreate2(file, "scaler", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (scaler < 0) return -1;
  const struct {
    const char *name;
    const double *values;
  } parts[] = {{"shift", info->scale_shift}, {"factor", info->scale_factor}, {"impute", info->impute}};
  int rc = 0;
  for (size_t i = 0; i < COUNT(parts) && rc == 0; i++)
    rc = write_array(scaler, parts[i].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &d, parts[i].values);
  if (strata_h5_close(scaler) < 0) rc = -1;
  return rc;
}

/* /feature_group (d int32: -1 numeric, else the categorical column a one-hot
 * feature expands) and /categorical (the names of those columns). */
static int write_categorical(hid_t file, const strata_model_info *info) {
  hsize_t d = (hsize_t)info->d, n = (hsize_t)info->n_categorical;
  if (write_array(file, "feature_group", H5T_STD_I32LE, H5T_NATIVE_INT, 1, &d, info->feature_group) < 0)
    return -1;
  if (n == 0) return 0;
  hid_t type = strata_h5_utf8_type();
  int rc = type >= 0 ? write_array(file, "categorical", type, type, 1, &n, info->categorical) : -1;
  strata_h5_close(type);
  return rc;
}

/* Optional groups a reader of an older file simply does not find:
 * /parent (attributes path, created; datasets segment, distance: k each) and
 * /reference (datasets mean, std: d each; mean_distance: k). */
static int write_lineage(hid_t file, const strata_model_info *info) {
  hsize_t k = (hsize_t)info->k, d = (hsize_t)info->d;
  int rc = 0;
  if (info->parent_segment && info->parent_distance) {
    hid_t g = H5Gcreate2(file, "parent", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    rc = g >= 0 && strata_h5_write_string(g, "path", info->parent_path) >= 0 &&
                 strata_h5_write_string(g, "created", info->parent_created) >= 0 &&
                 write_array(g, "segment", H5T_STD_I32LE, H5T_NATIVE_INT, 1, &k, info->parent_segment) >= 0 &&
                 write_array(g, "distance", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &k, info->parent_distance) >= 0
             ? 0 : -1;
    if (strata_h5_close(g) < 0) rc = -1;
  }
  if (rc == 0 && info->train_mean) {
    hid_t g = H5Gcreate2(file, "reference", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    rc = g >= 0 && write_array(g, "mean", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &d, info->train_mean) >= 0 &&
                 write_array(g, "std", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &d, info->train_std) >= 0 &&
                 write_array(g, "mean_distance", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &k,
                             info->train_mean_distance) >= 0
             ? 0 : -1;
    if (strata_h5_close(g) < 0) rc = -1;
  }
  return rc;
}

/* A Gaussian mixture's /gmm group: attributes covariance_type, reg_covar,
 * log_likelihood, bic, aic; datasets weights (k) and covariances (flat,
 * laid out by type as in strata_model_info). */
static const struct {
  const char *name;
  size_t offset;
} gmm_attrs[] = {
    {"reg_covar", offsetof(strata_model_info, reg_covar)},
    {"log_likelihood", offsetof(strata_model_info, log_likelihood)},
    {"bic", offsetof(strata_model_info, bic)},
    {"aic", offsetof(strata_model_info, aic)},
};

static int write_mixture(hid_t file, const strata_model_info *info) {
  if (!info->weights) return 0;
  hsize_t k = (hsize_t)info->k;
  hsize_t nc = (hsize_t)strata_model_mixture_ncov(info->covariance_type, (size_t)info->k, (size_t)info->d);
  hid_t g = H5Gcreate2(file, "gmm", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  int rc = g >= 0 && strata_h5_write_string(g, "covariance_type", info->covariance_type) >= 0 &&
                   write_array(g, "weights", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &k, info->weights) >= 0 &&
                   write_array(g, "covariances", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &nc, info->covariances) >= 0
               ? 0 : -1;
  for (size_t i = 0; rc == 0 && i < COUNT(gmm_attrs); i++)
    rc = strata_h5_write_scalar(g, gmm_attrs[i].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                (const char *)info + gmm_attrs[i].offset) < 0 ? -1 : 0;
  if (strata_h5_close(g) < 0) rc = -1;
  return rc;
}

/* Ward's dendrogram: /ward (attribute distance_threshold; dataset
 * linkage: n_merges×4, scipy's layout).  Absent for other kinds. */
static int write_ward(hid_t file, const strata_model_info *info) {
  if (!info->merges) return 0;
  hsize_t dims[2] = {(hsize_t)info->n_merges, 4};
  hid_t g = H5Gcreate2(file, "ward", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t one = 1;
  int rc = g >= 0 && write_array(g, "linkage", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, info->merges) >= 0 &&
                   write_array(g, "distance_threshold", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &one,
                               &info->distance_threshold) >= 0
               ? 0 : -1;
  /* Two-step: the leaves are micro-clusters (micro_centroids n_micro×d
   * scaled, micro_sizes n_micro). */
  hsize_t md[2] = {(hsize_t)info->n_micro, (hsize_t)info->d};
  if (rc == 0 && info->micro_centroids &&
      (write_array(g, "micro_centroids", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, md, info->micro_centroids) < 0 ||
       write_array(g, "micro_sizes", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, md, info->micro_sizes) < 0))
    rc = -1;
  if (strata_h5_close(g) < 0) rc = -1;
  return rc;
}

/* DBSCAN: /dbscan (datasets eps, min_samples: one value each; core:
 * n_core×d scaled; core_segment: n_core).  Absent for other kinds. */
static int write_dbscan(hid_t file, const strata_model_info *info) {
  if (!info->core_points) return 0;
  hsize_t dims[2] = {(hsize_t)info->n_core, (hsize_t)info->d}, one = 1;
  hid_t g = H5Gcreate2(file, "dbscan", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  int rc = g >= 0 && write_array(g, "eps", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &one, &info->eps) >= 0 &&
                   write_array(g, "min_samples", H5T_STD_I32LE, H5T_NATIVE_INT, 1, &one, &info->min_samples) >= 0 &&
                   write_array(g, "core", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, info->core_points) >= 0 &&
                   write_array(g, "core_segment", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, dims, info->core_segment) >= 0
               ? 0 : -1;
  /* eps chosen automatically: the k-distance curve (kdist) and its sample's rows. */
  hsize_t nk = (hsize_t)info->n_kdist;
  if (rc == 0 && info->kdist &&
      (write_array(g, "kdist", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &nk, info->kdist) < 0 ||
       write_array(g, "kdist_sample", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &one, &info->kdist_sample) < 0))
    rc = -1;
  if (strata_h5_close(g) < 0) rc = -1;
  return rc;
}

/* Transforms before scaling: /transform (kind: d int32, 0 none, 1 log1p,
 * 2 yeo-johnson, 3 clip, with the names in its attribute `kinds`; param:
 * d×3 float64, lambda, lower, upper).  Absent when the model has none. */
static int write_transform(hid_t file, const strata_model_info *info) {
  if (!info->transform_kind) return 0;
  hsize_t d[2] = {(hsize_t)info->d, 3};
  hid_t g = H5Gcreate2(file, "transform", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  int rc = g >= 0 && strata_h5_write_string(g, "kinds", "none,log1p,yeo-johnson,clip,age-days") >= 0 &&
                   write_array(g, "kind", H5T_STD_I32LE, H5T_NATIVE_INT, 1, d, info->transform_kind) >= 0 &&
                   write_array(g, "param", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d, info->transform_param) >= 0
               ? 0 : -1;
  if (strata_h5_close(g) < 0) rc = -1;
  return rc;
}

static int write_model(hid_t file, const strata_model_info *info) {
  hsize_t kd[2] = {(hsize_t)info->k, (hsize_t)info->d};
  if (write_attributes(file, info) < 0 || write_features(file, info) < 0) return -1;
  if (write_array(file, "centroids", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, kd, info->centroids) < 0 ||
      write_array(file, "centroids_original", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, kd,
                  info->centroids_original) < 0 ||
      write_array(file, "sizes", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, kd, info->sizes) < 0)
    return -1;
  return write_scaler(file, info) < 0 || write_iterations(file, info) < 0 ||
                 write_categorical(file, info) < 0 || write_lineage(file, info) < 0 ||
                 write_mixture(file, info) < 0 || write_ward(file, info) < 0 || write_dbscan(file, info) < 0 ||
                 write_transform(file, info) < 0
             ? -1
             : 0;
}

/* Builds the file in memory (HDF5's core driver, no backing store) and
 * writes the image out ourselves: every disk error is then a plain errno
 * with a clear message, and HDF5 never holds a half-flushed file, which in
 * HDF5 1.10 crashes the process at exit after a failed close. */
static strata_status build_image(const strata_model_info *info, const char *path, void **image,
                                 size_t *size) {
  *image = NULL;
  *size = 0;
  char why[512];
  strata_status st = STRATA_OK;
  strata_h5_lock();
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  hid_t file = fapl >= 0 && H5Pset_fapl_core(fapl, (size_t)1 << 16, 0) >= 0
                   ? H5Fcreate("strata-model-image", H5F_ACC_TRUNC, H5P_DEFAULT, fapl)
                   : -1;
  ssize_t n = -1;
  if (file >= 0 && write_model(file, info) == 0 && H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0)
    n = H5Fget_file_image(file, NULL, 0);
  if (n > 0 && (*image = malloc((size_t)n)) != NULL && H5Fget_file_image(file, *image, (size_t)n) == n)
    *size = (size_t)n;
  if (*size == 0) {
    st = n > 0 && !*image ? strata_fail(STRATA_ERR_NOMEM, "out of memory writing '%s'", path)
                          : strata_fail(STRATA_ERR_WRITE, "cannot write '%s': %s", path,
                                        strata_h5_error_text(why, sizeof why));
    free(*image);
    *image = NULL;
  }
  strata_h5_close(file);
  strata_h5_close(fapl);
  strata_h5_unlock();
  return st;
}

strata_status strata_model_write(const strata_model *m, strata_output_file *out) {
  RETURN_IF(!m || !out || !out->tmp_path, STRATA_ERR_USAGE, "strata_model_write: NULL argument");
  const strata_model_info *info = &m->info;
  RETURN_IF(info->k < 1 || info->d < 1, STRATA_ERR_USAGE, "cannot save a model with k=%d, d=%d", info->k,
            info->d);
  void *image = NULL;
  size_t size = 0;
  strata_status st = build_image(info, out->final_path, &image, &size);
  if (st == STRATA_OK) st = strata_output_write_all(out, image, size);
  free(image);
  return st;
}

strata_status strata_model_save(const strata_model *m, const char *path) {
  RETURN_IF(!m || !path, STRATA_ERR_USAGE, "strata_model_save: NULL argument");
  strata_output_file out;
  FORWARD_IF_ERROR(strata_output_begin(path, &out));
  strata_status st = strata_model_write(m, &out);
  if (st != STRATA_OK) {
    strata_output_abort(&out);
    return st;
  }
  return strata_output_commit(&out);
}

/* ------------------------------------------------------------ load */

/* Everything below runs under the lock and reports through strata_fail. */

static strata_status read_attr(hid_t file, const char *path, const char *name, hid_t mem_type, void *value) {
  htri_t exists = H5Aexists(file, name);
  RETURN_IF(exists <= 0, STRATA_ERR_FORMAT, "'%s': model attribute '%s' is missing", path, name);
  hid_t attr = H5Aopen(file, name, H5P_DEFAULT);
  hid_t space = attr >= 0 ? H5Aget_space(attr) : -1;
  int ok = space >= 0 && H5Sget_simple_extent_npoints(space) == 1 && H5Aread(attr, mem_type, value) >= 0;
  strata_h5_close(space);
  strata_h5_close(attr);
  char why[512];
  RETURN_IF(!ok, STRATA_ERR_FORMAT, "'%s': model attribute '%s' is unreadable: %s", path, name,
            strata_h5_error_text(why, sizeof why));
  return STRATA_OK;
}

/* *out is malloc'ed; the caller frees it. */
static strata_status read_string_attr(hid_t file, const char *path, const char *name, char **out) {
  *out = NULL;
  htri_t exists = H5Aexists(file, name);
  RETURN_IF(exists <= 0, STRATA_ERR_FORMAT, "'%s': model attribute '%s' is missing", path, name);
  hid_t attr = H5Aopen(file, name, H5P_DEFAULT);
  int rc = attr >= 0 ? strata_h5_read_strings(attr, 1, 1, out) : -1;
  strata_h5_close(attr);
  RETURN_IF(rc == -2, STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  RETURN_IF(rc != 0, STRATA_ERR_FORMAT, "'%s': model attribute '%s' is not a string", path, name);
  return STRATA_OK;
}

static strata_status check_format(hid_t file, const char *path, int *k, int *d, int *version_out) {
  char *format = NULL;
  int is_model = H5Aexists(file, "format") > 0 &&
                 read_string_attr(file, path, "format", &format) == STRATA_OK &&
                 strcmp(format, MODEL_FORMAT) == 0;
  free(format);
  H5Eclear2(H5E_DEFAULT);
  RETURN_IF(!is_model, STRATA_ERR_FORMAT, "'%s' is not a Strata model", path);
  int version = 0;
  FORWARD_IF_ERROR(read_attr(file, path, "format_version", H5T_NATIVE_INT, &version));
  RETURN_IF(version < 1 || version > MODEL_FORMAT_VERSION, STRATA_ERR_FORMAT,
            "'%s' is a Strata model of format version %d; this build reads version %d", path, version,
            MODEL_FORMAT_VERSION);
  *version_out = version;
  FORWARD_IF_ERROR(read_attr(file, path, "k", H5T_NATIVE_INT, k));
  FORWARD_IF_ERROR(read_attr(file, path, "d", H5T_NATIVE_INT, d));
  RETURN_IF(*k < 1 || *d < 1, STRATA_ERR_FORMAT, "'%s': invalid model shape k=%d, d=%d", path, *k, *d);
  return STRATA_OK;
}

static strata_status open_array(hid_t loc, const char *path, const char *name, int rank, hsize_t *expect,
                                int numeric, hid_t *out);

/* The declared k and d must be the centroids' shape before anything of
 * that size is allocated: an absurd d in a damaged file would otherwise
 * read as "out of memory". */
static strata_status check_shape(hid_t file, const char *path, int k, int d) {
  hsize_t expect[2] = {(hsize_t)k, (hsize_t)d};
  hid_t dset;
  FORWARD_IF_ERROR(open_array(file, path, "centroids", 2, expect, 1, &dset));
  strata_h5_close(dset);
  return STRATA_OK;
}

/* Opens loc/name and checks it is 1-D or 2-D with the expected dims;
 * expect[0] == 0 accepts any length along the first axis (reported back). */
static strata_status open_array(hid_t loc, const char *path, const char *name, int rank, hsize_t *expect,
                                int numeric, hid_t *out) {
  *out = -1;
  htri_t exists = H5Lexists(loc, name, H5P_DEFAULT);
  RETURN_IF(exists <= 0, STRATA_ERR_FORMAT, "'%s': model dataset '%s' is missing", path, name);
  hid_t dset = H5Dopen2(loc, name, H5P_DEFAULT);
  hid_t space = dset >= 0 ? H5Dget_space(dset) : -1;
  hsize_t dims[2] = {0, 0};
  int ok = space >= 0 && H5Sget_simple_extent_ndims(space) == rank &&
           H5Sget_simple_extent_dims(space, dims, NULL) == rank && (expect[0] == 0 || dims[0] == expect[0]) &&
           (rank < 2 || dims[1] == expect[1]);
  if (!ok) {
    strata_h5_close(space);
    strata_h5_close(dset);
    H5Eclear2(H5E_DEFAULT);
    if (rank == 2)
      return strata_fail(STRATA_ERR_FORMAT, "'%s': model dataset '%s' is %llux%llu, expected %llux%llu", path,
                         name, (unsigned long long)dims[0], (unsigned long long)dims[1],
                         (unsigned long long)expect[0], (unsigned long long)expect[1]);
    return strata_fail(STRATA_ERR_FORMAT, "'%s': model dataset '%s' does not have %llu entries", path, name,
                       (unsigned long long)expect[0]);
  }
  if (numeric) {
    hid_t type = H5Dget_type(dset);
    ok = strata_h5_numeric_class(type) != H5T_NO_CLASS;
    strata_h5_close(type);
    if (!ok) {
      strata_h5_close(space);
      strata_h5_close(dset);
      H5Eclear2(H5E_DEFAULT);
      return strata_fail(STRATA_ERR_FORMAT, "'%s': model dataset '%s' is not stored as numbers of at most 8 bytes",
                         path, name);
    }
  }
  /* What it declares must be in the file before anything that size is
   * allocated (a 16 KB model can declare 2^31 linkage rows). */
  char what[300];
  snprintf(what, sizeof what, "model dataset '%s'", name);
  strata_status st = strata_h5_check_stored(path, what, dset, space);
  strata_h5_close(space);
  if (st != STRATA_OK) {
    strata_h5_close(dset);
    return st;
  }
  expect[0] = dims[0];
  *out = dset;
  return STRATA_OK;
}

static strata_status read_array(hid_t loc, const char *path, const char *name, hid_t mem_type, int rank,
                                hsize_t d0, hsize_t d1, void *data) {
  hsize_t expect[2] = {d0, d1};
  hid_t dset;
  FORWARD_IF_ERROR(open_array(loc, path, name, rank, expect, 1, &dset));
  int ok = expect[0] == 0 || strata_h5_read(dset, mem_type, H5S_ALL, H5S_ALL, data) >= 0;
  strata_h5_close(dset);
  char why[512];
  RETURN_IF(!ok, STRATA_ERR_FORMAT, "'%s' is truncated or corrupt: cannot read '%s': %s", path, name,
            strata_h5_error_text(why, sizeof why));
  return STRATA_OK;
}

static strata_status read_features(hid_t file, const char *path, strata_model *m) {
  hsize_t expect[2] = {(hsize_t)m->info.d, 0};
  hid_t dset;
  FORWARD_IF_ERROR(open_array(file, path, "features", 1, expect, 0, &dset));
  /* The model owns features[]; strings read straight into it. */
  int rc = strata_h5_read_strings(dset, 0, (size_t)m->info.d, m->features);
  strata_h5_close(dset);
  RETURN_IF(rc == -2, STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  RETURN_IF(rc != 0, STRATA_ERR_FORMAT, "'%s': model dataset 'features' is not %d strings", path, m->info.d);
  return STRATA_OK;
}

static strata_status read_scalars(hid_t file, const char *path, strata_model *m) {
  for (size_t i = 0; i < COUNT(numeric_attrs); i++) {
    hid_t ft, mt;
    field_types(numeric_attrs[i].kind, &ft, &mt);
    if (numeric_attrs[i].optional && H5Aexists(file, numeric_attrs[i].name) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      continue;
    }
    FORWARD_IF_ERROR(
        read_attr(file, path, numeric_attrs[i].name, mt, (char *)&m->info + numeric_attrs[i].offset));
  }
  for (size_t i = 0; i < COUNT(string_attrs); i++) {
    char **field = (char **)((char *)m + string_attrs[i].model_offset);
    char *value = NULL;
    if (string_attrs[i].optional && H5Aexists(file, string_attrs[i].name) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      continue;
    }
    FORWARD_IF_ERROR(read_string_attr(file, path, string_attrs[i].name, &value));
    free(*field);
    *field = value;
  }
  return STRATA_OK;
}

static strata_status read_iterations(hid_t file, const char *path, strata_model *m) {
  hid_t group = H5Gopen2(file, "iterations", H5P_DEFAULT);
  if (group < 0) {
    H5Eclear2(H5E_DEFAULT);
    return strata_fail(STRATA_ERR_FORMAT, "'%s': model group 'iterations' is missing", path);
  }
  hsize_t n[2] = {0, 0};
  hid_t probe;
  strata_status st = open_array(group, path, series_names[0], 1, n, 1, &probe);
  strata_h5_close(probe);
  strata_iter_stats *stats = NULL;
  double *values = NULL;
  int64_t *counts = NULL;
  if (st == STRATA_OK && n[0] > (hsize_t)INT32_MAX)
    st = strata_fail(STRATA_ERR_FORMAT, "'%s': %llu iterations recorded", path, (unsigned long long)n[0]);
  size_t len = (size_t)n[0];
  if (st == STRATA_OK && (!(stats = calloc(len ? len : 1, sizeof *stats)) ||
                          !(values = malloc((len ? len : 1) * sizeof *values)) ||
                          !(counts = malloc((len ? len : 1) * sizeof *counts))))
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  for (int s = 0; s < SERIES_COUNT && st == STRATA_OK && len > 0; s++) {
    int is_count = s == SERIES_RELOCATIONS;
    st = read_array(group, path, series_names[s], is_count ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, 1, n[0], 0,
                    is_count ? (void *)counts : (void *)values);
    for (size_t i = 0; i < len && st == STRATA_OK; i++) {
      strata_iter_stats *it = &stats[i];
      switch (s) {
        case SERIES_INERTIA: it->inertia = values[i]; break;
        case SERIES_SHIFT: it->shift = values[i]; break;
        case SERIES_RELOCATIONS: it->relocations = counts[i]; break;
        case SERIES_SECONDS: it->seconds = values[i]; break;
        default: it->rows_per_second = values[i]; break;
      }
    }
  }
  if (st == STRATA_OK && !strata_model_set_iter_stats(m, stats, (int)len))
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  free(stats);
  free(values);
  free(counts);
  H5Gclose(group);
  return st;
}

static strata_status read_categorical(hid_t file, const char *path, strata_model *m) {
  hsize_t hd = (hsize_t)m->info.d;
  FORWARD_IF_ERROR(read_array(file, path, "feature_group", H5T_NATIVE_INT, 1, hd, 0, m->feature_group));
  int groups = 0;
  for (int j = 0; j < m->info.d; j++) {
    RETURN_IF(m->feature_group[j] < -1 || m->feature_group[j] >= m->info.d, STRATA_ERR_FORMAT,
              "'%s': model dataset 'feature_group' is damaged", path);
    if (m->feature_group[j] + 1 > groups) groups = m->feature_group[j] + 1;
  }
  if (groups == 0) return STRATA_OK;
  hsize_t expect[2] = {(hsize_t)groups, 0};
  hid_t dset;
  FORWARD_IF_ERROR(open_array(file, path, "categorical", 1, expect, 0, &dset));
  char **names = calloc((size_t)groups, sizeof *names);
  int rc = names ? strata_h5_read_strings(dset, 0, (size_t)groups, names) : -2;
  strata_h5_close(dset);
  if (rc == 0 && !strata_model_set_categorical(m, (const char *const *)names, groups)) rc = -2;
  for (int g = 0; names && g < groups; g++) free(names[g]);
  free(names);
  RETURN_IF(rc == -2, STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  RETURN_IF(rc != 0, STRATA_ERR_FORMAT, "'%s': model dataset 'categorical' is not %d strings", path, groups);
  return STRATA_OK;
}

/* The optional groups of write_lineage; absent in older models. */
static strata_status read_lineage(hid_t file, const char *path, strata_model *m) {
  hsize_t hk = (hsize_t)m->info.k, hd = (hsize_t)m->info.d;
  size_t k = (size_t)m->info.k, d = (size_t)m->info.d;
  strata_status st = STRATA_OK;
  hid_t g = -1;
  if (H5Lexists(file, "parent", H5P_DEFAULT) > 0) {
    char *ppath = NULL, *created = NULL;
    int *seg = malloc(k * sizeof *seg);
    double *dist = malloc(k * sizeof *dist);
    if (!seg || !dist) st = strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
    if (st == STRATA_OK && (g = H5Gopen2(file, "parent", H5P_DEFAULT)) < 0)
      st = strata_fail(STRATA_ERR_FORMAT, "'%s': model group 'parent' is unreadable", path);
    if (st == STRATA_OK) st = read_string_attr(g, path, "path", &ppath);
    if (st == STRATA_OK) st = read_string_attr(g, path, "created", &created);
    if (st == STRATA_OK) st = read_array(g, path, "segment", H5T_NATIVE_INT, 1, hk, 0, seg);
    if (st == STRATA_OK) st = read_array(g, path, "distance", H5T_NATIVE_DOUBLE, 1, hk, 0, dist);
    for (size_t c = 0; st == STRATA_OK && c < k; c++)
      if (seg[c] < -1) st = strata_fail(STRATA_ERR_FORMAT, "'%s': model dataset 'parent/segment' is damaged", path);
    if (st == STRATA_OK && !strata_model_set_lineage(m, ppath, created, seg, dist))
      st = strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
    strata_h5_close(g);
    g = -1;
    free(ppath); free(created); free(seg); free(dist);
  }
  if (st == STRATA_OK && H5Lexists(file, "reference", H5P_DEFAULT) > 0) {
    double *mean = malloc(d * sizeof *mean), *std = malloc(d * sizeof *std);
    double *md = malloc(k * sizeof *md);
    if (!mean || !std || !md) st = strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
    if (st == STRATA_OK && (g = H5Gopen2(file, "reference", H5P_DEFAULT)) < 0)
      st = strata_fail(STRATA_ERR_FORMAT, "'%s': model group 'reference' is unreadable", path);
    if (st == STRATA_OK) st = read_array(g, path, "mean", H5T_NATIVE_DOUBLE, 1, hd, 0, mean);
    if (st == STRATA_OK) st = read_array(g, path, "std", H5T_NATIVE_DOUBLE, 1, hd, 0, std);
    if (st == STRATA_OK) st = read_array(g, path, "mean_distance", H5T_NATIVE_DOUBLE, 1, hk, 0, md);
    if (st == STRATA_OK && !strata_model_set_reference(m, mean, std, md))
      st = strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
    strata_h5_close(g);
    free(mean); free(std); free(md);
  }
  H5Eclear2(H5E_DEFAULT);
  return st;
}

/* The /gmm group of write_mixture; a model of estimator "gmm" must have it. */
static strata_status read_mixture(hid_t file, const char *path, strata_model *m) {
  int is_gmm = m->estimator && strcmp(m->estimator, "gmm") == 0;
  if (H5Lexists(file, "gmm", H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    RETURN_IF(is_gmm, STRATA_ERR_FORMAT, "'%s': model group 'gmm' is missing", path);
    return STRATA_OK;
  }
  RETURN_IF(!is_gmm, STRATA_ERR_FORMAT, "'%s': a model of estimator '%s' holds a 'gmm' group", path,
            m->info.estimator);
  size_t k = (size_t)m->info.k, d = (size_t)m->info.d;
  strata_status st = STRATA_OK;
  char *type = NULL;
  double *w = NULL, *cov = NULL;
  hid_t g = H5Gopen2(file, "gmm", H5P_DEFAULT);
  if (g < 0) st = strata_fail(STRATA_ERR_FORMAT, "'%s': model group 'gmm' is unreadable", path);
  if (st == STRATA_OK) st = read_string_attr(g, path, "covariance_type", &type);
  /* k·d·d must not wrap before it is compared with the file's length. */
  size_t nc = st == STRATA_OK && k <= SIZE_MAX / d / d ? strata_model_mixture_ncov(type, k, d) : 0;
  if (st == STRATA_OK && nc == 0)
    st = strata_fail(STRATA_ERR_FORMAT, "'%s': model attribute 'gmm/covariance_type' is '%s' (full, tied, diag "
                     "or spherical expected, for k=%zu, d=%zu)", path, type, k, d);
  for (size_t i = 0; st == STRATA_OK && i < COUNT(gmm_attrs); i++)
    st = read_attr(g, path, gmm_attrs[i].name, H5T_NATIVE_DOUBLE, (char *)&m->info + gmm_attrs[i].offset);
  /* The covariances' length, checked against the file, before their buffer. */
  hsize_t ncov[2] = {(hsize_t)nc, 0};
  hid_t probe = -1;
  if (st == STRATA_OK) st = open_array(g, path, "covariances", 1, ncov, 1, &probe);
  strata_h5_close(probe);
  if (st == STRATA_OK && (!(w = malloc(k * sizeof *w)) || !(cov = malloc(nc * sizeof *cov))))
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  if (st == STRATA_OK) st = read_array(g, path, "weights", H5T_NATIVE_DOUBLE, 1, (hsize_t)k, 0, w);
  if (st == STRATA_OK) st = read_array(g, path, "covariances", H5T_NATIVE_DOUBLE, 1, (hsize_t)nc, 0, cov);
  if (st == STRATA_OK && !strata_model_set_mixture(m, type, w, cov, nc))
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  strata_h5_close(g);
  free(type); free(w); free(cov);
  H5Eclear2(H5E_DEFAULT);
  return st;
}

/* A linkage row joins two earlier clusters, each merged no more than once
 * (else the "tree" is a graph whose walks multiply: a report of a model
 * whose last 63 merges each took the two before it ran for ever), into one
 * of their summed size, no lower than the merges before it. */
static strata_status check_linkage(const double *z, size_t n, const char *path) {
  unsigned char *merged = calloc(2 * n + 1, 1);
  RETURN_IF(!merged, STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  strata_status st = STRATA_OK;
  for (size_t j = 0; j < n && st == STRATA_OK; j++) {
    const double *r = z + 4 * j;
    double top = (double)(n + 1 + j);
    int ok = r[0] >= 0 && r[0] < r[1] && r[1] < top && r[0] == floor(r[0]) && r[1] == floor(r[1]) &&
             isfinite(r[2]) && r[2] >= 0 && (j == 0 || r[2] >= z[4 * (j - 1) + 2]) && r[3] >= 2 && isfinite(r[3]);
    if (ok) {
      size_t a = (size_t)r[0], b = (size_t)r[1];
      ok = !merged[a] && !merged[b];
      merged[a] = merged[b] = 1;
    }
    if (!ok) st = strata_fail(STRATA_ERR_FORMAT, "'%s': model dataset 'ward/linkage' is damaged at row %zu", path, j);
  }
  free(merged);
  return st;
}

/* Two-step Ward's micro-clusters: n (the linkage's leaves) finite means and
 * sizes >= 1, each merge's size the sum of its two clusters'. */
static strata_status read_micro(hid_t g, const char *path, strata_model *m, const double *z, size_t n) {
  size_t d = (size_t)m->info.d;
  double *c = malloc(n * d * sizeof *c), *size = malloc(2 * n * sizeof *size);
  int64_t *w = malloc(n * sizeof *w);
  strata_status st = STRATA_OK;
  if (!c || !w || !size) st = strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  if (st == STRATA_OK) st = read_array(g, path, "micro_centroids", H5T_NATIVE_DOUBLE, 2, n, d, c);
  if (st == STRATA_OK) st = read_array(g, path, "micro_sizes", H5T_NATIVE_INT64, 1, n, 0, w);
  for (size_t i = 0; st == STRATA_OK && i < n; i++) {
    int ok = w[i] >= 1;
    for (size_t j = 0; ok && j < d; j++) ok = isfinite(c[i * d + j]);
    if (!ok) st = strata_fail(STRATA_ERR_FORMAT, "'%s': model group 'ward' is damaged at micro-cluster %zu", path, i);
    else size[i] = (double)w[i];
  }
  for (size_t j = 0; st == STRATA_OK && j + 1 < n; j++) {
    const double *r = z + 4 * j;
    size[n + j] = size[(size_t)r[0]] + size[(size_t)r[1]];
    if (size[n + j] != r[3])
      st = strata_fail(STRATA_ERR_FORMAT, "'%s': model dataset 'ward/linkage' does not match the micro-cluster "
                       "sizes at row %zu", path, j);
  }
  if (st == STRATA_OK && !strata_model_set_micro(m, c, w, (int)n))
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  free(c); free(w); free(size);
  return st;
}

/* A method's own group belongs to a model of that method only: a /dbscan
 * group would make any model assign by core points. */
static strata_status check_group_owner(const strata_model *m, const char *path, const char *group) {
  RETURN_IF(!m->estimator || strcmp(m->estimator, group) != 0, STRATA_ERR_FORMAT,
            "'%s': a model of estimator '%s' holds a '%s' group", path, m->info.estimator, group);
  return STRATA_OK;
}

static strata_status read_ward(hid_t file, const char *path, strata_model *m) {
  if (H5Lexists(file, "ward", H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return STRATA_OK;
  }
  FORWARD_IF_ERROR(check_group_owner(m, path, "ward"));
  hid_t g = H5Gopen2(file, "ward", H5P_DEFAULT), dset = -1;
  RETURN_IF(g < 0, STRATA_ERR_FORMAT, "'%s': model group 'ward' is unreadable", path);
  hsize_t dims[2] = {0, 4};
  double *z = NULL, threshold = 0.0;
  strata_status st = open_array(g, path, "linkage", 2, dims, 1, &dset);
  strata_h5_close(dset);
  if (st == STRATA_OK && dims[0] > (hsize_t)INT32_MAX)
    st = strata_fail(STRATA_ERR_FORMAT, "'%s': model dataset 'ward/linkage' is too long", path);
  if (st == STRATA_OK && !(z = malloc((dims[0] ? dims[0] : 1) * 4 * sizeof *z)))
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  if (st == STRATA_OK) st = read_array(g, path, "linkage", H5T_NATIVE_DOUBLE, 2, dims[0], 4, z);
  if (st == STRATA_OK) st = read_array(g, path, "distance_threshold", H5T_NATIVE_DOUBLE, 1, 1, 0, &threshold);
  if (st == STRATA_OK && !(threshold >= 0.0 && isfinite(threshold)))
    st = strata_fail(STRATA_ERR_FORMAT, "'%s': model dataset 'ward/distance_threshold' holds %g (a finite number "
                     ">= 0 is needed)", path, threshold);
  if (st == STRATA_OK) st = check_linkage(z, (size_t)dims[0], path);
  if (st == STRATA_OK && !strata_model_set_merges(m, z, (int)dims[0]))
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  m->info.distance_threshold = threshold;
  if (st == STRATA_OK && H5Lexists(g, "micro_centroids", H5P_DEFAULT) > 0)
    st = read_micro(g, path, m, z, (size_t)dims[0] + 1);
  free(z);
  strata_h5_close(g);
  H5Eclear2(H5E_DEFAULT);
  return st;
}

/* The k-distance curve: finite, >= 0, ascending. */
static strata_status read_kdist(hid_t g, const char *path, strata_model *m) {
  hsize_t dims[2] = {0, 0};
  hid_t dset = -1;
  FORWARD_IF_ERROR(open_array(g, path, "kdist", 1, dims, 1, &dset));
  strata_h5_close(dset);
  RETURN_IF(dims[0] > 100000, STRATA_ERR_FORMAT, "'%s': model dataset 'dbscan/kdist' is too long", path);
  size_t n = (size_t)dims[0];
  double *v = malloc((n ? n : 1) * sizeof *v);
  uint64_t sample = 0;
  strata_status st = v ? STRATA_OK : strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  if (st == STRATA_OK) st = read_array(g, path, "kdist", H5T_NATIVE_DOUBLE, 1, n, 0, v);
  if (st == STRATA_OK) st = read_array(g, path, "kdist_sample", H5T_NATIVE_UINT64, 1, 1, 0, &sample);
  for (size_t i = 0; st == STRATA_OK && i < n; i++)
    if (!(isfinite(v[i]) && v[i] >= 0 && (i == 0 || v[i] >= v[i - 1])))
      st = strata_fail(STRATA_ERR_FORMAT, "'%s': model dataset 'dbscan/kdist' is damaged at %zu", path, i);
  if (st == STRATA_OK && !strata_model_set_kdist(m, v, (int)n, sample))
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  free(v);
  return st;
}

static strata_status read_dbscan(hid_t file, const char *path, strata_model *m) {
  if (H5Lexists(file, "dbscan", H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    /* Without its core points a dbscan model would assign by centroids. */
    RETURN_IF(m->estimator && strcmp(m->estimator, "dbscan") == 0, STRATA_ERR_FORMAT,
              "'%s': model group 'dbscan' is missing", path);
    return STRATA_OK;
  }
  FORWARD_IF_ERROR(check_group_owner(m, path, "dbscan"));
  hid_t g = H5Gopen2(file, "dbscan", H5P_DEFAULT), dset = -1;
  RETURN_IF(g < 0, STRATA_ERR_FORMAT, "'%s': model group 'dbscan' is unreadable", path);
  hsize_t dims[2] = {0, (hsize_t)m->info.d};
  double *core = NULL, eps = 0.0;
  int32_t *seg = NULL;
  int min_samples = 0;
  strata_status st = open_array(g, path, "core", 2, dims, 1, &dset);
  strata_h5_close(dset);
  if (st == STRATA_OK && dims[0] > (hsize_t)INT32_MAX)
    st = strata_fail(STRATA_ERR_FORMAT, "'%s': model dataset 'dbscan/core' is too long", path);
  size_t n = (size_t)dims[0], d = (size_t)m->info.d;
  if (st == STRATA_OK && (!(core = malloc((n ? n : 1) * d * sizeof *core)) || !(seg = malloc((n ? n : 1) * sizeof *seg))))
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  if (st == STRATA_OK) st = read_array(g, path, "core", H5T_NATIVE_DOUBLE, 2, dims[0], dims[1], core);
  if (st == STRATA_OK) st = read_array(g, path, "core_segment", H5T_NATIVE_INT32, 1, dims[0], 0, seg);
  if (st == STRATA_OK) st = read_array(g, path, "eps", H5T_NATIVE_DOUBLE, 1, 1, 0, &eps);
  if (st == STRATA_OK) st = read_array(g, path, "min_samples", H5T_NATIVE_INT, 1, 1, 0, &min_samples);
  /* eps is compared squared. */
  if (st == STRATA_OK && (!(eps > 0) || !isfinite(eps * eps) || min_samples < 1))
    st = strata_fail(STRATA_ERR_FORMAT, "'%s': model group 'dbscan' holds eps %g, min_samples %d", path, eps,
                     min_samples);
  for (size_t i = 0; st == STRATA_OK && i < n; i++) {
    int ok = seg[i] >= 0 && seg[i] < m->info.k;
    for (size_t j = 0; ok && j < d; j++) ok = isfinite(core[i * d + j]);
    if (!ok) st = strata_fail(STRATA_ERR_FORMAT, "'%s': model group 'dbscan' is damaged at core point %zu", path, i);
  }
  /* Every cluster of DBSCAN holds a core point; one without could never
   * be assigned a row. */
  unsigned char *seen = st == STRATA_OK ? calloc((size_t)m->info.k, 1) : NULL;
  if (st == STRATA_OK && !seen) st = strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  for (size_t i = 0; st == STRATA_OK && i < n; i++) seen[seg[i]] = 1;
  for (int c = 0; st == STRATA_OK && c < m->info.k; c++)
    if (!seen[c]) st = strata_fail(STRATA_ERR_FORMAT, "'%s': model group 'dbscan' has no core point in segment %d",
                                   path, c);
  free(seen);
  if (st == STRATA_OK && !strata_model_set_core(m, core, seg, (int)n))
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  if (st == STRATA_OK && H5Lexists(g, "kdist", H5P_DEFAULT) > 0) st = read_kdist(g, path, m);
  m->info.eps = eps;
  m->info.min_samples = min_samples;
  free(core);
  free(seg);
  strata_h5_close(g);
  H5Eclear2(H5E_DEFAULT);
  return st;
}

/* The /transform group of write_transform, checked value by value. */
static strata_status read_transform(hid_t file, const char *path, strata_model *m, int version) {
  if (H5Lexists(file, "transform", H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    RETURN_IF(version >= 2, STRATA_ERR_FORMAT, "'%s': model group 'transform' is missing (format version %d)",
              path, version);
    return STRATA_OK;
  }
  size_t d = (size_t)m->info.d;
  hid_t g = H5Gopen2(file, "transform", H5P_DEFAULT);
  int *kind = malloc(d * sizeof *kind);
  double *param = malloc(3 * d * sizeof *param);
  strata_status st = STRATA_OK;
  if (g < 0) st = strata_fail(STRATA_ERR_FORMAT, "'%s': model group 'transform' is unreadable", path);
  else if (!kind || !param) st = strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  if (st == STRATA_OK) st = read_array(g, path, "kind", H5T_NATIVE_INT, 1, (hsize_t)d, 0, kind);
  if (st == STRATA_OK) st = read_array(g, path, "param", H5T_NATIVE_DOUBLE, 2, (hsize_t)d, 3, param);
  if (st == STRATA_OK && !strata_model_set_transforms(m, kind, param))
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory loading '%s'", path);
  if (st == STRATA_OK) {
    char where[600];
    snprintf(where, sizeof where, "'%s': model dataset", path);
    st = strata_model_check_transforms(m, STRATA_ERR_FORMAT, where);
  }
  free(kind);
  free(param);
  strata_h5_close(g);
  H5Eclear2(H5E_DEFAULT);
  return st;
}

static strata_status read_model(hid_t file, const char *path, strata_model **out) {
  int k = 0, d = 0, version = 0;
  FORWARD_IF_ERROR(check_format(file, path, &k, &d, &version));
  FORWARD_IF_ERROR(check_shape(file, path, k, d));
  strata_model *m = strata_model_alloc(k, d);
  RETURN_IF(!m, STRATA_ERR_NOMEM, "out of memory loading '%s' (k=%d, d=%d)", path, k, d);
  hsize_t hk = (hsize_t)k, hd = (hsize_t)d;
  strata_status st = STRATA_OK;
  hid_t scaler = -1;
  GOTO_IF_ERROR(st, read_scalars(file, path, m), done);
  if (m->estimator && !strata_model_estimator_known(m->estimator)) {
    st = strata_fail(STRATA_ERR_FORMAT, "'%s': the model's estimator '%s' is not known to this build of strata "
                     "(it fits: kmeans, gmm, ward, dbscan)", path, m->estimator);
    goto done;
  }
  GOTO_IF_ERROR(st, read_features(file, path, m), done);
  GOTO_IF_ERROR(st, read_array(file, path, "centroids", H5T_NATIVE_DOUBLE, 2, hk, hd, m->centroids), done);
  GOTO_IF_ERROR(
      st, read_array(file, path, "centroids_original", H5T_NATIVE_DOUBLE, 2, hk, hd, m->centroids_original),
      done);
  GOTO_IF_ERROR(st, read_array(file, path, "sizes", H5T_NATIVE_INT64, 1, hk, 0, m->sizes), done);
  if ((scaler = H5Gopen2(file, "scaler", H5P_DEFAULT)) < 0) {
    H5Eclear2(H5E_DEFAULT);
    st = strata_fail(STRATA_ERR_FORMAT, "'%s': model group 'scaler' is missing", path);
    goto done;
  }
  GOTO_IF_ERROR(st, read_array(scaler, path, "shift", H5T_NATIVE_DOUBLE, 1, hd, 0, m->scale_shift), done);
  GOTO_IF_ERROR(st, read_array(scaler, path, "factor", H5T_NATIVE_DOUBLE, 1, hd, 0, m->scale_factor), done);
  GOTO_IF_ERROR(st, read_array(scaler, path, "impute", H5T_NATIVE_DOUBLE, 1, hd, 0, m->impute), done);
  GOTO_IF_ERROR(st, read_mixture(file, path, m), done);
  if (st == STRATA_OK) {
    char where[600];
    snprintf(where, sizeof where, "'%s': model dataset", path);
    GOTO_IF_ERROR(st, strata_model_check_values(m, STRATA_ERR_FORMAT, where), done);
  }
  GOTO_IF_ERROR(st, read_iterations(file, path, m), done);
  GOTO_IF_ERROR(st, read_categorical(file, path, m), done);
  GOTO_IF_ERROR(st, read_lineage(file, path, m), done);
  GOTO_IF_ERROR(st, read_ward(file, path, m), done);
  GOTO_IF_ERROR(st, read_dbscan(file, path, m), done);
  GOTO_IF_ERROR(st, read_transform(file, path, m, version), done);
done:
  strata_h5_close(scaler);
  if (st != STRATA_OK) {
    strata_model_free(m);
    return st;
  }
  strata_model_sync_info(m);
  *out = m;
  return STRATA_OK;
}

/* The load as the probe's child makes it, first: HDF5 1.10 crashes on
 * some corrupt models in calls only this reader makes (io/h5_probe.c). */
static strata_status read_and_drop(hid_t file, const char *path, void *ctx) {
  (void)ctx;
  strata_model *m = NULL;
  strata_status st = read_model(file, path, &m);
  strata_model_free(m);
  return st;
}

strata_status strata_model_load(const char *path, strata_model **out) {
  RETURN_IF(!out, STRATA_ERR_USAGE, "strata_model_load: out is NULL");
  *out = NULL;
  RETURN_IF(!path || !*path, STRATA_ERR_USAGE, "strata_model_load: no file name");
  hid_t file;
  const strata_h5_check check = {read_and_drop, NULL, 0};
  FORWARD_IF_ERROR(strata_h5_open_read_checked(path, &file, &check));
  strata_h5_lock();
  strata_status st = read_model(file, path, out);
  H5Fclose(file);
  H5Eclear2(H5E_DEFAULT);
  strata_h5_unlock();
  return st;
}
