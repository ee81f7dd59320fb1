/* The two passes of the CSV importer (io/csv_engine.h). */
#include "csv_engine.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "csv_datefmt.h"
#include "csv_text.h"
#include "ctx.h"
#include "error.h"

#define DEFAULT_BUFFER ((size_t)4 << 20)
#define DEFAULT_MAX_RECORD ((size_t)64 << 20)
#define DEFAULT_CHUNK_ROWS ((size_t)65536)
/* An integer id column that is not increasing is checked for duplicates
 * with a bitmap over [min, max] when that range is at most this many
 * values (32 MiB); wider ranges are marked by their name alone. */
#define ID_BITMAP_MAX ((uint64_t)1 << 28)
/* Bytes from the start of the file that the delimiter guess looks at. */
#define DETECT_SAMPLE ((size_t)64 << 10)

typedef struct {
  const csv_engine_params *p;
  const char *name;
  csv_table *t;
  csv_reader rd;
  int rd_open;
  struct stat st0;
  int have_stat;
  char **hname;      /* t->fields names of the header, as stored */
  int labels;        /* the names are settled: messages may use them */
  csv_infer_col *inf; /* per picked column */
  csv_value *val;     /* per picked column: the current record's value (pass 1) */
  char *scratch;
  size_t scratch_cap;
  char numbuf[64];   /* a number with its decimal comma made a point */
  uint8_t *lenient;  /* per column: numeric with a few bad cells (they become missing) */
  uint64_t bad1;     /* bad records pass 1 let through (skip_bad_rows) */
  /* pass 2 */
  size_t chunk_rows, fill;
  uint64_t chunk_index;
  void **stage;      /* per column: chunk_rows values of its storage type */
  csv_dict *dict;    /* per column (categorical ones used) */
  int64_t *rowint;   /* per column: the integer of the current row */
  uint8_t *rowmiss;  /* per column: the current row's value is missing (2: a bad cell made missing) */
  uint64_t **idbits; /* per column: bitmap of the integers seen, when checking an id */
} engine;

/* ------------------------------------------------------------ messages */

static strata_status fail_at(const engine *e, strata_status st, uint64_t line, size_t column, const char *fmt, ...)
    STRATA_PRINTF(5, 6);
static strata_status fail_at(const engine *e, strata_status st, uint64_t line, size_t column, const char *fmt,
                             ...) {
  char msg[700];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (column == 0)
    return strata_fail(st, "'%s', line %llu: %s", e->name, (unsigned long long)line, msg);
  const char *label = e->labels && column <= e->t->fields ? e->hname[column - 1] : NULL;
  if (label)
    return strata_fail(st, "'%s', line %llu, column %zu (%s): %s", e->name, (unsigned long long)line, column,
                       label, msg);
  return strata_fail(st, "'%s', line %llu, column %zu: %s", e->name, (unsigned long long)line, column, msg);
}

static strata_status nomem(const engine *e) {
  return strata_fail(STRATA_ERR_NOMEM, "out of memory importing '%s'", e->name);
}

static void set_problem(csv_problem *pr, uint64_t line, size_t column, const char *fmt, ...) STRATA_PRINTF(4, 5);
static void set_problem(csv_problem *pr, uint64_t line, size_t column, const char *fmt, ...) {
  pr->line = line;
  pr->column = column;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(pr->reason, sizeof pr->reason, fmt, ap);
  va_end(ap);
}

/* A bad record: the error, or with skip_bad_rows a count (pass 2 lists it). */
static strata_status bad_record(engine *e, const csv_problem *pr, int pass) {
  if (!e->p->skip_bad_rows) return fail_at(e, STRATA_ERR_DATA, pr->line, pr->column, "%s", pr->reason);
  if (pass == 1) e->bad1++;
  if (pass == 2) {
    e->t->skipped++;
    if (e->t->nlisted < CSV_LISTED_PROBLEMS) e->t->listed[e->t->nlisted++] = *pr;
  }
  return STRATA_OK;
}

/* Why the reader stopped, as a status; END is success. */
static strata_status read_end(engine *e, csv_read_status rs) {
  const csv_record *rec = &e->rd.rec;
  switch (rs) {
    case CSV_READ_END:
    case CSV_READ_RECORD: return STRATA_OK;
    case CSV_READ_UNTERMINATED: {
      const csv_field *f = &rec->field[rec->n - 1];
      return fail_at(e, STRATA_ERR_DATA, e->rd.rec_line + f->line, rec->n,
                     "unterminated quoted field (its opening quote is never closed)");
    }
    case CSV_READ_TOO_LONG:
      return fail_at(e, STRATA_ERR_DATA, e->rd.rec_line, 0,
                     "a record longer than %zu MiB (an unterminated quote?)", e->rd.max_record >> 20);
    case CSV_READ_IO: return strata_fail(STRATA_ERR_IO, "cannot read '%s': %s", e->name, strerror(e->rd.err));
    case CSV_READ_NOMEM: return nomem(e);
  }
  return strata_fail(STRATA_ERR_INTERNAL, "unknown reader status %d", (int)rs);
}

/* ------------------------------------------------------------ text */

static int grow_scratch(engine *e, size_t need) {
  if (need <= e->scratch_cap) return 1;
  size_t cap = e->scratch_cap ? e->scratch_cap : 256;
  while (cap < need) cap *= 2;
  char *s = realloc(e->scratch, cap);
  if (!s) return 0;
  e->scratch = s;
  e->scratch_cap = cap;
  return 1;
}

/* A field's text as UTF-8 without the quote doubling: the field itself when
 * nothing needs changing, else a copy in the scratch buffer. */
static int field_text(engine *e, const csv_field *f, const char **p, size_t *n) {
  int transcode = e->p->latin1 && csv_has_high_bytes(f->p, f->len);
  if (!f->escaped && !transcode) {
    *p = f->p;
    *n = f->len;
    return 1;
  }
  if (!grow_scratch(e, 3 * (size_t)f->len + 1)) return 0;
  size_t k = csv_unescape(f, e->scratch);
  if (transcode) {
    *n = csv_latin1_to_utf8(e->scratch, k, e->scratch + f->len);
    *p = e->scratch + f->len;
  } else {
    *p = e->scratch;
    *n = k;
  }
  return 1;
}

/* 1 and *pr when the field holds bytes no stored string may: invalid UTF-8
 * (UTF-8 input) or NUL (both). */
static int bad_text(const engine *e, const csv_field *f, uint64_t line, size_t column, csv_problem *pr) {
  size_t at = e->p->latin1 ? csv_nul_check(f->p, f->len) : csv_utf8_check(f->p, f->len);
  if (at == f->len) return 0;
  unsigned char b = (unsigned char)f->p[at];
  if (b == 0)
    set_problem(pr, line, column, "NUL byte in a field (not a text file?)");
  else
    set_problem(pr, line, column, "invalid UTF-8 (byte 0x%02X); use --encoding latin-1 if the file is Latin-1",
                b);
  return 1;
}

/* The text a number is read from: with a decimal comma, "10,5" reads as
 * "10.5" (a field that also holds '.' is left as it is, and is no number
 * unless it reads as one as written). */
static void number_text(engine *e, const csv_field *f, const char **p, size_t *n) {
  *p = f->p;
  *n = f->len;
  if (e->p->decimal != ',' || f->len >= sizeof e->numbuf || !memchr(f->p, ',', f->len) || memchr(f->p, '.', f->len))
    return;
  for (size_t i = 0; i < f->len; i++) e->numbuf[i] = f->p[i] == ',' ? '.' : f->p[i];
  *p = e->numbuf;
}

/* An ISO date, or one in the --date-format layout. */
static int parse_date(const engine *e, const csv_field *f, double *d) {
  return csv_parse_date(f->p, f->len, d) || (e->p->date_format && csv_parse_date_fmt(f->p, f->len, e->p->date_format, d));
}

/* Pass 1's reading of an unescaped field: the narrowest kind, a number
 * read through number_text, a date in the --date-format layout too. */
static void classify(engine *e, const csv_field *f, csv_value *v) {
  const char *p;
  size_t n;
  number_text(e, f, &p, &n);
  csv_classify(p, n, v);
  if (v->kind == CSV_KIND_STRING && e->p->date_format && csv_parse_date_fmt(f->p, f->len, e->p->date_format, &v->d))
    v->kind = CSV_KIND_DATE;
}

/* The problems of a record's structure: text after a closing quote, a
 * field count other than the header's.  Text is checked where it is kept
 * (numbers are ASCII by construction): pass 1 checks the values it
 * classifies as text, pass 2 those of the categorical columns, which are
 * the same values. */
static int record_problem(const engine *e, const csv_record *rec, uint64_t line, csv_problem *pr) {
  if (rec->problem == CSV_REC_AFTER_QUOTE) {
    const csv_field *f = &rec->field[rec->problem_field];
    set_problem(pr, line + f->line, rec->problem_field + 1, "text after the closing quote of a quoted field");
    return 1;
  }
  size_t want = e->t->fields;
  if (rec->n != want) {
    set_problem(pr, line, rec->n < want ? rec->n + 1 : want + 1, "row has %zu field%s; the header has %zu", rec->n,
                rec->n == 1 ? "" : "s", want);
    return 1;
  }
  return 0;
}

/* ------------------------------------------------------------ header */

static int blank(char c) { return c == ' ' || c == '\t'; }

static int cmp_names(const void *a, const void *b, void *names) {
  char **n = names;
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  int c = strcmp(n[i], n[j]);
  return c ? c : (i > j) - (i < j);
}

static strata_status check_duplicates(engine *e, uint64_t line) {
  size_t nf = e->t->fields;
  size_t *order = malloc(nf * sizeof *order);
  if (!order) return nomem(e);
  for (size_t i = 0; i < nf; i++) order[i] = i;
  qsort_r(order, nf, sizeof *order, cmp_names, e->hname);
  strata_status st = STRATA_OK;
  for (size_t k = 1; k < nf && st == STRATA_OK; k++)
    if (strcmp(e->hname[order[k]], e->hname[order[k - 1]]) == 0)
      st = fail_at(e, STRATA_ERR_DATA, line, order[k] + 1, "duplicate column name '%s' (also column %zu)",
                   e->hname[order[k]], order[k - 1] + 1);
  free(order);
  return st;
}

/* The next record that is not an empty line; *found 0 at the end. */
static strata_status next_nonblank(engine *e, int *found) {
  csv_read_status rs;
  while ((rs = csv_reader_next(&e->rd)) == CSV_READ_RECORD)
    if (!csv_record_blank(&e->rd.rec)) {
      *found = 1;
      return STRATA_OK;
    }
  *found = 0;
  return read_end(e, rs);
}

static strata_status read_header(engine *e, uint64_t *header_line) {
  int found;
  FORWARD_IF_ERROR(next_nonblank(e, &found));
  RETURN_IF(!found, STRATA_ERR_DATA, "'%s', line 1: the file is empty (no header)", e->name);
  const csv_record *rec = &e->rd.rec;
  uint64_t line = *header_line = e->rd.rec_line;
  e->t->fields = rec->n;
  if (!(e->hname = calloc(rec->n, sizeof *e->hname))) return nomem(e);
  for (size_t i = 0; i < rec->n; i++) {
    const csv_field *f = &rec->field[i];
    csv_problem pr;
    if (rec->problem == CSV_REC_AFTER_QUOTE && rec->problem_field == i)
      return fail_at(e, STRATA_ERR_DATA, line + f->line, i + 1, "text after the closing quote of a quoted field");
    if (bad_text(e, f, line + f->line, i + 1, &pr)) return fail_at(e, STRATA_ERR_DATA, pr.line, i + 1, "%s", pr.reason);
    const char *p;
    size_t n;
    if (!field_text(e, f, &p, &n)) return nomem(e);
    while (n > 0 && blank(*p)) p++, n--;
    while (n > 0 && blank(p[n - 1])) n--;
    if (n == 0) return fail_at(e, STRATA_ERR_DATA, line + f->line, i + 1, "empty column name");
    char *name = strndup(p, n);
    if (!name) return nomem(e);
    e->hname[i] = name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
      return fail_at(e, STRATA_ERR_DATA, line + f->line, i + 1, "column name '%s' cannot be stored", name);
    /* '/' separates HDF5 path components: a column name cannot hold it. */
    if (strchr(name, '/')) {
      char *orig = strdup(name);
      for (char *s = name; *s; s++)
        if (*s == '/') *s = '_';
      strata_log(e->p->ctx, STRATA_LOG_WARN, "column '%s' is stored as '%s' (an HDF5 name cannot hold '/')",
                 orig ? orig : name, name);
      free(orig);
    }
  }
  return check_duplicates(e, line);
}

static size_t find_name(const engine *e, const char *name) {
  for (size_t i = 0; i < e->t->fields; i++)
    if (strcmp(e->hname[i], name) == 0) return i;
  return SIZE_MAX;
}

/* "a, b, c" of the header, cut to fit. */
static void header_list(const engine *e, char *buf, size_t size) {
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < e->t->fields; i++) {
    const char *sep = i ? ", " : "";
    if (len + strlen(sep) + strlen(e->hname[i]) + 6 > size) {
      snprintf(buf + len, size - len, "%s...", sep);
      return;
    }
    len += (size_t)snprintf(buf + len, size - len, "%s%s", sep, e->hname[i]);
  }
}

static strata_status unknown_column(const engine *e, const char *name) {
  char have[400];
  header_list(e, have, sizeof have);
  return strata_fail(STRATA_ERR_COLUMN, "column '%s' is not in the header of '%s' (have: %s)", name, e->name, have);
}

static strata_status pick_columns(engine *e) {
  const csv_engine_params *p = e->p;
  size_t nf = e->t->fields;
  size_t *pick = malloc((p->columns ? p->ncolumns : nf) * sizeof *pick + 1);
  if (!pick) return nomem(e);
  size_t n = 0;
  strata_status st = STRATA_OK;
  if (p->columns) {
    for (size_t k = 0; k < p->ncolumns && st == STRATA_OK; k++) {
      size_t i = find_name(e, p->columns[k]);
      if (i == SIZE_MAX) st = unknown_column(e, p->columns[k]);
      for (size_t m = 0; m < n && st == STRATA_OK; m++)
        if (pick[m] == i) st = strata_fail(STRATA_ERR_USAGE, "column '%s' is picked twice", p->columns[k]);
      if (st == STRATA_OK) pick[n++] = i;
    }
  } else {
    for (size_t k = 0; k < p->nskip && st == STRATA_OK; k++)
      if (find_name(e, p->skip_columns[k]) == SIZE_MAX) st = unknown_column(e, p->skip_columns[k]);
    for (size_t i = 0; i < nf && st == STRATA_OK; i++) {
      int skip = 0;
      for (size_t k = 0; k < p->nskip; k++) skip |= strcmp(e->hname[i], p->skip_columns[k]) == 0;
      if (!skip) pick[n++] = i;
    }
  }
  if (st == STRATA_OK && n == 0) st = strata_fail(STRATA_ERR_USAGE, "no columns left to import from '%s'", e->name);
  if (st == STRATA_OK) {
    e->t->col = calloc(n, sizeof *e->t->col);
    e->inf = calloc(n, sizeof *e->inf);
    e->val = calloc(n, sizeof *e->val);
    if (!e->t->col || !e->inf || !e->val) st = nomem(e);
    else e->t->ncols = n;
  }
  for (size_t j = 0; st == STRATA_OK && j < n; j++) {
    e->t->col[j].field = pick[j];
    if (!(e->t->col[j].name = strdup(e->hname[pick[j]]))) st = nomem(e);
    csv_infer_init(&e->inf[j]);
  }
  free(pick);
  return st;
}

/* ------------------------------------------------------------ reading */

static strata_status file_unchanged(engine *e) {
  if (!e->have_stat) return STRATA_OK;
  struct stat sb;
  if (fstat(e->rd.src.fd, &sb) != 0) return strata_fail(STRATA_ERR_IO, "cannot read '%s': %s", e->name, strerror(errno));
  RETURN_IF(sb.st_size != e->st0.st_size || sb.st_mtim.tv_sec != e->st0.st_mtim.tv_sec ||
                sb.st_mtim.tv_nsec != e->st0.st_mtim.tv_nsec,
            STRATA_ERR_IO, "'%s' changed while it was being imported", e->name);
  return STRATA_OK;
}

/* Opens the reader at the start of the file, past a byte-order mark, and
 * reads the header; the delimiter is guessed the first time. */
static strata_status start_pass(engine *e, const csv_source *src, uint64_t *header_line) {
  if (e->rd_open) csv_reader_close(&e->rd);
  size_t buffer = e->p->buffer_bytes ? e->p->buffer_bytes : DEFAULT_BUFFER;
  size_t max_record = e->p->max_record_bytes ? e->p->max_record_bytes : DEFAULT_MAX_RECORD;
  if (csv_reader_open(&e->rd, src, buffer, max_record) != 0) {
    e->rd_open = e->rd.buf != NULL;
    return e->rd.err == ENOMEM ? nomem(e)
                               : strata_fail(STRATA_ERR_IO, "cannot read '%s': %s", e->name, strerror(e->rd.err));
  }
  e->rd_open = 1;
  csv_read_status rs = e->p->latin1 ? CSV_READ_RECORD : csv_reader_skip_bom(&e->rd);
  if (rs != CSV_READ_RECORD) return read_end(e, rs);
  if (!e->t->delimiter) {
    const char *p;
    size_t n;
    int at_eof;
    rs = csv_reader_peek(&e->rd, DETECT_SAMPLE, &p, &n, &at_eof);
    if (rs != CSV_READ_RECORD) return read_end(e, rs);
    e->t->delimiter = e->p->delimiter ? e->p->delimiter : csv_detect_delimiter(p, n, at_eof);
  }
  RETURN_IF(e->p->decimal == ',' && e->t->delimiter == ',', STRATA_ERR_USAGE,
            "'%s': the decimal mark ',' is also the field delimiter; give --delimiter", e->name);
  csv_reader_set_delimiter(&e->rd, e->t->delimiter);
  if (e->hname) {
    int found;
    FORWARD_IF_ERROR(next_nonblank(e, &found));
    RETURN_IF(!found, STRATA_ERR_INTERNAL, "'%s' lost its header between the passes", e->name);
    *header_line = e->rd.rec_line;
    return STRATA_OK;
  }
  FORWARD_IF_ERROR(read_header(e, header_line));
  e->labels = 1;
  return STRATA_OK;
}

/* A blank line is no row when there are several columns; with one column
 * it is that column's missing value. */
static int skip_blank(const engine *e) { return e->t->fields > 1 && csv_record_blank(&e->rd.rec); }

/* ------------------------------------------------------------ pass 1 */

static strata_status pass1(engine *e, uint64_t *rows) {
  csv_read_status rs;
  const size_t ncols = e->t->ncols;
  while ((rs = csv_reader_next(&e->rd)) == CSV_READ_RECORD) {
    const csv_record *rec = &e->rd.rec;
    const uint64_t line = e->rd.rec_line;
    if (skip_blank(e)) continue;
    csv_problem pr;
    if (record_problem(e, rec, line, &pr)) {
      FORWARD_IF_ERROR(bad_record(e, &pr, 1));
      continue;
    }
    if ((*rows & 0xFFFF) == 0) FORWARD_IF_ERROR(strata_check_cancel(e->p->ctx));
    /* Classify the whole record first: a bad one must not count. */
    int bad = 0;
    for (size_t j = 0; j < ncols && !bad; j++) {
      const size_t i = e->t->col[j].field;
      const csv_field *f = &rec->field[i];
      csv_value *v = &e->val[j];
      /* A text column is still classified: a few text cells in a numeric
       * column leave it numeric (csv_infer_few_bad_cells). */
      if (f->escaped) v->kind = CSV_KIND_STRING;
      else classify(e, f, v);
      bad = v->kind == CSV_KIND_STRING && bad_text(e, f, line + f->line, i + 1, &pr);
    }
    if (bad) {
      FORWARD_IF_ERROR(bad_record(e, &pr, 1));
      continue;
    }
    for (size_t j = 0; j < ncols; j++) {
      const size_t i = e->t->col[j].field;
      const csv_field *f = &rec->field[i];
      csv_infer_col *c = &e->inf[j];
      if (e->val[j].kind == CSV_KIND_STRING) csv_infer_add_text(c, line + f->line, i + 1, f->p, f->len);
      else if (e->val[j].kind == CSV_KIND_MISSING) csv_infer_add_missing(c);
      else csv_infer_add(c, &e->val[j], line + f->line, i + 1, f->p, f->len);
    }
    (*rows)++;
  }
  return read_end(e, rs);
}

/* Types and storage from pass 1; the first float overflow is an error unless
 * bad rows are skipped (pass 2 drops them). */
static strata_status settle_types(engine *e) {
  const csv_where *first = NULL;
  if (!(e->lenient = calloc(e->t->ncols ? e->t->ncols : 1, 1))) return nomem(e);
  for (size_t j = 0; j < e->t->ncols; j++) {
    csv_column *c = &e->t->col[j];
    const csv_infer_col *inf = &e->inf[j];
    c->type = csv_infer_type(inf);
    c->numbers = inf->numbers;
    c->texts = inf->texts;
    csv_type numeric;
    if (csv_infer_few_bad_cells(inf, &numeric)) {
      const csv_where *w = &inf->text_at[0];
      if (e->p->strict)
        return fail_at(e, STRATA_ERR_DATA, w->line, w->column,
                       "'%s' is not a number, in a column of numbers (%llu of %llu values are not; without --strict "
                       "they would become missing values)",
                       w->text, (unsigned long long)inf->texts, (unsigned long long)(inf->numbers + inf->texts));
      /* The text cells become missing values: counted as such for the
       * storage, and listed. */
      c->type = numeric;
      e->lenient[j] = 1;
      c->nbad_at = inf->ntext_at;
      memcpy(c->bad_at, inf->text_at, sizeof c->bad_at);
      csv_infer_col tmp = *inf;
      tmp.missing += inf->texts;
      c->storage = csv_infer_storage(&tmp, c->type, &c->inexact);
    } else {
      c->storage = csv_infer_storage(inf, c->type, &c->inexact);
      c->mostly_numeric = c->type == CSV_TYPE_CATEGORICAL && csv_infer_mostly_numeric(inf);
      if (c->mostly_numeric) {
        c->nbad_at = inf->ntext_at;
        memcpy(c->bad_at, inf->text_at, sizeof c->bad_at);
      }
    }
    c->demoted = inf->demoted && c->type == CSV_TYPE_CATEGORICAL;
    c->demoted_at = inf->demoted_at;
    if (c->demoted)
      strata_log(e->p->ctx, STRATA_LOG_INFO, "column '%s' is text: line %llu has '%s' among values of another type", c->name,
                 (unsigned long long)c->demoted_at.line, c->demoted_at.text);
    if (c->type == CSV_TYPE_FLOAT && inf->overflows && (!first || inf->overflow.line < first->line))
      first = &inf->overflow;
  }
  if (first && !e->p->skip_bad_rows)
    return fail_at(e, STRATA_ERR_DATA, first->line, first->column, "'%s' is beyond the range of a float64",
                   first->text);
  return STRATA_OK;
}

/* ------------------------------------------------------------ pass 2 */

static strata_status prepare_pass2(engine *e, uint64_t max_rows) {
  size_t n = e->t->ncols;
  size_t want = e->p->chunk_rows ? e->p->chunk_rows : DEFAULT_CHUNK_ROWS;
  e->chunk_rows = max_rows < want ? (size_t)max_rows : want;
  e->stage = calloc(n, sizeof *e->stage);
  e->dict = calloc(n, sizeof *e->dict);
  e->rowint = calloc(n, sizeof *e->rowint);
  e->rowmiss = calloc(n, sizeof *e->rowmiss);
  e->idbits = calloc(n, sizeof *e->idbits);
  if (!e->stage || !e->dict || !e->rowint || !e->rowmiss || !e->idbits) return nomem(e);
  for (size_t j = 0; j < n; j++) {
    csv_column *c = &e->t->col[j];
    const csv_infer_col *inf = &e->inf[j];
    csv_dict_init(&e->dict[j]);
    if (!(e->stage[j] = malloc(e->chunk_rows * csv_storage_size(c->storage)))) return nomem(e);
    c->is_id = 0;
    if (!csv_name_is_id(c->name) || c->type != CSV_TYPE_INT || inf->values == 0) continue;
    uint64_t range = (uint64_t)inf->imax - (uint64_t)inf->imin;
    c->is_id = 1; /* increasing: distinct; a range too wide to check: by name */
    if (!inf->increasing && range < ID_BITMAP_MAX && !(e->idbits[j] = calloc(range / 64 + 1, sizeof(uint64_t))))
      return nomem(e);
  }
  return STRATA_OK;
}

static void store_int(void *stage, csv_storage s, size_t i, int64_t v) {
  switch (s) {
    case CSV_STORE_I8: ((int8_t *)stage)[i] = (int8_t)v; break;
    case CSV_STORE_I16: ((int16_t *)stage)[i] = (int16_t)v; break;
    case CSV_STORE_I32: ((int32_t *)stage)[i] = (int32_t)v; break;
    case CSV_STORE_I64: ((int64_t *)stage)[i] = v; break;
    case CSV_STORE_U8: ((uint8_t *)stage)[i] = (uint8_t)v; break;
    case CSV_STORE_F32: ((float *)stage)[i] = (float)v; break;
    case CSV_STORE_F64: ((double *)stage)[i] = (double)v; break;
  }
}

static void store_double(void *stage, csv_storage s, size_t i, double v) {
  if (s == CSV_STORE_F32) ((float *)stage)[i] = (float)v;
  else ((double *)stage)[i] = v;
}

static strata_status changed_type(engine *e, uint64_t line, size_t column, const csv_column *c) {
  return fail_at(e, STRATA_ERR_INTERNAL, line, column,
                 "value does not fit the type %s that the first pass found (was the file changed?)",
                 csv_type_name(c->type));
}

/* Converts the non-text values of one record into row `fill` of the stage;
 * *bad set (with *pr) when the record cannot be stored.  A value that does
 * not fit its column is bad text when its bytes are (pass 1 dropped the
 * record for that, so its other values never reached the inference) and
 * an internal error otherwise: pass 1 saw something else. */
static strata_status convert_numbers(engine *e, const csv_record *rec, uint64_t line, int *bad, csv_problem *pr) {
  const size_t row = e->fill;
  const csv_field *broken = NULL;
  const csv_column *broken_col = NULL;
  int overflow = 0;
  for (size_t j = 0; j < e->t->ncols; j++) {
    const csv_column *c = &e->t->col[j];
    const csv_field *f = &rec->field[c->field];
    void *stage = e->stage[j];
    int missing = !f->escaped && csv_is_missing(f->p, f->len);
    e->rowmiss[j] = (uint8_t)missing;
    if (c->type == CSV_TYPE_CATEGORICAL) {
      if (!missing && bad_text(e, f, line + f->line, c->field + 1, pr)) {
        *bad = 1;
        return STRATA_OK;
      }
      continue;
    }
    if (missing) {
      if (c->storage == CSV_STORE_F32 || c->storage == CSV_STORE_F64) store_double(stage, c->storage, row, NAN);
      else if (!broken) broken = f, broken_col = c;
      continue;
    }
    int ok = 0, b;
    double d;
    const char *np;
    size_t nn;
    number_text(e, f, &np, &nn);
    switch (c->type) {
      case CSV_TYPE_INT:
        ok = csv_parse_int64(np, nn, &e->rowint[j]) == 1;
        if (ok) store_int(stage, c->storage, row, e->rowint[j]);
        break;
      case CSV_TYPE_FLOAT: {
        int r = csv_parse_double(np, nn, &d);
        if (r < 0 && !overflow) {
          char text[64];
          snprintf(text, sizeof text, "%.*s", f->len < 40 ? (int)f->len : 40, f->p);
          set_problem(pr, line + f->line, c->field + 1, "'%s' is beyond the range of a float64", text);
          overflow = 1;
        }
        ok = r != 0;
        if (r == 1) store_double(stage, c->storage, row, d);
        break;
      }
      case CSV_TYPE_DATE:
        ok = parse_date(e, f, &d);
        if (ok) store_double(stage, c->storage, row, d);
        break;
      case CSV_TYPE_BOOL:
        ok = csv_parse_bool(f->p, f->len, &b);
        if (ok) store_int(stage, c->storage, row, b);
        break;
      case CSV_TYPE_CATEGORICAL: break;
    }
    if (ok) continue;
    if (bad_text(e, f, line + f->line, c->field + 1, pr)) {
      *bad = 1;
      return STRATA_OK;
    }
    if (e->lenient[j]) { /* a bad cell of a numeric column: missing */
      store_double(stage, c->storage, row, NAN);
      e->rowmiss[j] = 2;
      continue;
    }
    if (!broken) broken = f, broken_col = c;
  }
  if (broken) return changed_type(e, line + broken->line, broken_col->field + 1, broken_col);
  *bad = overflow;
  return STRATA_OK;
}

/* Dictionary codes of the text values of the record (it is accepted). */
static strata_status encode_text(engine *e, const csv_record *rec) {
  for (size_t j = 0; j < e->t->ncols; j++) {
    const csv_column *c = &e->t->col[j];
    if (c->type != CSV_TYPE_CATEGORICAL) continue;
    int32_t code = -1;
    if (!e->rowmiss[j]) {
      const char *p;
      size_t n;
      if (!field_text(e, &rec->field[c->field], &p, &n)) return nomem(e);
      int64_t k = csv_dict_intern(&e->dict[j], p, n);
      if (k == -1) return nomem(e);
      RETURN_IF(k < 0, STRATA_ERR_DATA, "column '%s' of '%s' has more than %zu distinct values", c->name, e->name,
                CSV_DICT_MAX);
      code = (int32_t)k;
    }
    ((int32_t *)e->stage[j])[e->fill] = code;
  }
  return STRATA_OK;
}

/* Counts and id checks of an accepted row. */
static void account_row(engine *e) {
  for (size_t j = 0; j < e->t->ncols; j++) {
    csv_column *c = &e->t->col[j];
    if (e->rowmiss[j]) {
      c->missing++;
      c->bad_cells += e->rowmiss[j] == 2;
      continue;
    }
    c->count++;
    uint64_t *bits = e->idbits[j];
    if (!bits) continue;
    uint64_t k = (uint64_t)e->rowint[j] - (uint64_t)e->inf[j].imin;
    uint64_t range = (uint64_t)e->inf[j].imax - (uint64_t)e->inf[j].imin;
    if (k > range || (bits[k / 64] & ((uint64_t)1 << (k % 64)))) {
      c->is_id = 0; /* a duplicate: not an identifier */
      free(bits);
      e->idbits[j] = NULL;
    } else {
      bits[k / 64] |= (uint64_t)1 << (k % 64);
    }
  }
}

static strata_status flush_chunk(engine *e, const csv_sink *sink) {
  FORWARD_IF_ERROR(strata_check_cancel(e->p->ctx));
  if (e->fill == 0) return STRATA_OK;
  for (size_t j = 0; j < e->t->ncols; j++)
    FORWARD_IF_ERROR(sink->chunk(sink->ctx, j, e->chunk_index, e->stage[j], e->fill));
  e->t->rows += e->fill;
  e->chunk_index++;
  e->fill = 0;
  return STRATA_OK;
}

static strata_status pass2(engine *e, const csv_sink *sink) {
  csv_read_status rs;
  int open_tail = 0; /* the last line has no line break: count it too */
  while ((rs = csv_reader_next(&e->rd)) == CSV_READ_RECORD) {
    const csv_record *rec = &e->rd.rec;
    const uint64_t line = e->rd.rec_line;
    open_tail = !rec->terminated;
    if (skip_blank(e)) continue;
    csv_problem pr;
    int bad = record_problem(e, rec, line, &pr);
    if (!bad) FORWARD_IF_ERROR(convert_numbers(e, rec, line, &bad, &pr));
    if (bad) {
      FORWARD_IF_ERROR(bad_record(e, &pr, 2));
      continue;
    }
    FORWARD_IF_ERROR(encode_text(e, rec));
    account_row(e);
    if (++e->fill == e->chunk_rows) FORWARD_IF_ERROR(flush_chunk(e, sink));
  }
  FORWARD_IF_ERROR(read_end(e, rs));
  FORWARD_IF_ERROR(flush_chunk(e, sink));
  e->t->lines = e->rd.line - 1 + open_tail;
  RETURN_IF(e->t->rows == 0, STRATA_ERR_DATA, "'%s': no data rows (all %llu were bad and skipped)", e->name,
            (unsigned long long)e->t->skipped);
  for (size_t j = 0; j < e->t->ncols; j++) {
    csv_column *c = &e->t->col[j];
    if (c->type != CSV_TYPE_CATEGORICAL) continue;
    c->categories = e->dict[j].n;
    c->is_id = csv_name_is_id(c->name) && c->count > 0 && c->categories == c->count;
    FORWARD_IF_ERROR(sink->dict(sink->ctx, j, &e->dict[j]));
  }
  return file_unchanged(e);
}

/* ------------------------------------------------------------ run */

static void engine_free(engine *e) {
  size_t n = e->t->ncols;
  if (e->rd_open) csv_reader_close(&e->rd);
  if (e->hname)
    for (size_t i = 0; i < e->t->fields; i++) free(e->hname[i]);
  free(e->hname);
  for (size_t j = 0; j < n; j++) {
    if (e->stage) free(e->stage[j]);
    if (e->dict) csv_dict_free(&e->dict[j]);
    if (e->idbits) free(e->idbits[j]);
  }
  free(e->stage);
  free(e->dict);
  free(e->idbits);
  free(e->rowint);
  free(e->rowmiss);
  free(e->lenient);
  free(e->inf);
  free(e->val);
  free(e->scratch);
}

strata_status csv_engine_run(const csv_source *src, const csv_engine_params *p, const csv_sink *sink,
                             csv_table *t) {
  memset(t, 0, sizeof *t);
  RETURN_IF(!src || !p || !sink, STRATA_ERR_USAGE, "csv_engine_run: NULL argument");
  engine e;
  memset(&e, 0, sizeof e);
  e.p = p;
  e.t = t;
  e.name = p->name ? p->name : "input";
  strata_status st = STRATA_OK;
  if (src->fd >= 0) {
    if (fstat(src->fd, &e.st0) != 0) return strata_fail(STRATA_ERR_IO, "cannot read '%s': %s", e.name, strerror(errno));
    e.have_stat = 1;
    t->bytes = (uint64_t)e.st0.st_size;
  } else {
    t->bytes = src->mem_size;
  }

  uint64_t header_line = 0, rows1 = 0;
  GOTO_IF_ERROR(st, start_pass(&e, src, &header_line), done);
  GOTO_IF_ERROR(st, pick_columns(&e), done);
  GOTO_IF_ERROR(st, pass1(&e, &rows1), done);
  if (rows1 == 0) {
    st = e.bad1 > 0
             ? strata_fail(STRATA_ERR_DATA, "'%s': no data rows (every row is bad)", e.name)
             : fail_at(&e, STRATA_ERR_DATA, header_line + 1, 0, "no data rows (the file has only a header)");
    goto done;
  }
  GOTO_IF_ERROR(st, settle_types(&e), done);
  GOTO_IF_ERROR(st, file_unchanged(&e), done);
  GOTO_IF_ERROR(st, prepare_pass2(&e, rows1), done);
  GOTO_IF_ERROR(st, sink->begin(sink->ctx, t, rows1, e.chunk_rows), done);
  GOTO_IF_ERROR(st, start_pass(&e, src, &header_line), done);
  st = pass2(&e, sink);
done:
  engine_free(&e);
  return st;
}

void csv_table_free(csv_table *t) {
  if (!t) return;
  for (size_t j = 0; j < t->ncols; j++) free(t->col[j].name);
  free(t->col);
  memset(t, 0, sizeof *t);
}
