/* Outputs of `strata pca`: the explained-variance table (human or JSON) and
 * the projection of the sample (CSV or HDF5 columns, temp + rename). */
#ifndef STRATA_CLI_PCA_OUT_H
#define STRATA_CLI_PCA_OUT_H

#include <stdio.h>

#include "strata.h"

typedef struct {
  const char *data, *model, *output;
  int components; /* projected: 2 or 3 */
  uint64_t seed;
} cli_pca_run;

/* Component, variance, ratio, cumulative ratio, and the largest loadings. */
void cli_print_pca(FILE *f, const strata_pca *p, const cli_pca_run *r);
/* One JSON object; 0, or -1 when it could not be built or written. */
int cli_json_pca(FILE *f, const strata_pca *p, const cli_pca_run *r);
/* Writes the sample's projection to r->output (.h5 → HDF5 columns, else
 * CSV): row, pc1..pcN, and segment with a model. */
strata_status cli_write_pca_projection(const strata_pca *p, const cli_pca_run *r);

#endif
