/* The CSV importer's parser, without HDF5: value parsing (numbers, dates,
 * booleans, missing markers), the tokenizer (quoting, line ends, embedded
 * newlines, delimiters), text checks, type inference, and both passes of
 * the engine through a sink that keeps what it is given. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "csv_dict.h"
#include "csv_engine.h"
#include "csv_infer.h"
#include "csv_number.h"
#include "csv_text.h"
#include "csv_tokenizer.h"

#define S(lit) lit, sizeof(lit) - 1

/* ------------------------------------------------------------ numbers */

static void test_integers(void) {
  int64_t v = 0;
  CHECK(csv_parse_int64(S("0"), &v) == 1 && v == 0);
  CHECK(csv_parse_int64(S("-0"), &v) == 1 && v == 0);
  CHECK(csv_parse_int64(S("+42"), &v) == 1 && v == 42);
  CHECK(csv_parse_int64(S("  -17 "), &v) == 1 && v == -17);
  CHECK(csv_parse_int64(S("9223372036854775807"), &v) == 1 && v == INT64_MAX);
  CHECK(csv_parse_int64(S("-9223372036854775808"), &v) == 1 && v == INT64_MIN);
  CHECK(csv_parse_int64(S("9223372036854775808"), &v) == -1);
  CHECK(csv_parse_int64(S("-9223372036854775809"), &v) == -1);
  CHECK(csv_parse_int64(S("123456789012345678901234567890"), &v) == -1);
  CHECK(csv_parse_int64(S("007"), &v) == 0); /* a code, not a number */
  CHECK(csv_parse_int64(S("1.0"), &v) == 0);
  CHECK(csv_parse_int64(S("1e3"), &v) == 0);
  CHECK(csv_parse_int64(S("12a"), &v) == 0);
  CHECK(csv_parse_int64(S("-"), &v) == 0);
  CHECK(csv_parse_int64(S(""), &v) == 0);
  CHECK(csv_parse_int64(S("1 2"), &v) == 0);
}

/* Every double agrees with strtod, which glibc rounds correctly. */
static void check_double(const char *text) {
  double got = 0, want = strtod(text, NULL);
  int r = csv_parse_double(text, strlen(text), &got);
  CHECK_MSG(r == 1 && memcmp(&got, &want, sizeof got) == 0, "'%s': got %.17g (r=%d), want %.17g", text, got, r,
            want);
}

static void test_floats(void) {
  const char *exact[] = {"1.5", "-0.0", "0.1", "0.2", "0.3", "3.14159", ".5", "5.", "-.25", "1e10", "1E-10",
                         "2.5e+3", "123456789012345678", "9007199254740993", "0.000001234", "40.900749",
                         "1.7976931348623157e308", "2.2250738585072014e-308", "4.9e-324", "1e-400",
                         "0.1000000000000000055511151231257827", "123456.789e-3", "1e22", "1e23",
                         "8.589973e9", "2.2250738585072011e-308", "100000000000000000000000",
                         "7.3177701707893310e+15", "+12.75"};
  for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) check_double(exact[i]);
  double v;
  CHECK(csv_parse_double(S("inf"), &v) == 1 && isinf(v) && v > 0);
  CHECK(csv_parse_double(S("-Infinity"), &v) == 1 && isinf(v) && v < 0);
  CHECK(csv_parse_double(S("1e999"), &v) == -1);
  CHECK(csv_parse_double(S("-1e400"), &v) == -1);
  CHECK(csv_parse_double(S("1e-99999999999"), &v) == 1 && v == 0.0);
  CHECK(csv_parse_double(S("00.5"), &v) == 0);
  CHECK(csv_parse_double(S("."), &v) == 0);
  CHECK(csv_parse_double(S("1e"), &v) == 0);
  CHECK(csv_parse_double(S("e5"), &v) == 0);
  CHECK(csv_parse_double(S("1,5"), &v) == 0);
  CHECK(csv_parse_double(S("0x10"), &v) == 0);
  CHECK(csv_parse_double(S("nan"), &v) == 0); /* a missing marker, not a number */
  CHECK(csv_parse_double(S("1.5.2"), &v) == 0);
  CHECK(csv_parse_double(S(" 2.5\t"), &v) == 1 && v == 2.5);
}

static void test_missing_and_bools(void) {
  const char *missing[] = {"", "  ", "NA", "na", "N/A", "n/a", "NaN", "nan", "NULL", "null", "Null", "?", " ? "};
  for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++)
    CHECK_MSG(csv_is_missing(missing[i], strlen(missing[i])), "'%s'", missing[i]);
  const char *present[] = {"0", "none", "-", "NAN1", "n", "??", "nul"};
  for (size_t i = 0; i < sizeof present / sizeof present[0]; i++)
    CHECK_MSG(!csv_is_missing(present[i], strlen(present[i])), "'%s'", present[i]);
  int b = -1;
  CHECK(csv_parse_bool(S("TRUE"), &b) && b == 1);
  CHECK(csv_parse_bool(S("yes"), &b) && b == 1);
  CHECK(csv_parse_bool(S("Y"), &b) && b == 1);
  CHECK(csv_parse_bool(S("f"), &b) && b == 0);
  CHECK(csv_parse_bool(S("No"), &b) && b == 0);
  CHECK(!csv_parse_bool(S("1"), &b));
  CHECK(!csv_parse_bool(S("yess"), &b));
  CHECK(!csv_parse_bool(S("truth"), &b));
}

static void test_dates(void) {
  double d = -1;
  CHECK(csv_parse_date(S("1970-01-01"), &d) && d == 0.0);
  CHECK(csv_parse_date(S("1970-01-02"), &d) && d == 1.0);
  CHECK(csv_parse_date(S("1969-12-31"), &d) && d == -1.0);
  CHECK(csv_parse_date(S("2000-02-29"), &d) && d == 11016.0);
  CHECK(csv_parse_date(S("2024-03-01"), &d) && d == 19783.0);
  CHECK(csv_parse_date(S("2024-03-01T12:00"), &d) && d == 19783.5);
  CHECK(csv_parse_date(S("2024-03-01 06:00:00"), &d) && d == 19783.25);
  CHECK(csv_parse_date(S("2024-03-01T12:00:00Z"), &d) && d == 19783.5);
  CHECK(csv_parse_date(S("2024-03-01T12:00:00+06:00"), &d) && d == 19783.25);
  CHECK(csv_parse_date(S("2024-03-01T12:00:00-0600"), &d) && d == 19783.75);
  CHECK(csv_parse_date(S("2024-03-01T00:00:00.5"), &d) && fabs(d - (19783 + 0.5 / 86400)) < 1e-12);
  /* Not dates: impossible days, other layouts. */
  const char *bad[] = {"2021-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "2024-1-5",
                       "2024/01/05", "05/01/2024", "2024-01-05T25:00", "2024-01-05T10:60", "2024-01-05x",
                       "2024-01-05T10:00:61", "20240105"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK_MSG(!csv_parse_date(bad[i], strlen(bad[i]), &d), "'%s'", bad[i]);
  int64_t y;
  unsigned m, dd;
  for (int64_t day = -800000; day <= 800000; day += 997) {
    csv_civil_from_days(day, &y, &m, &dd);
    CHECK_MSG(csv_days_from_civil(y, m, dd) == day, "day %lld", (long long)day);
  }
}

static void test_classify(void) {
  csv_value v;
  csv_classify(S("12"), &v);
  CHECK(v.kind == CSV_KIND_INT && v.i == 12);
  csv_classify(S("12.5"), &v);
  CHECK(v.kind == CSV_KIND_FLOAT && v.d == 12.5);
  csv_classify(S("99999999999999999999"), &v); /* beyond int64: a float */
  CHECK(v.kind == CSV_KIND_FLOAT && v.d == 1e20 && !v.overflow);
  csv_classify(S("1e999"), &v);
  CHECK(v.kind == CSV_KIND_FLOAT && v.overflow);
  csv_classify(S("2024-02-29"), &v);
  CHECK(v.kind == CSV_KIND_DATE);
  csv_classify(S("2023-02-29"), &v);
  CHECK(v.kind == CSV_KIND_STRING);
  csv_classify(S("N/A"), &v);
  CHECK(v.kind == CSV_KIND_MISSING);
  csv_classify(S("false"), &v);
  CHECK(v.kind == CSV_KIND_BOOL && v.i == 0);
  csv_classify(S("-inf"), &v);
  CHECK(v.kind == CSV_KIND_FLOAT && isinf(v.d));
  csv_classify(S("0042"), &v);
  CHECK(v.kind == CSV_KIND_STRING);
  csv_classify(S("Lisbon"), &v);
  CHECK(v.kind == CSV_KIND_STRING);
}

/* ------------------------------------------------------------ text */

static void test_text(void) {
  CHECK(csv_utf8_check(S("plain ascii text, long enough for words")) == 39);
  CHECK(csv_utf8_check(S("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80")) == 14);
  CHECK(csv_utf8_check(S("caf\xE9!")) == 3);          /* Latin-1 e-acute */
  CHECK(csv_utf8_check(S("\xC0\xAF")) == 0);          /* overlong */
  CHECK(csv_utf8_check(S("\xED\xA0\x80")) == 0);      /* surrogate */
  CHECK(csv_utf8_check(S("\xF4\x90\x80\x80")) == 0);  /* beyond U+10FFFF */
  CHECK(csv_utf8_check(S("ab\xE2\x82")) == 2);        /* truncated */
  CHECK(csv_utf8_check(S("abcdefgh\0ij")) == 8);      /* NUL */
  char out[16];
  size_t n = csv_latin1_to_utf8(S("\xA3" "5 caf\xE9"), out);
  CHECK(n == 9 && memcmp(out, "\xC2\xA3" "5 caf\xC3\xA9", 9) == 0);
  CHECK(csv_nul_check(S("a\0b")) == 1);
  CHECK(csv_hash(S("abc")) == csv_hash(S("abc")) && csv_hash(S("abc")) != csv_hash(S("abd")));

  csv_dict d;
  csv_dict_init(&d);
  CHECK(csv_dict_intern(&d, S("north")) == 0);
  CHECK(csv_dict_intern(&d, S("south")) == 1);
  CHECK(csv_dict_intern(&d, S("north")) == 0);
  CHECK(csv_dict_intern(&d, S("nort")) == 2);
  CHECK(csv_dict_intern(&d, S("")) == 3);
  char key[32];
  for (int i = 0; i < 5000; i++) {
    snprintf(key, sizeof key, "k%d", i);
    CHECK(csv_dict_intern(&d, key, strlen(key)) == 4 + i);
  }
  for (int i = 0; i < 5000; i += 97) {
    snprintf(key, sizeof key, "k%d", i);
    CHECK(csv_dict_intern(&d, key, strlen(key)) == 4 + i);
  }
  CHECK(strcmp(csv_dict_string(&d, 1), "south") == 0 && d.n == 5004);
  csv_dict_free(&d);
}

/* ------------------------------------------------------------ tokenizer */

typedef struct {
  size_t n;
  char field[8][32];
  uint32_t lines;
  int problem;
} tok_out;

/* Tokenizes one record of text (at EOF). */
static csv_tok_status tok1(char delim, const char *text, size_t len, tok_out *o, size_t *used) {
  csv_tokenizer t;
  csv_tokenizer_init(&t, delim);
  csv_record rec = {0};
  csv_tok_status st = csv_tokenize(&t, text, len, 1, used, &rec);
  memset(o, 0, sizeof *o);
  o->n = rec.n;
  o->lines = rec.lines;
  o->problem = rec.problem;
  for (size_t i = 0; i < rec.n && i < 8; i++) {
    char buf[64];
    size_t k = csv_unescape(&rec.field[i], buf);
    snprintf(o->field[i], sizeof o->field[i], "%.*s", (int)k, buf);
  }
  csv_record_free(&rec);
  return st;
}

static void test_tokenizer(void) {
  tok_out o;
  size_t used;
  CHECK(tok1(',', S("a,b,c\nnext"), &o, &used) == CSV_TOK_RECORD && o.n == 3 && used == 6 && o.lines == 1);
  CHECK(strcmp(o.field[2], "c") == 0);
  CHECK(tok1(',', S("a,b\r\nx"), &o, &used) == CSV_TOK_RECORD && used == 5 && strcmp(o.field[1], "b") == 0);
  CHECK(tok1(',', S("a,b\rx"), &o, &used) == CSV_TOK_RECORD && used == 4); /* lone CR */
  CHECK(tok1(',', S("\"x,y\",\"say \"\"hi\"\"\"\n"), &o, &used) == CSV_TOK_RECORD && o.n == 2);
  CHECK(strcmp(o.field[0], "x,y") == 0 && strcmp(o.field[1], "say \"hi\"") == 0);
  CHECK(tok1(',', S("\"two\nlines\",b\n"), &o, &used) == CSV_TOK_RECORD && o.lines == 2);
  CHECK(strcmp(o.field[0], "two\nlines") == 0);
  CHECK(tok1(',', S("\"a\r\nb\",c"), &o, &used) == CSV_TOK_RECORD && o.lines == 1 && used == 8);
  CHECK(tok1(',', S("a,,\n"), &o, &used) == CSV_TOK_RECORD && o.n == 3 && o.field[2][0] == '\0');
  CHECK(tok1(',', S("last,no,newline"), &o, &used) == CSV_TOK_RECORD && o.n == 3 && used == 15);
  CHECK(tok1(',', S("5\"3,x\n"), &o, &used) == CSV_TOK_RECORD && strcmp(o.field[0], "5\"3") == 0 && !o.problem);
  CHECK(tok1(',', S("\"ab\"c,d\n"), &o, &used) == CSV_TOK_RECORD && o.problem == CSV_REC_AFTER_QUOTE && o.n == 2);
  CHECK(tok1(',', S("\"open,a\nb\n"), &o, &used) == CSV_TOK_UNTERMINATED);
  CHECK(tok1(';', S("a;b,c;d\n"), &o, &used) == CSV_TOK_RECORD && o.n == 3 && strcmp(o.field[1], "b,c") == 0);
  CHECK(tok1('\t', S("a\tb c\n"), &o, &used) == CSV_TOK_RECORD && o.n == 2);
  CHECK(tok1('|', S("\"\"|x\n"), &o, &used) == CSV_TOK_RECORD && o.n == 2 && o.field[0][0] == '\0');

  /* Not at EOF, a record cut short asks for more. */
  csv_tokenizer t;
  csv_tokenizer_init(&t, ',');
  csv_record rec = {0};
  CHECK(csv_tokenize(&t, S("a,b"), 0, &used, &rec) == CSV_TOK_NEED_MORE);
  CHECK(csv_tokenize(&t, S("a,\"b\n"), 0, &used, &rec) == CSV_TOK_NEED_MORE);
  CHECK(csv_tokenize(&t, S("a,\"b\""), 0, &used, &rec) == CSV_TOK_NEED_MORE);
  CHECK(csv_tokenize(&t, S("a,b\r"), 0, &used, &rec) == CSV_TOK_NEED_MORE);
  CHECK(csv_tokenize(&t, S(""), 1, &used, &rec) == CSV_TOK_END);
  csv_record_free(&rec);

  CHECK(csv_detect_delimiter(S("a,b,c\n1,2,3\n"), 1) == ',');
  CHECK(csv_detect_delimiter(S("a;b;c\n1,5;2,5;3\n"), 1) == ';');
  CHECK(csv_detect_delimiter(S("a\tb\n1\t2\n"), 1) == '\t');
  CHECK(csv_detect_delimiter(S("a|b|c\n\"x|y\"|2|3\n"), 1) == '|');
  CHECK(csv_detect_delimiter(S("only\n1\n"), 1) == ',');
}

/* ------------------------------------------------------------ inference */

static csv_type infer(const char *const *values, size_t n, csv_storage *storage) {
  csv_infer_col c;
  csv_infer_init(&c);
  for (size_t i = 0; i < n; i++) {
    csv_value v;
    csv_classify(values[i], strlen(values[i]), &v);
    if (v.kind == CSV_KIND_STRING) csv_infer_add_text(&c, i + 2, 1, values[i], strlen(values[i]));
    else csv_infer_add(&c, &v, i + 2, 1, values[i], strlen(values[i]));
  }
  csv_type t = csv_infer_type(&c);
  int inexact;
  *storage = csv_infer_storage(&c, t, &inexact);
  return t;
}

static void test_inference(void) {
  csv_storage s;
  const char *ints[] = {"1", "-5", "120"};
  CHECK(infer(ints, 3, &s) == CSV_TYPE_INT && s == CSV_STORE_I8);
  const char *wide[] = {"1", "40000"};
  CHECK(infer(wide, 2, &s) == CSV_TYPE_INT && s == CSV_STORE_I32);
  const char *big[] = {"1", "9000000000"};
  CHECK(infer(big, 2, &s) == CSV_TYPE_INT && s == CSV_STORE_I64);
  const char *holes[] = {"1", "", "3"};
  CHECK(infer(holes, 3, &s) == CSV_TYPE_INT && s == CSV_STORE_F32);
  const char *mixed[] = {"1", "2.5"};
  CHECK(infer(mixed, 2, &s) == CSV_TYPE_FLOAT && s == CSV_STORE_F64);
  const char *huge[] = {"1", "99999999999999999999"};
  CHECK(infer(huge, 2, &s) == CSV_TYPE_FLOAT);
  const char *dates[] = {"2024-01-01", "NA", "2024-02-29"};
  CHECK(infer(dates, 3, &s) == CSV_TYPE_DATE && s == CSV_STORE_F64);
  const char *bad_date[] = {"2024-01-01", "2023-02-29"};
  CHECK(infer(bad_date, 2, &s) == CSV_TYPE_CATEGORICAL && s == CSV_STORE_I32);
  const char *bools[] = {"yes", "no", "YES"};
  CHECK(infer(bools, 3, &s) == CSV_TYPE_BOOL && s == CSV_STORE_U8);
  const char *bools_na[] = {"true", "", "false"};
  CHECK(infer(bools_na, 3, &s) == CSV_TYPE_BOOL && s == CSV_STORE_F32);
  const char *bool_int[] = {"1", "yes"};
  CHECK(infer(bool_int, 2, &s) == CSV_TYPE_CATEGORICAL);
  const char *late_text[] = {"1", "2", "3", "x"};
  CHECK(infer(late_text, 4, &s) == CSV_TYPE_CATEGORICAL);
  const char *none[] = {"", "NA"};
  CHECK(infer(none, 2, &s) == CSV_TYPE_FLOAT);
  CHECK(csv_name_is_id("id") && csv_name_is_id("customer_id") && csv_name_is_id("CUST_ID") &&
        csv_name_is_id("CustomerID") && csv_name_is_id("customerId") && csv_name_is_id("ID"));
  CHECK(!csv_name_is_id("paid") && !csv_name_is_id("idle") && !csv_name_is_id("valid") && !csv_name_is_id("i"));
}

/* ------------------------------------------------------------ engine */

/* A sink that keeps column 0..3 as doubles (codes for categorical ones)
 * and the dictionaries' first strings. */
typedef struct {
  uint64_t max_rows;
  size_t chunk_rows, ncols, rows;
  csv_storage storage[4];
  double value[4][64];
  char dict[4][8][32];
  size_t ndict[4];
} keep_sink;

static strata_status keep_begin(void *ctx, const csv_table *t, uint64_t max_rows, size_t chunk_rows) {
  keep_sink *k = ctx;
  k->max_rows = max_rows;
  k->chunk_rows = chunk_rows;
  k->ncols = t->ncols < 4 ? t->ncols : 4;
  for (size_t j = 0; j < k->ncols; j++) k->storage[j] = t->col[j].storage;
  return STRATA_OK;
}

static double load(csv_storage s, const void *data, size_t i) {
  switch (s) {
    case CSV_STORE_I8: return ((const int8_t *)data)[i];
    case CSV_STORE_I16: return ((const int16_t *)data)[i];
    case CSV_STORE_I32: return ((const int32_t *)data)[i];
    case CSV_STORE_I64: return (double)((const int64_t *)data)[i];
    case CSV_STORE_U8: return ((const uint8_t *)data)[i];
    case CSV_STORE_F32: return ((const float *)data)[i];
    case CSV_STORE_F64: return ((const double *)data)[i];
  }
  return NAN;
}

static strata_status keep_chunk(void *ctx, size_t col, uint64_t index, const void *data, size_t rows) {
  keep_sink *k = ctx;
  if (col >= k->ncols) return STRATA_OK;
  for (size_t i = 0; i < rows; i++) {
    size_t r = (size_t)index * k->chunk_rows + i;
    if (r < 64) k->value[col][r] = load(k->storage[col], data, i);
    if (col == 0 && r + 1 > k->rows) k->rows = r + 1;
  }
  return STRATA_OK;
}

static strata_status keep_dict(void *ctx, size_t col, const csv_dict *d) {
  keep_sink *k = ctx;
  if (col >= k->ncols) return STRATA_OK;
  k->ndict[col] = d->n;
  for (size_t c = 0; c < d->n && c < 8; c++) snprintf(k->dict[col][c], 32, "%s", csv_dict_string(d, c));
  return STRATA_OK;
}

/* Runs the engine over text with a tiny read buffer (so records straddle
 * refills) and 2-row chunks. */
static strata_status run_engine_n(const char *text, size_t len, csv_engine_params *p, keep_sink *k, csv_table *t) {
  memset(k, 0, sizeof *k);
  csv_source src = {-1, text, len};
  csv_sink sink = {k, keep_begin, keep_chunk, keep_dict};
  if (!p->buffer_bytes) p->buffer_bytes = 7;
  p->chunk_rows = 2;
  p->name = "t.csv";
  return csv_engine_run(&src, p, &sink, t);
}

static strata_status run_engine(const char *text, csv_engine_params *p, keep_sink *k, csv_table *t) {
  return run_engine_n(text, strlen(text), p, k, t);
}

static void test_engine(void) {
  keep_sink k;
  csv_table t;
  csv_engine_params p = {0};

  /* BOM, CRLF, quoting, embedded newline, blank lines, categorical text. */
  const char *good = "\xEF\xBB\xBF" "id,name,score,when,ok\r\n"
                     "1,\"Smith, J\",1.5,2024-01-02,yes\r\n"
                     "\r\n"
                     "2,\"multi\nline \"\"x\"\"\",NA,2024-01-03,no\r\n"
                     "3,Smith,-2e3,,yes";
  CHECK_OK(run_engine(good, &p, &k, &t));
  CHECK(t.rows == 3 && t.ncols == 5 && t.delimiter == ',' && t.lines == 6);
  CHECK(t.col[0].type == CSV_TYPE_INT && t.col[0].is_id);
  CHECK(t.col[1].type == CSV_TYPE_CATEGORICAL && t.col[1].categories == 3);
  CHECK(t.col[2].type == CSV_TYPE_FLOAT && t.col[2].missing == 1);
  CHECK(t.col[3].type == CSV_TYPE_DATE && t.col[3].missing == 1);
  CHECK(t.col[4].type == CSV_TYPE_BOOL);
  CHECK(k.value[0][2] == 3 && k.value[2][0] == 1.5 && isnan(k.value[2][1]) && k.value[2][2] == -2000);
  CHECK(k.value[3][0] == 19724 && isnan(k.value[3][2]));
  CHECK(k.value[1][0] == 0 && k.value[1][1] == 1 && k.value[1][2] == 2);
  CHECK(strcmp(k.dict[1][0], "Smith, J") == 0 && strcmp(k.dict[1][1], "multi\nline \"x\"") == 0);
  csv_table_free(&t);

  /* Semicolons guessed; --columns order; Latin-1 text. */
  memset(&p, 0, sizeof p);
  const char *cols[] = {"city", "n"};
  p.columns = cols;
  p.ncolumns = 2;
  p.latin1 = 1;
  CHECK_OK(run_engine("n;city;x\n1;S\xE3o Paulo;a\n2;Malm\xF6;b\n", &p, &k, &t));
  CHECK(t.delimiter == ';' && t.ncols == 2 && strcmp(t.col[0].name, "city") == 0);
  CHECK(strcmp(k.dict[0][0], "S\xC3\xA3o Paulo") == 0 && strcmp(k.dict[0][1], "Malm\xC3\xB6") == 0);
  csv_table_free(&t);

  /* A column that is text deep in the file is text throughout. */
  memset(&p, 0, sizeof p);
  CHECK_OK(run_engine("a,b\n1,2\n2,3\n3,x\n", &p, &k, &t));
  CHECK(t.col[1].type == CSV_TYPE_CATEGORICAL && t.col[1].demoted && t.col[1].demoted_at.line == 4);
  CHECK(strcmp(k.dict[1][0], "2") == 0 && k.value[1][2] == 2);
  csv_table_free(&t);

  /* Ids: duplicates are not ids. */
  memset(&p, 0, sizeof p);
  CHECK_OK(run_engine("user_id,code_id\n5,a\n3,b\n5,a\n", &p, &k, &t));
  CHECK(!t.col[0].is_id && !t.col[1].is_id);
  csv_table_free(&t);
  memset(&p, 0, sizeof p);
  CHECK_OK(run_engine("user_id,code_id\n5,a\n3,b\n9,c\n", &p, &k, &t));
  CHECK(t.col[0].is_id && t.col[1].is_id);
  csv_table_free(&t);
}

/* Each bad input fails with STRATA_ERR_DATA and a message naming the
 * line and column; with skip_bad_rows the record is dropped and listed. */
#define EXPECT_BAD(lit, message, line, column) expect_bad(lit, sizeof(lit) - 1, message, line, column)
static void expect_bad(const char *text, size_t len, const char *message, uint64_t line, size_t column) {
  keep_sink k;
  csv_table t;
  csv_engine_params p = {0};
  strata_status st = run_engine_n(text, len, &p, &k, &t);
  CHECK_MSG(st == STRATA_ERR_DATA && strstr(strata_last_error(), message), "%s: got %s '%s'", message,
            strata_status_name(st), strata_last_error());
  csv_table_free(&t);
  if (!line) return;
  memset(&p, 0, sizeof p);
  p.skip_bad_rows = 1;
  st = run_engine_n(text, len, &p, &k, &t);
  CHECK_MSG(st == STRATA_OK && t.skipped == 1 && t.nlisted == 1 && t.listed[0].line == line &&
                t.listed[0].column == column,
            "%s skipped: %s, %llu skipped, at %llu:%zu", message, strata_last_error(),
            (unsigned long long)t.skipped, (unsigned long long)(t.nlisted ? t.listed[0].line : 0),
            t.nlisted ? t.listed[0].column : 0);
  csv_table_free(&t);
}

static void test_bad_input(void) {
  EXPECT_BAD("a,b,c\n1,2,3\n4,5\n6,7,8\n", "line 3, column 3 (c): row has 2 fields; the header has 3", 3, 3);
  EXPECT_BAD("a,b\n1,2\n3,4,5\n6,7\n", "line 3, column 3: row has 3 fields", 3, 3);
  EXPECT_BAD("a,b\n1,\"x\"y\n2,z\n", "line 2, column 2 (b): text after the closing quote", 2, 2);
  EXPECT_BAD("a,b\n1,ok\n2,caf\xE9\n3,x\n", "line 3, column 2 (b): invalid UTF-8 (byte 0xE9)", 3, 2);
  EXPECT_BAD("a,b\n1,2.5\n2,1e999\n3,4\n", "line 3, column 2 (b): '1e999' is beyond the range of a float64", 3, 2);
  EXPECT_BAD("a,b\n1,\"x\ny\n2,z\n", "line 2, column 2 (b): unterminated quoted field", 0, 0);
  EXPECT_BAD("a,b\n\"1\n2\",\"q\n", "line 3, column 2 (b): unterminated quoted field", 0, 0);
  EXPECT_BAD("", "line 1: the file is empty", 0, 0);
  EXPECT_BAD("\n\n", "line 1: the file is empty", 0, 0);
  EXPECT_BAD("a,b\n", "line 2: no data rows", 0, 0);
  EXPECT_BAD("a,b,a\n1,2,3\n", "line 1, column 3: duplicate column name 'a' (also column 1)", 0, 0);
  EXPECT_BAD("a,,c\n1,2,3\n", "line 1, column 2: empty column name", 0, 0);
  EXPECT_BAD("a,b\n1,x\0y\n2,z\n", "line 2, column 2 (b): NUL byte", 2, 2);
  /* A number beyond float64 in a text column is just text. */
  keep_sink k;
  csv_table t;
  csv_engine_params p = {0};
  CHECK_OK(run_engine("a,b\n1,x\n2,1e999\n", &p, &k, &t));
  CHECK(t.col[1].type == CSV_TYPE_CATEGORICAL && t.rows == 2);
  csv_table_free(&t);
  /* Every row bad: nothing left. */
  memset(&p, 0, sizeof p);
  p.skip_bad_rows = 1;
  CHECK(run_engine("a,b\n1\n2\n", &p, &k, &t) == STRATA_ERR_DATA && strstr(strata_last_error(), "no data rows"));
  csv_table_free(&t);
  /* A record longer than the limit. */
  memset(&p, 0, sizeof p);
  p.buffer_bytes = 8;
  p.max_record_bytes = 16;
  CHECK(run_engine("a,b\n1,\"0123456789012345678901234567890\"\n", &p, &k, &t) == STRATA_ERR_DATA &&
        strstr(strata_last_error(), "line 2: a record longer than"));
  csv_table_free(&t);
  /* Unknown --columns name. */
  memset(&p, 0, sizeof p);
  const char *cols[] = {"zz"};
  p.columns = cols;
  p.ncolumns = 1;
  CHECK(run_engine("a,b\n1,2\n", &p, &k, &t) == STRATA_ERR_COLUMN &&
        strstr(strata_last_error(), "column 'zz' is not in the header of 't.csv' (have: a, b)"));
  csv_table_free(&t);
}

int main(void) {
  test_integers();
  test_floats();
  test_missing_and_bools();
  test_dates();
  test_classify();
  test_text();
  test_tokenizer();
  test_inference();
  test_engine();
  test_bad_input();
  return check_report();
}
