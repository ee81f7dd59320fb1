/* strata_sweep's parts (see strata.h): the k-means sweep on shared passes
 * (core/sweep.c) and the comparison of several methods around it
 * (core/sweep_methods.c). */
#ifndef STRATA_SWEEP_H
#define STRATA_SWEEP_H

#include <stddef.h>

#include "strata.h"

/* The silhouette sample draws its own rows, apart from the init sample;
 * every method of a sweep scores on the same rows. */
#define STRATA_SWEEP_SIL_SALT 0x9e3779b97f4b7c15ull

/* A sweep result and what it owns: items[i].sizes and .centroids are
 * malloc'ed (strata_sweep_free frees them). */
typedef struct {
  strata_sweep_result pub; /* first: the handle the caller sees */
  strata_sweep_k *items;
  char reason[640];
  char backend[64];
} strata_sweep_out;

/* An empty result with n zeroed items (metrics NaN, algorithm "kmeans"). */
strata_status strata_sweep_out_new(size_t n, strata_sweep_out **out);

/* The checks of the k values, n_init, init and outputs (every method). */
strata_status strata_sweep_check_params(const strata_sweep_params *p);

/* The k-means sweep on shared passes (p->fit.algorithm is ignored). */
strata_status strata_sweep_kmeans(const strata_ctx *ctx, strata_dataset *ds, const strata_sweep_params *p,
                                  strata_sweep_out **out);

/* The k of one method's items (n, increasing k) by the knee/silhouette
 * rule of strata.h, and its reason into buf.  knee_k: the knee of their
 * inertia (0: none).  Returns the item's index, -1 for none. */
int strata_sweep_pick_k(const strata_sweep_k *it, size_t n, int knee_k, char *buf, size_t len);

#endif
