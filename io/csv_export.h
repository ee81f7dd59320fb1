/* `strata export`: joins a labels file (segment, distance per row) back to
 * chosen columns of the input table, by row order, as an RFC 4180 CSV for
 * CRM tools.  Numbers are written exactly (integers as integers, floats in
 * the shortest form that reads back to the same value), dates as ISO
 * dates, booleans as true/false, categorical codes as their text, missing
 * values and unassigned rows (segment -1) as empty fields.  Streams in
 * chunks; the file appears under its name only when complete. */
#ifndef STRATA_IO_CSV_EXPORT_H
#define STRATA_IO_CSV_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

typedef struct {
  const char *labels;          /* labels file (strata fit/assign --labels) */
  const char *data;            /* the table the labels are for; NULL = labels only */
  const char *location;        /* its group; NULL = the root */
  const char *const *columns;  /* columns of data, in this order; NULL = every column */
  size_t ncolumns;
  const char *output;          /* CSV file to write */
} strata_csv_export_params;

typedef struct {
  uint64_t rows;
  size_t cols;     /* data columns written (segment and distance come after) */
  uint64_t bytes;  /* size of the CSV */
  double seconds;
} strata_csv_export_result;

/* Fails with STRATA_ERR_DATA when the labels and the data differ in rows,
 * STRATA_ERR_COLUMN for an unknown column, STRATA_ERR_FORMAT when labels is
 * not a labels file.  p IN, r OUT. */
strata_status strata_csv_export(const strata_csv_export_params *p, strata_csv_export_result *r);

#endif
