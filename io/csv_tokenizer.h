/* The RFC 4180 tokenizer of the CSV importer: splits a buffer into records
 * and fields without copying or changing it.
 *
 * Rules: fields are separated by one delimiter byte; records end with LF,
 * CRLF or a lone CR (each one physical line break); a field that starts
 * with '"' is quoted: it runs to the next '"' not doubled, may hold the
 * delimiter and line breaks, and "" inside stands for one quote.  A '"'
 * inside an unquoted field is an ordinary character (as pandas and Python's
 * csv read it).  Text after a closing quote ("ab"c) is a problem of the
 * record, reported by the caller with its line and column; the record's
 * extent is still well defined, so one bad record never shifts the next. */
#ifndef STRATA_IO_CSV_TOKENIZER_H
#define STRATA_IO_CSV_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
  const char *p;  /* content: inside the quotes for a quoted field, "" not yet collapsed */
  uint32_t len;
  uint32_t line;  /* line breaks inside the record before this field starts */
  uint8_t quoted;
  uint8_t escaped; /* holds "" (csv_unescape collapses them) */
} csv_field;

enum { CSV_REC_OK = 0, CSV_REC_AFTER_QUOTE = 1 };

typedef struct {
  csv_field *field;      /* n fields; the array is reused from record to record */
  size_t n, cap;
  uint32_t lines;        /* line breaks the record spans, its terminator included */
  int terminated;        /* ended by a line break (not by the end of the input) */
  int problem;           /* CSV_REC_*: the first structural problem */
  size_t problem_field;  /* 0-based field of that problem */
} csv_record;

typedef enum {
  CSV_TOK_RECORD,       /* *rec holds the next record; *used bytes consumed */
  CSV_TOK_NEED_MORE,    /* the buffer ends inside a record: give more bytes */
  CSV_TOK_END,          /* at_eof and nothing left */
  CSV_TOK_UNTERMINATED, /* at_eof inside a quoted field: its field is the last of rec */
  CSV_TOK_NOMEM
} csv_tok_status;

typedef struct {
  char delim;
  unsigned char stop[256]; /* bytes that end an unquoted field */
} csv_tokenizer;

void csv_tokenizer_init(csv_tokenizer *t, char delim);

/* Reads one record from buf[0..n).  at_eof: no bytes follow buf.  rec INOUT
 * (its field array grows as needed; free with csv_record_free). */
csv_tok_status csv_tokenize(const csv_tokenizer *t, const char *buf, size_t n, int at_eof, size_t *used,
                            csv_record *rec);

/* 1 for an empty line (one empty unquoted field). */
int csv_record_blank(const csv_record *rec);

void csv_record_free(csv_record *rec);

/* Copies a field's content to out (room for f->len bytes) with "" collapsed;
 * returns the length. */
size_t csv_unescape(const csv_field *f, char *out);

/* Guesses the delimiter among , ; TAB | from the start of a file: the one
 * that splits the header into the most fields while every following record
 * in the sample has as many; ',' when none splits anything. */
char csv_detect_delimiter(const char *buf, size_t n, int at_eof);

#endif
