/* One-hot expansion of categorical columns, appended after a dataset's
 * numeric columns: column "region=North" is 1 where the row's category is
 * North, 0 elsewhere, NaN in every column of the group where the category is
 * missing.  Used through strata_dataset_add_categorical (strata.h). */
#ifndef STRATA_IO_ONEHOT_H
#define STRATA_IO_ONEHOT_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

typedef struct strata_onehot strata_onehot;

/* path/location IN: the table; names IN: n categorical columns;
 * categories IN (may be NULL): per column, the categories to expand into, in
 * order (a model's) with ncategories[g] entries; NULL takes each column's own
 * dictionary.  A file category not in the list expands to all zeros (counted,
 * see strata_onehot_unknown).  rows: the numeric part's row count (must match). */
strata_status strata_onehot_open(const char *path, const char *location, const char *const *names,
                                 size_t n, const char *const *const *categories,
                                 const size_t *ncategories, size_t rows, strata_onehot **out);
void strata_onehot_free(strata_onehot *o);

size_t strata_onehot_cols(const strata_onehot *o);
size_t strata_onehot_groups(const strata_onehot *o);
const char *strata_onehot_col_name(const strata_onehot *o, size_t j);   /* "name=category" */
size_t strata_onehot_col_group(const strata_onehot *o, size_t j);
const char *strata_onehot_group_name(const strata_onehot *o, size_t g);
const char *strata_onehot_col_category(const strata_onehot *o, size_t j);
/* Rows read so far whose category was not among the expansion's. */
uint64_t strata_onehot_unknown(const strata_onehot *o);

/* Writes the expansion of rows [row0, row0+rows) into out, whose rows are
 * `stride` floats apart, starting at column 0 of out. */
strata_status strata_onehot_read(strata_onehot *o, size_t row0, size_t rows, float *out, size_t stride);

#endif
