/* Type inference of the CSV importer (pass 1): every value of a column is
 * classified (io/csv_number.h) and the column takes the narrowest type that
 * holds them all; then the storage type follows from the type, the range of
 * its integers and whether any value is missing. */
#ifndef STRATA_IO_CSV_INFER_H
#define STRATA_IO_CSV_INFER_H

#include <stddef.h>
#include <stdint.h>

#include "csv_number.h"

/* Column types, as the strata_type attribute names them (docs/FORMAT.md). */
typedef enum { CSV_TYPE_INT, CSV_TYPE_FLOAT, CSV_TYPE_BOOL, CSV_TYPE_DATE, CSV_TYPE_CATEGORICAL } csv_type;

/* Storage types of the column datasets. */
typedef enum {
  CSV_STORE_I8,
  CSV_STORE_I16,
  CSV_STORE_I32,
  CSV_STORE_I64,
  CSV_STORE_U8,
  CSV_STORE_F32,
  CSV_STORE_F64
} csv_storage;

/* "int", "float", "bool", "date", "categorical". */
const char *csv_type_name(csv_type t);
/* "int8", ..., "float64". */
const char *csv_storage_name(csv_storage s);
size_t csv_storage_size(csv_storage s);

/* Where a value is in the file, with a short excerpt of it for messages. */
typedef struct {
  uint64_t line;
  size_t column; /* 1-based */
  char text[48];
} csv_where;

void csv_where_set(csv_where *w, uint64_t line, size_t column, const char *p, size_t n);

/* Text values of a column listed (where they are) for messages. */
#define CSV_TEXT_LISTED 3

typedef struct {
  unsigned seen; /* bit (1 << csv_kind) for each kind met */
  uint64_t numbers, texts;               /* INT or FLOAT values; STRING values */
  csv_where text_at[CSV_TEXT_LISTED];    /* the first text values */
  size_t ntext_at;
  uint64_t values, missing;
  int64_t imin, imax, ilast;
  int increasing;         /* the integers so far are strictly increasing */
  uint64_t overflows;     /* numbers beyond float64's range */
  csv_where overflow;     /* the first of them */
  int demoted;            /* became text after typed values */
  csv_where demoted_at;   /* the value that did it */
} csv_infer_col;

void csv_infer_init(csv_infer_col *c);

/* 1 when the column is text already: later values need no classification. */
static inline int csv_infer_is_text(const csv_infer_col *c) { return (c->seen >> CSV_KIND_STRING) & 1u; }

/* Adds one classified value found at (line, column) with text p[0..n). */
void csv_infer_add(csv_infer_col *c, const csv_value *v, uint64_t line, size_t column, const char *p, size_t n);

/* Adds a missing value or a value of a text column. */
static inline void csv_infer_add_missing(csv_infer_col *c) { c->missing++; }
void csv_infer_add_text(csv_infer_col *c, uint64_t line, size_t column, const char *p, size_t n);

/* The column's type.  A column with no value at all is float (all NaN). */
csv_type csv_infer_type(const csv_infer_col *c);

/* A numeric column with a few cells that are not numbers: numbers and
 * text only, the text at most 1 value in CSV_FEW_BAD_CELLS.  Its type is
 * then *numeric (int or float, from the numbers alone) and the text cells
 * are missing values (docs/FORMAT.md). */
#define CSV_FEW_BAD_CELLS 100
int csv_infer_few_bad_cells(const csv_infer_col *c, csv_type *numeric);

/* A text column whose values are mostly (over half) numbers. */
int csv_infer_mostly_numeric(const csv_infer_col *c);

/* The storage of a column of type t: integers and booleans without missing
 * values in the narrowest integer type that holds them (uint8 for bool);
 * with missing values in float32 while |v| <= 2^24, else float64 (exact to
 * 2^53); floats and dates in float64; categorical codes in int32.
 * *inexact is set when integers beyond 2^53 end up in float64. */
csv_storage csv_infer_storage(const csv_infer_col *c, csv_type t, int *inexact);

/* 1 when a column name marks an identifier: "id", or ending in "_id" (any
 * case), "Id" or "ID" (customer_id, CUST_ID, CustomerID, customerId). */
int csv_name_is_id(const char *name);

#endif
