/* The two passes of the CSV importer, independent of HDF5.
 *
 * Pass 1 reads the header, picks the columns, and classifies every value of
 * every picked column to infer the column types over the whole file
 * (io/csv_infer.h); it also finds every bad record.  Pass 2 reads the file
 * again, converts each value to its column's storage type, dictionary-
 * encodes text, and hands full chunks of each column to a sink (the HDF5
 * column writer, io/csv_writer.h; the fuzzer's harness uses a sink that
 * only checks).  Memory: one read buffer, one chunk of each column, and the
 * dictionaries of the categorical columns - nothing grows with the rows.
 *
 * Bad input (ragged rows, text after a closing quote, invalid UTF-8 or a
 * NUL byte in a picked column, a float beyond float64 in a float column)
 * fails with STRATA_ERR_DATA and a one-line detail naming the file, the
 * physical line and the column (1-based) - or, with skip_bad_rows, drops
 * that record and counts it.  The header, an unterminated quote and a
 * record beyond max_record_bytes always fail. */
#ifndef STRATA_IO_CSV_ENGINE_H
#define STRATA_IO_CSV_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "csv_dict.h"
#include "csv_infer.h"
#include "csv_reader.h"
#include "strata.h"

typedef struct {
  char delimiter;                  /* 0: guess among , ; TAB | */
  int latin1;                      /* input is Latin-1 (transcoded to UTF-8) instead of UTF-8 */
  const char *const *columns;      /* keep only these, in this order (NULL: every column) */
  size_t ncolumns;
  const char *const *skip_columns; /* leave these out */
  size_t nskip;
  int skip_bad_rows;               /* drop bad records instead of failing */
  size_t buffer_bytes;             /* read buffer; 0 = 4 MiB */
  size_t max_record_bytes;         /* longest record; 0 = 64 MiB */
  size_t chunk_rows;               /* rows per chunk handed to the sink; 0 = 65536 */
  const char *name;                /* the file as messages name it */
  const strata_ctx *ctx;  /* log sink; its cancellation is polled per chunk; NULL = defaults */
  const char *date_format;         /* also dates in this layout (io/csv_datefmt.h); NULL = ISO only */
  char decimal;                    /* ',': numbers are written 10,5; 0 or '.': 10.5 */
  int strict;                      /* a few bad cells of a numeric column fail the import
                                      instead of becoming missing values */
} csv_engine_params;

enum { CSV_LISTED_PROBLEMS = 10 };

typedef struct {
  uint64_t line;  /* physical line, 1-based */
  size_t column;  /* 1-based, 0 when the whole record */
  char reason[160];
} csv_problem;

typedef struct {
  char *name;         /* UTF-8, as stored */
  size_t field;       /* 0-based field of the CSV record */
  csv_type type;
  csv_storage storage;
  int is_id;          /* strata_role=id (docs/FORMAT.md) */
  int inexact;        /* integers beyond 2^53 stored as float64 */
  uint64_t count;     /* non-missing values */
  uint64_t missing;
  uint64_t categories; /* categorical: dictionary size */
  int demoted;        /* text although earlier values were typed ... */
  csv_where demoted_at; /* ... because of this value */
  uint64_t bad_cells; /* numeric with a few cells that are not numbers: those became missing */
  size_t nbad_at;
  csv_where bad_at[CSV_TEXT_LISTED]; /* the first of them */
  int mostly_numeric; /* text, although most of its values are numbers */
  uint64_t numbers, texts;
} csv_column;

typedef struct {
  char delimiter;
  size_t fields;      /* fields of the header */
  size_t ncols;       /* picked columns */
  csv_column *col;
  uint64_t rows;      /* rows written */
  uint64_t skipped;   /* records dropped (skip_bad_rows) */
  size_t nlisted;
  csv_problem listed[CSV_LISTED_PROBLEMS]; /* the first dropped records */
  uint64_t bytes;     /* input size */
  uint64_t lines;     /* physical lines read */
} csv_table;

/* Receives the output of pass 2.  Every function returns STRATA_OK or an
 * error that stops the import. */
typedef struct {
  void *ctx;
  /* The columns are known; at most max_rows rows will come, in chunks of
   * chunk_rows. */
  strata_status (*begin)(void *ctx, const csv_table *t, uint64_t max_rows, size_t chunk_rows);
  /* Chunk `index` of column `col`: rows (<= chunk_rows; fewer only for the
   * last chunk) values of its storage type. */
  strata_status (*chunk)(void *ctx, size_t col, uint64_t index, const void *data, size_t rows);
  /* The dictionary of categorical column `col`, after the last chunk. */
  strata_status (*dict)(void *ctx, size_t col, const csv_dict *d);
} csv_sink;

/* Runs both passes over src.  t OUT (free with csv_table_free, also after
 * a failure).  When src is a file, a change of its size or modification
 * time between the passes fails with STRATA_ERR_IO. */
strata_status csv_engine_run(const csv_source *src, const csv_engine_params *p, const csv_sink *sink,
                             csv_table *t);
void csv_table_free(csv_table *t);

#endif
