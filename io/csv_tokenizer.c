/* RFC 4180 tokenizer (io/csv_tokenizer.h).  Unquoted fields, the bulk of
 * any customer file, are scanned with a 256-entry stop table, four bytes a
 * step; quoted fields jump from quote to quote with memchr.  Nothing is
 * copied: fields point into the caller's buffer. */
#include "csv_tokenizer.h"

#include <stdlib.h>
#include <string.h>

void csv_tokenizer_init(csv_tokenizer *t, char delim) {
  memset(t, 0, sizeof *t);
  t->delim = delim;
  t->stop[(unsigned char)delim] = 1;
  t->stop['\n'] = 1;
  t->stop['\r'] = 1;
}

void csv_record_free(csv_record *rec) {
  free(rec->field);
  memset(rec, 0, sizeof *rec);
}

int csv_record_blank(const csv_record *rec) {
  return rec->n == 1 && rec->field[0].len == 0 && !rec->field[0].quoted;
}

static const char *scan_unquoted(const unsigned char *stop, const char *p, const char *end) {
  while (end - p >= 4) {
    if (stop[(unsigned char)p[0]]) return p;
    if (stop[(unsigned char)p[1]]) return p + 1;
    if (stop[(unsigned char)p[2]]) return p + 2;
    if (stop[(unsigned char)p[3]]) return p + 3;
    p += 4;
  }
  while (p < end && !stop[(unsigned char)*p]) p++;
  return p;
}

/* Physical line breaks in [a, b): each LF, and each CR not followed by LF. */
static uint32_t count_breaks(const char *a, const char *b) {
  uint32_t k = 0;
  for (const char *q = a; q < b && (q = memchr(q, '\n', (size_t)(b - q))) != NULL; q++) k++;
  for (const char *q = a; q < b && (q = memchr(q, '\r', (size_t)(b - q))) != NULL; q++)
    if (q + 1 == b || q[1] != '\n') k++;
  return k;
}

static csv_field *push_field(csv_record *rec) {
  if (rec->n == rec->cap) {
    size_t cap = rec->cap ? 2 * rec->cap : 64;
    csv_field *f = realloc(rec->field, cap * sizeof *f);
    if (!f) return NULL;
    rec->field = f;
    rec->cap = cap;
  }
  return &rec->field[rec->n++];
}

csv_tok_status csv_tokenize(const csv_tokenizer *t, const char *buf, size_t n, int at_eof, size_t *used,
                            csv_record *rec) {
  const char *p = buf, *end = buf + n;
  const char delim = t->delim;
  rec->n = 0;
  rec->lines = 0;
  rec->problem = CSV_REC_OK;
  rec->problem_field = 0;
  rec->terminated = 0;
  if (p == end) return at_eof ? CSV_TOK_END : CSV_TOK_NEED_MORE;
  uint32_t lines = 0;
  for (;;) {
    csv_field *f = push_field(rec);
    if (!f) return CSV_TOK_NOMEM;
    f->line = lines;
    f->quoted = f->escaped = 0;
    if (p < end && *p == '"') {
      const char *start = ++p;
      f->quoted = 1;
      for (;;) {
        const char *q = memchr(p, '"', (size_t)(end - p));
        if (!q) {
          if (!at_eof) return CSV_TOK_NEED_MORE;
          f->p = start;
          f->len = (uint32_t)(end - start);
          return CSV_TOK_UNTERMINATED;
        }
        lines += count_breaks(p, q);
        if (q + 1 == end && !at_eof) return CSV_TOK_NEED_MORE;
        if (q + 1 < end && q[1] == '"') {
          f->escaped = 1;
          p = q + 2;
          continue;
        }
        p = q + 1;
        break;
      }
      f->p = start;
      f->len = (uint32_t)(p - 1 - start);
      if (p < end && *p != delim && *p != '\n' && *p != '\r') {
        if (rec->problem == CSV_REC_OK) {
          rec->problem = CSV_REC_AFTER_QUOTE;
          rec->problem_field = rec->n - 1;
        }
        p = scan_unquoted(t->stop, p, end);
      }
    } else {
      f->p = p;
      p = scan_unquoted(t->stop, p, end);
      f->len = (uint32_t)(p - f->p);
    }
    if (p == end) {
      if (!at_eof) return CSV_TOK_NEED_MORE;
      break;
    }
    if (*p == delim) {
      p++;
      continue;
    }
    if (*p == '\r') {
      if (p + 1 == end && !at_eof) return CSV_TOK_NEED_MORE;
      p += (p + 1 < end && p[1] == '\n') ? 2 : 1;
    } else {
      p++;
    }
    lines++;
    rec->terminated = 1;
    break;
  }
  rec->lines = lines;
  *used = (size_t)(p - buf);
  return CSV_TOK_RECORD;
}

size_t csv_unescape(const csv_field *f, char *out) {
  if (!f->escaped) {
    if (f->len) memcpy(out, f->p, f->len);
    return f->len;
  }
  size_t o = 0;
  for (uint32_t i = 0; i < f->len; i++) {
    out[o++] = f->p[i];
    if (f->p[i] == '"' && i + 1 < f->len && f->p[i + 1] == '"') i++;
  }
  return o;
}

/* Field counts of up to `max` non-blank records read with `delim`; -1 when
 * the sample cannot be read that way (an unterminated quote). */
static int sample_counts(char delim, const char *buf, size_t n, int at_eof, size_t *counts, int max) {
  csv_tokenizer t;
  csv_tokenizer_init(&t, delim);
  csv_record rec = {0};
  int k = 0;
  size_t pos = 0;
  while (k < max) {
    size_t used = 0;
    csv_tok_status st = csv_tokenize(&t, buf + pos, n - pos, at_eof, &used, &rec);
    if (st == CSV_TOK_UNTERMINATED || st == CSV_TOK_NOMEM) {
      k = -1;
      break;
    }
    if (st != CSV_TOK_RECORD) break;
    pos += used;
    if (!csv_record_blank(&rec)) counts[k++] = rec.n;
  }
  csv_record_free(&rec);
  return k;
}

char csv_detect_delimiter(const char *buf, size_t n, int at_eof) {
  static const char candidates[] = {',', ';', '\t', '|'};
  enum { SAMPLE = 20 };
  char best = ',';
  size_t best_fields = 1;
  int best_consistent = 0;
  for (size_t c = 0; c < sizeof candidates; c++) {
    size_t counts[SAMPLE];
    int k = sample_counts(candidates[c], buf, n, at_eof, counts, SAMPLE);
    if (k <= 0 || counts[0] < 2) continue;
    int consistent = 1;
    for (int i = 1; i < k; i++) consistent &= counts[i] == counts[0];
    /* A consistent split beats an inconsistent one; then more fields win. */
    if (consistent > best_consistent || (consistent == best_consistent && counts[0] > best_fields)) {
      best = candidates[c];
      best_fields = counts[0];
      best_consistent = consistent;
    }
  }
  return best;
}
