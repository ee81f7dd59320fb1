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

/* The share --min-segment-share means for k segments: given (>= 0) as
 * given, else 1%, or a quarter of the average share 1/(4k) when smaller
 * (with 300 segments every one holds under 1%: that is no warning). */
double cli_min_segment_share(double given, int k);

/* 1 when segment c holds fewer than min_share of the fit's rows (and
 * min_share > 0). */
int cli_small_segment(const strata_model_info *info, int c, double min_share);

/* One warning line on stderr per segment below min_share of the rows. */
void cli_warn_small_segments(const strata_model_info *info, double min_share);

/* "transforms: spend log1p, income yeo-johnson(lambda=0.21)" when the model
 * has transforms. */
void cli_print_transforms(FILE *f, const strata_model_info *info);

/* The per-iteration statistics of the kept run. */
void cli_print_iterations(FILE *f, const strata_model_info *info, size_t width);

/* A line with rows, k, inertia, seconds; the labels path; rows without a
 * segment (missing values under the drop rule); a table of segment sizes
 * and shares.  sizes: k counts. */
void cli_print_assign(FILE *f, const strata_model_info *info, uint64_t rows, double inertia,
                      const int64_t *sizes, double seconds, const char *labels_path, size_t width);


/* File, location, rows and one line per column: type, counts of finite,
 * missing and infinite values, min, max, mean, standard deviation.  When
 * the file is an imported table (a column has a strata type), the type is
 * the table's (int, float, bool, date, categorical), the storage type gets
 * its own column, dates show as ISO dates, categorical columns show their
 * number of categories, and "(id)" marks identifier columns. */
void cli_print_inspect(FILE *f, const char *path, const char *location, size_t rows, const strata_inspect_column *cols,
                       size_t n, size_t width);

#endif
