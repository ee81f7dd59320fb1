/* The `size` field of the parameters structs (strata.h conventions): _init
 * sets it, and an entry point given a size it does not know fails with
 * STRATA_ERR_USAGE before it reads any other field. */
#include <string.h>

#include "check.h"
#include "ctx_pool.h"
#include "strata.h"

enum { N = 64, D = 2 };

static void expect_usage(strata_status st, const char *what) {
  CHECK_MSG(st == STRATA_ERR_USAGE, "%s: %s", what, strata_status_name(st));
  CHECK_MSG(strstr(strata_last_error(), "size") != NULL, "%s: detail '%s'", what, strata_last_error());
}

int main(void) {
  float x[N * D];
  for (int i = 0; i < N * D; i++) x[i] = (float)(i % 7) + (float)(i % 3) * 0.25f;
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_from_memory(x, N, D, NULL, &ds));
  if (!ds) return check_report();

  strata_fit_params fp;
  strata_fit_params_init(&fp);
  CHECK(fp.size == sizeof fp);
  fp.k = 2;
  strata_model *m = NULL;
  CHECK_OK(strata_fit(NULL, ds, &fp, &m));
  strata_model_free(m);
  m = NULL;
  strata_fit_params bad = fp;
  bad.size = 0; /* never passed through _init */
  expect_usage(strata_fit(NULL, ds, &bad, &m), "fit, size 0");
  bad.size = sizeof bad + 8; /* a newer header */
  expect_usage(strata_fit(NULL, ds, &bad, &m), "fit, larger size");
  CHECK(m == NULL);

  strata_sweep_params sp;
  strata_sweep_params_init(&sp);
  CHECK(sp.size == sizeof sp && sp.fit.size == sizeof sp.fit);
  sp.k_min = 2, sp.k_max = 3, sp.silhouette_sample = 0;
  strata_sweep_result *sr = NULL;
  sp.fit.size = 0; /* the embedded struct is checked by its own size */
  expect_usage(strata_sweep(NULL, ds, &sp, &sr), "sweep, fit size 0");
  sp.fit.size = sizeof sp.fit;
  sp.size--;
  expect_usage(strata_sweep(NULL, ds, &sp, &sr), "sweep, smaller size");
  CHECK(sr == NULL);

  strata_stability_params tp;
  strata_stability_params_init(&tp);
  CHECK(tp.size == sizeof tp && tp.fit.size == sizeof tp.fit);
  strata_stability_result *tr = NULL;
  tp.size = 0;
  expect_usage(strata_stability(NULL, ds, &tp, &tr), "stability, size 0");
  CHECK(tr == NULL);

  strata_pca_params pp;
  strata_pca_params_init(&pp);
  CHECK(pp.size == sizeof pp);
  strata_pca *pca = NULL;
  pp.size = 1;
  expect_usage(strata_pca_fit(NULL, ds, &pp, &pca), "pca, size 1");
  CHECK(pca == NULL);
  CHECK_OK(strata_pca_fit(NULL, ds, NULL, &pca)); /* NULL: the defaults */
  strata_pca_free(pca);

  strata_dataset_free(ds);
  return check_report();
}
