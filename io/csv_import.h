/* `strata import`: a CSV file to a columnar HDF5 table (docs/FORMAT.md).
 * Two streaming passes (io/csv_engine.h) and the column writer
 * (io/csv_writer.h); the output appears under its name only when complete. */
#ifndef STRATA_IO_CSV_IMPORT_H
#define STRATA_IO_CSV_IMPORT_H

#include "csv_engine.h"
#include "strata.h"

typedef struct {
  const char *input;   /* CSV file (a regular file: it is read twice) */
  const char *output;  /* HDF5 file to write */
  const char *group;   /* group of the columns; NULL = the root */
  char delimiter;      /* 0 = guess */
  int latin1;          /* input is Latin-1 */
  const char *const *columns;      /* NULL = every column */
  size_t ncolumns;
  const char *const *skip_columns;
  size_t nskip;
  int skip_bad_rows;   /* --on-error skip */
  int level;           /* deflate level 1-9; 0 = 1 */
} strata_csv_import_params;

void strata_csv_import_params_init(strata_csv_import_params *p);

typedef struct {
  csv_table table;     /* columns, rows, skipped records */
  double seconds;      /* wall time of both passes and the write */
} strata_csv_import_result;

/* ctx IN (log, cancellation; its threads compress: 0 = one per core), p IN, r OUT (free with
 * strata_csv_import_result_free, also on failure). */
strata_status strata_csv_import(const strata_ctx *ctx, const strata_csv_import_params *p,
                                strata_csv_import_result *r);
void strata_csv_import_result_free(strata_csv_import_result *r);

#endif
