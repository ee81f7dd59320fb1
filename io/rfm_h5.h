/* The transaction table of `strata rfm` read from HDF5: an imported table
 * (docs/FORMAT.md) or any group of 1-D columns.  Each named column is read
 * in its own type, never through the float32 feature path: numbers as
 * float64 (integer storage as int64), categorical columns as the text of
 * their codes. */
#ifndef STRATA_IO_RFM_H5_H
#define STRATA_IO_RFM_H5_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

/* One value: text (a categorical column), or a number. */
typedef struct {
  int missing;
  const char *text; /* NULL for a number; valid during the call */
  size_t len;
  double num;
  int64_t inum;     /* integer storage: the exact value */
  int is_int;       /* the column has integer storage */
  int is_date;      /* the column is a date column (num in days) */
} rfm_cell;

/* cells[k] is column names[k]; row is 0-based. */
typedef strata_status (*rfm_row_fn)(void *ctx, const rfm_cell *cells, uint64_t row);

/* Calls row() for each row of the ncols columns of path (the root group or
 * the one group that holds the table, as strata_dataset_open finds it).
 * STRATA_ERR_COLUMN naming the column for a missing one. */
strata_status rfm_h5_scan(const strata_ctx *ctx, const char *path, const char *const *names, size_t ncols,
                          rfm_row_fn row, void *fnctx);

#endif
