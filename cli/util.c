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
