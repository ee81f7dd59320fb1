/* A small table written as an HDF5 file of 1-D columns in the root group
 * (the layout `strata_dataset_open` reads), under a temporary name renamed
 * into place when complete.  For results that fit in memory (a PCA
 * projection of a sample), not for streaming. */
#ifndef STRATA_IO_COLUMNS_H5_H
#define STRATA_IO_COLUMNS_H5_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

typedef enum { STRATA_COL_F64, STRATA_COL_I64, STRATA_COL_I32 } strata_col_type;

typedef struct {
  const char *name;
  strata_col_type type;
  const void *data; /* rows values of the type */
} strata_h5_column;

/* Writes ncols columns of rows values each to path.  STRATA_ERR_WRITE naming
 * the path on failure, nothing left behind. */
strata_status strata_write_h5_columns(const char *path, const strata_h5_column *cols, size_t ncols,
                                      size_t rows);

#endif
