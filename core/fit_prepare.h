/* What every fit does before its first Lloyd pass, shared by strata_fit
 * (core/kmeans.c) and strata_sweep (core/sweep.c): the statistics pass
 * (column accumulators, missing-value checks, median sketches, the seeded
 * samples), and the numbers derived from it once the scaler is fitted. */
#ifndef STRATA_FIT_PREPARE_H
#define STRATA_FIT_PREPARE_H

#include <stddef.h>
#include <stdint.h>

#include "quantile.h"
#include "reduce.h"
#include "sample.h"
#include "scaler.h"
#include "stats.h"
#include "strata.h"
#include "wmoments.h"

typedef struct {
  size_t d;
  strata_missing missing;
  const char *const *names;
  strata_colacc *total;        /* d, the finished statistics */
  strata_moments_set parts;    /* per-thread partials (reduce.h) */
  uint64_t *skipped_t, skipped;
  /* filled with raw rows during the pass; either may be NULL */
  strata_sample *sample, *sample2;
  /* --missing median: per thread, a buffer for one sorted column
   * (STRATA_BLOCK_ROWS); the blocks' sketches merge along the fixed tree,
   * then one sketch per column */
  float *sorted;
  strata_qtree tree;
  strata_qsketch *sketch;
  double *medians;   /* d, missing == MEDIAN only, else NULL */
  double *quart;     /* d×3, the 25th, 50th, 75th percentiles (numpy's linear), scale == ROBUST only */
  /* IN, set by the caller before the pass (may be NULL): d transforms the
   * statistics are taken after (the raw values stay in the samples) */
  const strata_transform *tf;
  float *tbuf;       /* per thread, STRATA_BLOCK_ROWS×d transformed values */
  /* row weights (the dataset has them): total holds the weighted means and
   * variances; the samples keep their rows' weights */
  int weighted;
  strata_wmoments_set wparts;
  double *weight;    /* d: total weight of the rows with a value in the column */
  double wmax;       /* the largest weight of a row used */
} strata_fit_stats;

/* One raw pass over ds with ctx's threads: fills c (zeroed by the caller)
 * and the samples (chosen, may be NULL).  names IN: d column names for
 * messages, borrowed.  Uses p->missing, p->scale, p->chunk_rows; c->tf. */
strata_status strata_fit_stats_pass(const strata_ctx *ctx, strata_fit_stats *c, strata_dataset *ds, const strata_fit_params *p,
                                    const char *const *names, strata_sample *sample,
                                    strata_sample *sample2);
void strata_fit_stats_free(strata_fit_stats *c);

/* Rows sampled for init when the caller did not say: 40 per cluster, at
 * least 20000, at most n. */
size_t strata_fit_auto_init_sample(size_t n, size_t k);

/* The automatic init for k-means++ requested with an automatic sample:
 * k-means++ holds its sample and 2 (2 + ln k) distances per sample row;
 * when 40 rows per cluster would take more than a quarter of the memory
 * limit, it returns 1 with *sample the rows that fit (at least 1000, at
 * most n; for the first centre and the refinement) and the fit seeds with
 * k-means|| over every row instead; else 0. */
int strata_fit_auto_kmeans_parallel(size_t n, size_t d, size_t k, uint64_t mem_limit, size_t *sample);

/* tol relative to the mean scaled feature variance, as an absolute bound on
 * the squared centroid shift. */
double strata_fit_tol_abs(const strata_fit_stats *c, const strata_scaler *sc, double tol);

/* bound OUT d: the largest |scaled value| per column (imputed values
 * included), which bounds every cluster sum (strata_lloyd_want_sums). */
void strata_fit_sum_bounds(const strata_fit_stats *c, const strata_scaler *sc, double *bound);

#endif
