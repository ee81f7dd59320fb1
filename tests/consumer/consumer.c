/* A program outside the tree that links the installed library: a failed
 * open, then a fit of an in-memory table with its own context. */
#include <stdio.h>
#include <string.h>

#include <strata/strata.h>

int main(void) {
  strata_fit_params p;
  strata_fit_params_init(&p);
  strata_dataset *ds = NULL;
  strata_status st = strata_dataset_open("/nonexistent/file.h5", NULL, NULL, 0, &ds);
  printf("strata %s, default k %d, open: %s (%s)\n", strata_version(), p.k,
         strata_status_name(st), strata_last_error());
  if (st != STRATA_ERR_NOT_FOUND || strcmp(strata_version(), STRATA_VERSION_STRING) != 0) return 1;

  float x[40];
  for (int i = 0; i < 20; i++) {
    x[2 * i] = (float)(i < 10 ? i % 3 : 100 + i % 3);
    x[2 * i + 1] = (float)(i % 2);
  }
  strata_ctx *ctx = strata_ctx_new();
  if (!ctx || strata_ctx_set_threads(ctx, 1) != STRATA_OK || strata_ctx_set_backend(ctx, "ref") != STRATA_OK)
    return 1;
  strata_model *m = NULL;
  p.k = 2;
  st = strata_dataset_from_memory(x, 20, 2, NULL, &ds);
  if (st == STRATA_OK) st = strata_fit(ctx, ds, &p, &m);
  int ok = st == STRATA_OK && strata_model_get_info(m)->k == 2;
  printf("fit: %s (%s)\n", strata_status_name(st), ok ? strata_model_get_info(m)->backend : strata_last_error());
  strata_model_free(m);
  strata_dataset_free(ds);
  strata_ctx_free(ctx);
  return ok ? 0 : 1;
}
