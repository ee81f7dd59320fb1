/* A plain-text table with aligned columns.  When it is wider than the
 * output, the non-key columns are wrapped into several blocks, each
 * repeating the key columns, so that many features stay readable. */
#ifndef STRATA_CLI_TABLE_H
#define STRATA_CLI_TABLE_H

#include <stdio.h>

#include "diag.h"

typedef struct cli_table cli_table;

/* ncols columns, the first nkey of which are repeated in every block. */
cli_table *cli_table_new(size_t ncols, size_t nkey);
void cli_table_free(cli_table *t);

/* Column heading; columns are right-aligned unless left is set. */
void cli_table_column(cli_table *t, size_t col, const char *heading, int left);

/* Starts a new row; returns its index. */
size_t cli_table_add_row(cli_table *t);

/* Sets a cell of the last row added. */
void cli_table_cell(cli_table *t, size_t col, const char *fmt, ...) CLI_PRINTF(3, 4);

/* Prints the table within `width` characters per line (0 = no limit),
 * each line starting with `indent`. */
void cli_table_print(const cli_table *t, FILE *f, size_t width, const char *indent);

/* The width to lay out tables for: the terminal's when f is one,
 * else $COLUMNS, else 100. */
size_t cli_output_width(FILE *f);

#endif
