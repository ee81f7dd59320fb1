/* Buffered record reader (io/csv_reader.h).  A record cut by the end of
 * the buffer is moved to its front and the rest refilled, so records are
 * always contiguous for the tokenizer; the buffer only grows when one
 * record is longer than the whole buffer. */
#include "csv_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int csv_reader_open(csv_reader *r, const csv_source *src, size_t buffer, size_t max_record) {
  memset(r, 0, sizeof *r);
  r->src = *src;
  r->cap = buffer ? buffer : 1;
  r->max_record = max_record < r->cap ? r->cap : max_record;
  r->line = 1;
  csv_tokenizer_init(&r->tok, ',');
  if (src->fd >= 0 && lseek(src->fd, 0, SEEK_SET) != 0) {
    r->err = errno;
    return -1;
  }
  r->buf = malloc(r->cap);
  if (!r->buf) {
    r->err = ENOMEM;
    return -1;
  }
  return 0;
}

void csv_reader_close(csv_reader *r) {
  free(r->buf);
  csv_record_free(&r->rec);
  r->buf = NULL;
}

void csv_reader_set_delimiter(csv_reader *r, char delim) { csv_tokenizer_init(&r->tok, delim); }

/* Appends source bytes until the buffer is full or the source ends. */
static csv_read_status fill(csv_reader *r) {
  while (r->len < r->cap && !r->eof) {
    size_t want = r->cap - r->len;
    if (r->src.fd < 0) {
      size_t left = r->src.mem_size - (size_t)r->src_pos;
      size_t k = left < want ? left : want;
      if (k) memcpy(r->buf + r->len, r->src.mem + r->src_pos, k);
      r->len += k;
      r->src_pos += k;
      r->eof = r->src_pos == r->src.mem_size;
      continue;
    }
    ssize_t k = read(r->src.fd, r->buf + r->len, want);
    if (k < 0) {
      if (errno == EINTR) continue;
      r->err = errno;
      return CSV_READ_IO;
    }
    if (k == 0) r->eof = 1;
    r->len += (size_t)k;
    r->src_pos += (uint64_t)k;
  }
  return CSV_READ_RECORD;
}

/* Makes room after the unread bytes: moves them to the front, or grows the
 * buffer when they fill it all. */
static csv_read_status make_room(csv_reader *r) {
  if (r->pos > 0) {
    memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->len -= r->pos;
    r->pos = 0;
  }
  if (r->len < r->cap) return CSV_READ_RECORD;
  if (r->cap >= r->max_record) return CSV_READ_TOO_LONG;
  size_t cap = r->cap > r->max_record / 2 ? r->max_record : 2 * r->cap;
  char *b = realloc(r->buf, cap);
  if (!b) return CSV_READ_NOMEM;
  r->buf = b;
  r->cap = cap;
  return CSV_READ_RECORD;
}

csv_read_status csv_reader_peek(csv_reader *r, size_t want, const char **p, size_t *n, int *at_eof) {
  if (want > r->max_record) want = r->max_record;
  if (want > r->cap) {
    char *b = realloc(r->buf, want);
    if (!b) return CSV_READ_NOMEM;
    r->buf = b;
    r->cap = want;
  }
  if (r->pos > 0) {
    memmove(r->buf, r->buf + r->pos, r->len - r->pos);
    r->len -= r->pos;
    r->pos = 0;
  }
  csv_read_status st = fill(r);
  *p = r->buf + r->pos;
  *n = r->len - r->pos;
  *at_eof = r->eof;
  return st;
}

csv_read_status csv_reader_skip_bom(csv_reader *r) {
  const char *p;
  size_t n;
  int at_eof;
  csv_read_status st = csv_reader_peek(r, 3, &p, &n, &at_eof);
  if (st != CSV_READ_RECORD) return st;
  if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) r->pos += 3;
  return CSV_READ_RECORD;
}

csv_read_status csv_reader_next(csv_reader *r) {
  for (;;) {
    size_t used = 0;
    csv_tok_status ts = csv_tokenize(&r->tok, r->buf + r->pos, r->len - r->pos, r->eof, &used, &r->rec);
    switch (ts) {
      case CSV_TOK_RECORD:
        r->pos += used;
        r->rec_line = r->line;
        r->line += r->rec.lines;
        return CSV_READ_RECORD;
      case CSV_TOK_END: return CSV_READ_END;
      case CSV_TOK_UNTERMINATED: r->rec_line = r->line; return CSV_READ_UNTERMINATED;
      case CSV_TOK_NOMEM: return CSV_READ_NOMEM;
      case CSV_TOK_NEED_MORE: break;
    }
    csv_read_status st = make_room(r);
    if (st == CSV_READ_RECORD) st = fill(r);
    if (st != CSV_READ_RECORD) {
      r->rec_line = r->line;
      return st;
    }
  }
}
