/* Contexts for tests: one per (threads, backend), kept for the life of the
 * test process, so that a check can say `strata_fit(test_ctx(2, "ref"), ...)`. */
#ifndef STRATA_TEST_CTX_POOL_H
#define STRATA_TEST_CTX_POOL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"

static inline const strata_ctx *test_ctx(int threads, const char *backend) {
  static strata_ctx *pool[64];
  static int n;
  if (!backend) backend = "auto";
  for (int i = 0; i < n; i++)
    if (strata_ctx_threads(pool[i]) == threads && strcmp(strata_ctx_backend(pool[i]), backend) == 0) return pool[i];
  strata_ctx *c = strata_ctx_new();
  if (!c || n == 64 || strata_ctx_set_threads(c, threads) != STRATA_OK ||
      strata_ctx_set_backend(c, backend) != STRATA_OK) {
    fprintf(stderr, "test_ctx(%d, %s): %s\n", threads, backend, strata_last_error());
    exit(1);
  }
  return pool[n++] = c;
}

#endif
