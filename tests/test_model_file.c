/* The model file: every field survives save and load; files that are not
 * models, or are damaged, are refused with a clear one-line reason. */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>

#include "check.h"
#include "h5_util.h"
#include "io_fixture.h"
#include "model.h"
#include "model_file.h"
#include "strata.h"

enum { K = 3, DIM = 4, ITERS = 4 };

static strata_model *full_model(void) {
  strata_model *m = strata_model_alloc(K, DIM);
  static const char *const features[DIM] = {"age", "income", "tenure", "spend (\xe2\x82\xac)"};
  for (int j = 0; j < DIM; j++) {
    m->features[j] = strdup(features[j]);
    m->scale_shift[j] = 10.0 * j + 0.125;
    m->scale_factor[j] = 1.0 / (j + 3);
    m->impute[j] = j == 2 ? NAN : -1.5 * j;
  }
  for (int c = 0; c < K * DIM; c++) {
    m->centroids[c] = c * 1.5 + 0.25;
    m->centroids_original[c] = c * 1000.0 - 1.0 / 3.0;
  }
  for (int c = 0; c < K; c++) m->sizes[c] = (int64_t)1 << (33 + c);
  m->info.inertia = 123.456789012345;
  m->info.iterations = 17;
  m->info.converged = 1;
  m->info.n_init = 5;
  m->info.best_init = 3;
  m->info.seed = 0xDEADBEEFCAFEF00Dull;
  m->info.tol = 1e-4;
  m->info.max_iter = 300;
  m->info.rows = 10000000000ull;
  m->info.rows_dropped = 7;
  m->info.seconds = 12.5;
  strata_model_set_string(&m->init, "k-means++");
  strata_model_set_string(&m->scale, "zscore");
  strata_model_set_string(&m->missing, "drop");
  strata_model_set_string(&m->backend, "ref");
  strata_model_set_string(&m->backend_reason, "requested: ref");
  strata_model_set_string(&m->mode, "streaming");
  strata_model_set_string(&m->input_file, "/data/customers.h5");
  strata_model_set_string(&m->input_location, "/customers");
  strata_model_set_string(&m->version, "0.1.0");
  strata_model_set_string(&m->created, "2024-05-01T02:03:04Z");
  strata_iter_stats it[ITERS];
  for (int i = 0; i < ITERS; i++)
    it[i] = (strata_iter_stats){1000.0 / (i + 1), 0.5 / (i + 1), 100 - 10 * i, 0.25 * i, 1e7 + i};
  strata_model_set_iter_stats(m, it, ITERS);
  strata_model_sync_info(m);
  return m;
}

static int same_double(double a, double b) { return isnan(a) ? isnan(b) : a == b; }

static void check_same(const strata_model_info *a, const strata_model_info *b) {
  CHECK(a->k == b->k && a->d == b->d);
  CHECK(strcmp(a->estimator, b->estimator) == 0);
  if (a->k != b->k || a->d != b->d) return;
  for (int j = 0; j < a->d; j++) {
    CHECK_MSG(strcmp(a->features[j], b->features[j]) == 0, "feature %d: %s vs %s", j, a->features[j],
              b->features[j]);
    CHECK(same_double(a->scale_shift[j], b->scale_shift[j]));
    CHECK(same_double(a->scale_factor[j], b->scale_factor[j]));
    CHECK(same_double(a->impute[j], b->impute[j]));
  }
  CHECK(memcmp(a->centroids, b->centroids, sizeof(double) * a->k * a->d) == 0);
  CHECK(memcmp(a->centroids_original, b->centroids_original, sizeof(double) * a->k * a->d) == 0);
  CHECK(memcmp(a->sizes, b->sizes, sizeof(int64_t) * a->k) == 0);
  CHECK(a->inertia == b->inertia && a->iterations == b->iterations && a->converged == b->converged);
  CHECK(a->n_init == b->n_init && a->best_init == b->best_init && a->seed == b->seed);
  CHECK(a->tol == b->tol && a->max_iter == b->max_iter && a->seconds == b->seconds);
  CHECK(a->rows == b->rows && a->rows_dropped == b->rows_dropped);
  const char *sa[] = {a->init,       a->scale,          a->missing, a->backend,
                      a->input_file, a->input_location, a->created};
  const char *sb[] = {b->init,       b->scale,          b->missing, b->backend,
                      b->input_file, b->input_location, b->created};
  for (size_t i = 0; i < sizeof sa / sizeof sa[0]; i++)
    CHECK_MSG(strcmp(sa[i], sb[i]) == 0, "'%s' vs '%s'", sa[i], sb[i]);
  /* Optional: absent in models written before it was recorded. */
  CHECK((a->backend_reason == NULL) == (b->backend_reason == NULL));
  CHECK(!a->backend_reason || !b->backend_reason || strcmp(a->backend_reason, b->backend_reason) == 0);
  CHECK(a->n_iter_stats == b->n_iter_stats);
  for (int i = 0; i < a->n_iter_stats && i < b->n_iter_stats; i++) {
    const strata_iter_stats *x = &a->iter_stats[i], *y = &b->iter_stats[i];
    CHECK(x->inertia == y->inertia && x->shift == y->shift && x->relocations == y->relocations &&
          x->seconds == y->seconds && x->rows_per_second == y->rows_per_second);
  }
}

static void test_round_trip(void) {
  const char *path = fx_path("model_round_trip.h5");
  fx_clean_temp_files("model_round_trip.h5");
  strata_model *m = full_model();
  CHECK_OK(strata_model_save(m, path));
  CHECK(fx_temp_files("model_round_trip.h5") == 0);
  strata_model *back = NULL;
  CHECK_OK(strata_model_load(path, &back));
  if (back) {
    const strata_model_info *info = strata_model_get_info(back);
    check_same(strata_model_get_info(m), info);
    CHECK(strcmp(info->version, "0.1.0") == 0);
    CHECK(back->mode && strcmp(back->mode, "streaming") == 0);
  }
  strata_model_free(back);
  strata_model_free(m);

  /* A bare model: empty strings, no iterations; the library version is filled in. */
  m = strata_model_alloc(1, 1);
  m->features[0] = strdup("x");
  m->scale_factor[0] = 1.0; /* a fit never writes 0 (the loader refuses it) */
  strata_model_sync_info(m);
  CHECK_OK(strata_model_save(m, path));
  back = NULL;
  CHECK_OK(strata_model_load(path, &back));
  if (back) {
    check_same(strata_model_get_info(m), strata_model_get_info(back));
    CHECK(strcmp(strata_model_get_info(back)->version, strata_version()) == 0);
  }
  strata_model_free(back);
  strata_model_free(m);
}

/* Two-phase: written under the temporary name, in place only on commit. */
static void test_write_then_commit(void) {
  const char *path = fx_path("model_two_phase.h5");
  unlink(path);
  fx_clean_temp_files("model_two_phase.h5");
  strata_model *m = full_model();
  strata_output_file out;
  CHECK_OK(strata_output_begin(path, &out));
  CHECK_OK(strata_model_write(m, &out));
  CHECK(!fx_exists(path) && fx_temp_files("model_two_phase.h5") == 1);
  CHECK_OK(strata_output_commit(&out));
  CHECK(fx_exists(path) && fx_temp_files("model_two_phase.h5") == 0);
  strata_model *back = NULL;
  CHECK_OK(strata_model_load(path, &back));
  if (back) check_same(strata_model_get_info(m), strata_model_get_info(back));
  strata_model_free(back);
  strata_model_free(m);
}

/* Each load twice: first as commands load (the probe's child runs the
 * model reader, once per load, and its error is the load's), then with the
 * child off; the same status and detail both ways. */
static void expect_load_error(strata_status want, const char *path, const char *part) {
  char with_child[1024] = "";
  for (int child = 1; child >= 0; child--) {
    if (!child) setenv("STRATA_H5_CHECK", "0", 1);
    const size_t before = strata_h5_probes_run(), timed_out = strata_h5_probes_timed_out();
    strata_model *m = (strata_model *)1;
    strata_status st = strata_model_load(path, &m);
    const size_t children = strata_h5_probes_run() - before;
    CHECK_MSG(st == want && m == NULL, "%s: %s (%s)", path, strata_status_name(st), strata_last_error());
    CHECK_MSG(strstr(strata_last_error(), part) != NULL, "detail '%s' lacks '%s'", strata_last_error(), part);
    CHECK(strchr(strata_last_error(), '\n') == NULL);
    CHECK_MSG(strata_h5_probes_timed_out() == timed_out, "%s: the child reader ran out of time", path);
    if (child) {
      /* No child for what is not an HDF5 file. */
      const int hdf5 = want != STRATA_ERR_NOT_FOUND && !strstr(part, "not an HDF5 file");
      CHECK_MSG(children == (size_t)hdf5, "%s: %zu children read it", path, children);
      snprintf(with_child, sizeof with_child, "%s", strata_last_error());
    } else {
      CHECK_MSG(children == 0, "%s: a child read it with STRATA_H5_CHECK=0", path);
      CHECK_MSG(strcmp(with_child, strata_last_error()) == 0, "%s: '%s' with the child, '%s' without", path,
                with_child, strata_last_error());
      unsetenv("STRATA_H5_CHECK");
    }
  }
}

/* Overwrites element `index` (row-major) of a 1-D or 2-D dataset. */
static void poke(hid_t f, const char *name, hsize_t index, double v) {
  hid_t ds = H5Dopen2(f, name, H5P_DEFAULT), sp = H5Dget_space(ds);
  hsize_t dims[2] = {1, 1};
  int rank = H5Sget_simple_extent_ndims(sp);
  H5Sget_simple_extent_dims(sp, dims, NULL);
  hsize_t start[2] = {rank == 2 ? index / dims[1] : index, rank == 2 ? index % dims[1] : 0}, count[2] = {1, 1};
  H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, count, NULL);
  hid_t mem = H5Screate_simple(1, count, NULL);
  CHECK(H5Dwrite(ds, H5T_NATIVE_DOUBLE, mem, sp, H5P_DEFAULT, &v) >= 0);
  H5Sclose(mem);
  H5Sclose(sp);
  H5Dclose(ds);
}

/* Copies the round-trip model to `name` and applies one damage. */
static const char *damaged(const char *name, int kind) {
  const char *path = fx_path(name);
  strata_model *m = full_model();
  CHECK_OK(strata_model_save(m, path));
  strata_model_free(m);
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  if (kind == 0) { /* centroids of the wrong shape */
    H5Ldelete(f, "centroids", H5P_DEFAULT);
    hsize_t dims[2] = {2, 2};
    double v[4] = {0};
    fx_write(f, "centroids", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, NULL, 0, v);
  } else if (kind == 1) { /* from a newer Strata */
    int version = 2;
    hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT, &version);
    H5Aclose(a);
  } else if (kind == 3) { /* written before the estimator kind was recorded */
    H5Adelete(f, "estimator");
  } else if (kind == 4) { /* an estimator this build does not have */
    H5Adelete(f, "estimator");
    strata_h5_write_string(f, "estimator", "spectral");
  } else if (kind == 11) { /* a Gaussian mixture without its /gmm group */
    H5Adelete(f, "estimator");
    strata_h5_write_string(f, "estimator", "gmm");
  } else if (kind == 5) { /* a centroid that is not a number */
    poke(f, "centroids", 1 * DIM + 2, NAN);
  } else if (kind == 6) { /* a scale factor of 0 */
    poke(f, "scaler/factor", 0, 0.0);
  } else if (kind == 7) { /* a negative size */
    poke(f, "sizes", 2, -4.0);
  } else if (kind == 8) { /* the mean rule with a NaN imputation value (feature 2's) */
    H5Adelete(f, "missing");
    strata_h5_write_string(f, "missing", "mean");
  } else if (kind == 9) { /* an infinite centroid in original units */
    poke(f, "centroids_original", 0, INFINITY);
  } else if (kind == 13) { /* a centroid finite in float64, infinite in float32 (fuzzed: -4.3e273) */
    poke(f, "centroids", 1 * DIM + 1, -4.3e273);
  } else if (kind == 10) { /* an absurd declared d (it used to read as "out of memory") */
    int d = 2000000000;
    hid_t a = H5Aopen(f, "d", H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT, &d);
    H5Aclose(a);
  } else if (kind == 12) { /* floats of 256 MiB each (fuzzed: HDF5 sized its read buffer by them) */
    H5Ldelete(f, "scaler/shift", H5P_DEFAULT);
    hid_t t = H5Tcopy(H5T_IEEE_F64LE);
    CHECK(H5Tset_size(t, (size_t)1 << 28) >= 0);
    hsize_t dims[1] = {DIM};
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t ds = H5Dcreate2(f, "scaler/shift", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(ds >= 0);
    H5Dclose(ds);
    H5Sclose(sp);
    H5Tclose(t);
  } else { /* a dataset missing */
    H5Ldelete(f, "scaler/factor", H5P_DEFAULT);
  }
  H5Fclose(f);
  return path;
}

static void test_load_errors(void) {
  expect_load_error(STRATA_ERR_NOT_FOUND, fx_path("model_missing.h5"), "No such file or directory");
  const char *text = fx_path("model_text.h5");
  fx_text_file(text, "k=3\n");
  expect_load_error(STRATA_ERR_FORMAT, text, "model_text.h5' is not an HDF5 file");

  /* An HDF5 file that is data, not a model. */
  const char *data = fx_path("model_data.h5");
  hid_t f = fx_create(data);
  float v[3] = {1, 2, 3};
  fx_column_f32(f, "age", v, 3, 0);
  H5Fclose(f);
  expect_load_error(STRATA_ERR_FORMAT, data, "model_data.h5' is not a Strata model");

  expect_load_error(STRATA_ERR_FORMAT, damaged("model_bad_shape.h5", 0), "'centroids' is 2x2, expected 3x4");
  expect_load_error(STRATA_ERR_FORMAT, damaged("model_newer.h5", 1), "format version 2");
  expect_load_error(STRATA_ERR_FORMAT, damaged("model_no_factor.h5", 2), "'factor' is missing");
  expect_load_error(STRATA_ERR_FORMAT, damaged("model_spectral.h5", 4), "estimator 'spectral' is not known");
  expect_load_error(STRATA_ERR_FORMAT, damaged("model_gmm.h5", 11), "model group 'gmm' is missing");
  /* Values a scorer cannot use (every row would go to one segment). */
  expect_load_error(STRATA_ERR_FORMAT, damaged("model_nan_centroid.h5", 5),
                    "'centroids' holds nan for segment 1, feature 'tenure'");
  expect_load_error(STRATA_ERR_FORMAT, damaged("model_zero_factor.h5", 6),
                    "'scaler/factor' holds 0 for feature 'age'");
  expect_load_error(STRATA_ERR_FORMAT, damaged("model_negative_size.h5", 7), "'sizes' holds -4 for segment 2");
  expect_load_error(STRATA_ERR_FORMAT, damaged("model_nan_impute.h5", 8),
                    "'scaler/impute' holds nan for feature 'tenure' (rule mean)");
  expect_load_error(STRATA_ERR_FORMAT, damaged("model_inf_original.h5", 9),
                    "'centroids_original' holds inf for segment 0, feature 'age'");
  expect_load_error(STRATA_ERR_FORMAT, damaged("model_float_overflow.h5", 13),
                    "'centroids' of segment 1 are beyond float range");
  expect_load_error(STRATA_ERR_FORMAT, damaged("model_absurd_d.h5", 10), "'centroids' is 3x4, expected 3x2000000000");
  expect_load_error(STRATA_ERR_FORMAT, damaged("model_huge_type.h5", 12),
                    "'shift' is not stored as numbers of at most 8 bytes");
  CHECK(strata_status_exit_code(STRATA_ERR_FORMAT) == 2);
}

/* The round-trip model made a Gaussian mixture (diagonal covariances), a
 * Ward model (a dendrogram of 4 rows) or a DBSCAN model (one core point per
 * segment), each of which loads as written. */
static strata_model *method_model(const char *method) {
  strata_model *m = full_model();
  strata_model_set_string(&m->estimator, method);
  if (strcmp(method, "gmm") == 0) {
    double w[K] = {0.25, 0.25, 0.5}, cov[K * DIM];
    for (int i = 0; i < K * DIM; i++) cov[i] = 0.5 + i;
    CHECK(strata_model_set_mixture(m, "diag", w, cov, K * DIM));
  } else if (strcmp(method, "ward") == 0) {
    const double z[3 * 4] = {0, 1, 0.5, 2, 2, 3, 0.75, 2, 4, 5, 1.25, 4};
    CHECK(strata_model_set_merges(m, z, 3));
    m->info.distance_threshold = 0.0;
  } else {
    double core[K * DIM];
    int32_t seg[K] = {2, 0, 1};
    for (int i = 0; i < K * DIM; i++) core[i] = 0.125 * i;
    CHECK(strata_model_set_core(m, core, seg, K));
    m->info.eps = 0.5;
    m->info.min_samples = 3;
  }
  strata_model_sync_info(m);
  return m;
}

/* Replaces loc/name by a chunked dataset of n×cols float64 never written:
 * what a few bytes of a fuzzed file can declare. */
static void hollow(hid_t f, const char *name, hsize_t n, hsize_t cols) {
  H5Ldelete(f, name, H5P_DEFAULT);
  hsize_t dims[2] = {n, cols}, chunk[2] = {n < 1024 ? n : 1024, cols ? cols : 1};
  hid_t sp = H5Screate_simple(cols ? 2 : 1, dims, NULL), pl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(pl, cols ? 2 : 1, chunk);
  hid_t d = H5Dcreate2(f, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
  CHECK(d >= 0);
  H5Dclose(d);
  H5Pclose(pl);
  H5Sclose(sp);
}

static void set_string(hid_t f, const char *name, const char *value) {
  H5Adelete(f, name);
  strata_h5_write_string(f, name, value);
}

/* A model of `method` saved to `name` with one damage. */
static const char *damaged_method(const char *name, const char *method, int kind) {
  const char *path = fx_path(name);
  strata_model *m = method_model(method);
  CHECK_OK(strata_model_save(m, path));
  strata_model_free(m);
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  hid_t g;
  switch (kind) {
    case 0: break;                                         /* as written */
    case 1: poke(f, "gmm/weights", 1, NAN); break;         /* a weight that is not a number */
    case 2: poke(f, "gmm/covariances", 5, -1.0); break;    /* a negative variance */
    case 3:                                                /* full: 48 values wanted, 12 stored */
      g = H5Gopen2(f, "gmm", H5P_DEFAULT);
      set_string(g, "covariance_type", "full");
      H5Gclose(g);
      break;
    case 4: hollow(f, "gmm/covariances", K * DIM, 0); break;       /* declared, never written */
    case 5: poke(f, "ward/distance_threshold", 0, NAN); break;
    case 6: hollow(f, "ward/linkage", (hsize_t)1 << 31, 4); break; /* 2^31 merges in a few KB */
    case 7: set_string(f, "estimator", "kmeans"); break;           /* a method's group in another's model */
    case 8: poke(f, "ward/linkage", 4 * 2 + 1, 9.0); break;        /* a merge of a cluster not yet made */
    case 9: poke(f, "dbscan/eps", 0, 1e200); break;                /* eps squared overflows */
    case 10: poke(f, "dbscan/core", 4, NAN); break;
    case 11: poke(f, "dbscan/core_segment", 0, 0.0); break;        /* segment 2 loses its only core point */
    case 12: poke(f, "dbscan/core_segment", 1, 3.0); break;        /* a segment past k */
    case 13: H5Ldelete(f, "dbscan", H5P_DEFAULT); break;           /* would assign by centroids */
    case 14: hollow(f, "dbscan/core", (hsize_t)1 << 30, DIM); break;
    case 16: poke(f, "ward/linkage", 4 * 2, 1.0); break;           /* leaf 1 merged twice: a graph, not a tree */
    default: poke(f, "dbscan/min_samples", 0, 0.0); break;
  }
  H5Fclose(f);
  return path;
}

/* The groups of the other methods: values that would assign wrongly, shapes
 * that disagree, sizes a file cannot hold (they used to be allocated as
 * declared before the read failed), a group in another method's model. */
static void test_method_groups(void) {
  static const char *const methods[] = {"gmm", "ward", "dbscan"};
  for (int i = 0; i < 3; i++) {
    char name[64];
    snprintf(name, sizeof name, "model_method_%s.h5", methods[i]);
    strata_model *back = NULL;
    CHECK_OK(strata_model_load(damaged_method(name, methods[i], 0), &back));
    if (back) CHECK(strcmp(strata_model_get_info(back)->estimator, methods[i]) == 0);
    strata_model_free(back);
  }
  expect_load_error(STRATA_ERR_FORMAT, damaged_method("model_gmm_nan_weight.h5", "gmm", 1),
                    "'gmm/weights' holds nan for segment 1");
  expect_load_error(STRATA_ERR_FORMAT, damaged_method("model_gmm_neg_var.h5", "gmm", 2),
                    "'gmm/covariances' holds the variance -1 at 5");
  expect_load_error(STRATA_ERR_FORMAT, damaged_method("model_gmm_full.h5", "gmm", 3),
                    "'covariances' does not have 48 entries");
  expect_load_error(STRATA_ERR_FORMAT, damaged_method("model_gmm_hollow.h5", "gmm", 4),
                    "'covariances' declares 12 values but stores none");
  expect_load_error(STRATA_ERR_FORMAT, damaged_method("model_ward_nan.h5", "ward", 5),
                    "'ward/distance_threshold' holds nan");
  expect_load_error(STRATA_ERR_FORMAT, damaged_method("model_ward_hollow.h5", "ward", 6),
                    "'linkage' declares 8589934592 values but stores none");
  expect_load_error(STRATA_ERR_FORMAT, damaged_method("model_ward_in_kmeans.h5", "ward", 7),
                    "a model of estimator 'kmeans' holds a 'ward' group");
  expect_load_error(STRATA_ERR_FORMAT, damaged_method("model_ward_order.h5", "ward", 8),
                    "'ward/linkage' is damaged at row 2");
  /* A report walked such a graph's paths: 63 merges each of the two before
   * it ran for ever, deaf to SIGTERM. */
  expect_load_error(STRATA_ERR_FORMAT, damaged_method("model_ward_twice.h5", "ward", 16),
                    "'ward/linkage' is damaged at row 2");
  expect_load_error(STRATA_ERR_FORMAT, damaged_method("model_dbscan_eps.h5", "dbscan", 9),
                    "model group 'dbscan' holds eps 1e+200");
  expect_load_error(STRATA_ERR_FORMAT, damaged_method("model_dbscan_nan.h5", "dbscan", 10),
                    "model group 'dbscan' is damaged at core point 1");
  expect_load_error(STRATA_ERR_FORMAT, damaged_method("model_dbscan_lost.h5", "dbscan", 11),
                    "model group 'dbscan' has no core point in segment 2");
  expect_load_error(STRATA_ERR_FORMAT, damaged_method("model_dbscan_past_k.h5", "dbscan", 12),
                    "model group 'dbscan' is damaged at core point 1");
  expect_load_error(STRATA_ERR_FORMAT, damaged_method("model_dbscan_no_group.h5", "dbscan", 13),
                    "model group 'dbscan' is missing");
  expect_load_error(STRATA_ERR_FORMAT, damaged_method("model_dbscan_hollow.h5", "dbscan", 14),
                    "'core' declares 4294967296 values but stores none");
  expect_load_error(STRATA_ERR_FORMAT, damaged_method("model_dbscan_in_kmeans.h5", "dbscan", 7),
                    "a model of estimator 'kmeans' holds a 'dbscan' group");
  expect_load_error(STRATA_ERR_FORMAT, damaged_method("model_dbscan_min_samples.h5", "dbscan", 15),
                    "min_samples 0");
}

/* The estimator kind: written as "kmeans"; a model without it is k-means. */
static void test_estimator_kind(void) {
  const char *path = fx_path("model_kind.h5");
  strata_model *m = full_model();
  CHECK(strcmp(strata_model_get_info(m)->estimator, "kmeans") == 0);
  CHECK_OK(strata_model_save(m, path));
  strata_model_free(m);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  CHECK(H5Aexists(f, "estimator") > 0);
  H5Fclose(f);
  const char *old = damaged("model_no_kind.h5", 3);
  f = H5Fopen(old, H5F_ACC_RDONLY, H5P_DEFAULT);
  CHECK(H5Aexists(f, "estimator") == 0);
  H5Fclose(f);
  strata_model *back = NULL;
  CHECK_OK(strata_model_load(old, &back));
  if (back) CHECK(strcmp(strata_model_get_info(back)->estimator, "kmeans") == 0);
  strata_model_free(back);
}

/* Two-step Ward's micro-clusters and DBSCAN's k-distance curve: saved,
 * loaded bit for bit, and a damaged file refused with the place named. */
static strata_model *method_fields_model(int kind) {
  strata_model *m = full_model();
  if (kind == 0) {
    /* 4 micro-clusters of 2, 3, 4, 5 rows: (0,1) -> 4, (2,3) -> 5, (4,5) -> 6 */
    const double z[12] = {0, 1, 1.0, 5, 2, 3, 2.0, 9, 4, 5, 3.0, 14};
    double mc[4 * DIM];
    for (int i = 0; i < 4 * DIM; i++) mc[i] = 0.5 * i - 3.0;
    const int64_t w[4] = {2, 3, 4, 5};
    strata_model_set_string(&m->estimator, "ward");
    CHECK(strata_model_set_merges(m, z, 3) && strata_model_set_micro(m, mc, w, 4));
  } else {
    /* every segment holds a core point (the loader checks it) */
    double core[3 * DIM] = {0};
    const int32_t seg[3] = {0, 2, 1};
    const double kd[3] = {0.1, 0.2, 0.5};
    strata_model_set_string(&m->estimator, "dbscan");
    CHECK(strata_model_set_core(m, core, seg, 3) && strata_model_set_kdist(m, kd, 3, 100));
    m->info.eps = 0.2;
    m->info.min_samples = 4;
  }
  strata_model_sync_info(m);
  return m;
}

static void test_method_fields(void) {
  const char *path = fx_path("model_micro.h5");
  for (int kind = 0; kind < 2; kind++) {
    strata_model *m = method_fields_model(kind), *back = NULL;
    CHECK_OK(strata_model_save(m, path));
    CHECK_OK(strata_model_load(path, &back));
    const strata_model_info *a = strata_model_get_info(m), *b = back ? strata_model_get_info(back) : NULL;
    if (b && kind == 0)
      CHECK(b->n_micro == 4 && memcmp(a->micro_centroids, b->micro_centroids, 4 * DIM * sizeof(double)) == 0 &&
            memcmp(a->micro_sizes, b->micro_sizes, 4 * sizeof(int64_t)) == 0 && b->n_kdist == 0 && !b->kdist);
    if (b && kind == 1)
      CHECK(b->n_kdist == 3 && b->kdist_sample == 100 && memcmp(a->kdist, b->kdist, 3 * sizeof(double)) == 0 &&
            b->n_micro == 0 && !b->micro_centroids && b->eps == 0.2);
    strata_model_free(back);
    static const struct { const char *dataset; hsize_t at; double v; const char *detail; } damage[2][2] = {
        {{"ward/micro_sizes", 0, 7, "does not match the micro-cluster sizes at row 0"},
         {"ward/micro_centroids", 5, NAN, "damaged at micro-cluster 1"}},
        {{"dbscan/kdist", 2, 0.01, "'dbscan/kdist' is damaged at 2"},
         {"dbscan/kdist", 0, -1.0, "'dbscan/kdist' is damaged at 0"}}};
    for (int d = 0; d < 2; d++) {
      CHECK_OK(strata_model_save(m, path));
      hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
      poke(f, damage[kind][d].dataset, damage[kind][d].at, damage[kind][d].v);
      H5Fclose(f);
      expect_load_error(STRATA_ERR_FORMAT, path, damage[kind][d].detail);
    }
    strata_model_free(m);
  }
}

static void test_save_errors(void) {
  strata_model *m = full_model();
  strata_status st = strata_model_save(m, fx_path("no_such_dir/model.h5"));
  CHECK(st == STRATA_ERR_WRITE && strstr(strata_last_error(), "No such file or directory"));

  /* A full disk, as a 4 KiB file-size limit. */
  const char *path = fx_path("model_full.h5");
  unlink(path);
  fx_clean_temp_files("model_full.h5");
  struct rlimit old, small;
  getrlimit(RLIMIT_FSIZE, &old);
  small = (struct rlimit){4096, old.rlim_max};
  void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
  setrlimit(RLIMIT_FSIZE, &small);
  st = strata_model_save(m, path);
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, old_handler);
  CHECK_MSG(st == STRATA_ERR_WRITE && strstr(strata_last_error(), "model_full.h5': File too large"), "%s: %s",
            strata_status_name(st), strata_last_error());
  CHECK(!fx_exists(path));
  CHECK(fx_temp_files("model_full.h5") == 0);
  strata_model_free(m);
}

int main(void) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  test_round_trip();
  test_write_then_commit();
  test_load_errors();
  test_estimator_kind();
  test_method_fields();
  test_method_groups();
  test_save_errors();
  return check_report();
}
