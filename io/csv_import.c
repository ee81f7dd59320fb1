/* `strata import` (io/csv_import.h): opens the CSV, runs the engine into the
 * HDF5 column writer, commits or removes the output. */
#include "csv_import.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctx.h"
#include "csv_writer.h"
#include "ctx.h"
#include "error.h"

void strata_csv_import_params_init(strata_csv_import_params *p) {
  memset(p, 0, sizeof *p);
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

strata_status strata_csv_import(const strata_ctx *ctx, const strata_csv_import_params *p,
                                strata_csv_import_result *r) {
  RETURN_IF(!r, STRATA_ERR_USAGE, "strata_csv_import: result is NULL");
  memset(r, 0, sizeof *r);
  RETURN_IF(!p || !p->input || !p->output, STRATA_ERR_USAGE, "strata_csv_import: no input or output");
  double t0 = now();
  int fd;
  FORWARD_IF_ERROR(open_input(p->input, &fd));
  csv_writer *w = NULL;
  strata_status st = csv_writer_open(p->output, p->group, p->level ? p->level : 1, strata_ctx_threads(ctx), &w);
  if (st == STRATA_OK) {
    csv_engine_params ep = {.delimiter = p->delimiter,
                            .latin1 = p->latin1,
                            .columns = p->columns,
                            .ncolumns = p->ncolumns,
                            .skip_columns = p->skip_columns,
                            .nskip = p->nskip,
                            .skip_bad_rows = p->skip_bad_rows,
                            .name = p->input,
                            .ctx = ctx};
    csv_source src = {fd, NULL, 0};
    csv_sink sink = csv_writer_sink(w);
    st = csv_engine_run(&src, &ep, &sink, &r->table);
    if (st == STRATA_OK) st = csv_writer_commit(w, &r->table, p->input);
    else csv_writer_abort(w);
  }
  close(fd);
  r->seconds = now() - t0;
  return st;
}

void strata_csv_import_result_free(strata_csv_import_result *r) {
  if (r) csv_table_free(&r->table);
}
