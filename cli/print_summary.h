/* Human-readable results on stdout: the fit summary with its segment table,
 * the per-iteration table, the assign summary and the inspect table. */
#ifndef STRATA_CLI_PRINT_SUMMARY_H
#define STRATA_CLI_PRINT_SUMMARY_H

#include <stdio.h>

#include "strata.h"

/* The header line (rows, features, k, backend, mode, iterations, converged,
 * inertia, seconds, s/iteration), where the outputs went, and the segment
 * table: id, size, share and the centroid in original units under the
 * feature names.  Segments are rows when d <= 8; with more features the
 * table is transposed (features as rows); either way it wraps to `width`. */
void cli_print_fit(FILE *f, const strata_model_info *info, const char *model_path, const char *labels_path,
                   size_t width);

/* The per-iteration statistics of the kept run. */
void cli_print_iterations(FILE *f, const strata_model_info *info, size_t width);

/* A line with rows, k, inertia, seconds; the labels path; rows without a
 * segment (missing values under the drop rule); a table of segment sizes
 * and shares.  sizes: k counts. */
void cli_print_assign(FILE *f, const strata_model_info *info, uint64_t rows, double inertia,
                      const int64_t *sizes, double seconds, const char *labels_path, size_t width);

/* File, location, rows and one line per column: type, counts of finite,
 * missing and infinite values, min, max, mean, standard deviation. */
void cli_print_inspect(FILE *f, const strata_dataset *ds, const strata_column_stats *stats, size_t width);

#endif
