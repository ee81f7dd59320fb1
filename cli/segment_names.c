/* Segment names (cli/segment_names.h). */
#include "segment_names.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "field_shown.h"

char **cli_segment_names_from_profile(const strata_profile *p) {
  char **n = cli_xcalloc((size_t)p->k, sizeof *n);
  for (int s = 0; s < p->k; s++) {
    n[s] = cli_xstrdup(p->segments[s].description ? p->segments[s].description : "");
    n[s][0] = (char)toupper((unsigned char)n[s][0]);
  }
  return n;
}

void cli_segment_names_free(char **names, int k) {
  for (int s = 0; names && s < k; s++) free(names[s]);
  free(names);
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
  return s;
}

typedef struct {
  long seg;
  char *name;
} named;

/* The file's (segment, name) lines; k < 0: any segment >= 0.  Returns the
 * count, or -1 with err. */
static long parse(const char *path, long k, named **out, char *err, size_t errlen) {
  *out = NULL;
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, errlen, "cannot open names file '%s': %s", path, strerror(errno));
    return -1;
  }
  named *v = NULL;
  long n = 0, cap = 0;
  char *line = NULL;
  size_t lcap = 0;
  int lineno = 0, ok = 1;
  while (ok && getline(&line, &lcap, f) != -1) {
    lineno++;
    char *s = trim(line);
    if (lineno == 1 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
      s += 3; /* a UTF-8 byte order mark */
    if (!*s) continue;
    char *comma = strchr(s, ',');
    if (!comma) {
      snprintf(err, errlen, "names file '%s' line %d: expected \"segment,name\"", path, lineno);
      ok = 0;
      break;
    }
    *comma = '\0';
    char *seg = trim(s), *name = trim(comma + 1), *end = NULL;
    errno = 0;
    long g = strtol(seg, &end, 10);
    if (end == seg || *end || errno) {
      if (lineno == 1) continue; /* a header */
      char shown[CLI_FIELD_SHOWN];
      snprintf(err, errlen, "names file '%s' line %d: segment '%s' is not a number", path, lineno,
               cli_field_shown(seg, shown));
      ok = 0;
      break;
    }
    size_t len = strlen(name);
    if (len >= 2 && name[0] == '"' && name[len - 1] == '"') {
      name[len - 1] = '\0';
      name++;
    }
    int twice = 0;
    for (long i = 0; i < n; i++) twice |= v[i].seg == g;
    if (g < 0 || (k >= 0 && g >= k)) {
      if (k >= 0) snprintf(err, errlen, "names file '%s' line %d: segment %ld, but the model has segments 0..%ld", path,
                           lineno, g, k - 1);
      else snprintf(err, errlen, "names file '%s' line %d: segment %ld is negative", path, lineno, g);
      ok = 0;
    } else if (twice) {
      snprintf(err, errlen, "names file '%s' line %d: segment %ld is named twice", path, lineno, g);
      ok = 0;
    } else if (!*name) {
      snprintf(err, errlen, "names file '%s' line %d: the name of segment %ld is empty", path, lineno, g);
      ok = 0;
    } else {
      if (n == cap) v = cli_xrealloc(v, (size_t)(cap = cap ? 2 * cap : 16) * sizeof *v);
      v[n].seg = g;
      v[n++].name = cli_xstrdup(name);
    }
  }
  if (ok && ferror(f)) {
    snprintf(err, errlen, "cannot read names file '%s'", path);
    ok = 0;
  }
  /* An empty file, or a header alone, is a mistake (the wrong file), not a
   * request for no names: export would add a column of empty names. */
  if (ok && n == 0) {
    snprintf(err, errlen, "names file '%s' names no segment (expected lines \"segment,name\")", path);
    ok = 0;
  }
  free(line);
  fclose(f);
  if (!ok) {
    for (long i = 0; i < n; i++) free(v[i].name);
    free(v);
    return -1;
  }
  *out = v;
  return n;
}

/* k names: the file's, then fallback[s], then "Segment s" (or "" when
 * plain is 0). */
static char **build(named *v, long n, int k, const char *const *fallback, int plain) {
  char **names = cli_xcalloc((size_t)k, sizeof *names);
  for (long i = 0; i < n; i++) names[v[i].seg] = v[i].name;
  free(v);
  for (int s = 0; s < k; s++) {
    if (names[s]) continue;
    char buf[32];
    if (plain) snprintf(buf, sizeof buf, "Segment %d", s);
    else buf[0] = '\0';
    names[s] = cli_xstrdup(fallback && fallback[s] ? fallback[s] : buf);
  }
  return names;
}

int cli_segment_names_load(const char *path, int k, const char *const *fallback, char ***names, char *err,
                           size_t errlen) {
  named *v;
  long n = parse(path, k, &v, err, errlen);
  if (n < 0) return 0;
  *names = build(v, n, k, fallback, 1);
  return 1;
}

int cli_segment_names_load_any(const char *path, char ***names, int *k, char *err, size_t errlen) {
  named *v;
  long n = parse(path, -1, &v, err, errlen), top = -1;
  if (n < 0) return 0;
  for (long i = 0; i < n; i++)
    if (v[i].seg > top) top = v[i].seg;
  if (top >= 1 << 20) {
    for (long i = 0; i < n; i++) free(v[i].name);
    free(v);
    snprintf(err, errlen, "names file '%s': segment %ld is too large", path, top);
    return 0;
  }
  *k = (int)(top + 1);
  *names = build(v, n, *k, NULL, 0);
  return 1;
}
