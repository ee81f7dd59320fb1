/* The non-iterative fit: methods that cluster the scaled table in memory in
 * one go (Ward, DBSCAN) instead of iterating passes.  The driver does what
 * every fit does around them, with the iterative fit's own pieces: the
 * statistics pass, scaler and missing rule (core/fit_prepare.h), the model
 * around the parameters and the atomic commit of model and labels
 * (core/fit_model.h).  A method supplies only its clustering of the kept
 * rows and its model fields.
 *
 *   check      parameters, before anything is read; the largest k it needs
 *   bytes      working memory per kept row beyond the rows themselves (and
 *              their weights), so that a table past --mem-limit is refused
 *              before it is read; weighted: the rows carry row weights
 *   cluster    labels (0..k-1, -1 = noise) of the m kept scaled rows
 *   describe   its own model fields (the driver fills centroids = means of
 *              each cluster's rows, sizes, inertia, the reference)
 *
 * A method registers as an estimator whose `direct` slot points here
 * (core/estimator.h); strata_fit hands it to strata_fit_direct. */
#ifndef STRATA_FIT_DIRECT_H
#define STRATA_FIT_DIRECT_H

#include <stddef.h>
#include <stdint.h>

#include "fit.h"
#include "labels_writer.h"
#include "model.h"

typedef struct strata_direct_ops {
  strata_status (*check)(const strata_fit_params *p, size_t *kmax);
  double (*bytes)(const strata_fit_params *p, size_t d, int weighted);
  /* x IN (m×d float64: the scaled float32 rows, exactly), labels OUT (m),
   * k OUT, state OUT (for describe; released by release). */
  strata_status (*cluster)(const strata_fit_data *data, const double *x, size_t m, int32_t *labels, size_t *k,
                           void **state);
  strata_status (*describe)(const void *state, const strata_fit_data *data, strata_model *m);
  void (*release)(void *state);
  /* What to do instead when the rows do not fit --mem-limit: the end of
   * the refusal's message.  NULL: a generic advice. */
  const char *too_large;
  /* Optional (NULL: none): a way that does not hold the rows (Ward's
   * two-step).  streamed says whether to take it, given the parameters and
   * whether the rows fit the memory limit; fit_streamed then does the whole
   * fit on data (shape checked; statistics pass not yet made), the labels
   * into mem's arrays when mem is not NULL (strata_fit_memory). */
  int (*streamed)(const strata_fit_params *p, int fits);
  strata_status (*fit_streamed)(strata_fit_data *data, const strata_labels_memory *mem, strata_model **out);
} strata_direct_ops;

/* strata_fit for a non-iterative method.  data OUT (freed by the caller
 * with strata_fit_data_free), mem IN: the caller's arrays for the labels
 * instead of p->labels_path (strata_fit_memory), or NULL; out OUT. */
strata_status strata_fit_direct(strata_fit_data *data, const strata_ctx *ctx, strata_dataset *ds,
                                 const strata_fit_params *p, const char *name, const strata_direct_ops *ops,
                                 const strata_labels_memory *mem, strata_model **out);

#endif
