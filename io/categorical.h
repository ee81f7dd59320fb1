/* Categorical columns of an imported table (io/table_format.h): int32
 * codes in row chunks (-1 = missing) and the dictionary of each column.
 * The numeric reader (strata_dataset_*) refuses these columns as features;
 * this is how the code that encodes them (one-hot at fit time) and the
 * commands that print them (inspect, export) read them. */
#ifndef STRATA_IO_CATEGORICAL_H
#define STRATA_IO_CATEGORICAL_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

typedef struct strata_catcols strata_catcols;

/* Opens categorical columns by name.
 * path IN: HDF5 file; location IN: the table's group (NULL = the root);
 * names IN: n >= 1 column names, each with @strata_type = categorical
 * (else STRATA_ERR_COLUMN naming it); out OUT, free with strata_catcols_free. */
strata_status strata_dataset_open_categorical(const char *path, const char *location, const char *const *names,
                                              size_t n, strata_catcols **out);
void strata_catcols_free(strata_catcols *c);

size_t strata_catcols_rows(const strata_catcols *c);
size_t strata_catcols_cols(const strata_catcols *c);
/* Name of column j; owned by c. */
const char *strata_catcols_name(const strata_catcols *c, size_t j);
/* Dictionary size of column j: its codes are -1 or 0..categories-1. */
size_t strata_catcols_categories(const strata_catcols *c, size_t j);
/* The file's chunk length in rows (largest over the columns), 0 if contiguous. */
size_t strata_catcols_file_chunk_rows(const strata_catcols *c);

/* Reads rows [row0, row0+rows) of every column, row-major (rows x cols)
 * into codes OUT.  A code outside -1..categories-1 (a damaged file) fails
 * with STRATA_ERR_FORMAT.  Takes the HDF5 lock; calls on one c must not
 * overlap. */
strata_status strata_catcols_read(strata_catcols *c, size_t row0, size_t rows, int32_t *codes);

/* The dictionary of column j: (*strings)[code] is the UTF-8 text of code,
 * *count = categories.  Read on the first call; owned by c. */
strata_status strata_catcols_dict(strata_catcols *c, size_t j, const char *const **strings, size_t *count);

/* Streams every code once: missing[j] OUT = rows of column j whose code is -1. */
strata_status strata_catcols_count_missing(strata_catcols *c, uint64_t *missing);

#endif
