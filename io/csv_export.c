/* `strata export` (io/csv_export.h).  Numeric columns are read in their own
 * type (integers as int64, floats as float64), never through the float32
 * feature path, so an id or an amount comes out exactly as it went in. */
#include "csv_export.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctx.h"
#include "categorical.h"
#include "csv_number.h"
#include "dataset.h"
#include "ctx.h"
#include "error.h"
#include "h5_util.h"
#include "output_file.h"

#define EXPORT_CHUNK_ROWS ((size_t)65536)
#define OUT_BUFFER ((size_t)1 << 20)

typedef enum { OUT_INT, OUT_FLOAT, OUT_DATE, OUT_BOOL, OUT_CATEGORICAL } out_kind;

typedef struct {
  const char *name;  /* owned by the listing dataset */
  out_kind kind;
  int as_int;        /* read as int64 (integer storage), else as float64 */
  hid_t dset, space;
  size_t cat;        /* index among the categorical columns */
  const char *const *dict;
  size_t categories;
  int64_t *i;
  double *d;
} out_col;

typedef struct {
  const strata_ctx *ctx;
  const strata_csv_export_params *p;
  strata_dataset *all;  /* every column of the data, for names and kinds */
  hid_t file, group;
  hid_t lfile, seg, dist, lspace;
  size_t rows, ncols, ncat;
  out_col *col;
  strata_catcols *cat;
  int32_t *codes, *segment;
  float *distance;
  strata_output_file out;
  FILE *f;
  char *fbuf;
} exporter;

/* ------------------------------------------------------------ formatting */

static void put_quoted(FILE *f, const char *s) {
  if (!strpbrk(s, ",\"\r\n")) {
    fputs(s, f);
    return;
  }
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"') fputc('"', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

/* The shortest decimal that reads back as exactly v. */
static void put_double(FILE *f, double v) {
  if (isnan(v)) return;
  if (isinf(v)) {
    fputs(v > 0 ? "inf" : "-inf", f);
    return;
  }
  char buf[40];
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    double back;
    if (prec == 17 || (csv_parse_double(buf, strlen(buf), &back) == 1 && back == v)) break;
  }
  fputs(buf, f);
}

static void put_float(FILE *f, float v) {
  if (isnan(v)) return;
  char buf[32];
  for (int prec = 6; prec <= 9; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, (double)v);
    if (prec == 9 || strtof(buf, NULL) == v) break;
  }
  fputs(buf, f);
}

/* An integer held in a float column (an int column with missing values). */
static void put_int_double(FILE *f, double v) {
  if (isfinite(v) && v == floor(v) && fabs(v) < 9.2e18) fprintf(f, "%" PRId64, (int64_t)v);
  else put_double(f, v);
}

/* Days since 1970-01-01 as YYYY-MM-DD, with THH:MM:SS[.mmm] for a time of day. */
static void put_date(FILE *f, double v) {
  if (!isfinite(v)) return;
  double day = floor(v);
  int64_t ms = (int64_t)llround((v - day) * 86400000.0);
  int64_t d = (int64_t)day;
  if (ms >= 86400000) d++, ms -= 86400000;
  int64_t y;
  unsigned m, dd;
  csv_civil_from_days(d, &y, &m, &dd);
  fprintf(f, "%04" PRId64 "-%02u-%02u", y, m, dd);
  if (ms == 0) return;
  int64_t s = ms / 1000;
  fprintf(f, "T%02d:%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
  if (ms % 1000) fprintf(f, ".%03d", (int)(ms % 1000));
}

static void put_value(const exporter *x, const out_col *c, size_t i, size_t row_in_chunk) {
  FILE *f = x->f;
  switch (c->kind) {
    case OUT_CATEGORICAL: {
      int32_t code = x->codes[row_in_chunk * x->ncat + c->cat];
      if (code >= 0) put_quoted(f, c->dict[code]);
      return;
    }
    case OUT_BOOL:
      if (c->as_int) fputs(c->i[i] ? "true" : "false", f);
      else if (!isnan(c->d[i])) fputs(c->d[i] != 0.0 ? "true" : "false", f);
      return;
    case OUT_DATE: put_date(f, c->as_int ? (double)c->i[i] : c->d[i]); return;
    case OUT_INT:
      if (c->as_int) fprintf(f, "%" PRId64, c->i[i]);
      else put_int_double(f, c->d[i]);
      return;
    case OUT_FLOAT:
      if (c->as_int) fprintf(f, "%" PRId64, c->i[i]);
      else put_double(f, c->d[i]);
      return;
  }
}

/* ------------------------------------------------------------ opening */

static strata_status h5_failed(const char *what, const char *path) {
  char why[512];
  return strata_fail(STRATA_ERR_FORMAT, "cannot read %s of '%s': %s", what, path, strata_h5_error_text(why, sizeof why));
}

static strata_status open_labels(exporter *x) {
  const char *path = x->p->labels;
  FORWARD_IF_ERROR(strata_h5_open_read(path, &x->lfile));
  strata_status st = STRATA_OK;
  strata_h5_lock();
  if (H5Lexists(x->lfile, "segment", H5P_DEFAULT) <= 0 || H5Lexists(x->lfile, "distance", H5P_DEFAULT) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    st = strata_fail(STRATA_ERR_FORMAT, "'%s' is not a labels file (no /segment and /distance)", path);
  } else {
    x->seg = H5Dopen2(x->lfile, "segment", H5P_DEFAULT);
    x->dist = H5Dopen2(x->lfile, "distance", H5P_DEFAULT);
    x->lspace = x->seg >= 0 ? H5Dget_space(x->seg) : -1;
    hid_t dspace = x->dist >= 0 ? H5Dget_space(x->dist) : -1;
    hsize_t n = 0, m = 0;
    if (x->lspace < 0 || dspace < 0 || H5Sget_simple_extent_ndims(x->lspace) != 1 ||
        H5Sget_simple_extent_ndims(dspace) != 1)
      st = h5_failed("the labels", path);
    else {
      H5Sget_simple_extent_dims(x->lspace, &n, NULL);
      H5Sget_simple_extent_dims(dspace, &m, NULL);
      if (n != m) st = strata_fail(STRATA_ERR_FORMAT, "'%s': /segment and /distance differ in length", path);
    }
    x->rows = (size_t)n;
    strata_h5_close(dspace);
  }
  strata_h5_unlock();
  return st;
}

static out_kind kind_of(const char *stype, int integer_storage) {
  if (!stype) return integer_storage ? OUT_INT : OUT_FLOAT;
  if (strcmp(stype, "date") == 0) return OUT_DATE;
  if (strcmp(stype, "bool") == 0) return OUT_BOOL;
  if (strcmp(stype, "int") == 0) return OUT_INT;
  return OUT_FLOAT;
}

static strata_status pick_data_columns(exporter *x) {
  const strata_csv_export_params *p = x->p;
  size_t d = strata_dataset_cols(x->all);
  size_t n = p->columns ? p->ncolumns : d;
  x->col = calloc(n ? n : 1, sizeof *x->col);
  RETURN_IF(!x->col, STRATA_ERR_NOMEM, "out of memory exporting '%s'", p->output);
  for (size_t k = 0; k < n; k++) {
    size_t j = k;
    if (p->columns) {
      for (j = 0; j < d && strcmp(strata_dataset_col_name(x->all, j), p->columns[k]) != 0; j++) continue;
      if (j == d) {
        strata_dataset *probe = NULL; /* the reader's message lists what there is */
        strata_status st = strata_dataset_open(p->data, p->location, &p->columns[k], 1, &probe);
        strata_dataset_free(probe);
        if (st != STRATA_OK) return st;
        return strata_fail(STRATA_ERR_COLUMN, "column '%s' not found in %s", p->columns[k], p->data);
      }
    }
    out_col *c = &x->col[k];
    c->dset = c->space = -1;
    c->name = strata_dataset_col_name(x->all, j);
    RETURN_IF(strcmp(c->name, "segment") == 0 || strcmp(c->name, "distance") == 0, STRATA_ERR_COLUMN,
              "column '%s' of '%s' has the name of a label column; leave it out", c->name, p->data);
    const char *storage = strata_dataset_col_type(x->all, j);
    c->as_int = storage && strstr(storage, "int") != NULL;
    if (strata_dataset_col_kind(x->all, j) == STRATA_COL_CATEGORICAL) {
      c->kind = OUT_CATEGORICAL;
      c->cat = x->ncat++;
    } else {
      c->kind = kind_of(strata_dataset_col_stype(x->all, j), c->as_int);
    }
    x->ncols = k + 1;
  }
  x->ncols = n;
  return STRATA_OK;
}

static strata_status open_data(exporter *x) {
  const strata_csv_export_params *p = x->p;
  FORWARD_IF_ERROR(strata_dataset_open_all(p->data, p->location, &x->all));
  RETURN_IF(strata_dataset_rows(x->all) != x->rows, STRATA_ERR_DATA,
            "the labels file '%s' has %zu rows but '%s' has %zu: they are not for the same data", p->labels, x->rows,
            p->data, strata_dataset_rows(x->all));
  FORWARD_IF_ERROR(pick_data_columns(x));
  const char *loc = strata_dataset_location(x->all);
  if (x->ncat > 0) {
    const char **names = calloc(x->ncat, sizeof *names);
    RETURN_IF(!names, STRATA_ERR_NOMEM, "out of memory exporting '%s'", p->output);
    for (size_t k = 0; k < x->ncols; k++)
      if (x->col[k].kind == OUT_CATEGORICAL) names[x->col[k].cat] = x->col[k].name;
    strata_status st = strata_dataset_open_categorical(p->data, loc, names, x->ncat, &x->cat);
    free(names);
    FORWARD_IF_ERROR(st);
    for (size_t k = 0; k < x->ncols; k++)
      if (x->col[k].kind == OUT_CATEGORICAL)
        FORWARD_IF_ERROR(strata_catcols_dict(x->cat, x->col[k].cat, &x->col[k].dict, &x->col[k].categories));
  }
  FORWARD_IF_ERROR(strata_h5_open_read(p->data, &x->file));
  strata_status st = STRATA_OK;
  strata_h5_lock();
  x->group = H5Gopen2(x->file, loc, H5P_DEFAULT);
  if (x->group < 0) st = strata_fail(STRATA_ERR_FORMAT, "%s:%s is not a group of columns", p->data, loc);
  for (size_t k = 0; k < x->ncols && st == STRATA_OK; k++) {
    out_col *c = &x->col[k];
    if (c->kind == OUT_CATEGORICAL) continue;
    c->dset = H5Dopen2(x->group, c->name, H5P_DEFAULT);
    c->space = c->dset >= 0 ? H5Dget_space(c->dset) : -1;
    if (c->space < 0) st = h5_failed(c->name, p->data);
  }
  strata_h5_unlock();
  return st;
}

/* ------------------------------------------------------------ streaming */

static strata_status read_chunk(exporter *x, size_t row0, size_t m) {
  hsize_t start = row0, count = m;
  strata_status st = STRATA_OK;
  strata_h5_lock();
  hid_t mem = H5Screate_simple(1, &count, NULL);
  if (mem < 0 || H5Sselect_hyperslab(x->lspace, H5S_SELECT_SET, &start, NULL, &count, NULL) < 0 ||
      strata_h5_read(x->seg, H5T_NATIVE_INT32, mem, x->lspace, x->segment) < 0 ||
      strata_h5_read(x->dist, H5T_NATIVE_FLOAT, mem, x->lspace, x->distance) < 0)
    st = h5_failed("the labels", x->p->labels);
  for (size_t k = 0; k < x->ncols && st == STRATA_OK; k++) {
    out_col *c = &x->col[k];
    if (c->kind == OUT_CATEGORICAL) continue;
    if (H5Sselect_hyperslab(c->space, H5S_SELECT_SET, &start, NULL, &count, NULL) < 0 ||
        strata_h5_read(c->dset, c->as_int ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, mem, c->space,
                       c->as_int ? (void *)c->i : (void *)c->d) < 0)
      st = h5_failed(c->name, x->p->data);
  }
  strata_h5_close(mem);
  strata_h5_unlock();
  if (st == STRATA_OK && x->cat) st = strata_catcols_read(x->cat, row0, m, x->codes);
  return st;
}

static strata_status write_rows(exporter *x) {
  size_t R = EXPORT_CHUNK_ROWS;
  x->segment = malloc(R * sizeof *x->segment);
  x->distance = malloc(R * sizeof *x->distance);
  x->codes = malloc(R * (x->ncat ? x->ncat : 1) * sizeof *x->codes);
  RETURN_IF(!x->segment || !x->distance || !x->codes, STRATA_ERR_NOMEM, "out of memory exporting '%s'", x->p->output);
  for (size_t k = 0; k < x->ncols; k++) {
    out_col *c = &x->col[k];
    if (c->kind == OUT_CATEGORICAL) continue;
    if (c->as_int) c->i = malloc(R * sizeof *c->i);
    else c->d = malloc(R * sizeof *c->d);
    RETURN_IF(!c->i && !c->d, STRATA_ERR_NOMEM, "out of memory exporting '%s'", x->p->output);
  }
  for (size_t k = 0; k < x->ncols; k++) {
    put_quoted(x->f, x->col[k].name);
    fputc(',', x->f);
  }
  fputs(x->p->segment_names ? "segment,distance,segment_name\r\n" : "segment,distance\r\n", x->f);
  for (size_t row0 = 0; row0 < x->rows; row0 += R) {
    size_t m = x->rows - row0 < R ? x->rows - row0 : R;
    FORWARD_IF_ERROR(read_chunk(x, row0, m));
    for (size_t i = 0; i < m; i++) {
      for (size_t k = 0; k < x->ncols; k++) {
        put_value(x, &x->col[k], i, i);
        fputc(',', x->f);
      }
      if (x->segment[i] >= 0) {
        fprintf(x->f, "%d,", (int)x->segment[i]);
        put_float(x->f, x->distance[i]);
      } else {
        fputc(',', x->f);
      }
      if (x->p->segment_names) {
        fputc(',', x->f);
        size_t s = (size_t)x->segment[i];
        if (x->segment[i] >= 0 && s < x->p->nsegment_names && x->p->segment_names[s])
          put_quoted(x->f, x->p->segment_names[s]);
      }
      fputs("\r\n", x->f);
    }
    RETURN_IF(ferror(x->f), STRATA_ERR_WRITE, "cannot write '%s': %s", x->p->output, strerror(errno));
    FORWARD_IF_ERROR(strata_check_cancel(x->ctx)); /* SIGINT/SIGTERM: stop, remove the temporary file */
  }
  return STRATA_OK;
}

static void close_exporter(exporter *x) {
  strata_h5_lock();
  for (size_t k = 0; k < x->ncols; k++) {
    strata_h5_close(x->col[k].space);
    strata_h5_close(x->col[k].dset);
  }
  strata_h5_close(x->group);
  strata_h5_close(x->file);
  strata_h5_close(x->lspace);
  strata_h5_close(x->seg);
  strata_h5_close(x->dist);
  strata_h5_close(x->lfile);
  H5Eclear2(H5E_DEFAULT);
  strata_h5_unlock();
  for (size_t k = 0; k < x->ncols; k++) {
    free(x->col[k].i);
    free(x->col[k].d);
  }
  free(x->col);
  free(x->codes);
  free(x->segment);
  free(x->distance);
  strata_catcols_free(x->cat);
  strata_dataset_free(x->all);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void strata_csv_export_params_init(strata_csv_export_params *p) {
  memset(p, 0, sizeof *p);
  p->size = sizeof *p;
}

void strata_csv_export_result_free(strata_csv_export_result *r) { free(r); }

static strata_status export_csv(const strata_ctx *ctx, const strata_csv_export_params *p,
                                 strata_csv_export_result *r);

strata_status strata_csv_export(const strata_ctx *ctx, const strata_csv_export_params *p,
                                strata_csv_export_result **out) {
  RETURN_IF(!p || !out, STRATA_ERR_USAGE, "strata_csv_export: NULL argument");
  *out = NULL;
  /* The layout before segment names were appended is still accepted. */
  strata_csv_export_params full;
  strata_csv_export_params_init(&full);
  if (p->size == offsetof(strata_csv_export_params, segment_names)) {
    memcpy(&full, p, p->size);
    full.size = sizeof full;
    p = &full;
  }
  FORWARD_IF_ERROR(strata_check_size(p->size, sizeof *p, "strata_csv_export_params"));
  strata_csv_export_result *r = calloc(1, sizeof *r);
  RETURN_IF(!r, STRATA_ERR_NOMEM, "out of memory");
  strata_status st = export_csv(ctx, p, r);
  if (st != STRATA_OK) free(r);
  else *out = r;
  return st;
}

static strata_status export_csv(const strata_ctx *ctx, const strata_csv_export_params *p,
                                 strata_csv_export_result *r) {
  RETURN_IF(!p->labels || !p->output, STRATA_ERR_USAGE, "strata_csv_export: no labels or output");
  double t0 = now();
  exporter x;
  memset(&x, 0, sizeof x);
  x.ctx = ctx;
  x.p = p;
  x.file = x.group = x.lfile = x.seg = x.dist = x.lspace = -1;
  strata_status st = open_labels(&x);
  if (st == STRATA_OK && p->data) st = open_data(&x);
  if (st == STRATA_OK) st = strata_output_begin_text(p->output, &x.out);
  if (st == STRATA_OK) {
    if (x.out.to_stdout) {
      int fd = dup(STDOUT_FILENO);
      x.f = fd >= 0 ? fdopen(fd, "w") : NULL;
      if (fd >= 0 && !x.f) close(fd);
    } else {
      x.f = fopen(x.out.tmp_path, "w");
    }
    x.fbuf = malloc(OUT_BUFFER);
    if (!x.f) st = strata_fail(STRATA_ERR_WRITE, "cannot write '%s': %s", p->output, strerror(errno));
    else if (x.fbuf) setvbuf(x.f, x.fbuf, _IOFBF, OUT_BUFFER);
    if (st == STRATA_OK) st = write_rows(&x);
    if (x.f && x.out.to_stdout && st == STRATA_OK) {
      off_t at = ftello(x.f); /* -1 on a pipe: its size is not known */
      r->bytes = at > 0 ? (uint64_t)at : 0;
    }
    if (x.f) {
      if (fclose(x.f) != 0 && st == STRATA_OK)
        st = strata_fail(STRATA_ERR_WRITE, "cannot write '%s': %s", p->output, strerror(errno));
      x.f = NULL;
    }
    free(x.fbuf);
    if (st == STRATA_OK && x.out.to_stdout) {
      st = strata_output_commit(&x.out);
    } else if (st == STRATA_OK) {
      FILE *probe = fopen(x.out.tmp_path, "r");
      if (probe) {
        fseek(probe, 0, SEEK_END);
        r->bytes = (uint64_t)ftell(probe);
        fclose(probe);
      }
      st = strata_output_commit(&x.out);
    } else {
      strata_output_abort(&x.out);
    }
  }
  r->rows = x.rows;
  r->cols = x.ncols;
  close_exporter(&x);
  r->seconds = now() - t0;
  return st;
}
