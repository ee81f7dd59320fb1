/* What every fit records in its model besides the estimator's own
 * parameters, and how its outputs are put in place: shared by the
 * iterative fit (core/kmeans.c) and the non-iterative driver
 * (core/fit_direct.c). */
#ifndef STRATA_FIT_MODEL_H
#define STRATA_FIT_MODEL_H

#include "fit.h"
#include "labels_writer.h"
#include "model.h"
#include "output_file.h"

/* A model of k segments over data's features with its scaler, categorical
 * groups, the rules of p, the backend and provenance; centroids and sizes
 * zero (the estimator's describe fills them).  out OUT. */
strata_status strata_fit_model_new(const strata_fit_data *data, const strata_fit_params *p, size_t k,
                                   const char *backend, const char *backend_reason, strata_model **out);

/* The training reference: per-feature mean and std over the kept rows
 * (the statistics pass) and mean_distance (k, scaled units). */
strata_status strata_fit_model_reference(strata_model *m, const strata_fit_data *data, const double *mean_distance);

/* Writes the model (if p asks) and finishes the labels (*writer, taken)
 * under temporary names, then renames both: a failure anywhere leaves
 * neither behind. */
strata_status strata_fit_commit(const strata_fit_params *p, strata_model *m, strata_output_file *model_out,
                                strata_labels_writer **writer);

#endif
