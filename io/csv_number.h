/* Values of CSV fields: missing markers, integers, floats (correctly
 * rounded), ISO-8601 dates and booleans.  Pure functions over (p, n) byte
 * ranges that need no terminating NUL and never allocate on the common path;
 * used by type inference (pass 1) and conversion (pass 2) of the importer
 * alike, so that both passes agree on every value by construction.
 *
 * Leading and trailing blanks (space, tab) are ignored by every parser here;
 * strings are kept as written by the caller. */
#ifndef STRATA_IO_CSV_NUMBER_H
#define STRATA_IO_CSV_NUMBER_H

#include <stddef.h>
#include <stdint.h>

/* What a field can be, from the narrowest reading. */
typedef enum {
  CSV_KIND_MISSING, /* "", NA, N/A, NaN, null, ? (any case) */
  CSV_KIND_INT,     /* an integer within int64 */
  CSV_KIND_FLOAT,   /* a decimal number (or an integer beyond int64) */
  CSV_KIND_DATE,    /* YYYY-MM-DD[(T| )HH:MM[:SS[.f]][Z|(+|-)HH[:]MM]] */
  CSV_KIND_BOOL,    /* true/false, yes/no, t/f, y/n (any case) */
  CSV_KIND_STRING   /* anything else */
} csv_kind;

/* A classified value.  `overflow` is set for a number outside float64's
 * range ("1e999"): its kind is FLOAT but it has no value. */
typedef struct {
  csv_kind kind;
  int overflow;
  int64_t i; /* INT, and BOOL (0/1) */
  double d;  /* FLOAT, DATE (days since 1970-01-01 UTC), INT as double */
} csv_value;

/* Classifies one field.  p need not be NUL-terminated. */
void csv_classify(const char *p, size_t n, csv_value *out);

/* 1 when the field is a missing-value marker. */
int csv_is_missing(const char *p, size_t n);

/* Integer: [+-]digits without leading zeros ("0" itself is fine).
 * Returns 1 with *out set, 0 when it is not an integer, -1 when it is one
 * but outside int64. */
int csv_parse_int64(const char *p, size_t n, int64_t *out);

/* Decimal number: [+-](digits[.digits]|.digits)[(e|E)[+-]digits], or inf /
 * infinity (any case, signed); no leading zeros before other digits.
 * Correctly rounded.  Returns 1 with *out set, 0 when it is not a number, -1
 * when it is one but beyond float64's range (underflow rounds to 0 or a
 * subnormal, which is the correctly rounded value). */
int csv_parse_double(const char *p, size_t n, double *out);

/* ISO-8601 date or date-time as days since 1970-01-01 UTC (fractional for a
 * time of day; an offset is applied to get UTC).  Years 0000-9999, real
 * calendar days only (2021-02-29 is not a date).  Returns 1 or 0. */
int csv_parse_date(const char *p, size_t n, double *days);

/* Boolean token; *v = 1 or 0.  Returns 1 or 0. */
int csv_parse_bool(const char *p, size_t n, int *v);

/* Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian), and
 * back; used by the exporter to write dates. */
int64_t csv_days_from_civil(int64_t y, unsigned m, unsigned d);
void csv_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
