/* strata_ctx: the defaults, the setters' checks, and that threads, the log
 * sink, cancellation and the backend reach the calls that take the context
 * (and only those: two contexts in one process do not see each other). */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ctx.h"
#include "fixture.h"

enum { N = 3000, D = 4, K = 3 };

typedef struct {
  int warnings, infos;
  char last[512];
} sink_count;

static void count_sink(strata_log_level level, const char *msg, void *user) {
  sink_count *c = user;
  if (level == STRATA_LOG_WARN) c->warnings++;
  if (level == STRATA_LOG_INFO) c->infos++;
  snprintf(c->last, sizeof c->last, "%s", msg);
}

/* Blobs in columns 0..2; column 3 constant, so that a fit warns. */
static strata_dataset *blobs(void) {
  static float x[N * D];
  static int32_t truth[N];
  fixture_blobs(x, truth, N, D, K, 30.0, 11);
  for (size_t i = 0; i < N; i++) x[i * D + 3] = 7.0f;
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_from_memory(x, N, D, NULL, &ds));
  return ds;
}

static void test_defaults_and_setters(void) {
  CHECK(strata_ctx_threads(NULL) == 0);
  CHECK(strcmp(strata_ctx_backend(NULL), "auto") == 0);
  CHECK(strata_ctx_comm(NULL) == NULL);
  CHECK(!strata_ctx_cancelled(NULL));
  strata_ctx *c = strata_ctx_new();
  CHECK(c != NULL);
  if (!c) return;
  CHECK(strata_ctx_threads(c) == 0 && strcmp(strata_ctx_backend(c), "auto") == 0 && !strata_ctx_cancelled(c));
  CHECK(strata_ctx_set_threads(c, -1) == STRATA_ERR_USAGE && strata_ctx_threads(c) == 0);
  CHECK_OK(strata_ctx_set_threads(c, 3));
  CHECK(strata_ctx_threads(c) == 3);
  char longname[200];
  memset(longname, 'x', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  CHECK(strata_ctx_set_backend(c, longname) == STRATA_ERR_USAGE && strcmp(strata_ctx_backend(c), "auto") == 0);
  CHECK_OK(strata_ctx_set_backend(c, "ref"));
  CHECK(strcmp(strata_ctx_backend(c), "ref") == 0);
  CHECK_OK(strata_ctx_set_backend(c, NULL));
  CHECK(strcmp(strata_ctx_backend(c), "auto") == 0);
  const strata_comm *fake = (const strata_comm *)&longname;
  strata_ctx_set_comm(c, fake);
  CHECK(strata_ctx_comm(c) == fake);
  /* A derived context keeps the settings, takes its own thread count and
   * is cancelled with its parent, not the other way round. */
  strata_ctx sub;
  strata_ctx_derive(c, 1, &sub);
  CHECK(strata_ctx_threads(&sub) == 1 && strata_ctx_comm(&sub) == fake);
  strata_ctx_cancel(&sub);
  CHECK(strata_ctx_cancelled(&sub) && !strata_ctx_cancelled(c));
  strata_ctx sub2;
  strata_ctx_derive(c, 1, &sub2);
  strata_ctx_cancel(c);
  CHECK(strata_ctx_cancelled(&sub2) && strata_ctx_cancelled(c));
  strata_ctx_free(c);
  strata_ctx_free(NULL);
}

/* Each context's messages reach its own sink, at its own level. */
static void test_log_sinks(strata_dataset *ds) {
  strata_ctx *a = strata_ctx_new(), *b = strata_ctx_new();
  sink_count ca, cb;
  memset(&ca, 0, sizeof ca);
  memset(&cb, 0, sizeof cb);
  strata_ctx_set_log(a, count_sink, &ca, STRATA_LOG_WARN);
  strata_ctx_set_log(b, count_sink, &cb, STRATA_LOG_INFO);
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = K;
  strata_model *m = NULL;
  CHECK_OK(strata_fit(a, ds, &p, &m));
  strata_model_free(m);
  CHECK_MSG(ca.warnings >= 1 && strstr(ca.last, "constant") != NULL, "a: %d warnings, last '%s'", ca.warnings,
            ca.last);
  CHECK_MSG(ca.infos == 0, "a logs at WARN but got %d info messages", ca.infos);
  CHECK(cb.warnings == 0 && cb.infos == 0);
  int a_before = ca.warnings;
  m = NULL;
  CHECK_OK(strata_fit(b, ds, &p, &m));
  strata_model_free(m);
  CHECK(ca.warnings == a_before);
  CHECK_MSG(cb.warnings >= 1 && cb.infos >= 1, "b: %d warnings, %d infos", cb.warnings, cb.infos);
  strata_ctx_free(a);
  strata_ctx_free(b);
}

static void cancel_at_iteration(const strata_progress *pr, void *user) {
  if (pr->stage == STRATA_STAGE_ITER && pr->iteration == 1) strata_ctx_cancel(user);
}

/* A cancelled context stops its call with STRATA_ERR_CANCELLED and leaves
 * no output; another context is not affected. */
static void test_cancel(strata_dataset *ds) {
  const char *model = fixture_path("context_model.h5"), *labels = fixture_path("context_labels.h5");
  unlink(model);
  unlink(labels);
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = K;
  p.tol = 0.0;
  p.max_iter = 50;
  p.model_path = model;
  p.labels_path = labels;
  strata_ctx *c = strata_ctx_new();
  strata_ctx_set_log(c, NULL, NULL, STRATA_LOG_ERROR);
  strata_ctx_cancel(c);
  strata_model *m = NULL;
  CHECK(strata_fit(c, ds, &p, &m) == STRATA_ERR_CANCELLED && m == NULL);
  CHECK(access(model, F_OK) != 0 && access(labels, F_OK) != 0);
  strata_ctx_free(c);

  /* Mid-fit, from the progress callback (as a signal handler would). */
  c = strata_ctx_new();
  strata_ctx_set_log(c, NULL, NULL, STRATA_LOG_ERROR);
  p.progress = cancel_at_iteration;
  p.progress_user = c;
  CHECK(strata_fit(c, ds, &p, &m) == STRATA_ERR_CANCELLED && m == NULL);
  CHECK(strstr(strata_last_error(), "cancel") != NULL);
  CHECK(access(model, F_OK) != 0 && access(labels, F_OK) != 0);
  /* Still cancelled: never cleared. */
  p.progress = NULL;
  CHECK(strata_fit(c, ds, &p, &m) == STRATA_ERR_CANCELLED);
  strata_ctx_free(c);

  strata_ctx *other = strata_ctx_new();
  strata_ctx_set_log(other, NULL, NULL, STRATA_LOG_ERROR);
  CHECK_OK(strata_fit(other, ds, &p, &m));
  CHECK(access(model, F_OK) == 0 && access(labels, F_OK) == 0);
  strata_model_free(m);
  strata_ctx_free(other);
  unlink(model);
  unlink(labels);

  /* The other passes poll the same flag. */
  strata_ctx *s = strata_ctx_new();
  strata_ctx_cancel(s);
  strata_column_stats st[D];
  CHECK(strata_dataset_stats(s, ds, 0, st) == STRATA_ERR_CANCELLED);
  strata_pca *pca = NULL;
  CHECK(strata_pca_fit(s, ds, NULL, &pca) == STRATA_ERR_CANCELLED && pca == NULL);
  strata_ctx_free(s);
}

/* The backend comes from the context: checked before the data is read,
 * recorded in the model; threads change nothing in the result. */
static void test_backend_and_threads(strata_dataset *ds) {
  strata_ctx *c = strata_ctx_new();
  strata_ctx_set_log(c, NULL, NULL, STRATA_LOG_ERROR);
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = K;
  strata_model *m = NULL;
  CHECK_OK(strata_ctx_set_backend(c, "nonsense"));
  CHECK(strata_fit(c, ds, &p, &m) == STRATA_ERR_USAGE && m == NULL);
  CHECK(strstr(strata_last_error(), "nonsense") != NULL);
  CHECK_OK(strata_ctx_set_backend(c, "ref"));
  CHECK_OK(strata_ctx_set_threads(c, 1));
  strata_model *one = NULL, *two = NULL;
  CHECK_OK(strata_fit(c, ds, &p, &one));
  CHECK_OK(strata_ctx_set_threads(c, 2));
  CHECK_OK(strata_fit(c, ds, &p, &two));
  if (one && two) {
    const strata_model_info *a = strata_model_get_info(one), *b = strata_model_get_info(two);
    CHECK(strcmp(a->backend, "ref") == 0);
    CHECK(memcmp(a->centroids, b->centroids, (size_t)K * D * sizeof(double)) == 0);
    CHECK(memcmp(&a->inertia, &b->inertia, sizeof a->inertia) == 0);
  }
  strata_model_free(one);
  strata_model_free(two);
  strata_ctx_free(c);
}

int main(void) {
  test_defaults_and_setters();
  strata_dataset *ds = blobs();
  if (ds) {
    test_log_sinks(ds);
    test_cancel(ds);
    test_backend_and_threads(ds);
  }
  strata_dataset_free(ds);
  return check_report();
}
