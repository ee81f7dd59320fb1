/* The centroids file of `strata fit --init FILE`: a CSV of k rows of d
 * numbers in ORIGINAL units (the units of the data file), one centroid per
 * row, features in the order of the fit's features.  An optional first row
 * of feature names (recognised by its first field not being a number) must
 * match those features in order.  Blank lines and lines starting with '#'
 * are skipped; fields may be double-quoted. */
#ifndef STRATA_CLI_CENTROIDS_CSV_H
#define STRATA_CLI_CENTROIDS_CSV_H

#include <stddef.h>

/* path IN, k and d: the expected shape, names IN: the d feature names.
 * On success *out (OUT, k×d row-major, free with free()) and returns 1.
 * On failure returns 0 with a one-line message in err naming the file and
 * the line and column of the problem. */
int cli_centroids_csv_read(const char *path, int k, size_t d, const char *const *names, double **out,
                           char *err, size_t errlen);

#endif
