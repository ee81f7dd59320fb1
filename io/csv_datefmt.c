/* Dates in a user-given layout (io/csv_datefmt.h). */
#include "csv_datefmt.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "csv_number.h"

static int is_blank(char c) { return c == ' ' || c == '\t'; }

int csv_datefmt_check(const char *fmt, char *why, size_t why_size) {
  unsigned seen = 0; /* 1 year, 2 month, 4 day */
  for (const char *f = fmt; *f; f++) {
    if (*f != '%') continue;
    switch (*++f) {
      case 'Y': case 'y': seen |= 1; break;
      case 'm': case 'b': seen |= 2; break;
      case 'd': seen |= 4; break;
      case 'H': case 'M': case 'S': case 'p': case '%': break;
      default:
        snprintf(why, why_size, "date format '%s': %%%c is not supported (use %%Y %%y %%m %%b %%d %%H %%M %%S %%p)",
                 fmt, *f ? *f : ' ');
        return 0;
    }
  }
  if (seen != 7) {
    snprintf(why, why_size, "date format '%s' must name a year (%%Y or %%y), a month (%%m or %%b) and a day (%%d)",
             fmt);
    return 0;
  }
  return 1;
}

/* Reads 1..max digits. */
static int digits(const char **s, const char *end, int min, int max, int *out) {
  int v = 0, k = 0;
  while (*s < end && k < max && **s >= '0' && **s <= '9') {
    v = v * 10 + (**s - '0');
    (*s)++;
    k++;
  }
  *out = v;
  return k >= min;
}

static int month_name(const char **s, const char *end, int *out) {
  static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
  if (end - *s < 3) return 0;
  char low[3];
  for (int k = 0; k < 3; k++) low[k] = (char)((*s)[k] | 0x20);
  for (int m = 0; m < 12; m++)
    if (memcmp(low, names + 3 * m, 3) == 0) {
      *out = m + 1;
      *s += 3;
      return 1;
    }
  return 0;
}

static int days_in_month(int64_t y, int m) {
  static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 ? 28 + leap : dm[m - 1];
}

int csv_parse_date_fmt(const char *p, size_t n, const char *fmt, double *days) {
  const char *s = p, *end = p + n;
  while (s < end && is_blank(*s)) s++;
  while (end > s && is_blank(end[-1])) end--;
  int year = -1, mon = 0, day = 0, hour = 0, min = 0, sec = 0, pm = -1, v;
  for (const char *f = fmt; *f; f++) {
    if (is_blank(*f)) {
      if (s == end || !is_blank(*s)) return 0;
      while (s < end && is_blank(*s)) s++;
      continue;
    }
    if (*f != '%' || f[1] == '%') {
      if (*f == '%') f++;
      if (s == end || *s != *f) return 0;
      s++;
      continue;
    }
    switch (*++f) {
      case 'Y': if (!digits(&s, end, 4, 4, &year)) return 0; break;
      case 'y':
        if (!digits(&s, end, 2, 2, &v)) return 0;
        year = v >= 69 ? 1900 + v : 2000 + v;
        break;
      case 'm': if (!digits(&s, end, 1, 2, &mon)) return 0; break;
      case 'b': if (!month_name(&s, end, &mon)) return 0; break;
      case 'd': if (!digits(&s, end, 1, 2, &day)) return 0; break;
      case 'H': if (!digits(&s, end, 1, 2, &hour)) return 0; break;
      case 'M': if (!digits(&s, end, 1, 2, &min)) return 0; break;
      case 'S': if (!digits(&s, end, 1, 2, &sec)) return 0; break;
      case 'p':
        if (end - s < 2 || (s[1] | 0x20) != 'm') return 0;
        if ((s[0] | 0x20) == 'a') pm = 0;
        else if ((s[0] | 0x20) == 'p') pm = 1;
        else return 0;
        s += 2;
        break;
      default: return 0; /* csv_datefmt_check refused it */
    }
  }
  if (s != end || year < 0 || mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon)) return 0;
  if (pm >= 0) {
    if (hour < 1 || hour > 12) return 0;
    hour = hour % 12 + 12 * pm;
  }
  if (hour > 23 || min > 59 || sec > 59) return 0;
  *days = (double)csv_days_from_civil(year, (unsigned)mon, (unsigned)day) + (hour * 3600.0 + min * 60.0 + sec) / 86400.0;
  return 1;
}
