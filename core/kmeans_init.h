/* Initial centroids from the init sample: greedy k-means++ (as
 * scikit-learn: 2 + floor(ln k) candidates per step, the one lowering the
 * potential most is kept) or k distinct random rows. */
#ifndef STRATA_KMEANS_INIT_H
#define STRATA_KMEANS_INIT_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "strata.h"

typedef struct {
  const strata_ctx *ctx; /* cancellation */
  const strata_kernels *kern;
  int threads;
  const float *x;      /* m×d scaled sample */
  size_t m, d, k;
  int sample_is_all;   /* the sample holds every row used by the fit */
  uint64_t seed;
  int run;             /* restart index: each restart draws its own stream */
  uint64_t stream;     /* 0: the restart's stream; else this one (a refinement's trial) */
} strata_init_job;

/* centers OUT: k×d float64, scaled units. */
strata_status strata_init_kmeanspp(const strata_init_job *job, double *centers);
/* k-means++ continuing from given[0..ngiven-1] (k×d buffer `centers`
 * whose first ngiven rows are set): the remaining k - ngiven centres are
 * drawn as k-means++ would after those (a warm start with a larger k). */
strata_status strata_init_kmeanspp_from(const strata_init_job *job, double *centers, size_t ngiven);
strata_status strata_init_random(const strata_init_job *job, double *centers);

#endif
