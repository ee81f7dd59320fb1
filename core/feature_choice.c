/* strata_choose_features: the default feature set of a table, with a reason
 * for every column left out (strata.h).  The one place where fit, sweep,
 * stability and pca decide which columns of a table they cluster on. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "categorical.h"
#include "dataset.h"
#include "error.h"

/* The share of the rows a sentinel must hold to dominate a column. */
#define SENTINEL_SHARE 0.5
/* A text column with more categories than this is an identifier or free
 * text, not one to encode one-hot. */
#define MAX_ONE_HOT 50
/* Unique or nearly: distinct values per finite value in the sample. */
#define ID_UNIQUE 0.95
/* A dense range: distinct values per integer of [min, max]. */
#define ID_DENSE 0.5

typedef struct {
  strata_feature_choice pub;
  char **features, **left_out, **reasons;
  int *marked;
  size_t cap;
  char *transforms;
} choice;

void strata_feature_choice_free(strata_feature_choice *c) {
  if (!c) return;
  choice *x = (choice *)c;
  for (size_t i = 0; i < c->n; i++) free(x->features[i]);
  for (size_t i = 0; i < c->n_left_out; i++) {
    free(x->left_out[i]);
    free(x->reasons[i]);
  }
  free(x->features);
  free(x->left_out);
  free(x->reasons);
  free(x->marked);
  free(x->transforms);
  free(x);
}

static int push_feature(choice *c, const char *name) {
  char *s = strdup(name);
  if (!s) return 0;
  c->features[c->pub.n++] = s;
  return 1;
}

static int leave_out(choice *c, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int leave_out(choice *c, const char *name, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  char *n = strdup(name), *r = strdup(buf);
  if (!n || !r) {
    free(n);
    free(r);
    return 0;
  }
  c->left_out[c->pub.n_left_out] = n;
  c->reasons[c->pub.n_left_out++] = r;
  return 1;
}

static int in_list(const char *name, const char *const *list, size_t n) {
  for (size_t i = 0; list && i < n; i++)
    if (strcmp(list[i], name) == 0) return 1;
  return 0;
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* A key by its name: id, customer_id, CustomerID, customerId, InvoiceNo,
 * order_no, account_number, user_key, ...  ("paid" and "valid" are not). */
static int key_name(const char *name) {
  char low[256];
  size_t n = strlen(name);
  if (n == 0 || n >= sizeof low) return 0;
  for (size_t i = 0; i <= n; i++) low[i] = (char)tolower((unsigned char)name[i]);
  if (strcmp(low, "id") == 0 || strcmp(low, "key") == 0) return 1;
  static const char *const sep_suffix[] = {"_id", "-id", " id", ".id", "_key", "_no", "_nr", "_number", "_code"};
  for (size_t i = 0; i < sizeof sep_suffix / sizeof *sep_suffix; i++)
    if (ends_with(low, sep_suffix[i])) return 1;
  /* camel case: a capital starts the suffix after a lower-case letter */
  static const char *const camel[] = {"ID", "Id", "Key", "No", "Nr", "Number", "Code"};
  for (size_t i = 0; i < sizeof camel / sizeof *camel; i++) {
    size_t m = strlen(camel[i]);
    if (n > m && ends_with(name, camel[i]) && islower((unsigned char)name[n - m - 1])) return 1;
  }
  return 0;
}

/* A part of a date by its name and range: day (of month), month, weekday,
 * hour, minute, quarter, week. */
static int calendar_field(const char *name, double min, double max) {
  char low[64];
  size_t n = strlen(name);
  if (n >= sizeof low) return 0;
  for (size_t i = 0; i <= n; i++) low[i] = (char)tolower((unsigned char)name[i]);
  static const struct {
    const char *name;
    double max;
  } f[] = {{"day", 31},         {"day_of_month", 31}, {"dayofmonth", 31}, {"dom", 31},     {"month", 12},
           {"weekday", 7},      {"day_of_week", 7},   {"dayofweek", 7},   {"dow", 7},      {"hour", 24},
           {"minute", 60},      {"quarter", 4},       {"week", 53},       {"weekofyear", 53}};
  for (size_t i = 0; i < sizeof f / sizeof *f; i++)
    if (strcmp(low, f[i].name) == 0) return min >= 0.0 && max <= f[i].max;
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* What the sample says about one column. */
typedef struct {
  size_t m;            /* finite values */
  size_t distinct;
  int integer;         /* every value a whole number */
  double min, max;
  double mode, mode_share;
  double rest_min, rest_max; /* of the values other than the mode (NaN: none) */
} col_summary;

static void summarise(double *v, size_t m, col_summary *s) {
  memset(s, 0, sizeof *s);
  s->m = m;
  s->rest_min = s->rest_max = NAN;
  if (m == 0) return;
  qsort(v, m, sizeof *v, cmp_double);
  s->min = v[0];
  s->max = v[m - 1];
  s->integer = 1;
  size_t run = 0, best = 0;
  for (size_t i = 0; i < m; i++) {
    s->integer &= v[i] == floor(v[i]);
    if (i == 0 || v[i] != v[i - 1]) {
      s->distinct++;
      run = 0;
    }
    if (++run > best) {
      best = run;
      s->mode = v[i];
    }
  }
  s->mode_share = (double)best / (double)m;
  for (size_t i = 0; i < m; i++) {
    if (v[i] == s->mode) continue;
    if (isnan(s->rest_min)) s->rest_min = v[i];
    s->rest_max = v[i];
  }
}

static int is_sentinel_value(double v) {
  static const double list[] = {-1, -9, -99, -999, -9999, 99, 999, 9999, 99999};
  for (size_t i = 0; i < sizeof list / sizeof *list; i++)
    if (v == list[i]) return 1;
  return 0;
}

/* The reason a numeric column is left out of the default set, or NULL. */
static const char *judge(const char *name, const col_summary *s, size_t rows, char *buf, size_t len) {
  if (s->m == 0) return snprintf(buf, len, "has no value in a sample of %zu rows", rows), buf;
  if (s->distinct == 2 && s->min == 0.0 && s->max == 1.0)
    return snprintf(buf, len, "is boolean (only 0 and 1): an outcome or a flag, not a trait to segment on"), buf;
  if (s->integer && s->m >= 20) {
    double range = s->max - s->min + 1.0, dense = (double)s->distinct / range;
    if ((double)s->distinct >= ID_UNIQUE * (double)s->m && dense >= ID_DENSE)
      return snprintf(buf, len, "looks like an identifier (%zu distinct whole numbers in %zu values)", s->distinct,
                      s->m), buf;
    if (key_name(name) && s->distinct >= 20)
      return snprintf(buf, len, "looks like an identifier (a key by its name, %zu distinct values)", s->distinct), buf;
    if (s->distinct >= 1000 && dense >= ID_DENSE && s->min >= 1000)
      return snprintf(buf, len, "looks like an identifier (a repeating integer key: %zu distinct values from %.15g "
                      "to %.15g)", s->distinct, s->min, s->max), buf;
  }
  if (s->integer && calendar_field(name, s->min, s->max))
    return snprintf(buf, len, "is a calendar field (a part of a date, %.15g to %.15g), not a trait to segment on",
                    s->min, s->max), buf;
  if (s->mode_share >= SENTINEL_SHARE && !isnan(s->rest_min)) {
    int outside = s->mode < s->rest_min || s->mode > s->rest_max;
    int ratio = s->min >= 0.0 && s->max <= 1.0 && !s->integer;
    if ((outside && is_sentinel_value(s->mode)) || (s->mode == 0.0 && ratio))
      return snprintf(buf, len, "is dominated by the sentinel %.15g (%.1f%% of values; the others %.6g to %.6g)",
                      s->mode, 100.0 * s->mode_share, s->rest_min, s->rest_max), buf;
  }
  return NULL;
}

/* The sample: every row up to STRATA_FEATURE_SAMPLE, else evenly spaced
 * runs of STRATA_BLOCK_ROWS rows that make up that many (a few reads, not a
 * pass over the table; the same rows whatever the threads). */
static strata_status read_sample(strata_dataset *ds, size_t d, float **x, size_t *m) {
  size_t n = strata_dataset_rows(ds), want = n < STRATA_FEATURE_SAMPLE ? n : STRATA_FEATURE_SAMPLE;
  *x = malloc((want ? want : 1) * (d ? d : 1) * sizeof **x);
  RETURN_IF(!*x, STRATA_ERR_NOMEM, "out of memory for the feature sample");
  *m = want;
  if (want == n) return want ? strata_dataset_read(ds, 0, n, *x) : STRATA_OK;
  size_t runs = (want + STRATA_BLOCK_ROWS - 1) / STRATA_BLOCK_ROWS, got = 0;
  for (size_t r = 0; r < runs; r++) {
    size_t len = want - got < STRATA_BLOCK_ROWS ? want - got : STRATA_BLOCK_ROWS;
    size_t row0 = runs > 1 ? (size_t)((double)r * (double)(n - STRATA_BLOCK_ROWS) / (double)(runs - 1)) : 0;
    FORWARD_IF_ERROR(strata_dataset_read(ds, row0, len, *x + got * d));
    got += len;
  }
  return STRATA_OK;
}

/* A text column: a few categories can be one-hot encoded; many are an
 * identifier (C10001, an invoice number) or free text. */
static int leave_text(choice *c, const char *path, const char *location, const char *name) {
  strata_catcols *cc = NULL;
  size_t cats = 0;
  if (strata_dataset_open_categorical(path, location, &name, 1, &cc) == STRATA_OK) cats = strata_catcols_categories(cc, 0);
  strata_catcols_free(cc);
  if (cats > MAX_ONE_HOT)
    return leave_out(c, name, "is text with %zu distinct values: an identifier or free text, not a trait", cats);
  return leave_out(c, name, "is text (categorical): --categorical %s includes it one-hot", name);
}

/* The default set: candidates are the numeric columns that survive the
 * type rules; the sample judges them. */
static strata_status choose_default(const char *path, const char *location,
                                    strata_dataset *all, const char *const *exclude, size_t nexclude, choice *c) {
  size_t d = strata_dataset_cols(all);
  const char **cand = malloc((d ? d : 1) * sizeof *cand);
  RETURN_IF(!cand, STRATA_ERR_NOMEM, "out of memory");
  size_t nc = 0;
  int ok = 1;
  for (size_t j = 0; ok && j < d; j++) {
    const char *name = strata_dataset_col_name(all, j), *stype = strata_dataset_col_stype(all, j);
    if (in_list(name, exclude, nexclude)) ok = leave_out(c, name, "is excluded (--exclude)");
    else if (strata_dataset_col_kind(all, j) == STRATA_COL_CATEGORICAL)
      ok = leave_text(c, path, location, name);
    else if (strata_dataset_col_is_id(all, j)) {
      c->marked[c->pub.n_left_out] = 1;
      ok = leave_out(c, name, "is marked as an identifier by import");
    }
    else if (stype && strcmp(stype, "date") == 0)
      ok = leave_out(c, name, "is a date: name it in --features to use it as its age in days");
    else if (stype && strcmp(stype, "bool") == 0)
      ok = leave_out(c, name, "is boolean: an outcome or a flag, not a trait to segment on");
    else cand[nc++] = name;
  }
  strata_status st = ok ? STRATA_OK : strata_fail(STRATA_ERR_NOMEM, "out of memory");
  strata_dataset *ds = NULL;
  float *x = NULL;
  double *v = NULL;
  size_t m = 0;
  if (st == STRATA_OK && nc > 0) st = strata_dataset_open(path, location, cand, nc, &ds);
  if (st == STRATA_OK && ds) st = read_sample(ds, nc, &x, &m);
  if (st == STRATA_OK && ds) {
    v = malloc((m ? m : 1) * sizeof *v);
    if (!v) st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
    for (size_t j = 0; st == STRATA_OK && j < nc; j++) {
      size_t f = 0;
      for (size_t i = 0; i < m; i++)
        if (isfinite(x[i * nc + j])) v[f++] = x[i * nc + j];
      col_summary s;
      summarise(v, f, &s);
      char why[400];
      const char *r = judge(cand[j], &s, m, why, sizeof why);
      if (!(r ? leave_out(c, cand[j], "%s", r) : push_feature(c, cand[j])))
        st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
    }
  }
  free(v);
  free(x);
  strata_dataset_free(ds);
  free(cand);
  return st;
}

/* A given list: the names minus exclude; dates become their age in days. */
static strata_status choose_given(strata_dataset *all, const char *const *features, size_t nfeatures,
                                  const char *const *exclude, size_t nexclude, choice *c) {
  size_t len = 1;
  for (size_t i = 0; i < nfeatures; i++) len += strlen(features[i]) + 11;
  c->transforms = calloc(len, 1);
  RETURN_IF(!c->transforms, STRATA_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < nfeatures; i++) {
    if (in_list(features[i], exclude, nexclude)) continue;
    RETURN_IF(!push_feature(c, features[i]), STRATA_ERR_NOMEM, "out of memory");
    for (size_t j = 0; j < strata_dataset_cols(all); j++) {
      const char *stype = strata_dataset_col_stype(all, j);
      if (strcmp(strata_dataset_col_name(all, j), features[i]) == 0 && stype && strcmp(stype, "date") == 0) {
        if (*c->transforms) strcat(c->transforms, ",");
        strcat(c->transforms, features[i]);
        strcat(c->transforms, ":age-days");
      }
    }
  }
  if (!*c->transforms) {
    free(c->transforms);
    c->transforms = NULL;
  }
  return STRATA_OK;
}

strata_status strata_choose_features(const strata_ctx *ctx, const char *path, const char *location,
                                     const char *const *features, size_t nfeatures, const char *const *exclude,
                                     size_t nexclude, strata_feature_choice **out) {
  (void)ctx; /* the sample is a few reads on the calling thread */
  RETURN_IF(!out, STRATA_ERR_USAGE, "strata_choose_features: out is NULL");
  *out = NULL;
  strata_dataset *all = NULL;
  FORWARD_IF_ERROR(strata_dataset_open_all(path, location, &all));
  size_t d = strata_dataset_cols(all);
  strata_status st = STRATA_OK;
  for (size_t i = 0; i < nexclude && st == STRATA_OK; i++) {
    size_t j = 0;
    while (j < d && strcmp(strata_dataset_col_name(all, j), exclude[i]) != 0) j++;
    if (j == d)
      st = strata_fail(STRATA_ERR_USAGE, "--exclude: column '%s' not found in %s%s%s", exclude[i], path,
                       location ? ":" : "", location ? location : "");
  }
  choice *c = calloc(1, sizeof *c);
  size_t cap = (d > nfeatures ? d : nfeatures) + 1;
  if (c) {
    c->features = calloc(cap, sizeof *c->features);
    c->left_out = calloc(cap, sizeof *c->left_out);
    c->reasons = calloc(cap, sizeof *c->reasons);
    c->marked = calloc(cap, sizeof *c->marked);
  }
  if (st == STRATA_OK && (!c || !c->features || !c->left_out || !c->reasons || !c->marked))
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
  if (st == STRATA_OK)
    st = features && nfeatures ? choose_given(all, features, nfeatures, exclude, nexclude, c)
                               : choose_default(path, location, all, exclude, nexclude, c);
  strata_dataset_free(all);
  if (st == STRATA_OK && c->pub.n == 0)
    st = strata_fail(STRATA_ERR_DATA, "no column of %s is left to segment on (%zu left out); name the columns with "
                     "--features", path, c->pub.n_left_out);
  if (st != STRATA_OK) {
    strata_feature_choice_free(c ? &c->pub : NULL);
    return st;
  }
  c->pub.features = (const char *const *)c->features;
  c->pub.left_out = (const char *const *)c->left_out;
  c->pub.reasons = (const char *const *)c->reasons;
  c->pub.marked = c->marked;
  c->pub.transforms = c->transforms;
  *out = &c->pub;
  return STRATA_OK;
}
