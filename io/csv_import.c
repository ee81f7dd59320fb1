/* strata_csv_import (strata.h, `strata import`): opens the CSV, runs the
 * engine (io/csv_engine.h) into the HDF5 column writer (io/csv_writer.h),
 * commits or removes the output. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "csv_datefmt.h"
#include "csv_engine.h"
#include "csv_infer.h"
#include "csv_writer.h"
#include "ctx.h"
#include "error.h"

void strata_csv_import_params_init(strata_csv_import_params *p) {
  memset(p, 0, sizeof *p);
  p->size = sizeof *p;
  p->level = 1;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static strata_status open_input(const char *path, int *fd) {
  *fd = open(path, O_RDONLY | O_CLOEXEC);
  RETURN_IF(*fd < 0, STRATA_ERR_NOT_FOUND, "cannot open '%s': %s", path, strerror(errno));
  struct stat sb;
  int err = fstat(*fd, &sb) != 0 ? errno : S_ISDIR(sb.st_mode) ? EISDIR : 0;
  if (!err && !S_ISREG(sb.st_mode)) {
    close(*fd);
    *fd = -1;
    return strata_fail(STRATA_ERR_USAGE, "'%s' is not a regular file (the import reads it twice)", path);
  }
  if (err) {
    close(*fd);
    *fd = -1;
    return strata_fail(STRATA_ERR_NOT_FOUND, "cannot open '%s': %s", path, strerror(err));
  }
  /* Both passes read it front to back. */
  posix_fadvise(*fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return STRATA_OK;
}

/* The public result over the engine's table (its strings stay owned by the
 * table). */
typedef struct {
  strata_csv_import_result pub;
  csv_table table;
  strata_csv_import_column *cols;
  strata_csv_import_problem *probs;
  char **notes;
} import_result;

/* The warning of a column: its bad cells, or numbers stored as text. */
static char *column_note(const csv_column *c) {
  char buf[512];
  size_t len = 0;
  if (c->bad_cells) {
    len = (size_t)snprintf(buf, sizeof buf, "%llu cell%s that %s not a number became missing (line%s",
                           (unsigned long long)c->bad_cells, c->bad_cells == 1 ? "" : "s",
                           c->bad_cells == 1 ? "is" : "are", c->nbad_at == 1 ? "" : "s");
    for (size_t k = 0; k < c->nbad_at && len < sizeof buf; k++)
      len += (size_t)snprintf(buf + len, sizeof buf - len, "%s %llu '%s'", k ? "," : "",
                              (unsigned long long)c->bad_at[k].line, c->bad_at[k].text);
    if (len < sizeof buf)
      snprintf(buf + len, sizeof buf - len, "%s); --strict makes this an error", c->bad_cells > c->nbad_at ? ", ..." : "");
    return strdup(buf);
  }
  if (c->mostly_numeric) {
    snprintf(buf, sizeof buf,
             "stored as text although %llu of its %llu values are numbers (the first that is not: line %llu '%s')",
             (unsigned long long)c->numbers, (unsigned long long)(c->numbers + c->texts),
             (unsigned long long)c->bad_at[0].line, c->bad_at[0].text);
    return strdup(buf);
  }
  return NULL;
}

static strata_status publish(import_result *r) {
  const csv_table *t = &r->table;
  r->cols = calloc(t->ncols ? t->ncols : 1, sizeof *r->cols);
  r->probs = calloc(t->nlisted ? t->nlisted : 1, sizeof *r->probs);
  r->notes = calloc(t->ncols ? t->ncols : 1, sizeof *r->notes);
  RETURN_IF(!r->cols || !r->probs || !r->notes, STRATA_ERR_NOMEM, "out of memory");
  for (size_t j = 0; j < t->ncols; j++) {
    const csv_column *c = &t->col[j];
    r->cols[j] = (strata_csv_import_column){.name = c->name,
                                            .type = csv_type_name(c->type),
                                            .storage = csv_storage_name(c->storage),
                                            .is_id = c->is_id,
                                            .inexact = c->inexact,
                                            .count = c->count,
                                            .missing = c->missing,
                                            .categories = c->type == CSV_TYPE_CATEGORICAL ? c->categories : 0,
                                            .bad_cells = c->bad_cells};
    r->cols[j].note = r->notes[j] = column_note(c);
  }
  for (size_t k = 0; k < t->nlisted; k++)
    r->probs[k] = (strata_csv_import_problem){t->listed[k].line, t->listed[k].column, t->listed[k].reason};
  r->pub.rows = t->rows;
  r->pub.ncols = t->ncols;
  r->pub.columns = r->cols;
  r->pub.skipped = t->skipped;
  r->pub.nlisted = t->nlisted;
  r->pub.listed = r->probs;
  r->pub.delimiter = t->delimiter;
  r->pub.bytes = t->bytes;
  r->pub.lines = t->lines;
  return STRATA_OK;
}

strata_status strata_csv_import(const strata_ctx *ctx, const strata_csv_import_params *p,
                                strata_csv_import_result **out) {
  RETURN_IF(!out, STRATA_ERR_USAGE, "strata_csv_import: out is NULL");
  *out = NULL;
  RETURN_IF(!p, STRATA_ERR_USAGE, "strata_csv_import: params is NULL");
  FORWARD_IF_ERROR(strata_check_size(p->size, sizeof *p, "strata_csv_import_params"));
  RETURN_IF(!p->input || !p->output, STRATA_ERR_USAGE, "strata_csv_import: no input or output");
  RETURN_IF(p->level < 0 || p->level > 9, STRATA_ERR_USAGE, "compression level must be 1-9 (got %d)", p->level);
  RETURN_IF(p->decimal && p->decimal != '.' && p->decimal != ',', STRATA_ERR_USAGE,
            "the decimal mark must be '.' or ',' (got '%c')", p->decimal);
  char why[300];
  RETURN_IF(p->date_format && !csv_datefmt_check(p->date_format, why, sizeof why), STRATA_ERR_USAGE, "%s", why);
  import_result *r = calloc(1, sizeof *r);
  RETURN_IF(!r, STRATA_ERR_NOMEM, "out of memory");
  double t0 = now();
  int fd;
  strata_status st = open_input(p->input, &fd);
  if (st != STRATA_OK) {
    free(r);
    return st;
  }
  csv_writer *w = NULL;
  st = csv_writer_open(p->output, p->group, p->level ? p->level : 1, strata_ctx_threads(ctx), &w);
  if (st == STRATA_OK) {
    csv_engine_params ep = {.delimiter = p->delimiter,
                            .latin1 = p->latin1,
                            .columns = p->columns,
                            .ncolumns = p->ncolumns,
                            .skip_columns = p->skip_columns,
                            .nskip = p->nskip,
                            .skip_bad_rows = p->skip_bad_rows,
                            .name = p->input,
                            .ctx = ctx,
                            .date_format = p->date_format,
                            .decimal = p->decimal,
                            .strict = p->strict};
    csv_source src = {fd, NULL, 0};
    csv_sink sink = csv_writer_sink(w);
    st = csv_engine_run(&src, &ep, &sink, &r->table);
    if (st == STRATA_OK) st = publish(r);
    if (st == STRATA_OK) st = csv_writer_commit(w, &r->table, p->input);
    else csv_writer_abort(w);
  }
  close(fd);
  r->pub.seconds = now() - t0;
  if (st != STRATA_OK) {
    strata_csv_import_result_free(&r->pub);
    return st;
  }
  *out = &r->pub;
  return STRATA_OK;
}

void strata_csv_import_result_free(strata_csv_import_result *pub) {
  if (!pub) return;
  import_result *r = (import_result *)pub;
  for (size_t j = 0; r->notes && j < r->table.ncols; j++) free(r->notes[j]);
  free(r->notes);
  csv_table_free(&r->table);
  free(r->cols);
  free(r->probs);
  free(r);
}
