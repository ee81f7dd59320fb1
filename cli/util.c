/* Small helpers of the command: allocation that cannot fail, a clock. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "diag.h"

static void *checked(void *p) {
  if (!p) exit(cli_error(CLI_EXIT_RUNTIME, "out of memory"));
  return p;
}

void *cli_xmalloc(size_t n) { return checked(malloc(n ? n : 1)); }
void *cli_xcalloc(size_t count, size_t size) { return checked(calloc(count ? count : 1, size ? size : 1)); }
void *cli_xrealloc(void *p, size_t n) { return checked(realloc(p, n ? n : 1)); }
char *cli_xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(cli_xmalloc(n), s, n);
}

double cli_seconds_per_iteration(const strata_model_info *in) {
  /* The iterations' own times: the statistics pass and the initialisation
   * are one-time costs, not part of an iteration. */
  double s = 0.0;
  for (int i = 0; i < in->n_iter_stats; i++) s += in->iter_stats[i].seconds;
  return in->n_iter_stats > 0 ? s / in->n_iter_stats : 0.0;
}

double cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

strata_status cli_attach_model_weights(const strata_model *model, const char *data, const char *location,
                                       strata_dataset *ds) {
  const char *col = strata_model_get_info(model)->weight_column;
  if (!col) return STRATA_OK;
  strata_dataset *w = NULL;
  if (strata_dataset_open(data, location, &col, 1, &w) != STRATA_OK) {
    cli_note("the data has no weight column '%s' (the model's): segment weights not shown", col);
    return STRATA_OK;
  }
  return strata_dataset_set_weights(ds, w);
}
