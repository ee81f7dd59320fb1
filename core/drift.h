/* Drift reports (strata.h "drift"): statistics of new data compared with a
 * model's training reference. */
#ifndef STRATA_DRIFT_H
#define STRATA_DRIFT_H

#include <stdint.h>

#include "strata.h"

/* The new side of a comparison. */
typedef struct {
  int k;
  const int64_t *counts;        /* k rows per segment */
  uint64_t rows;                /* rows assigned */
  const double *mean_distance;  /* k, scaled units (NaN for an empty segment) */
  const double *mean;           /* d, original units, the reference's features */
  const int *parent;            /* k: reference segment of each, -1 new; NULL = the same number */
} strata_drift_now;

/* ref IN: has its train_* statistics.  th IN (NULL = defaults). */
strata_status strata_drift_build(const strata_model_info *ref, const char *reference,
                                 const strata_drift_now *now, const strata_drift_thresholds *th,
                                 strata_drift **out);

#endif
