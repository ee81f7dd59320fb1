/* strata_profile_compute against a direct float64 computation on planted
 * customer data: sizes, shares, mean, std, min, max, median and z per
 * segment; labels-file path vs assignment in the pass; bit-identical results
 * for any thread count and chunk size; wording; errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ctx_pool.h"
#include "fixture.h"
#include "profile_describe.h"
#include "radix_sort.h"
#include "strata.h"

static const char *const NAMES[] = {"age", "income", "score"};
enum { D = 3, K = 3 };

/* Three planted groups: older; high income; young with a high score.  Every
 * 50th income is missing. */
static float *planted(size_t n, uint64_t seed) {
  float *x = malloc(n * D * sizeof *x);
  uint64_t s = seed;
  static const double mu[K][D] = {{65, 50000, 0}, {35, 120000, 0}, {28, 30000, 5}};
  static const double sd[K][D] = {{4, 5000, 1}, {4, 8000, 1}, {3, 4000, 1}};
  for (size_t i = 0; i < n; i++) {
    size_t g = i % K;
    for (size_t j = 0; j < D; j++)
      x[i * D + j] = (float)(mu[g][j] + sd[g][j] * fixture_normal(&s));
    if (i % 50 == 7) x[i * D + 1] = NAN;
  }
  return x;
}

static strata_model *fit(const char *path) {
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = K;
  p.missing = STRATA_MISSING_MEAN;
  p.seed = 3;
  strata_dataset *ds = NULL;
  strata_model *m = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NAMES, D, &ds));
  if (ds) CHECK_OK(strata_fit(test_ctx(1, NULL), ds, &p, &m));
  strata_dataset_free(ds);
  return m;
}

static strata_profile *profile(const strata_model *m, const char *data, const char *labels,
                               size_t chunk, int threads) {
  strata_dataset *ds = NULL;
  strata_profile *p = NULL;
  CHECK_OK(strata_model_open_data(m, data, NULL, &ds));
  if (ds) CHECK_OK(strata_profile_compute(test_ctx(threads, NULL), m, ds, labels, chunk, &p));
  strata_dataset_free(ds);
  return p;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The direct computation for rows with seg[i] == c (c = -2: every row with
 * a segment), column j: float64 two-pass statistics and the sorted values. */
typedef struct { uint64_t n; double mean, std, min, max; double *sorted; } direct;

static direct direct_stats(const float *x, const int32_t *seg, size_t n, int c, size_t j) {
  direct r = {0, 0, 0, INFINITY, -INFINITY, malloc((n ? n : 1) * sizeof(double))};
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) {
    if (seg[i] < 0 || (c >= 0 && seg[i] != c) || !isfinite(x[i * D + j])) continue;
    double v = x[i * D + j];
    r.sorted[r.n++] = v;
    sum += v;
    r.min = fmin(r.min, v);
    r.max = fmax(r.max, v);
  }
  r.mean = sum / (double)r.n;
  double m2 = 0.0;
  for (uint64_t i = 0; i < r.n; i++) m2 += (r.sorted[i] - r.mean) * (r.sorted[i] - r.mean);
  r.std = sqrt(m2 / (double)r.n);
  qsort(r.sorted, r.n, sizeof *r.sorted, cmp_double);
  return r;
}

/* The profile's feature against the direct numbers; the median exactly when
 * the profile says medians are exact, else within its rank error. */
static void check_feature(const strata_profile *p, const strata_feature_profile *f, const direct *e) {
  CHECK(f->count == e->n);
  CHECK_NEAR(f->mean, e->mean, 1e-12);
  CHECK_NEAR(f->std, e->std, 1e-9);
  CHECK(f->min == e->min);
  CHECK(f->max == e->max);
  uint64_t want = (e->n - 1) / 2;
  if (p->medians_exact) {
    CHECK_MSG(f->median == e->sorted[want], "median %.9g, exact %.9g", f->median, e->sorted[want]);
  } else {
    /* Ranks the reported value can have in the sorted data. */
    uint64_t lo = 0, hi = 0;
    while (lo < e->n && e->sorted[lo] < f->median) lo++;
    hi = lo;
    while (hi < e->n && e->sorted[hi] == f->median) hi++;
    double slack = p->median_rank_error * (double)e->n + 1.0;
    CHECK_MSG((double)lo <= (double)want + slack && (double)hi + slack >= (double)want,
              "median rank [%llu, %llu) vs %llu, slack %.1f", (unsigned long long)lo,
              (unsigned long long)hi, (unsigned long long)want, slack);
  }
}

static void check_against_direct(const strata_profile *p, const float *x, const int32_t *seg, size_t n) {
  CHECK(p->k == K && p->d == D);
  uint64_t rows = 0;
  for (size_t i = 0; i < n; i++) rows += seg[i] >= 0;
  CHECK(p->rows == rows);
  CHECK(p->rows_dropped == n - rows);
  for (size_t j = 0; j < D; j++) {
    direct pop = direct_stats(x, seg, n, -2, j);
    check_feature(p, &p->population[j], &pop);
    for (int c = 0; c < K; c++) {
      direct e = direct_stats(x, seg, n, c, j);
      const strata_segment_profile *s = &p->segments[c];
      int64_t size = 0;
      for (size_t i = 0; i < n; i++) size += seg[i] == c;
      CHECK(s->size == size);
      CHECK_NEAR(s->share, (double)size / (double)rows, 1e-15);
      check_feature(p, &s->features[j], &e);
      CHECK_NEAR(s->features[j].z, (e.mean - pop.mean) / pop.std, 1e-9);
      free(e.sorted);
    }
    free(pop.sorted);
  }
}

static int same_profile(const strata_profile *a, const strata_profile *b) {
  if (a->k != b->k || a->d != b->d || a->rows != b->rows || a->medians_exact != b->medians_exact)
    return 0;
  size_t d = (size_t)a->d;
  if (memcmp(a->population, b->population, d * sizeof *a->population) != 0) return 0;
  for (int c = 0; c < a->k; c++) {
    const strata_segment_profile *x = &a->segments[c], *y = &b->segments[c];
    if (x->size != y->size || x->share != y->share || x->ntop != y->ntop ||
        memcmp(x->top, y->top, sizeof x->top) != 0 || strcmp(x->description, y->description) != 0 ||
        memcmp(x->features, y->features, d * sizeof *x->features) != 0)
      return 0;
  }
  return 1;
}

/* The segment with the largest mean of feature j. */
static int argmax_mean(const strata_profile *p, int j) {
  int best = 0;
  for (int c = 1; c < p->k; c++)
    if (p->segments[c].features[j].mean > p->segments[best].features[j].mean) best = c;
  return best;
}

static void test_planted(size_t n, int want_exact) {
  char name[64];
  snprintf(name, sizeof name, "profile_%zu.h5", n);
  const char *data = fixture_path(name);
  snprintf(name, sizeof name, "profile_%zu_labels.h5", n);
  const char *labels = fixture_path(name);
  float *x = planted(n, 11 + n);
  CHECK(fixture_write_columns(data, NAMES, n, D, x, 1000) == 0);
  strata_model *m = fit(data);
  if (!m) { free(x); return; }
  /* The labels strata_assign writes are the ones the profile must use. */
  strata_dataset *ds = NULL;
  CHECK_OK(strata_model_open_data(m, data, NULL, &ds));
  CHECK_OK(strata_assign(test_ctx(2, NULL), m, ds, labels, 0, NULL, NULL));
  strata_dataset_free(ds);
  int32_t *seg = malloc(n * sizeof *seg);
  CHECK(fixture_read(labels, "segment", H5T_NATIVE_INT32, seg) == 0);

  strata_profile *p = profile(m, data, NULL, 0, 1);
  strata_profile *pl = profile(m, data, labels, 0, 1);
  if (p && pl) {
    CHECK(p->medians_exact == want_exact);
    CHECK(want_exact ? p->median_rank_error == 0.0 : p->median_rank_error > 0.0 && p->median_rank_error < 0.01);
    CHECK(p->labels == NULL && pl->labels && strcmp(pl->labels, labels) == 0);
    check_against_direct(p, x, seg, n);
    CHECK_MSG(same_profile(p, pl), "labels file and assignment in the pass differ");
    /* Threads and chunk sizes do not change a bit. */
    static const struct { size_t chunk; int threads; } runs[] = {{4096, 3}, {8192, 2}, {40960, 4}};
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
      strata_profile *q = profile(m, data, r == 1 ? labels : NULL, runs[r].chunk, runs[r].threads);
      CHECK_MSG(q && same_profile(p, q), "chunk %zu threads %d differ", runs[r].chunk, runs[r].threads);
      strata_profile_free(q);
    }
    /* The profile owns what it points to: it outlives the model. */
    strata_model_free(m);
    m = NULL;
    CHECK(strcmp(p->features[0], "age") == 0 && p->feature_group[2] == -1 && p->n_categorical == 0);
    /* Wording on the planted groups. */
    int older = argmax_mean(p, 0), rich = argmax_mean(p, 1), scored = argmax_mean(p, 2);
    CHECK_MSG(strstr(p->segments[older].description, "older") != NULL, "'%s'", p->segments[older].description);
    CHECK_MSG(strstr(p->segments[rich].description, "high income") != NULL, "'%s'", p->segments[rich].description);
    CHECK_MSG(strstr(p->segments[scored].description, "high score") != NULL, "'%s'", p->segments[scored].description);
    CHECK(p->segments[older].ntop >= 1 && p->segments[older].top[0] == 0);
    CHECK(p->segments[rich].top[0] == 1 || p->segments[rich].top[1] == 1);
  }
  strata_profile_free(p);
  strata_profile_free(pl);
  strata_model_free(m);
  free(seg);
  free(x);
}

static strata_feature_profile fz(double z, double mean) {
  strata_feature_profile f;
  memset(&f, 0, sizeof f);
  f.z = z;
  f.mean = mean;
  f.count = 1;
  return f;
}

static void check_words(const strata_feature_profile *f, const char *const *names, const int *group,
                        size_t d, const char *want) {
  int top[3];
  int nt = strata_profile_top(f, d, top);
  char *s = strata_profile_describe(f, names, group, top, nt);
  CHECK_MSG(s && strcmp(s, want) == 0, "'%s', expected '%s'", s ? s : "(null)", want);
  free(s);
}

static void test_wording(void) {
  static const char *const n1[] = {"age", "income", "purchase_frequency", "recency_days",
                                   "avg_basket_value", "tenure_months", "average_rating", "region=North"};
  static const int g1[] = {-1, -1, -1, -1, -1, -1, -1, 0};
  strata_feature_profile f[8];
  for (int j = 0; j < 8; j++) f[j] = fz(0.0, 0.3);
  check_words(f, n1, g1, 8, "close to the average customer");
  f[0] = fz(0.8, 60); f[1] = fz(1.5, 1e5); f[2] = fz(-0.6, 2);
  check_words(f, n1, g1, 8, "very high income, older, buys rarely");
  for (int j = 0; j < 8; j++) f[j] = fz(0.0, 0.3);
  f[3] = fz(1.2, 400); f[5] = fz(-0.7, 3); f[4] = fz(-0.55, 10);
  check_words(f, n1, g1, 8, "long lapsed, new, small spender");
  /* "average_rating" holds "age" only inside a word: the generic phrase. */
  for (int j = 0; j < 8; j++) f[j] = fz(0.0, 0.3);
  f[6] = fz(-1.1, 1.0); f[7] = fz(0.9, 0.8);
  check_words(f, n1, g1, 8, "very low average_rating, mostly North");
  f[7] = fz(0.6, 0.4);
  check_words(f, n1, g1, 8, "very low average_rating, more often North");
  /* Credit-card columns: only names made of a concept's words are
   * recognised, and a concept is phrased once. */
  static const char *const n2[] = {"PURCHASES_FREQUENCY", "PURCHASES_INSTALLMENTS_FREQUENCY",
                                   "CASH_ADVANCE_FREQUENCY", "PURCHASES_TRX", "PURCHASES"};
  strata_feature_profile h[5];
  h[0] = fz(0.98, 0); h[1] = fz(0.87, 0); h[2] = fz(-0.46 - 0.1, 0); h[3] = fz(0.2, 0); h[4] = fz(0, 0);
  check_words(h, n2, NULL, 5, "buys often, high PURCHASES_INSTALLMENTS_FREQUENCY, low CASH_ADVANCE_FREQUENCY");
  h[0] = fz(1.2, 0); h[3] = fz(3.0, 0); h[4] = fz(3.1, 0); h[1] = fz(0, 0); h[2] = fz(0, 0);
  check_words(h, n2, NULL, 5, "very high PURCHASES, buys very often, very high PURCHASES_FREQUENCY");
  static const char *const n3[] = {"days_since_last_purchase", "customer_age", "household_income"};
  strata_feature_profile e[3] = {fz(0.7, 0), fz(-0.9, 0), fz(0.6, 0)};
  check_words(e, n3, NULL, 3, "younger, lapsed, high income");
  /* Top features: at most three, largest |z| first, the lower index on ties;
   * one below 0.5 is listed but not described. */
  for (int j = 0; j < 8; j++) f[j] = fz(0.0, 0.3);
  f[1] = fz(0.3, 0); f[2] = fz(-0.3, 0); f[4] = fz(0.9, 0); f[5] = fz(0.05, 0);
  int top[3];
  CHECK(strata_profile_top(f, 8, top) == 3 && top[0] == 4 && top[1] == 1 && top[2] == 2);
  check_words(f, n1, g1, 8, "big spender");
}

static void test_errors(void) {
  const char *data = fixture_path("profile_err.h5");
  const char *labels = fixture_path("profile_err_labels.h5");
  const char *other = fixture_path("profile_err_other.h5");
  size_t n = 600;
  float *x = planted(n, 5);
  CHECK(fixture_write_columns(data, NAMES, n, D, x, 100) == 0);
  CHECK(fixture_write_columns(other, NAMES, n / 2, D, x, 100) == 0);
  strata_model *m = fit(data);
  strata_dataset *ds = NULL, *ds2 = NULL;
  strata_profile *p = NULL;
  if (m) {
    CHECK_OK(strata_model_open_data(m, other, NULL, &ds));
    CHECK_OK(strata_assign(NULL, m, ds, labels, 0, NULL, NULL));
    strata_dataset_free(ds);
    ds = NULL;
    CHECK_OK(strata_model_open_data(m, data, NULL, &ds));
    /* A labels file of other data (300 rows, not 600). */
    CHECK(strata_profile_compute(NULL, m, ds, labels, 0, &p) == STRATA_ERR_FORMAT && !p);
    CHECK(strstr(strata_last_error(), "300") && strstr(strata_last_error(), "600"));
    /* No such labels file; a file that is not a labels file. */
    CHECK(strata_profile_compute(NULL, m, ds, fixture_path("profile_nothing.h5"), 0, &p) != STRATA_OK && !p);
    CHECK(strata_profile_compute(NULL, m, ds, other, 0, &p) != STRATA_OK && !p);
    CHECK(strstr(strata_last_error(), "not a labels file") != NULL);
    /* The data must present the model's features in its order. */
    static const char *const swapped[] = {"income", "age", "score"};
    CHECK_OK(strata_dataset_open(data, NULL, swapped, D, &ds2));
    CHECK(strata_profile_compute(NULL, m, ds2, NULL, 0, &p) == STRATA_ERR_COLUMN && !p);
    strata_dataset_free(ds2);
    CHECK_OK(strata_dataset_open(data, NULL, NAMES, 2, &ds2));
    CHECK(strata_profile_compute(NULL, m, ds2, NULL, 0, &p) == STRATA_ERR_COLUMN && !p);
    CHECK(strata_profile_compute(NULL, NULL, ds2, NULL, 0, &p) == STRATA_ERR_USAGE);
    /* No rows: an empty segment says so, its z is NaN. */
    const char *empty = fixture_path("profile_empty.h5");
    CHECK(fixture_write_columns(empty, NAMES, 0, D, x, 100) == 0);
    strata_profile *e = profile(m, empty, NULL, 0, 2);
    if (e) {
      CHECK(e->rows == 0 && e->segments[0].size == 0 && e->segments[0].share == 0.0);
      CHECK(strcmp(e->segments[1].description, "no rows in this data") == 0);
      CHECK(isnan(e->segments[2].features[0].z) && isnan(e->population[0].mean) && e->segments[2].ntop == 0);
    }
    strata_profile_free(e);
  }
  strata_dataset_free(ds);
  strata_dataset_free(ds2);
  strata_model_free(m);
  free(x);
}

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* The radix sort against qsort: negatives, duplicates, subnormals, large
 * magnitudes, every length around the insertion-sort cutoff. */
static void test_radix_sort(void) {
  uint64_t s = 99;
  float v[5000], w[5000], tmp[5000];
  static const size_t lens[] = {0, 1, 2, 47, 48, 49, 300, 4096, 5000};
  for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
    size_t n = lens[l];
    for (size_t i = 0; i < n; i++) {
      double u = fixture_uniform(&s);
      v[i] = u < 0.2 ? (float)(int)(fixture_normal(&s) * 3)      /* duplicates */
           : u < 0.3 ? (float)(fixture_normal(&s) * 1e-40)       /* subnormals */
           : u < 0.4 ? (float)(fixture_normal(&s) * 1e30)
           : (float)fixture_normal(&s) * 100.0f;
      if (v[i] == 0.0f) v[i] = 0.0f;
      w[i] = v[i];
    }
    strata_radix_sort_floats(v, n, tmp);
    qsort(w, n, sizeof *w, cmp_float);
    CHECK_MSG(memcmp(v, w, n * sizeof *v) == 0, "n = %zu", n);
  }
}

int main(void) {
  test_radix_sort();
  test_wording();
  test_planted(3000, 1);   /* every (segment, feature) under 4096 values: exact medians */
  test_planted(30000, 0);  /* several blocks and chunks; sketched medians */
  test_errors();
  return check_report();
}
