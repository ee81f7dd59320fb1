/* The estimator interface: what the fit orchestrator (core/fit.c) asks of a
 * clustering method, so that strata_fit, strata_sweep and strata_stability
 * drive every method through one loop.  k-means (core/estimator_kmeans.c)
 * is the first estimator.
 *
 * An estimator instance holds its parameters (for k-means the k×d
 * centroids in scaled units) and the partials of its latest pass.  The
 * orchestrator owns everything shared between instances: the statistics
 * pass, the scaler, the init sample and the strata_pass that reads and
 * scales each block once per pass for every instance (strata_fit_data,
 * core/fit.h).  One fit, per restart:
 *
 *     init(run)                                  parameters from the sample
 *     repeat: e_step(ITERATE) ; m_step           until step.converged or max_iter
 *     e_step(FINAL, writer)  unless step.final_in_last_pass
 *     result ; params (kept when its objective is the lowest) ; describe
 *
 * How a Gaussian mixture fits (core/estimator_gmm.c; it runs one pass per
 * instance, not yet shared passes):
 * create allocates means (k×d), covariances (k×d×d, or k×d diagonal) and
 * weights (k); params() is those three laid end to end (n_params), so the
 * orchestrator keeps the best restart by copying it as for k-means.  init
 * seeds the means with k-means++ on the init sample (strata_init_kmeanspp),
 * covariances with the scaled column variances, weights 1/k.  e_step runs
 * one strata_pass over the data; its block function computes each row's
 * responsibilities (a new kernel family, "E-step of a mixture") and adds
 * per block the weighted moments sum r, sum r·x, sum r·x·xᵀ and the
 * log-likelihood to a reducer partial (issue 13 point 3: exact
 * accumulators, so the bits do not depend on the split); with n > 1 it
 * serves several mixtures on one pass, as k-means does in a sweep.  m_step
 * turns the reduced moments into means, covariances (plus a regularising
 * ridge) and weights, and reports objective = -mean log-likelihood, shift =
 * its change, converged when |change| <= tol (final_in_last_pass stays 0:
 * the final e_step gives labels as the arg max of the responsibilities).
 * result() gives the objective and the hard-assignment sizes; reference()
 * the mean distance (Mahalanobis) per component; predict() the arg max on
 * an in-memory sample (sweep's silhouette).  describe() writes means as the
 * model's centroids and the covariances and weights into estimator-specific
 * model fields (a /gmm group, which the model file would gain), and name
 * ("gmm") goes to the model file's `estimator` attribute, which makes
 * strata_model_load refuse the file in a build without that estimator.
 * What a mixture needs beyond this interface: its kernels and model
 * fields; the orchestrator is unchanged.  Mini-batch k-means is an e_step
 * that reads a seeded subset of blocks (a row-range view of the pass) and
 * an m_step with per-centre learning rates. */
#ifndef STRATA_ESTIMATOR_H
#define STRATA_ESTIMATOR_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "labels_writer.h"
#include "lloyd.h"
#include "model.h"
#include "strata.h"

typedef struct strata_fit_data strata_fit_data; /* core/fit.h */
typedef struct strata_estimator_ops strata_estimator_ops;

/* Every instance starts with this header (the estimator's own state
 * follows it in a larger struct). */
typedef struct strata_estimator {
  const strata_estimator_ops *ops;
  size_t k, d;
} strata_estimator;

/* What create needs beyond the shared data; the caller chooses the tables
 * (strata_fit and strata_sweep have different backend rules). */
typedef struct {
  size_t k;
  const strata_kernels *kern;     /* the passes */
  const strata_kernels *fallback; /* a device run's CPU fallback, or NULL */
  const strata_kernels *init_kern;/* seeding on the in-memory sample */
  int track_labels;   /* keep a label per row: "no label changed" is a stop rule */
  int shared;         /* e_step will serve several instances on one pass (sweep) */
} strata_estimator_opts;

/* An e_step is an iteration's pass or the final assignment. */
typedef enum { STRATA_ESTEP_ITERATE, STRATA_ESTEP_FINAL } strata_estep_mode;

/* What an m_step reports. */
typedef struct {
  double objective;      /* of the pass just made (k-means: inertia) */
  double shift;          /* change of the parameters (k-means: squared centroid shift) */
  int64_t relocations;   /* rows whose label changed (tracked labels only) */
  uint64_t rows;         /* rows the pass assigned */
  int extra_passes;      /* passes the update made of its own (an empty cluster re-seeded) */
  int converged;
  int final_in_last_pass;/* the parameters did not change: the pass just made is
                            already the final assignment */
} strata_estimator_step;

/* What a refinement after convergence did (ops->refine). */
typedef struct {
  int trials;  /* trial moves made */
  int swaps;   /* trial moves kept */
  int passes;  /* passes over the data it made */
  int unconverged; /* its final Lloyd run stopped at its iteration cap */
} strata_refine_result;

struct strata_estimator_ops {
  const char *name; /* the model file's `estimator` attribute */
  /* One instance on data (borrowed until free).  out OUT. */
  strata_status (*create)(const strata_fit_data *data, const strata_estimator_opts *opts,
                          strata_estimator **out);
  void (*free)(strata_estimator *e);
  /* Initial parameters for restart `run` (the init sample, given
   * parameters, a parent model), from the fit parameters in data. */
  strata_status (*init)(strata_estimator *e, const strata_fit_data *data, int run);
  /* One pass over the data for n instances of this estimator (all of this
   * ops) on the current parameters: each reduces its partials (k-means:
   * sums, counts, inertia).  modes IN (n): a FINAL pass also gathers the
   * reference statistics (want_reference); writer, when not NULL, receives
   * the labels (n == 1 only). */
  strata_status (*e_step)(strata_estimator *const *es, size_t n, const strata_estep_mode *modes,
                          strata_labels_writer *writer);
  /* New parameters from the partials of the latest ITERATE pass; applies
   * the stopping rules (tol_abs from data).  out OUT. */
  strata_status (*m_step)(strata_estimator *e, strata_estimator_step *out);
  /* Whether the latest m_step met the stopping rule. */
  int (*converged)(const strata_estimator *e);
  /* Asks the FINAL passes for the reference statistics (drift). */
  strata_status (*want_reference)(strata_estimator *e);
  /* The latest pass's objective and k sizes.  sizes OUT (k). */
  void (*result)(const strata_estimator *e, double *objective, int64_t *sizes);
  /* Per component the mean distance of its rows (NaN when empty), from the
   * latest FINAL pass that gathered reference statistics.  out OUT (k). */
  void (*reference)(const strata_estimator *e, double *out);
  /* The parameters as one vector of n_params doubles (read only; the
   * orchestrator copies it to keep the best restart) and set_params to put
   * one back. */
  size_t (*n_params)(const strata_estimator *e);
  const double *(*params)(const strata_estimator *e);
  void (*set_params)(strata_estimator *e, const double *params);
  /* Labels of m in-memory scaled rows x (m×d float32), with the tables the
   * passes used.  labels OUT (m). */
  strata_status (*predict)(const strata_estimator *e, const float *x, size_t m, int32_t *labels);
  /* Optional (NULL: none): after a restart has converged, improves its
   * parameters in place, never to a higher objective (strata_refine);
   * params() and result() describe the refined state afterwards.  out OUT. */
  strata_status (*refine)(strata_estimator *e, const strata_fit_data *data, int run, int lloyd_passes,
                          strata_refine_result *out);
  /* Drops what only passes need (per-thread buffers), keeping the
   * parameters: an instance that has finished in a sweep. */
  void (*release_pass)(strata_estimator *e);
  /* Writes params (a vector from params()) into model m, which has the
   * shape k×d and the scaler already: centroids in scaled and original
   * units, and the estimator kind. */
  strata_status (*describe)(const strata_estimator *e, const double *params, const strata_fit_data *data,
                            strata_model *m);
  /* A non-iterative method (Ward, DBSCAN) leaves every slot above NULL but
   * name and sets this instead: strata_fit hands it to the driver of
   * core/fit_direct.h.  NULL for an iterative estimator. */
  const struct strata_direct_ops *direct;
  /* Checkpoint and resume (core/checkpoint.h); NULL: the estimator cannot.
   * previous_params: the parameters the latest ITERATE pass ran on (n_params;
   * after m_step, params() are the next pass's).  resume: params become the
   * next pass's parameters, and whatever that pass compares with is rebuilt
   * as the pass on `previous` left it (k-means: each row's label, for the
   * relocation count and the stable-labels rule), so the run goes on as if
   * it had never stopped. */
  const double *(*previous_params)(const strata_estimator *e);
  strata_status (*resume)(strata_estimator *e, const double *params, const double *previous);
};

/* The k-means estimator (Lloyd passes, k-means++/random/given/warm-start
 * initialisation, scikit-learn's empty-cluster rule). */
extern const strata_estimator_ops strata_estimator_kmeans;
/* Mini-batch k-means (core/minibatch.h): k-means' ops with batch passes
 * and the mini-batch step; its models are k-means models. */
extern const strata_estimator_ops strata_estimator_minibatch;
/* Gaussian mixtures by EM (core/estimator_gmm.c). */
extern const strata_estimator_ops strata_estimator_gmm;
/* Ward's hierarchical clustering (core/estimator_ward.c), non-iterative. */
extern const strata_estimator_ops strata_estimator_ward;
/* DBSCAN (core/estimator_dbscan.c), non-iterative. */
extern const strata_estimator_ops strata_estimator_dbscan;

/* The estimators a model file may name; NULL for an unknown name. */
const strata_estimator_ops *strata_estimator_find(const char *name);

/* k-means only, for strata_sweep's metrics: the latest pass's result
 * (sums, counts, dispersion), and dispersion about `means` asked of the
 * next pass (strata_lloyd_want_dispersion). */
const strata_lloyd_result *strata_kmeans_last_result(const strata_estimator *e);
strata_status strata_kmeans_want_dispersion(strata_estimator *e, const double *means, double bound_sq);

#endif
