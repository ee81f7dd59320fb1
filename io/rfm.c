/* strata_rfm (strata.h, `strata rfm`): a transaction table to one row per
 * customer.  One pass over the CSV with the importer's record reader and
 * value parsers (io/csv_reader.h, io/csv_number.h, io/csv_datefmt.h) feeds
 * the (customer, invoice) group-by (io/rfm_runs.h); its sorted stream is
 * folded into customers, written as an imported table by the importer's
 * column writer (io/csv_writer.h), and scored at the end. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "csv_datefmt.h"
#include "csv_dict.h"
#include "csv_number.h"
#include "csv_reader.h"
#include "csv_text.h"
#include "csv_writer.h"
#include "ctx.h"
#include "error.h"
#include "rfm_h5.h"
#include "rfm_runs.h"

#define DEFAULT_MEM_LIMIT ((size_t)256 << 20)
#define READ_BUFFER ((size_t)4 << 20)
#define MAX_RECORD ((size_t)64 << 20)
#define DETECT_SAMPLE ((size_t)64 << 10)
#define CHUNK_ROWS ((size_t)65536)

/* The input fields, in the order of the parameters. */
enum { F_CUSTOMER, F_INVOICE, F_DATE, F_QUANTITY, F_PRICE, NF };
/* The output columns. */
enum { C_KEY, C_RECENCY, C_FREQUENCY, C_MONETARY, C_TENURE, C_BASKET, C_R, C_F, C_M, NC };
static const char *const out_names[NC] = {NULL,         "recency_days", "frequency", "monetary", "tenure_days",
                                          "avg_basket", "r_score",      "f_score",   "m_score"};

void strata_rfm_params_init(strata_rfm_params *p) {
  memset(p, 0, sizeof *p);
  p->size = sizeof *p;
}

typedef struct {
  const strata_rfm_params *p;
  const strata_ctx *ctx;
  strata_rfm_result *res;
  csv_reader rd;
  int rd_open;
  char **hname;
  size_t nfields;
  size_t field[NF];
  uint64_t line[NF]; /* physical line of each field of the current record */
  const char *want[NF]; /* the column names */
  int h5;            /* reading an HDF5 table */
  uint64_t row;      /* its current row, 0-based */
  char *scratch[NF];
  size_t scratch_cap[NF];
  /* what the pass learned */
  int any_text, any_purchase;
  int64_t kmin, kmax;
  double last_day; /* the latest purchase */
  int64_t ref;     /* the reference day */
  rfm_groups *groups;
  /* the output */
  csv_writer *w;
  csv_sink sink;
  csv_table t;
  csv_dict dict;
  size_t chunk_rows, fill;
  uint64_t chunk_index;
  void *stage[NC];
  double *rv, *fv, *mv; /* per customer: -recency, frequency, monetary, for the scores */
  size_t ncust, cap;
  /* the customer being folded */
  rfm_pair cur;
  char *cur_key;
  size_t cur_cap;
  int have;
  uint64_t freq;
  double first, last;
  strata_xacc money;
} rfm_job;

/* ------------------------------------------------------------ messages */

static strata_status fail_at(const rfm_job *j, uint64_t line, size_t field, const char *fmt, ...) STRATA_PRINTF(4, 5);
static strata_status fail_at(const rfm_job *j, uint64_t line, size_t field, const char *fmt, ...) {
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return strata_fail(STRATA_ERR_DATA, "'%s', line %llu, column %zu (%s): %s", j->p->input, (unsigned long long)line,
                     field + 1, j->hname[field], msg);
}

static strata_status nomem(void) { return strata_fail(STRATA_ERR_NOMEM, "out of memory"); }

static strata_status read_end(const rfm_job *j, csv_read_status rs) {
  switch (rs) {
    case CSV_READ_END:
    case CSV_READ_RECORD: return STRATA_OK;
    case CSV_READ_UNTERMINATED:
      return strata_fail(STRATA_ERR_DATA, "'%s', line %llu: unterminated quoted field (its opening quote is never closed)",
                         j->p->input, (unsigned long long)j->rd.rec_line);
    case CSV_READ_TOO_LONG:
      return strata_fail(STRATA_ERR_DATA, "'%s', line %llu: a record longer than %zu MiB (an unterminated quote?)",
                         j->p->input, (unsigned long long)j->rd.rec_line, j->rd.max_record >> 20);
    case CSV_READ_IO: return strata_fail(STRATA_ERR_IO, "cannot read '%s': %s", j->p->input, strerror(j->rd.err));
    case CSV_READ_NOMEM: return nomem();
  }
  return strata_fail(STRATA_ERR_INTERNAL, "unknown reader status %d", (int)rs);
}

/* ------------------------------------------------------------ reading */

/* Field k's text with "" collapsed (valid until the next record). */
static int text_of(rfm_job *j, int k, size_t field, const char **p, size_t *n) {
  const csv_field *f = &j->rd.rec.field[field];
  if (!f->escaped) {
    *p = f->p;
    *n = f->len;
    return 1;
  }
  if (f->len > j->scratch_cap[k]) {
    char *s = realloc(j->scratch[k], f->len);
    if (!s) return 0;
    j->scratch[k] = s;
    j->scratch_cap[k] = f->len;
  }
  *n = csv_unescape(f, j->scratch[k]);
  *p = j->scratch[k];
  return 1;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

static strata_status next_nonblank(rfm_job *j, int *found) {
  csv_read_status rs;
  while ((rs = csv_reader_next(&j->rd)) == CSV_READ_RECORD)
    if (!csv_record_blank(&j->rd.rec)) {
      *found = 1;
      return STRATA_OK;
    }
  *found = 0;
  return read_end(j, rs);
}

static strata_status open_reader(rfm_job *j, int fd) {
  csv_source src = {fd, NULL, 0};
  if (csv_reader_open(&j->rd, &src, READ_BUFFER, MAX_RECORD) != 0) {
    j->rd_open = j->rd.buf != NULL;
    return j->rd.err == ENOMEM ? nomem()
                               : strata_fail(STRATA_ERR_IO, "cannot read '%s': %s", j->p->input, strerror(j->rd.err));
  }
  j->rd_open = 1;
  csv_read_status rs = csv_reader_skip_bom(&j->rd);
  if (rs != CSV_READ_RECORD) return read_end(j, rs);
  char delim = j->p->delimiter;
  if (!delim) {
    const char *p;
    size_t n;
    int at_eof;
    if ((rs = csv_reader_peek(&j->rd, DETECT_SAMPLE, &p, &n, &at_eof)) != CSV_READ_RECORD) return read_end(j, rs);
    delim = csv_detect_delimiter(p, n, at_eof);
  }
  RETURN_IF(j->p->decimal == ',' && delim == ',', STRATA_ERR_USAGE,
            "'%s': the decimal mark ',' is also the field delimiter; give --delimiter", j->p->input);
  j->res->delimiter = delim;
  csv_reader_set_delimiter(&j->rd, delim);
  return STRATA_OK;
}

static strata_status read_header(rfm_job *j) {
  int found;
  FORWARD_IF_ERROR(next_nonblank(j, &found));
  RETURN_IF(!found, STRATA_ERR_DATA, "'%s', line 1: the file is empty (no header)", j->p->input);
  const csv_record *rec = &j->rd.rec;
  j->nfields = rec->n;
  RETURN_IF(!(j->hname = calloc(rec->n, sizeof *j->hname)), STRATA_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < rec->n; i++) {
    const char *p;
    size_t n;
    if (!text_of(j, 0, i, &p, &n)) return nomem();
    while (n > 0 && is_blank(*p)) p++, n--;
    while (n > 0 && is_blank(p[n - 1])) n--;
    RETURN_IF(!(j->hname[i] = strndup(p, n)), STRATA_ERR_NOMEM, "out of memory");
  }
  const char *const *want = j->want;
  static const char *const opt[NF] = {"--customer", "--invoice", "--date", "--quantity", "--price"};
  for (int k = 0; k < NF; k++) {
    j->field[k] = SIZE_MAX;
    for (size_t i = 0; i < j->nfields && j->field[k] == SIZE_MAX; i++)
      if (strcmp(j->hname[i], want[k]) == 0) j->field[k] = i;
    if (j->field[k] == SIZE_MAX) {
      char have[400];
      size_t len = 0;
      have[0] = '\0';
      for (size_t i = 0; i < j->nfields && len + strlen(j->hname[i]) + 8 < sizeof have; i++)
        len += (size_t)snprintf(have + len, sizeof have - len, "%s%s", i ? ", " : "", j->hname[i]);
      return strata_fail(STRATA_ERR_COLUMN, "%s: column '%s' is not in the header of '%s' (have: %s)", opt[k],
                         want[k], j->p->input, have);
    }
  }
  return STRATA_OK;
}

/* A number of the quantity or price column; with a decimal comma ',' is the
 * decimal mark and '.' is refused. */
static int number_of(const rfm_job *j, const char *p, size_t n, double *out) {
  if (j->p->decimal != ',') return csv_parse_double(p, n, out) == 1;
  char buf[64];
  if (n >= sizeof buf || memchr(p, '.', n)) return 0;
  for (size_t i = 0; i < n; i++) buf[i] = p[i] == ',' ? '.' : p[i];
  return csv_parse_double(buf, n, out) == 1;
}

/* Where the current row is, for messages: a CSV line and field, or an
 * HDF5 row and column. */
static strata_status bad_value(const rfm_job *j, int k, const char *fmt, ...) STRATA_PRINTF(3, 4);
static strata_status bad_value(const rfm_job *j, int k, const char *fmt, ...) {
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (j->h5)
    return strata_fail(STRATA_ERR_DATA, "'%s', row %llu, column '%s': %s", j->p->input, (unsigned long long)j->row + 1,
                       j->want[k], msg);
  return fail_at(j, j->line[k], j->field[k], "%s", msg);
}

/* A number of a key column as text: integers as integers. */
static const char *key_text(char *buf, size_t size, const rfm_cell *c, size_t *n) {
  if (c->is_int) snprintf(buf, size, "%lld", (long long)c->inum);
  else if (c->num == floor(c->num) && fabs(c->num) < 9.2e18) snprintf(buf, size, "%lld", (long long)c->num);
  else snprintf(buf, size, "%.17g", c->num);
  *n = strlen(buf);
  return buf;
}

static strata_status number_cell(const rfm_job *j, int k, const rfm_cell *c, double *out) {
  if (c->missing) return bad_value(j, k, "missing value");
  if (!c->text) {
    *out = c->num;
    return STRATA_OK;
  }
  if (!number_of(j, c->text, c->len, out))
    return bad_value(j, k, "'%.*s' is not a number", (int)(c->len < 40 ? c->len : 40), c->text);
  return STRATA_OK;
}

static strata_status date_cell(const rfm_job *j, const rfm_cell *c, double *day) {
  if (c->missing) return bad_value(j, F_DATE, "missing date");
  if (!c->text) {
    RETURN_IF(!c->is_date, STRATA_ERR_DATA, "'%s': column '%s' is not a date column (import the CSV with --date-format)",
              j->p->input, j->want[F_DATE]);
    *day = c->num;
    return STRATA_OK;
  }
  int ok = j->p->date_format ? csv_parse_date_fmt(c->text, c->len, j->p->date_format, day) : csv_parse_date(c->text, c->len, day);
  if (!ok)
    return bad_value(j, F_DATE, "'%.*s' is not a date%s", (int)(c->len < 40 ? c->len : 40), c->text,
                     j->p->date_format ? " in the --date-format" : " (ISO-8601 YYYY-MM-DD; see --date-format)");
  return STRATA_OK;
}

/* One transaction row, from either reader. */
static strata_status take_row(rfm_job *j, const rfm_cell *cell) {
  j->res->rows++;
  const rfm_cell *key = &cell[F_CUSTOMER], *inv = &cell[F_INVOICE];
  if (key->missing) {
    j->res->no_customer++;
    return STRATA_OK;
  }
  char kbuf[32], ibuf[32];
  size_t kn, in;
  const char *k = key->text ? (kn = key->len, key->text) : key_text(kbuf, sizeof kbuf, key, &kn);
  if (csv_utf8_check(k, kn) != kn) return bad_value(j, F_CUSTOMER, "invalid UTF-8 or a NUL byte in a customer key");
  if (inv->missing) return bad_value(j, F_INVOICE, "missing invoice number");
  const char *iv = inv->text ? (in = inv->len, inv->text) : key_text(ibuf, sizeof ibuf, inv, &in);
  double day, q, price;
  FORWARD_IF_ERROR(date_cell(j, &cell[F_DATE], &day));
  FORWARD_IF_ERROR(number_cell(j, F_QUANTITY, &cell[F_QUANTITY], &q));
  FORWARD_IF_ERROR(number_cell(j, F_PRICE, &cell[F_PRICE], &price));
  int64_t ik;
  if (csv_parse_int64(k, kn, &ik) == 1) {
    if (ik < j->kmin) j->kmin = ik;
    if (ik > j->kmax) j->kmax = ik;
  } else {
    j->any_text = 1;
  }
  size_t s = 0;
  while (s < in && is_blank(iv[s])) s++;
  int cancelled = s < in && iv[s] == 'C';
  if (cancelled) {
    /* Left out, the pair still comes through with no amount, so that a
     * customer with cancellations only is counted. */
    j->res->cancelled_rows++;
    if (j->p->returns_subtract) {
      q = -fabs(q);
      price = fabs(price);
    } else {
      q = price = 0;
    }
  } else {
    if (!j->any_purchase || day > j->last_day) j->last_day = day;
    j->any_purchase = 1;
  }
  return rfm_groups_add(j->groups, k, kn, iv, in, day, q, price);
}

static strata_status read_row(rfm_job *j) {
  const csv_record *rec = &j->rd.rec;
  uint64_t line = j->rd.rec_line;
  if (rec->n != j->nfields) {
    size_t col = rec->n < j->nfields ? rec->n : j->nfields;
    return strata_fail(STRATA_ERR_DATA, "'%s', line %llu, column %zu: row has %zu field%s; the header has %zu",
                       j->p->input, (unsigned long long)line, col + 1, rec->n, rec->n == 1 ? "" : "s", j->nfields);
  }
  if (rec->problem == CSV_REC_AFTER_QUOTE)
    return strata_fail(STRATA_ERR_DATA, "'%s', line %llu, column %zu: text after the closing quote of a quoted field",
                       j->p->input, (unsigned long long)line, rec->problem_field + 1);
  rfm_cell cell[NF];
  memset(cell, 0, sizeof cell);
  for (int k = 0; k < NF; k++) {
    if (!text_of(j, k, j->field[k], &cell[k].text, &cell[k].len)) return nomem();
    cell[k].missing = csv_is_missing(cell[k].text, cell[k].len);
    j->line[k] = line + rec->field[j->field[k]].line;
  }
  return take_row(j, cell);
}

static strata_status h5_row(void *ctx, const rfm_cell *cells, uint64_t row) {
  rfm_job *j = ctx;
  j->row = row;
  return take_row(j, cells);
}

static strata_status read_all(rfm_job *j) {
  FORWARD_IF_ERROR(read_header(j));
  csv_read_status rs;
  while ((rs = csv_reader_next(&j->rd)) == CSV_READ_RECORD) {
    if (csv_record_blank(&j->rd.rec) && j->nfields > 1) continue;
    FORWARD_IF_ERROR(read_row(j));
    if ((j->res->rows & 65535) == 0) FORWARD_IF_ERROR(strata_check_cancel(j->ctx));
  }
  return read_end(j, rs);
}

/* ------------------------------------------------------------ writing */

static strata_status begin_output(rfm_job *j) {
  uint64_t bound = rfm_groups_bound(j->groups);
  j->chunk_rows = bound < CHUNK_ROWS ? (size_t)bound : CHUNK_ROWS;
  j->t.ncols = NC;
  RETURN_IF(!(j->t.col = calloc(NC, sizeof *j->t.col)), STRATA_ERR_NOMEM, "out of memory");
  for (int c = 0; c < NC; c++) {
    csv_column *col = &j->t.col[c];
    RETURN_IF(!(col->name = strdup(c == C_KEY ? j->p->customer : out_names[c])), STRATA_ERR_NOMEM, "out of memory");
    col->type = CSV_TYPE_INT;
    col->storage = c >= C_R ? CSV_STORE_I8 : CSV_STORE_I32;
  }
  csv_column *key = &j->t.col[C_KEY];
  key->is_id = 1;
  if (j->any_text) {
    key->type = CSV_TYPE_CATEGORICAL;
    key->storage = CSV_STORE_I32;
  } else if (j->kmin < INT32_MIN || j->kmax > INT32_MAX) {
    key->storage = CSV_STORE_I64;
  }
  j->t.col[C_FREQUENCY].storage = CSV_STORE_I64;
  j->t.col[C_MONETARY].type = j->t.col[C_BASKET].type = CSV_TYPE_FLOAT;
  j->t.col[C_MONETARY].storage = j->t.col[C_BASKET].storage = CSV_STORE_F64;
  for (int c = 0; c < NC; c++)
    RETURN_IF(!(j->stage[c] = malloc(j->chunk_rows * csv_storage_size(j->t.col[c].storage))), STRATA_ERR_NOMEM,
              "out of memory");
  j->sink = csv_writer_sink(j->w);
  return j->sink.begin(j->sink.ctx, &j->t, bound, j->chunk_rows);
}

static strata_status flush_chunk(rfm_job *j, int from, int to) {
  for (int c = from; c < to; c++) FORWARD_IF_ERROR(j->sink.chunk(j->sink.ctx, (size_t)c, j->chunk_index, j->stage[c], j->fill));
  return STRATA_OK;
}

static int64_t whole_day(double day) { return (int64_t)floor(day); }

/* The customer folded so far, as one output row. */
static strata_status emit(rfm_job *j) {
  if (j->freq == 0) {
    j->res->without_purchase++;
    return STRATA_OK;
  }
  if (j->ncust == j->cap) {
    size_t cap = j->cap ? 2 * j->cap : 1024;
    double *r = realloc(j->rv, cap * sizeof *r);
    if (r) j->rv = r;
    double *f = realloc(j->fv, cap * sizeof *f);
    if (f) j->fv = f;
    double *m = realloc(j->mv, cap * sizeof *m);
    if (m) j->mv = m;
    RETURN_IF(!r || !f || !m, STRATA_ERR_NOMEM, "out of memory");
    j->cap = cap;
  }
  int64_t recency = j->ref - whole_day(j->last), tenure = j->ref - whole_day(j->first);
  double money = strata_xacc_round(&j->money);
  size_t i = j->fill;
  if (j->any_text) {
    /* An integer key is written in its plain form: " 17" and "17" are one
     * customer, whichever spelling came first. */
    char ibuf[32];
    const char *k = j->cur.key;
    size_t kn = j->cur.key_len;
    if (j->cur.is_int) {
      snprintf(ibuf, sizeof ibuf, "%lld", (long long)j->cur.ikey);
      k = ibuf;
      kn = strlen(ibuf);
    }
    int64_t code = csv_dict_intern(&j->dict, k, kn);
    RETURN_IF(code < 0, STRATA_ERR_NOMEM, "out of memory");
    ((int32_t *)j->stage[C_KEY])[i] = (int32_t)code;
  } else if (j->t.col[C_KEY].storage == CSV_STORE_I64) {
    ((int64_t *)j->stage[C_KEY])[i] = j->cur.ikey;
  } else {
    ((int32_t *)j->stage[C_KEY])[i] = (int32_t)j->cur.ikey;
  }
  ((int32_t *)j->stage[C_RECENCY])[i] = (int32_t)recency;
  ((int64_t *)j->stage[C_FREQUENCY])[i] = (int64_t)j->freq;
  ((double *)j->stage[C_MONETARY])[i] = money;
  ((int32_t *)j->stage[C_TENURE])[i] = (int32_t)tenure;
  ((double *)j->stage[C_BASKET])[i] = money / (double)j->freq;
  j->rv[j->ncust] = -(double)recency;
  j->fv[j->ncust] = (double)j->freq;
  j->mv[j->ncust] = money;
  j->ncust++;
  if (++j->fill == j->chunk_rows) {
    FORWARD_IF_ERROR(flush_chunk(j, C_KEY, C_R));
    j->fill = 0;
    j->chunk_index++;
  }
  return STRATA_OK;
}

/* Pairs come sorted by customer: a new key closes the previous customer. */
static strata_status fold(void *ctx, const rfm_pair *p) {
  rfm_job *j = ctx;
  if (!j->have || rfm_key_cmp(&j->cur, p) != 0) {
    if (j->have) FORWARD_IF_ERROR(emit(j));
    if (p->key_len > j->cur_cap) {
      char *k = realloc(j->cur_key, p->key_len);
      RETURN_IF(!k, STRATA_ERR_NOMEM, "out of memory");
      j->cur_key = k;
      j->cur_cap = p->key_len;
    }
    memcpy(j->cur_key, p->key, p->key_len);
    j->cur = *p;
    j->cur.key = j->cur_key;
    j->have = 1;
    j->freq = 0;
    strata_xacc_zero(&j->money);
  }
  j->res->pairs++;
  if (!p->cancelled) {
    if (j->freq == 0 || p->dmin < j->first) j->first = p->dmin;
    if (j->freq == 0 || p->dmax > j->last) j->last = p->dmax;
    j->freq++;
  }
  strata_xacc_combine(&j->money, &p->amount);
  strata_xacc_carry(&j->money);
  return STRATA_OK;
}

/* score = 1 + floor(5 (rank - 1) / n), rank the lowest 1-based position of
 * the value's ties in ascending order (strata.h, strata_rfm). */
typedef struct {
  double v;
  size_t i;
} ranked;

static int ranked_cmp(const void *a, const void *b) {
  const ranked *x = a, *y = b;
  if (x->v != y->v) return x->v < y->v ? -1 : 1;
  return (x->i > y->i) - (x->i < y->i);
}

static strata_status score(rfm_job *j, const double *v, int col) {
  size_t n = j->ncust;
  ranked *r = malloc(n * sizeof *r);
  RETURN_IF(!r, STRATA_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) r[i] = (ranked){v[i], i};
  qsort(r, n, sizeof *r, ranked_cmp);
  int8_t *s = malloc(n);
  if (!s) {
    free(r);
    return nomem();
  }
  for (size_t k = 0, first = 0; k < n; k++) {
    if (k > 0 && r[k].v != r[k - 1].v) first = k;
    s[r[k].i] = (int8_t)(1 + (5 * (uint64_t)first) / n);
  }
  free(r);
  strata_status st = STRATA_OK;
  for (size_t at = 0, index = 0; at < n && st == STRATA_OK; at += j->chunk_rows, index++) {
    size_t rows = n - at < j->chunk_rows ? n - at : j->chunk_rows;
    st = j->sink.chunk(j->sink.ctx, (size_t)col, index, s + at, rows);
  }
  free(s);
  return st;
}

static strata_status write_all(rfm_job *j) {
  FORWARD_IF_ERROR(begin_output(j));
  FORWARD_IF_ERROR(rfm_groups_walk(j->groups, fold, j));
  if (j->have) FORWARD_IF_ERROR(emit(j));
  if (j->fill) FORWARD_IF_ERROR(flush_chunk(j, C_KEY, C_R));
  FORWARD_IF_ERROR(score(j, j->rv, C_R));
  FORWARD_IF_ERROR(score(j, j->fv, C_F));
  FORWARD_IF_ERROR(score(j, j->mv, C_M));
  if (j->any_text) FORWARD_IF_ERROR(j->sink.dict(j->sink.ctx, C_KEY, &j->dict));
  j->t.rows = j->ncust;
  for (int c = 0; c < NC; c++) j->t.col[c].count = j->ncust;
  j->t.col[C_KEY].categories = j->dict.n;
  j->res->customers = j->ncust;
  return STRATA_OK;
}

/* ------------------------------------------------------------ the call */

static strata_status check_params(const strata_rfm_params *p) {
  RETURN_IF(!p, STRATA_ERR_USAGE, "strata_rfm: params is NULL");
  FORWARD_IF_ERROR(strata_check_size(p->size, sizeof *p, "strata_rfm_params"));
  RETURN_IF(!p->input || !p->output, STRATA_ERR_USAGE, "strata_rfm: no input or output");
  RETURN_IF(!p->customer || !p->invoice || !p->date || !p->quantity || !p->price, STRATA_ERR_USAGE,
            "strata_rfm: the customer, invoice, date, quantity and price columns must all be named");
  char why[300];
  RETURN_IF(p->decimal && p->decimal != '.' && p->decimal != ',', STRATA_ERR_USAGE,
            "the decimal mark must be '.' or ',' (got '%c')", p->decimal);
  RETURN_IF(p->date_format && !csv_datefmt_check(p->date_format, why, sizeof why), STRATA_ERR_USAGE, "%s", why);
  return STRATA_OK;
}

static strata_status reference_day(rfm_job *j) {
  RETURN_IF(!j->any_purchase, STRATA_ERR_DATA,
            "'%s': empty result: no row with a customer key and a purchase (%llu rows, %llu without a customer, "
            "%llu cancelled)",
            j->p->input, (unsigned long long)j->res->rows, (unsigned long long)j->res->no_customer,
            (unsigned long long)j->res->cancelled_rows);
  int64_t last = whole_day(j->last_day);
  if (!j->p->reference_date) {
    j->ref = last + 1;
  } else {
    double d;
    RETURN_IF(strlen(j->p->reference_date) != 10 || !csv_parse_date(j->p->reference_date, 10, &d), STRATA_ERR_USAGE,
              "--reference-date: '%s' is not a date YYYY-MM-DD", j->p->reference_date);
    j->ref = whole_day(d);
    RETURN_IF(j->ref < last, STRATA_ERR_USAGE, "--reference-date %s is before the last purchase in '%s'",
              j->p->reference_date, j->p->input);
  }
  j->res->reference_day = j->ref;
  int64_t y;
  unsigned m, d;
  csv_civil_from_days(j->ref, &y, &m, &d);
  snprintf(j->res->reference_date, sizeof j->res->reference_date, "%04lld-%02u-%02u", (long long)y, m, d);
  return STRATA_OK;
}

static strata_status output_dir(const char *output, char **dir) {
  const char *slash = strrchr(output, '/');
  *dir = !slash ? strdup(".") : slash == output ? strdup("/") : strndup(output, (size_t)(slash - output));
  RETURN_IF(!*dir, STRATA_ERR_NOMEM, "out of memory");
  return STRATA_OK;
}

/* An HDF5 file starts with this signature (at offset 0 for every file
 * HDF5 writes without a user block). */
static int is_hdf5(int fd) {
  static const char sig[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  char head[8];
  return pread(fd, head, sizeof head, 0) == (ssize_t)sizeof head && memcmp(head, sig, sizeof sig) == 0;
}

static strata_status run(rfm_job *j) {
  int fd = open(j->p->input, O_RDONLY | O_CLOEXEC);
  RETURN_IF(fd < 0, STRATA_ERR_NOT_FOUND, "cannot open '%s': %s", j->p->input, strerror(errno));
  j->h5 = is_hdf5(fd);
  char *dir = NULL;
  strata_status st = output_dir(j->p->output, &dir);
  if (st == STRATA_OK) st = csv_writer_open(j->p->output, NULL, 1, strata_ctx_threads(j->ctx), &j->w);
  if (st == STRATA_OK)
    st = rfm_groups_new(dir, j->p->mem_limit ? j->p->mem_limit : DEFAULT_MEM_LIMIT, &j->groups);
  free(dir);
  if (st == STRATA_OK && j->h5) {
    close(fd);
    fd = -1;
    st = rfm_h5_scan(j->ctx, j->p->input, j->want, NF, h5_row, j);
  } else {
    if (st == STRATA_OK) st = open_reader(j, fd);
    if (st == STRATA_OK) st = read_all(j);
  }
  if (fd >= 0) close(fd);
  if (st == STRATA_OK) st = reference_day(j);
  if (st == STRATA_OK) {
    j->res->runs = rfm_groups_runs(j->groups);
    st = write_all(j);
  }
  if (st == STRATA_OK) {
    st = csv_writer_commit(j->w, &j->t, j->p->input);
    j->w = NULL;
  }
  return st;
}

strata_status strata_rfm(const strata_ctx *ctx, const strata_rfm_params *p, strata_rfm_result *out) {
  RETURN_IF(!out, STRATA_ERR_USAGE, "strata_rfm: out is NULL");
  memset(out, 0, sizeof *out);
  FORWARD_IF_ERROR(check_params(p));
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  rfm_job j;
  memset(&j, 0, sizeof j);
  j.p = p;
  j.ctx = ctx;
  j.res = out;
  j.kmin = INT64_MAX;
  const char *want[NF] = {p->customer, p->invoice, p->date, p->quantity, p->price};
  memcpy(j.want, want, sizeof want);
  j.kmax = INT64_MIN;
  csv_dict_init(&j.dict);
  strata_status st = run(&j);
  if (j.w) csv_writer_abort(j.w);
  if (j.rd_open) csv_reader_close(&j.rd);
  rfm_groups_free(j.groups);
  for (size_t i = 0; j.hname && i < j.nfields; i++) free(j.hname[i]);
  free(j.hname);
  for (int k = 0; k < NF; k++) free(j.scratch[k]);
  for (int c = 0; c < NC; c++) free(j.stage[c]);
  for (size_t c = 0; j.t.col && c < NC; c++) free(j.t.col[c].name);
  free(j.t.col);
  csv_dict_free(&j.dict);
  free(j.rv);
  free(j.fv);
  free(j.mv);
  free(j.cur_key);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  out->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  out->text_key = j.any_text;
  return st;
}
