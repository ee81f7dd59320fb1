/* Segment names (cli/segment_names.h). */
#include "segment_names.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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

int cli_segment_names_load(const char *path, int k, const char *const *fallback, char ***names, char *err,
                           size_t errlen) {
  *names = NULL;
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, errlen, "cannot open names file '%s': %s", path, strerror(errno));
    return 0;
  }
  char **n = cli_xcalloc((size_t)k, sizeof *n);
  char *line = NULL;
  size_t cap = 0;
  int lineno = 0, ok = 1;
  while (ok && getline(&line, &cap, f) != -1) {
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
    long v = strtol(seg, &end, 10);
    if (end == seg || *end || errno) {
      if (lineno == 1) continue; /* a header */
      snprintf(err, errlen, "names file '%s' line %d: segment '%s' is not a number", path, lineno, seg);
      ok = 0;
      break;
    }
    size_t len = strlen(name);
    if (len >= 2 && name[0] == '"' && name[len - 1] == '"') {
      name[len - 1] = '\0';
      name++;
    }
    if (v < 0 || v >= k) {
      snprintf(err, errlen, "names file '%s' line %d: segment %ld, but the model has segments 0..%d", path, lineno, v,
               k - 1);
      ok = 0;
    } else if (n[v]) {
      snprintf(err, errlen, "names file '%s' line %d: segment %ld is named twice", path, lineno, v);
      ok = 0;
    } else if (!*name) {
      snprintf(err, errlen, "names file '%s' line %d: the name of segment %ld is empty", path, lineno, v);
      ok = 0;
    } else {
      n[v] = cli_xstrdup(name);
    }
  }
  if (ok && ferror(f)) {
    snprintf(err, errlen, "cannot read names file '%s'", path);
    ok = 0;
  }
  free(line);
  fclose(f);
  for (int s = 0; ok && s < k; s++) {
    if (n[s]) continue;
    char buf[32];
    snprintf(buf, sizeof buf, "Segment %d", s);
    n[s] = cli_xstrdup(fallback && fallback[s] ? fallback[s] : buf);
  }
  if (!ok) {
    cli_segment_names_free(n, k);
    return 0;
  }
  *names = n;
  return 1;
}
