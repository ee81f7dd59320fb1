/* Column type inference (io/csv_infer.h). */
#include "csv_infer.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *csv_type_name(csv_type t) {
  switch (t) {
    case CSV_TYPE_INT: return "int";
    case CSV_TYPE_FLOAT: return "float";
    case CSV_TYPE_BOOL: return "bool";
    case CSV_TYPE_DATE: return "date";
    case CSV_TYPE_CATEGORICAL: return "categorical";
  }
  return "?";
}

const char *csv_storage_name(csv_storage s) {
  static const char *const names[] = {"int8", "int16", "int32", "int64", "uint8", "float32", "float64"};
  return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

size_t csv_storage_size(csv_storage s) {
  static const size_t sizes[] = {1, 2, 4, 8, 1, 4, 8};
  return (unsigned)s < sizeof sizes / sizeof sizes[0] ? sizes[s] : 0;
}

void csv_where_set(csv_where *w, uint64_t line, size_t column, const char *p, size_t n) {
  w->line = line;
  w->column = column;
  size_t k = n < sizeof w->text - 4 ? n : sizeof w->text - 4;
  /* Cut on a character boundary and keep the excerpt on one line. */
  while (k > 0 && k < n && ((unsigned char)p[k] & 0xC0) == 0x80) k--;
  for (size_t i = 0; i < k; i++) w->text[i] = (p[i] == '\n' || p[i] == '\r') ? ' ' : p[i];
  if (k < n) memcpy(w->text + k, "...", 4);
  else w->text[k] = '\0';
}

void csv_infer_init(csv_infer_col *c) {
  memset(c, 0, sizeof *c);
  c->increasing = 1;
}

void csv_infer_add_text(csv_infer_col *c, uint64_t line, size_t column, const char *p, size_t n) {
  unsigned typed = c->seen & ~(1u << CSV_KIND_STRING);
  if (!csv_infer_is_text(c) && typed) {
    c->demoted = 1;
    csv_where_set(&c->demoted_at, line, column, p, n);
  }
  c->seen |= 1u << CSV_KIND_STRING;
  c->values++;
  if (c->ntext_at < CSV_TEXT_LISTED) csv_where_set(&c->text_at[c->ntext_at++], line, column, p, n);
  c->texts++;
}

void csv_infer_add(csv_infer_col *c, const csv_value *v, uint64_t line, size_t column, const char *p, size_t n) {
  switch (v->kind) {
    case CSV_KIND_MISSING: c->missing++; return;
    case CSV_KIND_STRING: csv_infer_add_text(c, line, column, p, n); return;
    case CSV_KIND_INT:
      if (!((c->seen >> CSV_KIND_INT) & 1u)) {
        c->imin = c->imax = v->i;
      } else {
        if (v->i <= c->ilast) c->increasing = 0;
        if (v->i < c->imin) c->imin = v->i;
        if (v->i > c->imax) c->imax = v->i;
      }
      c->ilast = v->i;
      break;
    case CSV_KIND_FLOAT:
      if (v->overflow && c->overflows++ == 0) csv_where_set(&c->overflow, line, column, p, n);
      break;
    case CSV_KIND_DATE:
    case CSV_KIND_BOOL: break;
  }
  if (v->kind == CSV_KIND_INT || v->kind == CSV_KIND_FLOAT) c->numbers++;
  unsigned before = c->seen;
  c->seen |= 1u << v->kind;
  c->values++;
  /* Dates and booleans mix with nothing else: the column is text then. */
  if (before && c->seen != before && csv_infer_type(c) == CSV_TYPE_CATEGORICAL && !c->demoted) {
    c->demoted = 1;
    csv_where_set(&c->demoted_at, line, column, p, n);
  }
}

csv_type csv_infer_type(const csv_infer_col *c) {
  const unsigned I = 1u << CSV_KIND_INT, F = 1u << CSV_KIND_FLOAT, D = 1u << CSV_KIND_DATE,
                 B = 1u << CSV_KIND_BOOL;
  unsigned s = c->seen;
  if (s == 0) return CSV_TYPE_FLOAT;
  if (s == I) return CSV_TYPE_INT;
  if ((s & ~(I | F)) == 0) return CSV_TYPE_FLOAT;
  if (s == D) return CSV_TYPE_DATE;
  if (s == B) return CSV_TYPE_BOOL;
  return CSV_TYPE_CATEGORICAL;
}

int csv_infer_few_bad_cells(const csv_infer_col *c, csv_type *numeric) {
  const unsigned I = 1u << CSV_KIND_INT, F = 1u << CSV_KIND_FLOAT, S = 1u << CSV_KIND_STRING;
  if ((c->seen & ~(I | F | S)) != 0 || c->texts == 0 || c->numbers == 0) return 0;
  if (c->texts > (c->numbers + c->texts) / CSV_FEW_BAD_CELLS) return 0;
  *numeric = (c->seen & F) ? CSV_TYPE_FLOAT : CSV_TYPE_INT;
  return 1;
}

int csv_infer_mostly_numeric(const csv_infer_col *c) { return c->texts > 0 && c->numbers > c->texts; }

csv_storage csv_infer_storage(const csv_infer_col *c, csv_type t, int *inexact) {
  *inexact = 0;
  switch (t) {
    case CSV_TYPE_FLOAT:
    case CSV_TYPE_DATE: return CSV_STORE_F64;
    case CSV_TYPE_CATEGORICAL: return CSV_STORE_I32;
    case CSV_TYPE_BOOL: return c->missing ? CSV_STORE_F32 : CSV_STORE_U8;
    case CSV_TYPE_INT: break;
  }
  if (c->missing) {
    const int64_t f32 = (int64_t)1 << 24, f64 = (int64_t)1 << 53;
    if (c->imin >= -f32 && c->imax <= f32) return CSV_STORE_F32;
    *inexact = c->imin < -f64 || c->imax > f64;
    return CSV_STORE_F64;
  }
  if (c->imin >= INT8_MIN && c->imax <= INT8_MAX) return CSV_STORE_I8;
  if (c->imin >= INT16_MIN && c->imax <= INT16_MAX) return CSV_STORE_I16;
  if (c->imin >= INT32_MIN && c->imax <= INT32_MAX) return CSV_STORE_I32;
  return CSV_STORE_I64;
}

int csv_name_is_id(const char *name) {
  size_t n = strlen(name);
  if (strcasecmp(name, "id") == 0) return 1;
  if (n < 3) return 0;
  const char *tail = name + n - 3;
  if (strcasecmp(tail, "_id") == 0) return 1;
  return strcmp(name + n - 2, "Id") == 0 || strcmp(name + n - 2, "ID") == 0;
}
