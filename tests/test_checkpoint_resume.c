/* Resume checks that must not refuse a real checkpoint (core/fit.c
 * resume_run): a fit from given centroids far outside the data, stopped
 * after its first and after its second iteration, resumes to the model of
 * the uninterrupted fit, bit for bit.  After the first iteration the
 * previous centres are the given ones, outside the data's range; the
 * running centres are means of rows, within it.  (The refusals of damaged
 * checkpoints are the fuzz harness's: tests/fuzz/fuzz_checkpoint.c and
 * tests/fuzz/regressions_checkpoint/.) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"

enum { N = 3000, D = 2, K = 3 };

typedef struct {
  strata_ctx *ctx;
  int iteration;
} stop_at;

static void request(const strata_progress *pr, void *user) {
  stop_at *s = user;
  if (pr->stage == STRATA_STAGE_ITER && pr->run == 0 && pr->iteration == s->iteration)
    strata_ctx_request_checkpoint(s->ctx);
}

int main(void) {
  static float x[N * D];
  uint64_t seed = 17;
  for (size_t i = 0; i < N; i++)
    for (size_t j = 0; j < D; j++) x[i * D + j] = (float)(fixture_normal(&seed) + (double)(i % K) * 4.0);
  const char *names[D] = {"a", "b"};
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_from_memory(x, N, D, names, &ds));
  /* original units: the data lie within about [-4, 13] */
  const double init[K * D] = {-1e6, 0.0, 0.0, 1e6, 1e6, 1e6};

  strata_fit_params base;
  strata_fit_params_init(&base);
  base.k = K;
  base.init = STRATA_INIT_GIVEN;
  base.init_centroids = init;
  base.tol = 0.0;
  base.max_iter = 30;
  strata_model *whole = NULL;
  CHECK_OK(strata_fit(NULL, ds, &base, &whole));
  const strata_model_info *w = whole ? strata_model_get_info(whole) : NULL;
  CHECK(w && w->iterations >= 3);

  for (int stop = 1; w && stop <= 2; stop++) {
    char ck[512];
    snprintf(ck, sizeof ck, "%s", fixture_path(stop == 1 ? "resume_far_1.ckpt" : "resume_far_2.ckpt"));
    strata_ctx *ctx = strata_ctx_new();
    stop_at s = {ctx, stop};
    strata_fit_params p = base;
    p.checkpoint_path = ck;
    p.progress = request;
    p.progress_user = &s;
    strata_model *m = NULL;
    CHECK_MSG(strata_fit(ctx, ds, &p, &m) == STRATA_STOPPED && m == NULL, "stop after iteration %d: %s", stop,
              strata_last_error());
    strata_ctx_free(ctx);
    p = base;
    p.resume_path = ck;
    strata_status st = strata_fit(NULL, ds, &p, &m);
    CHECK_MSG(st == STRATA_OK, "resume after iteration %d: %s", stop, strata_last_error());
    const strata_model_info *r = m ? strata_model_get_info(m) : NULL;
    CHECK(r && r->iterations == w->iterations && r->inertia == w->inertia);
    CHECK(r && memcmp(r->centroids, w->centroids, sizeof(double) * K * D) == 0);
    strata_model_free(m);
    remove(ck);
  }
  strata_model_free(whole);
  strata_dataset_free(ds);
  return check_report();
}
