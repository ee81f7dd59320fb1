/* The in-memory label paths of the methods beyond k-means, against their
 * oracles, the labels files of the same calls:
 *  - strata_fit_memory: the fit's labels into arrays equal the labels file
 *    strata_fit writes (k-means, gmm, ward, dbscan; missing rows dropped,
 *    noise -1), and the model is the same bits;
 *  - strata_assign_memory for gmm and dbscan models equals strata_assign's
 *    labels file; strata_assign_memory_soft's probabilities equal
 *    strata_assign_soft's `probability` bit for bit, for several chunk sizes
 *    and thread counts; its log-likelihood on the training rows equals the
 *    model's (the same pass at the final parameters);
 *  - refusals: probabilities of a model that is not a mixture, a fit into
 *    arrays with a labels file too, NULL arguments. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "strata.h"

static char tmpdir[512];

static int read_all(const char *path, const char *name, hid_t type, void *out) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) return -1;
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  int rc = d >= 0 && H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0 ? 0 : -1;
  if (d >= 0) H5Dclose(d);
  H5Fclose(f);
  return rc;
}

static size_t differ(const void *a, const void *b, size_t n, size_t size) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) bad += memcmp((const char *)a + i * size, (const char *)b + i * size, size) != 0;
  return bad;
}

/* Blobs around `centers` centres with a few far rows (noise for dbscan),
 * NaN in every 13th row when asked. */
static float *make_data(size_t n, size_t d, int centers, int with_missing, unsigned seed) {
  float *x = malloc(n * d * sizeof *x);
  srand(seed);
  for (size_t i = 0; i < n; i++) {
    int c = rand() % centers;
    for (size_t j = 0; j < d; j++) {
      double u = (rand() + 1.0) / (RAND_MAX + 2.0), v = (rand() + 1.0) / (RAND_MAX + 2.0);
      double g = sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
      x[i * d + j] = (float)(c * 6.0 * (j % 2 ? 1.0 : -0.5) + g * (0.6 + 0.1 * (double)j));
    }
    if (i % 97 == 50)
      for (size_t j = 0; j < d; j++) x[i * d + j] = (float)(40.0 + 13.0 * (double)((i * 7 + j) % 11));
  }
  if (with_missing)
    for (size_t i = 5; i < n; i += 13) x[i * d + (i % d)] = NAN;
  return x;
}

typedef struct {
  const char *algorithm;
  strata_covariance cov;
  int k;
  double eps;
  int with_missing;
} method_case;

static void run_case(const method_case *mc, size_t n, size_t d, unsigned seed) {
  float *x = make_data(n, d, 3, mc->with_missing, seed);
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_from_memory(x, n, d, NULL, &ds));
  int gmm = strcmp(mc->algorithm, "gmm") == 0;
  char fit_labels[600], assign_labels[600], tag[128];
  snprintf(fit_labels, sizeof fit_labels, "%s/amm_fit_%u.h5", tmpdir, seed);
  snprintf(assign_labels, sizeof assign_labels, "%s/amm_assign_%u.h5", tmpdir, seed);
  snprintf(tag, sizeof tag, "%s cov=%d k=%d n=%zu d=%zu missing=%d", mc->algorithm, (int)mc->cov, mc->k, n, d,
           mc->with_missing);
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.algorithm = mc->algorithm;
  p.k = mc->k;
  p.seed = seed;
  p.covariance_type = mc->cov;
  p.eps = mc->eps;
  p.min_samples = 10; /* more than the copies of a far row: they stay noise */
  if (mc->eps > 0) p.scale = STRATA_SCALE_NONE; /* eps in the data's units */
  p.missing = mc->with_missing ? STRATA_MISSING_DROP : STRATA_MISSING_ERROR;
  p.labels_path = fit_labels;
  strata_model *m = NULL, *mm = NULL;
  CHECK_OK(strata_fit(NULL, ds, &p, &m));
  int32_t *seg_file = malloc(n * sizeof *seg_file), *seg_mem = malloc(n * sizeof *seg_mem);
  float *dist_file = malloc(n * sizeof *dist_file), *dist_mem = malloc(n * sizeof *dist_mem);
  CHECK(read_all(fit_labels, "segment", H5T_NATIVE_INT32, seg_file) == 0);
  CHECK(read_all(fit_labels, "distance", H5T_NATIVE_FLOAT, dist_file) == 0);

  /* the fit into arrays, 2 threads against the file's default */
  p.labels_path = NULL;
  strata_ctx *ctx2 = strata_ctx_new();
  CHECK_OK(strata_ctx_set_threads(ctx2, 2));
  memset(seg_mem, 0x55, n * sizeof *seg_mem);
  memset(dist_mem, 0x55, n * sizeof *dist_mem);
  CHECK_OK(strata_fit_memory(ctx2, ds, &p, seg_mem, dist_mem, &mm));
  CHECK_MSG(differ(seg_mem, seg_file, n, 4) == 0, "%s: fit_memory segments differ from the labels file on %zu rows",
            tag, differ(seg_mem, seg_file, n, 4));
  CHECK_MSG(differ(dist_mem, dist_file, n, 4) == 0, "%s: fit_memory distances differ", tag);
  if (m && mm) {
    const strata_model_info *a = strata_model_get_info(m), *b = strata_model_get_info(mm);
    CHECK_MSG(a->k == b->k && differ(a->centroids, b->centroids, (size_t)a->k * d, 8) == 0 &&
                  memcmp(&a->inertia, &b->inertia, sizeof a->inertia) == 0,
              "%s: fit_memory's model differs from fit's", tag);
  }
  size_t noise = 0, dropped = 0;
  for (size_t i = 0; i < n; i++) {
    noise += seg_file[i] == -1;
    if (mc->with_missing && i >= 5 && (i - 5) % 13 == 0) dropped += seg_file[i] == -1 && isnan(dist_file[i]);
  }
  if (mc->with_missing) CHECK_MSG(dropped == (n - 5 + 12) / 13, "%s: dropped rows are -1/NaN", tag);
  if (mc->eps > 0) CHECK_MSG(noise > dropped, "%s: the far rows are noise (%zu -1 labels)", tag, noise);

  /* assign: labels file (with probabilities for a mixture) vs arrays */
  int k = m ? strata_model_get_info(m)->k : 1;
  int64_t *sizes_file = calloc((size_t)k, sizeof *sizes_file), *sizes_mem = calloc((size_t)k, sizeof *sizes_mem);
  float *prob_file = malloc(n * (size_t)k * sizeof *prob_file), *prob_mem = malloc(n * (size_t)k * sizeof *prob_mem);
  double inertia_file = 0.0, inertia_mem = -1.0, ll = 0.0;
  if (m) {
    if (gmm)
      CHECK_OK(strata_assign_soft(NULL, m, ds, assign_labels, 0, &inertia_file, sizes_file));
    else
      CHECK_OK(strata_assign(NULL, m, ds, assign_labels, 0, &inertia_file, sizes_file));
    CHECK(read_all(assign_labels, "segment", H5T_NATIVE_INT32, seg_file) == 0);
    CHECK(read_all(assign_labels, "distance", H5T_NATIVE_FLOAT, dist_file) == 0);
    if (gmm) CHECK(read_all(assign_labels, "probability", H5T_NATIVE_FLOAT, prob_file) == 0);
    size_t chunks[] = {0, 333, 5000};
    int threads[] = {1, 3};
    for (size_t c = 0; c < 3; c++)
      for (size_t t = 0; t < 2; t++) {
        strata_ctx *ctx = strata_ctx_new();
        CHECK_OK(strata_ctx_set_threads(ctx, threads[t]));
        memset(seg_mem, 0x55, n * sizeof *seg_mem);
        memset(dist_mem, 0x55, n * sizeof *dist_mem);
        memset(prob_mem, 0x55, n * (size_t)k * sizeof *prob_mem);
        if (gmm)
          CHECK_OK(strata_assign_memory_soft(ctx, m, ds, chunks[c], seg_mem, dist_mem, prob_mem, &ll, &inertia_mem,
                                             sizes_mem));
        else
          CHECK_OK(strata_assign_memory(ctx, m, ds, chunks[c], seg_mem, dist_mem, &inertia_mem, sizes_mem));
        CHECK_MSG(differ(seg_mem, seg_file, n, 4) == 0, "%s chunk=%zu threads=%d: %zu segments differ", tag,
                  chunks[c], threads[t], differ(seg_mem, seg_file, n, 4));
        CHECK_MSG(differ(dist_mem, dist_file, n, 4) == 0, "%s chunk=%zu: distances differ", tag, chunks[c]);
        if (gmm) {
          CHECK_MSG(differ(prob_mem, prob_file, n * (size_t)k, 4) == 0, "%s chunk=%zu threads=%d: probabilities "
                    "differ", tag, chunks[c], threads[t]);
          /* the training rows at the final parameters: the model's number */
          CHECK_MSG(memcmp(&ll, &strata_model_get_info(m)->log_likelihood, sizeof ll) == 0,
                    "%s: log-likelihood %.17g vs the model's %.17g", tag, ll,
                    strata_model_get_info(m)->log_likelihood);
        }
        CHECK(memcmp(&inertia_mem, &inertia_file, sizeof inertia_mem) == 0);
        CHECK(differ(sizes_mem, sizes_file, (size_t)k, sizeof *sizes_mem) == 0);
        strata_ctx_free(ctx);
      }
    if (gmm) {
      /* probabilities sum to 1 (float32), NaN on dropped rows; hard labels
       * their arg max; without probabilities the labels are the same */
      size_t bad = 0;
      for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        int best = 0;
        for (int c = 0; c < k; c++) {
          s += prob_mem[i * (size_t)k + (size_t)c];
          if (prob_mem[i * (size_t)k + (size_t)c] > prob_mem[i * (size_t)k + (size_t)best]) best = c;
        }
        if (seg_mem[i] < 0)
          bad += !isnan(s);
        else
          bad += fabs(s - 1.0) > 1e-5 || prob_mem[i * (size_t)k + (size_t)seg_mem[i]] != prob_mem[i * (size_t)k + (size_t)best];
      }
      CHECK_MSG(bad == 0, "%s: %zu rows whose probabilities do not sum to 1 or miss their label", tag, bad);
      memset(seg_mem, 0x55, n * sizeof *seg_mem);
      CHECK_OK(strata_assign_memory_soft(NULL, m, ds, 0, seg_mem, NULL, NULL, NULL, NULL, NULL));
      CHECK(differ(seg_mem, seg_file, n, 4) == 0);
      memset(seg_mem, 0x55, n * sizeof *seg_mem);
      CHECK_OK(strata_assign_memory(NULL, m, ds, 0, seg_mem, NULL, NULL, NULL));
      CHECK(differ(seg_mem, seg_file, n, 4) == 0);
    } else {
      CHECK(strata_assign_memory_soft(NULL, m, ds, 0, seg_mem, NULL, prob_mem, &ll, NULL, NULL) ==
            STRATA_ERR_USAGE);
      CHECK(strata_last_error() && strstr(strata_last_error(), "Gaussian mixture"));
    }
  }
  /* refusals */
  p.labels_path = fit_labels;
  strata_model *none = NULL;
  CHECK(strata_fit_memory(NULL, ds, &p, seg_mem, NULL, &none) == STRATA_ERR_USAGE && !none);
  p.labels_path = NULL;
  CHECK(strata_fit_memory(NULL, ds, &p, NULL, NULL, &none) == STRATA_ERR_USAGE && !none);
  CHECK(strata_assign_memory_soft(NULL, m, ds, 0, NULL, NULL, prob_mem, NULL, NULL, NULL) == STRATA_ERR_USAGE);

  remove(fit_labels);
  remove(assign_labels);
  strata_ctx_free(ctx2);
  free(seg_file); free(seg_mem); free(dist_file); free(dist_mem); free(prob_file); free(prob_mem);
  free(sizes_file); free(sizes_mem);
  strata_model_free(m);
  strata_model_free(mm);
  strata_dataset_free(ds);
  free(x);
}

int main(void) {
  const char *t = getenv("STRATA_TEST_TMP");
  snprintf(tmpdir, sizeof tmpdir, "%s", t && *t ? t : "/tmp");
  method_case cases[] = {
      {"kmeans", STRATA_COV_FULL, 4, 0.0, 0},
      {"gmm", STRATA_COV_FULL, 3, 0.0, 0},
      {"gmm", STRATA_COV_TIED, 3, 0.0, 1},
      {"gmm", STRATA_COV_DIAG, 2, 0.0, 0},
      {"gmm", STRATA_COV_SPHERICAL, 4, 0.0, 1},
      {"ward", STRATA_COV_FULL, 3, 0.0, 1},
      {"dbscan", STRATA_COV_FULL, 1, 0.6, 0},
      {"dbscan", STRATA_COV_FULL, 1, 0.5, 1},
  };
  /* over two 4096-row blocks, d not a vector width; Ward (O(n²)) smaller */
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    run_case(&cases[i], strcmp(cases[i].algorithm, "ward") == 0 ? 2003 : i % 2 ? 9001 : 4099, 2 + i % 4,
             (unsigned)(11 + i));
  return check_report();
}
