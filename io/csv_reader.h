/* Buffered record reader of the CSV importer: pulls large blocks from a
 * file descriptor or a memory buffer and hands out whole records
 * (io/csv_tokenizer.h) with their physical line numbers.  Memory is one
 * buffer, grown only for a record longer than it, up to a limit. */
#ifndef STRATA_IO_CSV_READER_H
#define STRATA_IO_CSV_READER_H

#include <stddef.h>
#include <stdint.h>

#include "csv_tokenizer.h"

/* Where the bytes come from: a file descriptor read from offset 0, or
 * memory (fd < 0). */
typedef struct {
  int fd;
  const char *mem;
  size_t mem_size;
} csv_source;

typedef enum {
  CSV_READ_RECORD,
  CSV_READ_END,
  CSV_READ_UNTERMINATED, /* r->rec's last field is the open quoted field */
  CSV_READ_TOO_LONG,     /* a record exceeds max_record bytes */
  CSV_READ_IO,           /* read(2) failed: r->err is errno */
  CSV_READ_NOMEM
} csv_read_status;

typedef struct {
  csv_source src;
  uint64_t src_pos;  /* next source byte to read */
  char *buf;
  size_t cap, len, pos; /* buf[pos..len) not yet tokenized */
  size_t max_record;
  int eof;
  int err;
  csv_tokenizer tok;
  csv_record rec;    /* the last record read */
  uint64_t rec_line; /* physical line (1-based) where rec starts */
  uint64_t line;     /* physical line where the next record starts */
} csv_reader;

/* Starts reading src from its first byte.  buffer: initial capacity (> 0);
 * max_record: the longest record accepted (>= buffer).  Returns 0, or -1
 * when out of memory or the descriptor cannot seek (r->err). */
int csv_reader_open(csv_reader *r, const csv_source *src, size_t buffer, size_t max_record);
void csv_reader_close(csv_reader *r);

/* Skips a UTF-8 byte-order mark at the start.  Returns 0 or a read error. */
csv_read_status csv_reader_skip_bom(csv_reader *r);

/* The first `want` bytes of the file (fewer when it is shorter; the buffer
 * grows to hold them, within max_record), for guessing the delimiter.
 * *at_eof tells whether they are the whole file. */
csv_read_status csv_reader_peek(csv_reader *r, size_t want, const char **p, size_t *n, int *at_eof);

void csv_reader_set_delimiter(csv_reader *r, char delim);

/* Reads the next record into r->rec (valid until the next call). */
csv_read_status csv_reader_next(csv_reader *r);

#endif
