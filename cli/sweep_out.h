/* `strata sweep` results as a table, CSV or JSON, rendered into memory so
 * that -o FILE can write them under a temporary name and rename. */
#ifndef STRATA_CLI_SWEEP_OUT_H
#define STRATA_CLI_SWEEP_OUT_H

#include <stdio.h>

#include "fingerprint.h"
#include "strata.h"

typedef struct {
  const char *data;               /* input path, as given */
  const char *const *features;    /* d names */
  uint64_t seed;
  size_t silhouette_sample;       /* as asked */
  int n_init;                     /* restarts per k */
  const cli_fingerprint *fingerprint; /* of the data, or NULL */
  int stability_runs;             /* as asked (0: none) */
  const strata_feature_choice *choice;  /* the columns left out (may be NULL) */
  const char *const *categorical;       /* --categorical (NULL-terminated, may be NULL) */
  int ranks;                      /* MPI ranks that ran it (1: one process) */
  int threads;                    /* threads per rank */
  const char *weights;            /* --weights COLUMN, or NULL */
} cli_sweep_info;

/* Whether r compares methods (several, or with stability): the outputs then
 * name each row's method and add BIC, AIC and stability. */
int cli_sweep_compares(const strata_sweep_result *r);

/* The JSON object (schema in README's `strata sweep`); 0, or -1 on failure. */
int cli_sweep_json(FILE *f, const strata_sweep_result *r, const cli_sweep_info *in);
/* One row per k: k,inertia,iterations,converged,silhouette,calinski_harabasz,
 * davies_bouldin,knee,recommended; undefined metrics are empty. */
int cli_sweep_csv(FILE *f, const strata_sweep_result *r);
/* The human table and the recommendation, `width` columns. */
int cli_sweep_table(FILE *f, const strata_sweep_result *r, const cli_sweep_info *in, size_t width);

#endif
