/* The estimator interface (core/estimator.h) and the fit orchestrator
 * (core/fit.h): the k-means estimator fills every slot and is found by
 * its name; driving it by hand through the slots (init, e_step, m_step,
 * the final e_step) gives strata_fit's model bit for bit; instances that
 * share passes (strata_sweep's way) give what each gives alone; params and
 * set_params round-trip. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ctx_pool.h"
#include "dataset.h"
#include "estimator.h"
#include "fit.h"
#include "model.h"
#include "fixture.h"
#include "strata.h"

enum { N = 6000, D = 3, K = 4 };

static strata_dataset *blobs(void) {
  float *x = malloc(N * D * sizeof *x);
  int32_t *truth = malloc(N * sizeof *truth);
  fixture_blobs(x, truth, N, D, K, 6.0, 11);
  free(truth);
  char **names = calloc(D, sizeof *names);
  for (int j = 0; j < D; j++) {
    names[j] = malloc(8);
    snprintf(names[j], 8, "c%d", j);
  }
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_adopt_memory(x, N, D, names, &ds));
  return ds;
}

static void test_ops_complete(void) {
  const strata_estimator_ops *o = &strata_estimator_kmeans;
  CHECK(strata_estimator_find("kmeans") == o);
  CHECK(strata_estimator_find("gmm") == &strata_estimator_gmm);
  CHECK(strata_estimator_find("spectral") == NULL && strata_estimator_find(NULL) == NULL);
  /* strata_algorithms() names every registered estimator, in order, and
   * every one is a kind the model format holds (mini-batch k-means writes
   * k-means models). */
  size_t n = 0;
  for (const char *const *a = strata_algorithms(); *a; a++, n++) {
    const strata_estimator_ops *e = strata_estimator_find(*a);
    const char *kind = e == &strata_estimator_minibatch ? "kmeans" : *a;
    CHECK(e && strcmp(e->name, *a) == 0 && strata_model_estimator_known(kind));
  }
  CHECK(n >= 1 && strcmp(strata_algorithms()[0], "kmeans") == 0);
  /* The model format (io/model.c) lists the kinds a file may name. */
  CHECK(strata_model_estimator_known(o->name));
  CHECK(strata_model_estimator_known("gmm"));
  CHECK(!strata_model_estimator_known("spectral") && !strata_model_estimator_known(NULL));
  CHECK(o->create && o->free && o->init && o->e_step && o->m_step && o->converged && o->want_reference &&
        o->result && o->reference && o->n_params && o->params && o->set_params && o->predict &&
        o->release_pass && o->describe);
}

/* Prepared as strata_fit(test_ctx(2, "ref"), ...) prepares. */
static void prepare(strata_fit_data *data, strata_dataset *ds, const strata_fit_params *p, size_t kmax) {
  CHECK_OK(strata_fit_data_check(data, test_ctx(2, "ref"), ds, p, kmax));
  strata_fit_data_opts o = {.kmax = kmax, .with_init_sample = 1, .n_init = 1};
  CHECK_OK(strata_fit_data_prepare(data, &o));
  CHECK_OK(strata_fit_data_open_pass(data));
}

static const strata_kernels *ref_kernels(size_t k) { return strata_kernels_for_shape("ref", D, k); }

/* One restart by hand through the slots equals strata_fit. */
static void test_by_hand_equals_fit(strata_dataset *ds) {
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = K;
  p.seed = 5;
  strata_model *model = NULL;
  CHECK_OK(strata_fit(test_ctx(2, "ref"), ds, &p, &model));
  if (!model) return;
  const strata_model_info *mi = strata_model_get_info(model);
  CHECK(strcmp(mi->estimator, "kmeans") == 0);

  strata_fit_data data;
  prepare(&data, ds, &p, K);
  const strata_estimator_ops *o = &strata_estimator_kmeans;
  strata_estimator_opts eo = {.k = K, .kern = ref_kernels(K), .track_labels = 1};
  strata_estimator *e = NULL;
  CHECK_OK(o->create(&data, &eo, &e));
  if (!e) goto done;
  CHECK(o->n_params(e) == K * D);
  CHECK_OK(o->init(e, &data, 0));
  strata_estep_mode mode = STRATA_ESTEP_ITERATE;
  strata_estimator_step step = {0};
  int it = 0;
  while (it < p.max_iter) {
    CHECK_OK(o->e_step(&e, 1, &mode, NULL));
    CHECK_OK(o->m_step(e, &step));
    it++;
    if (step.converged) break;
  }
  CHECK(o->converged(e) == step.converged);
  CHECK(it == mi->iterations && step.converged == mi->converged);
  CHECK(memcmp(o->params(e), mi->centroids, K * D * sizeof(double)) == 0);
  /* the final assignment, with the reference statistics */
  CHECK_OK(o->want_reference(e));
  mode = STRATA_ESTEP_FINAL;
  CHECK_OK(o->e_step(&e, 1, &mode, NULL));
  double inertia = 0.0, dist[K];
  int64_t sizes[K];
  o->result(e, &inertia, sizes);
  o->reference(e, dist);
  CHECK(inertia == mi->inertia);
  CHECK(memcmp(sizes, mi->sizes, sizeof sizes) == 0);
  CHECK(mi->train_mean_distance && memcmp(dist, mi->train_mean_distance, sizeof dist) == 0);

  /* describe writes the model's centroids from a params vector */
  strata_model *m2 = strata_model_alloc(K, D);
  CHECK_OK(o->describe(e, o->params(e), &data, m2));
  CHECK(memcmp(m2->centroids, mi->centroids, K * D * sizeof(double)) == 0);
  CHECK(memcmp(m2->centroids_original, mi->centroids_original, K * D * sizeof(double)) == 0);
  CHECK(strcmp(strata_model_get_info(m2)->estimator, "kmeans") == 0);
  strata_model_free(m2);

  /* set_params puts a vector back */
  double *saved = malloc(K * D * sizeof *saved), *zero = calloc(K * D, sizeof *zero);
  memcpy(saved, o->params(e), K * D * sizeof *saved);
  o->set_params(e, zero);
  CHECK(o->params(e)[0] == 0.0);
  o->set_params(e, saved);
  CHECK(memcmp(o->params(e), saved, K * D * sizeof *saved) == 0);
  free(saved);
  free(zero);
  o->free(e);
done:
  strata_fit_data_free(&data);
  strata_model_free(model);
}

/* Instances of k = 2, 3, 4 on shared passes end where each ends alone, and
 * their predict gives the labels of the data pass. */
static void test_shared_equals_alone(strata_dataset *ds) {
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.seed = 9;
  strata_fit_data data;
  prepare(&data, ds, &p, 4);
  const strata_estimator_ops *o = &strata_estimator_kmeans;
  enum { NJ = 3 };
  strata_fit_job shared[NJ], alone[NJ];
  memset(shared, 0, sizeof shared);
  memset(alone, 0, sizeof alone);
  for (int i = 0; i < NJ; i++) {
    strata_estimator_opts eo = {.k = (size_t)(2 + i), .kern = ref_kernels((size_t)(2 + i)), .shared = 1};
    CHECK_OK(o->create(&data, &eo, &shared[i].est));
    CHECK_OK(o->create(&data, &eo, &alone[i].est));
    CHECK_OK(o->init(shared[i].est, &data, 0));
    CHECK_OK(o->init(alone[i].est, &data, 0));
  }
  strata_fit_loop loop = {.data = &data};
  CHECK_OK(strata_fit_loop_run(&loop, shared, NJ));
  int shared_passes = loop.passes;
  int alone_passes = 0;
  for (int i = 0; i < NJ; i++) {
    loop.passes = 0;
    CHECK_OK(strata_fit_loop_run(&loop, &alone[i], 1));
    alone_passes = loop.passes > alone_passes ? loop.passes : alone_passes;
  }
  strata_fit_loop_free(&loop);
  /* each pass served every instance still running */
  CHECK(shared_passes == alone_passes);
  for (int i = 0; i < NJ; i++) {
    strata_estimator *a = shared[i].est, *b = alone[i].est;
    size_t k = a->k;
    CHECK(shared[i].state == STRATA_JOB_DONE && alone[i].state == STRATA_JOB_DONE);
    CHECK(shared[i].iterations == alone[i].iterations && shared[i].iterations > 0);
    CHECK(memcmp(o->params(a), o->params(b), k * D * sizeof(double)) == 0);
    double ia, ib;
    int64_t sa[4], sb[4];
    o->result(a, &ia, sa);
    o->result(b, &ib, sb);
    CHECK(ia == ib && memcmp(sa, sb, k * sizeof *sa) == 0);
    /* predict on the init sample: sizes add up, labels in range */
    int32_t *lab = malloc(data.sample.m * sizeof *lab);
    CHECK_OK(o->predict(a, data.sample.x, data.sample.m, lab));
    int ok = 1;
    for (size_t r = 0; r < data.sample.m; r++) ok &= lab[r] >= 0 && (size_t)lab[r] < k;
    CHECK(ok);
    free(lab);
    o->release_pass(a);
    CHECK(memcmp(o->params(a), o->params(b), k * D * sizeof(double)) == 0);
    o->free(a);
    o->free(b);
  }
  strata_fit_data_free(&data);
}

int main(void) {
  strata_dataset *ds = blobs();
  test_ops_complete();
  if (ds) {
    test_by_hand_equals_fit(ds);
    test_shared_equals_alone(ds);
  }
  strata_dataset_free(ds);
  return check_report();
}
