/* Reading and checking the report's JSON inputs (cli/report_json.h). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_json.h"

static const char *const KIND_NAME[] = {"sweep", "stability", "drift"};

double cli_json_num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The checks: each names the first thing missing or of the wrong type. */
typedef struct {
  char *err;
  size_t errlen;
  const char *what; /* "sweep file 'x.json'" */
  int bad;
} checker;

static void fail(checker *c, const char *fmt, ...) {
  if (c->bad) return;
  c->bad = 1;
  char detail[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  snprintf(c->err, c->errlen, "%s: %s", c->what, detail);
}

/* NUM: a finite number (cJSON reads 1e999 as inf); INT: an integer in
 * 0..INT_MAX, as a segment or a k must be before the report casts it to
 * int (a cast of 1e300 is undefined behaviour). */
enum { NUM = 1, NUM_OR_NULL, INT, INT_OR_NULL, STR, BOOL, ARR, OBJ };

static int is_int(const cJSON *v) {
  return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= INT_MAX &&
         v->valuedouble == floor(v->valuedouble);
}

static const cJSON *need(checker *c, const cJSON *o, const char *where, const char *key, int type) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  int ok = v && (type == NUM           ? cJSON_IsNumber(v) && isfinite(v->valuedouble)
                 : type == NUM_OR_NULL ? (cJSON_IsNumber(v) && isfinite(v->valuedouble)) || cJSON_IsNull(v)
                 : type == INT         ? is_int(v)
                 : type == INT_OR_NULL ? is_int(v) || cJSON_IsNull(v)
                 : type == STR         ? cJSON_IsString(v)
                 : type == BOOL        ? cJSON_IsBool(v)
                 : type == ARR         ? cJSON_IsArray(v)
                                       : cJSON_IsObject(v));
  static const char *const tn[] = {"",
                                   "a finite number",
                                   "a finite number or null",
                                   "a whole number from 0 to 2147483647",
                                   "a whole number from 0 to 2147483647, or null",
                                   "a string",
                                   "true or false",
                                   "an array",
                                   "an object"};
  if (!ok) fail(c, "%s%s\"%s\" must be %s", where, *where ? " " : "", key, tn[type]);
  return ok ? v : NULL;
}

/* Every element of array `key` of o must be an object with the fields. */
typedef struct {
  const char *key;
  int type;
} field;

static void need_objects(checker *c, const cJSON *o, const char *key, const field *fields, size_t nf,
                         int nonempty) {
  const cJSON *a = need(c, o, "", key, ARR);
  if (!a) return;
  if (nonempty && cJSON_GetArraySize(a) == 0) fail(c, "\"%s\" is empty", key);
  int i = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, a) {
    char where[64];
    snprintf(where, sizeof where, "%s[%d]", key, i++);
    if (!cJSON_IsObject(e)) {
      fail(c, "%s must be an object", where);
      return;
    }
    for (size_t f = 0; f < nf; f++) need(c, e, where, fields[f].key, fields[f].type);
  }
}

static void check_sweep(checker *c, const cJSON *o) {
  static const field r[] = {{"k", INT}, {"inertia", NUM}, {"silhouette", NUM_OR_NULL},
                            {"calinski_harabasz", NUM_OR_NULL}, {"davies_bouldin", NUM_OR_NULL}};
  need_objects(c, o, "results", r, sizeof r / sizeof r[0], 1);
  need(c, o, "", "recommended_k", INT);
  need(c, o, "", "knee_k", INT_OR_NULL);
}

static void check_stability(checker *c, const cJSON *o) {
  need(c, o, "", "k", INT);
  need(c, o, "", "runs", INT);
  const cJSON *ari = need(c, o, "", "ari", OBJ);
  if (ari) {
    need(c, ari, "ari", "mean", NUM);
    need(c, ari, "ari", "std", NUM);
    need(c, ari, "ari", "min", NUM);
    need(c, ari, "ari", "max", NUM);
  }
  static const field s[] = {{"segment", INT}, {"size", NUM}, {"jaccard_mean", NUM},
                            {"jaccard_std", NUM}, {"dissolved", NUM}, {"verdict", STR}};
  need_objects(c, o, "segments", s, sizeof s / sizeof s[0], 1);
  need(c, o, "", "verdict", STR);
}

static void check_drift(checker *c, const cJSON *o) {
  static const field s[] = {{"segment", INT_OR_NULL}, {"share_train", NUM}, {"share_now", NUM},
                            {"share_change", NUM}, {"mean_distance_train", NUM_OR_NULL},
                            {"mean_distance_now", NUM_OR_NULL}, {"distance_change", NUM_OR_NULL},
                            {"flag", BOOL}};
  static const field f[] = {{"feature", STR}, {"mean_train", NUM_OR_NULL}, {"mean_now", NUM_OR_NULL},
                            {"std_train", NUM_OR_NULL}, {"shift", NUM_OR_NULL}, {"flag", BOOL}};
  need_objects(c, o, "segments", s, sizeof s / sizeof s[0], 1);
  /* A vanished segment (segment null) is named by the reference's. */
  const cJSON *e;
  int i = 0;
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(o, "segments")) {
    char where[64];
    snprintf(where, sizeof where, "segments[%d]", i++);
    if (cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(e, "segment"))) need(c, e, where, "reference_segment", INT);
  }
  need_objects(c, o, "features", f, sizeof f / sizeof f[0], 0);
  const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "warnings");
  if (w && !cJSON_IsArray(w)) fail(c, "\"warnings\" must be an array");
}

static char *slurp(const char *path, char *err, size_t errlen, const char *kind) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "cannot open %s file '%s': %s", kind, path, strerror(errno));
    return NULL;
  }
  size_t cap = 65536, len = 0;
  char *s = malloc(cap);
  size_t got;
  while (s && (got = fread(s + len, 1, cap - len - 1, f)) > 0) {
    len += got;
    if (len + 1 == cap) {
      char *t = realloc(s, cap *= 2);
      if (!t) free(s);
      s = t;
    }
  }
  int rd_err = ferror(f);
  fclose(f);
  if (!s || rd_err) {
    snprintf(err, errlen, "cannot read %s file '%s'", kind, path);
    free(s);
    return NULL;
  }
  s[len] = '\0';
  return s;
}

cJSON *cli_report_read(const char *path, cli_report_input kind, cJSON **root, char *err, size_t errlen) {
  *root = NULL;
  const char *kn = KIND_NAME[kind];
  char *text = slurp(path, err, errlen, kn);
  if (!text) return NULL;
  const char *end = NULL;
  cJSON *doc = cJSON_ParseWithOpts(text, &end, 1);
  if (!doc) {
    size_t at = end ? (size_t)(end - text) : 0;
    snprintf(err, errlen, "%s file '%s' is not valid JSON (near byte %zu)", kn, path, at);
    free(text);
    return NULL;
  }
  free(text);
  char what[600];
  snprintf(what, sizeof what, "%s file '%s'", kn, path);
  checker c = {.err = err, .errlen = errlen, .what = what};
  const cJSON *o = doc;
  if (!cJSON_IsObject(doc)) fail(&c, "the top level must be an object");
  else if (kind == CLI_REPORT_DRIFT) {
    o = need(&c, doc, "", "drift", OBJ);
    if (o) check_drift(&c, o);
  } else if (kind == CLI_REPORT_SWEEP) check_sweep(&c, doc);
  else check_stability(&c, doc);
  if (c.bad) {
    cJSON_Delete(doc);
    return NULL;
  }
  *root = doc;
  return (cJSON *)o;
}
