/* The model file (HDF5).  Implements strata_model_save / strata_model_load
 * declared in strata.h.  Layout (format version 1):
 *   /                 attributes: format="strata-model", format_version=1, estimator
 *                     (the estimator kind, "kmeans" or "gmm"; absent = kmeans, unknown = refused), mode,
 *                     k, d, inertia, iterations, converged, n_init, best_init,
 *                     seed, tol, max_iter, init, scale, missing, backend,
 *                     input_file, input_location, rows, rows_dropped,
 *                     library_version, created, seconds
 *   /features         d variable-length UTF-8 strings
 *   /centroids        k×d float64, scaled units
 *   /centroids_original k×d float64, original units
 *   /scaler/shift, /scaler/factor, /scaler/impute   d float64
 *   /sizes            k int64
 *   /feature_group    d int32: -1 numeric, else the categorical column a one-hot feature expands
 *   /categorical      names of those columns (absent when none); root attribute categorical_weight
 *   /iterations/{inertia,shift,relocations,seconds,rows_per_second}  one entry per iteration
 *                     (a mixture: inertia = -mean log-likelihood, shift = its change)
 *   /gmm              a Gaussian mixture only (estimator "gmm", required then): attributes
 *                     covariance_type, reg_covar, log_likelihood, bic, aic; weights k float64,
 *                     covariances float64 (full k×d×d, tied d×d, diag k×d, spherical k)
 * Written through io/output_file.h (temporary name, then rename). */
#ifndef STRATA_IO_MODEL_FILE_H
#define STRATA_IO_MODEL_FILE_H
#include "model.h"
#include "output_file.h"

/* Writes m as the content of out->tmp_path (out begun with
 * strata_output_begin) without renaming it, so that a caller can put
 * several outputs in place together: write them all, then commit each.
 * On failure the caller aborts out.  m IN, out INOUT. */
strata_status strata_model_write(const strata_model *m, strata_output_file *out);
#endif
