/* The swap refinement after Lloyd (strata_refine; core/kmeans_refine.c). */
#ifndef STRATA_KMEANS_REFINE_H
#define STRATA_KMEANS_REFINE_H

#include <stddef.h>

#include "estimator.h"
#include "kmeans_init.h"

/* The fixed budget at k: at most `trials` trial swaps, stopping after
 * `patience` rejected ones in a row. */
void strata_refine_budget(size_t k, int *trials, int *patience);

/* Refines the converged k-means estimator e in place (its params() and
 * result() afterwards describe the refined centroids).  job: the seeding
 * job of restart `run` (its sample, threads and seed); lloyd_passes: the
 * passes the converged run made (the search's budget).  out OUT. */
strata_status strata_kmeans_refine(strata_estimator *e, const strata_fit_data *data, const strata_init_job *job,
                                   int run, int lloyd_passes, strata_refine_result *out);

#endif
