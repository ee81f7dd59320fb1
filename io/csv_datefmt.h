/* Dates written in a user-given layout (`--date-format '%d/%m/%Y %H:%M'`),
 * a small strptime: the same fields as ISO dates in io/csv_number.h (days
 * since 1970-01-01, fractional for a time of day), but without the C
 * library's locale and time-zone state, so a value reads the same on every
 * machine.  Shared by `strata rfm` and the importer. */
#ifndef STRATA_IO_CSV_DATEFMT_H
#define STRATA_IO_CSV_DATEFMT_H

#include <stddef.h>

/* Conversions: %Y (4 digits), %y (2 digits: 69-99 -> 19xx, else 20xx),
 * %m %d %H %M %S (1 or 2 digits), %b (English month abbreviation, any
 * case), %p (AM/PM, any case, with %H as 1-12), %% (a percent sign).  A
 * blank in the format matches one or more blanks; any other character
 * matches itself.  The format must name a year, a month and a day.
 * Returns 1 when fmt is usable, 0 with why[] filled otherwise. */
int csv_datefmt_check(const char *fmt, char *why, size_t why_size);

/* Parses p[0..n) (blanks around it ignored) with fmt (checked).  Returns 1
 * with *days set, 0 when the text does not follow fmt or names no real
 * calendar day or time. */
int csv_parse_date_fmt(const char *p, size_t n, const char *fmt, double *days);

#endif
