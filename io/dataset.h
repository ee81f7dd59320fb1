/* Internal side of strata_dataset (io/dataset.c): a thin handle over one
 * data source (io/source.h) that keeps the public API of strata.h.  The
 * public open/free/rows/cols/col_name functions are in strata.h. */
#ifndef STRATA_IO_DATASET_H
#define STRATA_IO_DATASET_H

#include "source.h"
#include "strata.h"

/* A dataset over src, which it owns from the call on (closed here when
 * this fails).  out OUT. */
strata_status strata_dataset_wrap(strata_source *src, strata_dataset **out);

/* The source a dataset reads; owned by ds. */
strata_source *strata_dataset_source(const strata_dataset *ds);

/* Reads raw rows [row0, row0+rows) of the selected columns, converted to
 * float32, row-major into out (rows×cols floats).  Missing values stay NaN.
 * Thread-safe with respect to other HDF5 calls in Strata (takes the io lock).
 *  ds IN, out OUT. */
strata_status strata_dataset_read(strata_dataset *ds, size_t row0, size_t rows, float *out);

/* ds's row weights (strata_dataset_set_weights; a view's follow its rows),
 * or NULL: read with strata_dataset_read like any one-column dataset. */
strata_dataset *strata_dataset_weights(const strata_dataset *ds);

/* The file's chunk length in rows along the row axis (the largest over the
 * selected columns), or 0 when the storage is contiguous. */
size_t strata_dataset_file_chunk_rows(const strata_dataset *ds);

/* HDF5 storage type of column j as a short name: "int8".."uint64",
 * "float32", "float64". */
const char *strata_dataset_col_type(const strata_dataset *ds, size_t j);

/* What a column holds (strata_col_kind: io/source.h). */
strata_col_kind strata_dataset_col_kind(const strata_dataset *ds, size_t j);

/* The column's @strata_type ("int", "float", "bool", "date",
 * "categorical"), or NULL when the file does not say (a plain numeric
 * column). */
const char *strata_dataset_col_stype(const strata_dataset *ds, size_t j);

/* 1 when the column is marked as an identifier (@strata_role = "id"):
 * strata_dataset_open leaves it out unless it is named. */
int strata_dataset_col_is_id(const strata_dataset *ds, size_t j);

/* Opens every 1-D column of the group layout, categorical and identifier
 * columns included, in file order (for listing; reading a categorical
 * column with strata_dataset_read gives its codes as floats).  The 2-D
 * layout opens as with strata_dataset_open.  path, location IN (as for
 * strata_dataset_open), out OUT. */
strata_status strata_dataset_open_all(const char *path, const char *location, strata_dataset **out);

/* One-hot columns added by strata_dataset_add_categorical follow the numeric
 * ones.  col_group: -1 for a numeric column, else the index of the
 * categorical column it expands; col_category: its category (NULL for
 * numeric); unknown_categories: rows read so far whose category was not in
 * the expansion (assign with a model's categories). */
int strata_dataset_col_group(const strata_dataset *ds, size_t j);
size_t strata_dataset_groups(const strata_dataset *ds);
const char *strata_dataset_group_name(const strata_dataset *ds, size_t g);
const char *strata_dataset_col_category(const strata_dataset *ds, size_t j);
uint64_t strata_dataset_unknown_categories(const strata_dataset *ds);

/* The source's recommended chunk length (strata_source_recommend_chunk). */
size_t strata_dataset_recommend_chunk(const strata_dataset *ds, size_t multiple, size_t target_bytes);

/* The process-wide lock around HDF5 calls (recursive).  Every io/ file that
 * calls HDF5 while another thread might be taking it holds it. */
void strata_h5_lock(void);
void strata_h5_unlock(void);

/* A dataset over rows in memory: takes ownership of x (rows×cols floats,
 * row-major, malloc'ed) and of names (cols malloc'ed strings and the array),
 * even when it fails.  Its path is STRATA_MEMORY_PATH, its location "", its
 * columns "float32"; reads copy rows out of x.  out OUT. */
strata_status strata_dataset_adopt_memory(float *x, size_t rows, size_t cols, char **names,
                                          strata_dataset **out);
/* Gives an in-memory dataset (strata_dataset_adopt_memory) the one-hot
 * groups of src, whose columns it holds in the same order: the categorical
 * weighting of a fit then applies to it as to src (core/stability.c
 * refits on such copies). */
strata_status strata_dataset_copy_groups(strata_dataset *dst, const strata_dataset *src);

#endif
