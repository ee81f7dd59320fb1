/* io/csv_datefmt.h: dates in a --date-format layout, against the ISO
 * parser (io/csv_number.h) as the oracle: every day of 1899-2101 written
 * day-first must read as the same ISO date, and impossible days, times and
 * layouts must be refused. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "csv_datefmt.h"
#include "csv_number.h"

static double fmt_days(const char *text, const char *fmt, int *ok) {
  double d = -1;
  *ok = csv_parse_date_fmt(text, strlen(text), fmt, &d);
  return d;
}

static double iso_days(const char *text) {
  double d = -1;
  CHECK_MSG(csv_parse_date(text, strlen(text), &d), "ISO '%s'", text);
  return d;
}

int main(void) {
  char why[300];
  /* Every calendar day of two centuries, day-first with a time, against ISO. */
  int mismatches = 0, days = 0;
  for (int64_t t = csv_days_from_civil(1899, 1, 1); t <= csv_days_from_civil(2101, 12, 31); t++, days++) {
    int64_t y;
    unsigned m, d;
    csv_civil_from_days(t, &y, &m, &d);
    char a[64], b[64];
    int hh = (int)(((t % 24) + 24) % 24), mm = (int)(((t % 60) + 60) % 60);
    snprintf(a, sizeof a, "%u/%u/%04lld %d:%02d", d, m, (long long)y, hh, mm);
    snprintf(b, sizeof b, "%04lld-%02u-%02uT%02d:%02d", (long long)y, m, d, hh, mm);
    int ok;
    double x = fmt_days(a, "%d/%m/%Y %H:%M", &ok);
    if (!ok || x != iso_days(b)) mismatches++;
  }
  CHECK_MSG(mismatches == 0, "%d of %d days differ from ISO", mismatches, days);

  int ok;
  CHECK(fmt_days("01/12/2010 08:26", "%d/%m/%Y %H:%M", &ok) == iso_days("2010-12-01T08:26") && ok);
  CHECK(fmt_days("  29/02/2024  ", "%d/%m/%Y", &ok) == iso_days("2024-02-29") && ok);
  CHECK(fmt_days("Dec 5, 24 3:07:09 PM", "%b %d, %y %H:%M:%S %p", &ok) == iso_days("2024-12-05T15:07:09") && ok);
  CHECK(fmt_days("12:00 am 01-jan-1970", "%H:%M %p %d-%b-%Y", &ok) == 0.0 && ok);
  CHECK(fmt_days("31.12.69", "%d.%m.%y", &ok) == iso_days("1969-12-31") && ok);
  CHECK(fmt_days("2024-03-05 100%", "%Y-%m-%d 100%%", &ok) == iso_days("2024-03-05") && ok);
  /* Blanks in the layout match runs of blanks; other characters themselves. */
  CHECK(fmt_days("05/03/2024     7:05", "%d/%m/%Y %H:%M", &ok) == iso_days("2024-03-05T07:05") && ok);

  const char *bad[][2] = {
      {"29/02/2023", "%d/%m/%Y"},        /* no such day */
      {"31/04/2024", "%d/%m/%Y"},        {"00/01/2024", "%d/%m/%Y"},        {"01/13/2024", "%d/%m/%Y"},
      {"01/12/2010 24:00", "%d/%m/%Y %H:%M"}, {"01/12/2010 08:60", "%d/%m/%Y %H:%M"},
      {"01/12/2010", "%d/%m/%Y %H:%M"},  /* the time is missing */
      {"01/12/2010 08:26x", "%d/%m/%Y %H:%M"}, /* text left over */
      {"2010-12-01", "%d/%m/%Y"},        {"1/12/10", "%d/%m/%Y"},          /* %Y is 4 digits */
      {"13:00 PM 01/01/2020", "%H:%M %p %d/%m/%Y"}, {"01 Foo 2020", "%d %b %Y"},
      {"", "%d/%m/%Y"},                  {"01/12/2010 08:26", "%d/%m/%Y%H:%M"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    fmt_days(bad[k][0], bad[k][1], &ok);
    CHECK_MSG(!ok, "'%s' with '%s' should not parse", bad[k][0], bad[k][1]);
  }

  CHECK(csv_datefmt_check("%d/%m/%Y %H:%M", why, sizeof why));
  CHECK(!csv_datefmt_check("%d/%m", why, sizeof why) && strstr(why, "must name a year"));
  CHECK(!csv_datefmt_check("%Y-%j", why, sizeof why) && strstr(why, "%j is not supported"));
  CHECK(!csv_datefmt_check("%Y-%m-%d %", why, sizeof why));
  return check_report();
}
