/* k-means end to end through the public API: hand-checked answers, the
 * empty-cluster rule, planted clusters, determinism, restarts, edge cases. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ctx_pool.h"
#include "fixture.h"

/* Fits with `threads` threads (0 = all). */
static strata_model *fit_file_threads(const char *path, strata_fit_params *p, int threads) {
  strata_dataset *ds = NULL;
  strata_model *m = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));
  if (!ds) return NULL;
  strata_status st = strata_fit(test_ctx(threads, NULL), ds, p, &m);
  CHECK_MSG(st == STRATA_OK, "%s: %s", strata_status_name(st), strata_last_error());
  strata_dataset_free(ds);
  return m;
}

static strata_model *fit_file(const char *path, strata_fit_params *p) { return fit_file_threads(path, p, 0); }

static strata_status fit_status(const char *path, strata_fit_params *p) {
  strata_dataset *ds = NULL;
  strata_model *m = NULL;
  strata_status st = strata_dataset_open(path, NULL, NULL, 0, &ds);
  if (st == STRATA_OK) st = strata_fit(NULL, ds, p, &m);
  strata_model_free(m);
  strata_dataset_free(ds);
  return st;
}

/* Points 0 1 2 10 11 and centres 1, 100, 10.5: centre 100 gets nobody.
 * The farthest rows from their centres are rows 0 and 2 (distance² 1);
 * the tie goes to row 0, so centre 1 becomes 0 and centre 0 becomes
 * mean(1, 2) = 1.5. */
static void test_empty_cluster_rule(void) {
  float x[] = {0, 1, 2, 10, 11};
  const char *path = fixture_path("km_empty.h5");
  CHECK(fixture_write_columns(path, NULL, 5, 1, x, 2) == 0);
  double init[] = {1, 100, 10.5};
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = 3;
  p.scale = STRATA_SCALE_NONE;
  p.init = STRATA_INIT_GIVEN;
  p.init_centroids = init;
  p.max_iter = 1;
  strata_model *m = fit_file(path, &p);
  if (!m) return;
  const strata_model_info *mi = strata_model_get_info(m);
  CHECK(mi->centroids[0] == 1.5 && mi->centroids[1] == 0.0 && mi->centroids[2] == 10.5);
  CHECK(mi->iterations == 1);
  strata_model_free(m);

  p.max_iter = 100;
  m = fit_file(path, &p);
  if (!m) return;
  mi = strata_model_get_info(m);
  CHECK(mi->centroids[0] == 1.5 && mi->centroids[1] == 0.0 && mi->centroids[2] == 10.5);
  CHECK(mi->converged == 1);
  CHECK(mi->inertia == 1.0); /* 0 + .25 + .25 + .25 + .25 */
  CHECK(mi->sizes[0] == 2 && mi->sizes[1] == 1 && mi->sizes[2] == 2);
  CHECK(mi->centroids_original[0] == 1.5);
  strata_model_free(m);
}

/* Two pairs of points: the answer is their midpoints. */
static void test_hand_checked(void) {
  float x[] = {0, 0, 0, 2, 10, 0, 10, 2, 0, 1};
  const char *path = fixture_path("km_tiny.h5");
  CHECK(fixture_write_columns(path, NULL, 5, 2, x, 4) == 0);
  double init[] = {1, 1, 9, 1};
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = 2;
  p.scale = STRATA_SCALE_NONE;
  p.init = STRATA_INIT_GIVEN;
  p.init_centroids = init;
  strata_model *m = fit_file(path, &p);
  if (!m) return;
  const strata_model_info *mi = strata_model_get_info(m);
  CHECK(mi->centroids[0] == 0.0 && mi->centroids[1] == 1.0);
  CHECK(mi->centroids[2] == 10.0 && mi->centroids[3] == 1.0);
  CHECK(mi->inertia == 4.0);
  CHECK(mi->sizes[0] == 3 && mi->sizes[1] == 2);
  CHECK(mi->rows == 5 && mi->converged);
  CHECK(mi->n_iter_stats == mi->iterations && mi->iter_stats[0].relocations == 5);
  strata_model_free(m);
}

/* The per-row label store is 1, 2 or 4 bytes wide by k: relocations count
 * every row in the first iteration and reach 0 exactly when the labels stop
 * moving (strict convergence), at each width. */
static void test_relocation_widths(void) {
  size_t n = 3000, d = 2;
  float *x = malloc(n * d * sizeof *x);
  fixture_blobs(x, NULL, n, d, 40, 30.0, 11);
  const char *path = fixture_path("km_widths.h5");
  CHECK(fixture_write_columns(path, NULL, n, d, x, 1000) == 0);
  static const int ks[] = {7, 254, 255, 300};
  for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
    strata_fit_params p;
    strata_fit_params_init(&p);
    p.k = ks[t];
    p.tol = 0;
    p.max_iter = 1000;
    strata_model *m = fit_file(path, &p);
    if (!m) continue;
    const strata_model_info *mi = strata_model_get_info(m);
    CHECK(mi->converged && mi->n_iter_stats == mi->iterations);
    CHECK_MSG(mi->iter_stats[0].relocations == (int64_t)n, "k=%d: first iteration moved %lld rows", ks[t],
              (long long)mi->iter_stats[0].relocations);
    CHECK_MSG(mi->iter_stats[mi->iterations - 1].relocations == 0, "k=%d: last iteration moved %lld rows",
              ks[t], (long long)mi->iter_stats[mi->iterations - 1].relocations);
    for (int i = 1; i + 1 < mi->iterations; i++) CHECK(mi->iter_stats[i].relocations > 0);
    strata_model_free(m);
  }
  remove(path);
  free(x);
}

static void test_planted_and_determinism(void) {
  size_t n = 30011, d = 5, k = 6;
  float *x = malloc(n * d * sizeof *x);
  int32_t *truth = malloc(n * sizeof *truth), *lab = malloc(n * sizeof *lab);
  fixture_blobs(x, truth, n, d, k, 60.0, 3);
  const char *path = fixture_path("km_blobs.h5");
  CHECK(fixture_write_columns(path, NULL, n, d, x, 1000) == 0);
  const char *labels = fixture_path("km_blobs_labels.h5");
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = (int)k;
  p.seed = 42;
  p.n_init = 3;
  p.labels_path = labels;
  p.chunk_rows = 4096;
  strata_model *ref = fit_file_threads(path, &p, 1);
  if (!ref) goto out;
  CHECK(fixture_read(labels, "segment", H5T_NATIVE_INT32, lab) == 0);
  double ari = fixture_ari(truth, lab, n, (int)k, (int)k);
  CHECK_MSG(ari >= 0.99, "ARI %.4f", ari);
  const strata_model_info *a = strata_model_get_info(ref);
  CHECK(a->converged);

  /* threads × chunk sizes × in-core/streaming: bit-identical models */
  int threads[] = {1, 2, 2, 2};
  size_t chunks[] = {12288, 4096, 20000, 0};
  int streaming[] = {1, 0, 1, 0};
  for (int v = 0; v < 4; v++) {
    p.chunk_rows = chunks[v];
    p.streaming = streaming[v];
    p.labels_path = NULL;
    strata_model *m = fit_file_threads(path, &p, threads[v]);
    if (!m) continue;
    const strata_model_info *b = strata_model_get_info(m);
    CHECK_MSG(memcmp(a->centroids, b->centroids, k * d * sizeof(double)) == 0,
              "variant %d: centroids differ", v);
    CHECK_MSG(memcmp(&a->inertia, &b->inertia, sizeof(double)) == 0, "variant %d: %.17g vs %.17g",
              v, a->inertia, b->inertia);
    CHECK(a->iterations == b->iterations && a->best_init == b->best_init);
    CHECK(strcmp(b->mode, streaming[v] ? "streaming" : "in-core") == 0);
    strata_model_free(m);
  }

  /* assign on the training data reproduces fit's labels exactly */
  const char *labels2 = fixture_path("km_blobs_assign.h5");
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));
  double inertia = 0;
  int64_t sizes[6];
  CHECK_OK(strata_assign(test_ctx(2, NULL), ref, ds, labels2, 0, &inertia, sizes));
  strata_dataset_free(ds);
  int32_t *lab2 = malloc(n * sizeof *lab2);
  CHECK(fixture_read(labels2, "segment", H5T_NATIVE_INT32, lab2) == 0);
  CHECK(memcmp(lab, lab2, n * sizeof *lab) == 0);
  CHECK(memcmp(sizes, a->sizes, sizeof sizes) == 0);
  CHECK_NEAR(inertia, a->inertia, 1e-12);
  free(lab2);
  strata_model_free(ref);
out:
  free(x); free(truth); free(lab);
}

static void test_edges(void) {
  /* k = 1: the mean */
  float x[] = {1, 2, 3, 4, 4, 4};
  const char *path = fixture_path("km_edges.h5");
  CHECK(fixture_write_columns(path, NULL, 6, 1, x, 4) == 0);
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = 1;
  p.scale = STRATA_SCALE_NONE;
  strata_model *m = fit_file(path, &p);
  if (m) {
    CHECK(strata_model_get_info(m)->centroids[0] == 3.0);
    strata_model_free(m);
  }
  /* k = number of distinct rows = 4 with k-means++: every centre a point, inertia 0 */
  p.k = 4;
  m = fit_file(path, &p);
  if (m) {
    CHECK(strata_model_get_info(m)->inertia == 0.0);
    strata_model_free(m);
  }
  /* fewer distinct rows than k is an error that says so */
  p.k = 5;
  CHECK(fit_status(path, &p) == STRATA_ERR_DATA);
  CHECK(strstr(strata_last_error(), "4 distinct") != NULL);
  p.init = STRATA_INIT_RANDOM;
  CHECK(fit_status(path, &p) == STRATA_ERR_DATA);
  /* k = n with duplicates still fails; k > n names the row count */
  p.k = 7;
  CHECK(fit_status(path, &p) == STRATA_ERR_DATA);
  CHECK(strstr(strata_last_error(), "exceeds") != NULL);
  p.k = 0;
  CHECK(fit_status(path, &p) == STRATA_ERR_USAGE);
  /* k = n on distinct rows */
  float y[] = {5, 1, 3, 9};
  const char *path2 = fixture_path("km_kn.h5");
  CHECK(fixture_write_columns(path2, NULL, 4, 1, y, 4) == 0);
  p.k = 4;
  p.init = STRATA_INIT_KMEANSPP;
  m = fit_file(path2, &p);
  if (m) {
    const strata_model_info *mi = strata_model_get_info(m);
    CHECK(mi->inertia == 0.0);
    for (int c = 0; c < 4; c++) CHECK(mi->sizes[c] == 1);
    strata_model_free(m);
  }
  /* empty dataset */
  const char *path3 = fixture_path("km_empty_ds.h5");
  CHECK(fixture_write_columns(path3, NULL, 0, 2, y, 4) == 0);
  p.k = 1;
  CHECK(fit_status(path3, &p) == STRATA_ERR_DATA);
  CHECK(strstr(strata_last_error(), "empty") != NULL);
  /* NaN: error names column and row; drop and mean work */
  float z[] = {1, 1, 2, NAN, 3, 3, 4, 4};
  const char *path4 = fixture_path("km_nan.h5");
  CHECK(fixture_write_columns(path4, NULL, 4, 2, z, 4) == 0);
  p.k = 2;
  p.missing = STRATA_MISSING_ERROR;
  CHECK(fit_status(path4, &p) == STRATA_ERR_DATA);
  CHECK(strstr(strata_last_error(), "'x1'") && strstr(strata_last_error(), "row 1"));
  p.missing = STRATA_MISSING_DROP;
  m = fit_file(path4, &p);
  if (m) {
    const strata_model_info *mi = strata_model_get_info(m);
    CHECK(mi->rows == 3 && mi->rows_dropped == 1);
    CHECK(mi->sizes[0] + mi->sizes[1] == 3);
    strata_model_free(m);
  }
  p.missing = STRATA_MISSING_MEAN;
  m = fit_file(path4, &p);
  if (m) {
    CHECK(strata_model_get_info(m)->rows == 4);
    strata_model_free(m);
  }
}

/* Same seed, same model; another seed may differ; restarts keep the best. */
static void test_seed_and_restarts(void) {
  size_t n = 5000, d = 3, k = 8;
  float *x = malloc(n * d * sizeof *x);
  fixture_blobs(x, NULL, n, d, k, 4.0, 9); /* overlapping: local minima differ */
  const char *path = fixture_path("km_seed.h5");
  CHECK(fixture_write_columns(path, NULL, n, d, x, 777) == 0);
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = (int)k;
  p.seed = 5;
  p.init = STRATA_INIT_RANDOM;
  double single_best = INFINITY;
  strata_model *a = fit_file(path, &p);
  strata_model *b = fit_file(path, &p);
  if (a && b) {
    CHECK(memcmp(strata_model_get_info(a)->centroids, strata_model_get_info(b)->centroids,
                 k * d * sizeof(double)) == 0);
    single_best = strata_model_get_info(a)->inertia;
  }
  p.n_init = 5;
  strata_model *c = fit_file(path, &p);
  if (c) {
    CHECK(strata_model_get_info(c)->inertia <= single_best);
    CHECK(strata_model_get_info(c)->n_init == 5);
  }
  strata_model_free(a); strata_model_free(b); strata_model_free(c);
  free(x);
}

/* Checkpoint and resume through the API: a progress callback asks for the
 * checkpoint at iteration `iter` of restart `run` (the boundary right after
 * it), the fit stops with STRATA_STOPPED, and a resume with another thread
 * count and chunk size gives the uninterrupted model bit for bit. */
typedef struct {
  strata_ctx *ctx;
  int run, iter;
} stop_at;

static void ask_checkpoint(const strata_progress *pr, void *user) {
  const stop_at *s = user;
  if (pr->stage == STRATA_STAGE_ITER && pr->run == s->run && pr->iteration == s->iter)
    strata_ctx_request_checkpoint(s->ctx);
}

/* On the CPU table: "auto" would measure devices on every fit. */
static strata_model *fit_ckpt(const char *path, strata_fit_params *p, int threads) {
  strata_dataset *ds = NULL;
  strata_model *m = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));
  if (!ds) return NULL;
  strata_status st = strata_fit(test_ctx(threads, "cpu"), ds, p, &m);
  CHECK_MSG(st == STRATA_OK, "%s: %s", strata_status_name(st), strata_last_error());
  strata_dataset_free(ds);
  return m;
}

static void test_checkpoint_resume(void) {
  size_t n = 12007, d = 4, k = 7; /* below the automatic init sample: every row is in it */
  float *x = malloc(n * d * sizeof *x);
  int32_t *truth = malloc(n * sizeof *truth);
  /* Close blobs: several iterations per restart. */
  fixture_blobs(x, truth, n, d, 5, 3.0, 11);
  const char *path = fixture_path("km_ckpt.h5"), *ck = fixture_path("km_ckpt.ckpt");
  CHECK(fixture_write_columns(path, NULL, n, d, x, 1000) == 0);
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = (int)k;
  p.seed = 9;
  p.n_init = 3;
  p.tol = 0;
  p.max_iter = 12;
  strata_model *ref = fit_ckpt(path, &p, 2);
  if (!ref) goto out;
  const strata_model_info *a = strata_model_get_info(ref);
  CHECK(a->resumed_iteration == 0);
  int stops[][2] = {{0, 1}, {0, 5}, {1, 3}, {2, 2}};
  for (int s = 0; s < 4; s++) {
    strata_ctx *ctx = strata_ctx_new();
    CHECK_OK(strata_ctx_set_backend(ctx, "cpu"));
    stop_at at = {ctx, stops[s][0], stops[s][1]};
    strata_fit_params q = p;
    q.checkpoint_path = ck;
    q.progress = ask_checkpoint;
    q.progress_user = &at;
    strata_dataset *ds = NULL;
    strata_model *m = NULL;
    CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));
    strata_status st = strata_fit(ctx, ds, &q, &m);
    CHECK_MSG(st == STRATA_STOPPED && !m, "stop %d: %s", s, strata_status_name(st));
    CHECK(strata_status_exit_code(st) == 75);
    strata_dataset_free(ds);
    strata_ctx_free(ctx);
    q = p;
    q.resume_path = ck;
    q.chunk_rows = 4096;
    m = fit_ckpt(path, &q, 1);
    if (!m) continue;
    const strata_model_info *b = strata_model_get_info(m);
    CHECK_MSG(b->resumed_run == stops[s][0] && b->resumed_iteration == stops[s][1], "stop %d: resumed at %d/%d", s,
              b->resumed_run, b->resumed_iteration);
    CHECK_MSG(memcmp(a->centroids, b->centroids, k * d * sizeof(double)) == 0, "stop %d: centroids differ", s);
    CHECK(memcmp(&a->inertia, &b->inertia, sizeof(double)) == 0 && memcmp(a->sizes, b->sizes, k * sizeof(int64_t)) == 0);
    CHECK(a->iterations == b->iterations && a->best_init == b->best_init && a->converged == b->converged);
    for (int i = 0; i < a->n_iter_stats && i < b->n_iter_stats; i++)
      CHECK_MSG(a->iter_stats[i].inertia == b->iter_stats[i].inertia &&
                a->iter_stats[i].relocations == b->iter_stats[i].relocations, "stop %d: iteration %d differs", s, i);
    strata_model_free(m);
  }
  /* Periodic saves of a fit that completes: the file is gone at the end. */
  strata_fit_params q = p;
  q.checkpoint_path = ck;
  q.checkpoint_every = 2;
  strata_model *m = fit_ckpt(path, &q, 2);
  CHECK(m && access(ck, F_OK) != 0);
  if (m) CHECK(memcmp(a->centroids, strata_model_get_info(m)->centroids, k * d * sizeof(double)) == 0);
  strata_model_free(m);
  /* Refused: other parameters, another estimator. */
  q = p;
  q.resume_path = ck;
  CHECK(fit_status(path, &q) == STRATA_ERR_NOT_FOUND);
  q.algorithm = "gmm";
  CHECK(fit_status(path, &q) == STRATA_ERR_USAGE);
  strata_model_free(ref);
out:
  free(x); free(truth);
}

int main(void) {
  test_hand_checked();
  test_relocation_widths();
  test_empty_cluster_rule();
  test_edges();
  test_seed_and_restarts();
  test_planted_and_determinism();
  test_checkpoint_resume();
  return check_report();
}
