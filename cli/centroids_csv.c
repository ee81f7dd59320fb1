/* Reads the centroids CSV of --init FILE (see centroids_csv.h). */
#include "centroids_csv.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "field_shown.h"

typedef struct {
  const char *path;
  size_t line;
  char *err;
  size_t errlen;
} csv_ctx;

static int fail_at(csv_ctx *c, size_t column, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(csv_ctx *c, size_t column, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (column)
    snprintf(c->err, c->errlen, "init file '%s', line %zu, column %zu: %s", c->path, c->line, column, msg);
  else
    snprintf(c->err, c->errlen, "init file '%s', line %zu: %s", c->path, c->line, msg);
  return 0;
}

/* Splits `line` in place into fields (trimmed, quotes removed).  *fields is
 * grown as needed.  Returns the number of fields, or -1 with err set. */
static long split_fields(csv_ctx *c, char *line, char ***fields, size_t *cap) {
  size_t n = 0;
  char *p = line;
  for (;;) {
    while (*p == ' ' || *p == '\t') p++;
    char *start = p, *end;
    if (*p == '"') {
      /* Quoted: "" stands for one quote; copy down in place. */
      char *w = start;
      p++;
      for (;;) {
        if (*p == '\0') return fail_at(c, n + 1, "unterminated quoted field"), -1;
        if (*p == '"') {
          if (p[1] == '"') {
            *w++ = '"';
            p += 2;
            continue;
          }
          p++;
          break;
        }
        *w++ = *p++;
      }
      end = w;
      while (*p == ' ' || *p == '\t') p++;
      if (*p != ',' && *p != '\0')
        return fail_at(c, n + 1, "unexpected text after a closing quote"), -1;
    } else {
      while (*p != ',' && *p != '\0') p++;
      end = p;
      while (end > start && (end[-1] == ' ' || end[-1] == '\t')) end--;
    }
    char sep = *p;
    *end = '\0';
    if (n == *cap) {
      *cap = *cap ? 2 * *cap : 16;
      *fields = cli_xrealloc(*fields, *cap * sizeof **fields);
    }
    (*fields)[n++] = start;
    if (sep == '\0') break;
    p++; /* past the comma */
  }
  return (long)n;
}

static int parse_number(const char *s, double *v) {
  if (*s == '\0') return 0;
  char *end = NULL;
  errno = 0;
  *v = strtod(s, &end);
  return end && *end == '\0';
}

static int is_skipped(const char *line) {
  while (isspace((unsigned char)*line)) line++;
  return *line == '\0' || *line == '#';
}

int cli_centroids_csv_read(const char *path, int k, size_t d, const char *const *names, double **out,
                           char *err, size_t errlen) {
  csv_ctx c = {path, 0, err, errlen};
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, errlen, "cannot open init file '%s': %s", path, strerror(errno));
    return 0;
  }
  char *line = NULL;
  size_t linecap = 0;
  char **fields = NULL;
  size_t fieldcap = 0;
  double *values = NULL;
  size_t rows = 0, rowcap = 0;
  int ok = 0, seen_content = 0;
  char field[CLI_FIELD_SHOWN];
  ssize_t len;
  while ((len = getline(&line, &linecap, f)) >= 0) {
    c.line++;
    if ((size_t)len != strlen(line)) {
      fail_at(&c, 0, "NUL byte in text");
      goto done;
    }
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
    char *text = line;
    if (c.line == 1 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF)
      text += 3; /* UTF-8 byte order mark */
    if (is_skipped(text)) continue;
    long nf = split_fields(&c, text, &fields, &fieldcap);
    if (nf < 0) goto done;
    double v;
    int first = !seen_content;
    seen_content = 1;
    if (first && !parse_number(fields[0], &v)) {
      /* Header row: the feature names, in order. */
      if ((size_t)nf != d) {
        snprintf(err, errlen, "init file '%s', line %zu: header has %ld names, expected %zu (the fit's features)",
                 path, c.line, nf, d);
        goto done;
      }
      for (size_t j = 0; j < d; j++)
        if (strcmp(fields[j], names[j]) != 0) {
          snprintf(err, errlen, "init file '%s', line %zu, column %zu: header names '%s' but feature %zu is '%s'",
                   path, c.line, j + 1, cli_field_shown(fields[j], field), j + 1, names[j]);
          goto done;
        }
      continue;
    }
    if (rows == (size_t)k) {
      snprintf(err, errlen, "init file '%s', line %zu: more than k = %d centroid rows", path, c.line, k);
      goto done;
    }
    if ((size_t)nf != d) {
      snprintf(err, errlen, "init file '%s', line %zu: expected %zu values (one per feature), found %ld", path,
               c.line, d, nf);
      goto done;
    }
    if (rows == rowcap) {
      rowcap = rowcap ? 2 * rowcap : 8;
      if (rowcap > (size_t)k) rowcap = (size_t)k;
      values = cli_xrealloc(values, rowcap * d * sizeof *values);
    }
    for (size_t j = 0; j < d; j++) {
      if (fields[j][0] == '\0') {
        fail_at(&c, j + 1, "empty value");
        goto done;
      }
      if (!parse_number(fields[j], &v)) {
        fail_at(&c, j + 1, "'%s' is not a number", cli_field_shown(fields[j], field));
        goto done;
      }
      if (!isfinite(v)) {
        fail_at(&c, j + 1, "'%s' is not a finite number", cli_field_shown(fields[j], field));
        goto done;
      }
      values[rows * d + j] = v;
    }
    rows++;
  }
  if (ferror(f)) {
    snprintf(err, errlen, "cannot read init file '%s': %s", path, strerror(errno));
    goto done;
  }
  if (rows != (size_t)k) {
    snprintf(err, errlen, "init file '%s': found %zu centroid row%s, expected k = %d", path, rows,
             rows == 1 ? "" : "s", k);
    goto done;
  }
  *out = values;
  values = NULL;
  ok = 1;
done:
  free(values);
  free(fields);
  free(line);
  fclose(f);
  return ok;
}
