/* Field values of the CSV importer (io/csv_number.h).
 *
 * Floats: the digits are gathered into a 64-bit mantissa; when it has at
 * most 19 significant digits, is at most 2^53 and the decimal exponent is
 * within ±22, m·10^e or m/10^e is one correctly rounded IEEE operation on
 * two exact doubles (Clinger's fast path), which covers nearly every value
 * customer data holds.  Anything else goes to strtod_l in the C locale,
 * which glibc rounds correctly; so every value is the nearest double. */
#include "csv_number.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static int is_digit(char c) { return (unsigned)(c - '0') < 10u; }
static int is_blank(char c) { return c == ' ' || c == '\t'; }
static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

static void trim(const char **p, size_t *n) {
  const char *s = *p, *e = *p + *n;
  while (s < e && is_blank(*s)) s++;
  while (e > s && is_blank(e[-1])) e--;
  *p = s;
  *n = (size_t)(e - s);
}

/* Case-insensitive equality with a lower-case ASCII word. */
static int word_is(const char *p, size_t n, const char *word) {
  size_t i = 0;
  for (; i < n && word[i]; i++)
    if (lower(p[i]) != word[i]) return 0;
  return i == n && word[i] == '\0';
}

/* ------------------------------------------------------------ missing */

int csv_is_missing(const char *p, size_t n) {
  trim(&p, &n);
  switch (n) {
    case 0: return 1;
    case 1: return p[0] == '?';
    case 2: return word_is(p, n, "na");
    case 3: return word_is(p, n, "n/a") || word_is(p, n, "nan");
    case 4: return word_is(p, n, "null");
    default: return 0;
  }
}

/* ------------------------------------------------------------ integers */

int csv_parse_int64(const char *p, size_t n, int64_t *out) {
  trim(&p, &n);
  const char *s = p, *e = p + n;
  int neg = 0;
  if (s < e && (*s == '+' || *s == '-')) neg = *s++ == '-';
  if (s == e || !is_digit(*s)) return 0;
  if (*s == '0' && e - s > 1) return 0; /* "007": an identifier, not a number */
  uint64_t v = 0;
  int over = 0;
  for (; s < e; s++) {
    if (!is_digit(*s)) return 0;
    unsigned dgt = (unsigned)(*s - '0');
    if (v > (UINT64_MAX - dgt) / 10) over = 1;
    else v = v * 10 + dgt;
  }
  const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  if (over || v > limit) return -1;
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 1;
}

/* ------------------------------------------------------------ floats */

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void make_c_locale(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

/* The slow path: strtod in the C locale on a terminated copy of the text,
 * whose syntax has already been checked. */
static int slow_double(const char *p, size_t n, double *out) {
  char small[128];
  char *buf = n < sizeof small ? small : malloc(n + 1);
  if (!buf) return 0; /* cannot happen in practice: a number this long is a string then */
  memcpy(buf, p, n);
  buf[n] = '\0';
  pthread_once(&c_locale_once, make_c_locale);
  double v = c_locale ? strtod_l(buf, NULL, c_locale) : strtod(buf, NULL);
  if (buf != small) free(buf);
  if (isinf(v)) return -1;
  *out = v;
  return 1;
}

int csv_parse_double(const char *p, size_t n, double *out) {
  trim(&p, &n);
  const char *s = p, *e = p + n;
  int neg = 0;
  if (s < e && (*s == '+' || *s == '-')) neg = *s++ == '-';
  if (s == e) return 0;
  if (lower(*s) == 'i') {
    if (!word_is(s, (size_t)(e - s), "inf") && !word_is(s, (size_t)(e - s), "infinity")) return 0;
    *out = neg ? -INFINITY : INFINITY;
    return 1;
  }

  uint64_t m = 0;
  int sig = 0;       /* significant digits gathered into m */
  int dropped = 0;   /* non-zero digits that did not fit in m */
  long exp10 = 0;    /* value = m · 10^exp10 (before the exponent part) */
  const char *int_start = s;
  for (; s < e && is_digit(*s); s++) {
    if (sig < 19) {
      m = m * 10 + (uint64_t)(*s - '0');
      sig += m != 0;
    } else {
      exp10++;
      dropped |= *s != '0';
    }
  }
  size_t int_digits = (size_t)(s - int_start);
  if (int_digits > 1 && *int_start == '0') return 0; /* "007", "00.5" */
  size_t frac_digits = 0;
  if (s < e && *s == '.') {
    const char *f = ++s;
    for (; s < e && is_digit(*s); s++) {
      if (sig < 19) {
        m = m * 10 + (uint64_t)(*s - '0');
        sig += m != 0;
        exp10--;
      } else {
        dropped |= *s != '0';
      }
    }
    frac_digits = (size_t)(s - f);
  }
  if (int_digits + frac_digits == 0) return 0;
  if (s < e && (*s == 'e' || *s == 'E')) {
    s++;
    int eneg = 0;
    if (s < e && (*s == '+' || *s == '-')) eneg = *s++ == '-';
    if (s == e || !is_digit(*s)) return 0;
    long x = 0;
    for (; s < e && is_digit(*s); s++)
      if (x < 100000000) x = x * 10 + (*s - '0'); /* saturates: far beyond any double */
    exp10 += eneg ? -x : x;
  }
  if (s != e) return 0;

  if (m == 0 && !dropped) {
    *out = neg ? -0.0 : 0.0;
    return 1;
  }
  if (!dropped && m <= ((uint64_t)1 << 53) && exp10 >= -22 && exp10 <= 22) {
    double v = (double)m;
    v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
    *out = neg ? -v : v;
    return 1;
  }
  return slow_double(p, n, out);
}

/* ------------------------------------------------------------ dates */

int64_t csv_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void csv_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Exactly k digits at s, as a number; -1 when they are not all digits. */
static int digits(const char *s, const char *e, int k) {
  if (e - s < k) return -1;
  int v = 0;
  for (int i = 0; i < k; i++) {
    if (!is_digit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

static unsigned days_in_month(int y, int m) {
  static const unsigned char dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29u : dm[m - 1];
}

/* Parses the time part after the date separator: HH:MM[:SS[.f]][zone].
 * *seconds gets the UTC seconds into the day (may be negative or beyond a
 * day after a zone offset).  Returns 1 or 0. */
static int parse_time(const char *s, const char *e, double *seconds) {
  int hh = digits(s, e, 2);
  if (hh < 0 || hh > 23 || e - s < 5 || s[2] != ':') return 0;
  int mi = digits(s + 3, e, 2);
  if (mi < 0 || mi > 59) return 0;
  s += 5;
  double sec = 0.0;
  if (s < e && *s == ':') {
    int ss = digits(s + 1, e, 2);
    if (ss < 0 || ss > 59) return 0;
    sec = ss;
    s += 3;
    if (s < e && (*s == '.' || *s == ',')) {
      double scale = 0.1;
      const char *f = ++s;
      for (; s < e && is_digit(*s); s++, scale *= 0.1) sec += (*s - '0') * scale;
      if (s == f) return 0;
    }
  }
  int offset = 0; /* minutes east of UTC */
  if (s < e && *s == 'Z') {
    s++;
  } else if (s < e && (*s == '+' || *s == '-')) {
    int sign = *s == '-' ? -1 : 1;
    s++;
    int oh = digits(s, e, 2);
    if (oh < 0 || oh > 23) return 0;
    s += 2;
    int om = 0;
    if (s < e) {
      if (*s == ':') s++;
      om = digits(s, e, 2);
      if (om < 0 || om > 59) return 0;
      s += 2;
    }
    offset = sign * (oh * 60 + om);
  }
  if (s != e) return 0;
  *seconds = hh * 3600.0 + mi * 60.0 + sec - offset * 60.0;
  return 1;
}

int csv_parse_date(const char *p, size_t n, double *days) {
  trim(&p, &n);
  const char *s = p, *e = p + n;
  if (n < 10 || s[4] != '-' || s[7] != '-') return 0;
  int y = digits(s, e, 4), m = digits(s + 5, e, 2), d = digits(s + 8, e, 2);
  if (y < 0 || m < 1 || m > 12 || d < 1 || (unsigned)d > days_in_month(y, m)) return 0;
  double t = (double)csv_days_from_civil(y, (unsigned)m, (unsigned)d);
  s += 10;
  if (s < e) {
    if (*s != 'T' && *s != ' ') return 0;
    double seconds;
    if (!parse_time(s + 1, e, &seconds)) return 0;
    t += seconds / 86400.0;
  }
  *days = t;
  return 1;
}

/* ------------------------------------------------------------ booleans */

int csv_parse_bool(const char *p, size_t n, int *v) {
  trim(&p, &n);
  if (n == 0 || n > 5) return 0;
  switch (lower(p[0])) {
    case 't': *v = 1; return n == 1 || word_is(p, n, "true");
    case 'y': *v = 1; return n == 1 || word_is(p, n, "yes");
    case 'f': *v = 0; return n == 1 || word_is(p, n, "false");
    case 'n': *v = 0; return n == 1 || word_is(p, n, "no");
    default: return 0;
  }
}

/* ------------------------------------------------------------ classify */

void csv_classify(const char *p, size_t n, csv_value *out) {
  trim(&p, &n);
  out->overflow = 0;
  if (n == 0) {
    out->kind = CSV_KIND_MISSING;
    return;
  }
  char c = p[0];
  if (is_digit(c) || c == '-' || c == '+' || c == '.') {
    int r = csv_parse_int64(p, n, &out->i);
    if (r == 1) {
      out->kind = CSV_KIND_INT;
      out->d = (double)out->i;
      return;
    }
    r = csv_parse_double(p, n, &out->d);
    if (r != 0) {
      out->kind = CSV_KIND_FLOAT;
      out->overflow = r < 0;
      return;
    }
    if (is_digit(c) && csv_parse_date(p, n, &out->d)) {
      out->kind = CSV_KIND_DATE;
      return;
    }
    out->kind = CSV_KIND_STRING;
    return;
  }
  if (csv_is_missing(p, n)) {
    out->kind = CSV_KIND_MISSING;
    return;
  }
  if ((c == 'i' || c == 'I') && csv_parse_double(p, n, &out->d) == 1) {
    out->kind = CSV_KIND_FLOAT;
    return;
  }
  int b;
  if (csv_parse_bool(p, n, &b)) {
    out->kind = CSV_KIND_BOOL;
    out->i = b;
    out->d = b;
    return;
  }
  out->kind = CSV_KIND_STRING;
}
