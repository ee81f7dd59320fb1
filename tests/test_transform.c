/* Transforms before scaling and the robust scaler: each transform against a
 * plain float64 reference (the textbook formulas), Yeo-Johnson's lambda
 * against a brute-force search of its likelihood, clip's percentiles and
 * the robust quartiles against sorted data (numpy's linear rule), the spec
 * parser's errors, the model file's /transform group (round trip and
 * damaged files refused), bit-identical fits with transforms for any
 * thread count and chunk size, and assign reproducing fit's labels. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "check.h"
#include "ctx_pool.h"
#include "fixture.h"
#include "quantile.h"
#include "scaler.h"
#include "transform.h"

/* ---- references, float64, straight from the definitions ---- */

/* lambda within machine epsilon of 0 (or 2) is the logarithmic case, as in
 * scikit-learn and scipy. */
static double ref_yj(double x, double l) {
  if (x >= 0.0) return fabs(l) < DBL_EPSILON ? log(x + 1.0) : (pow(x + 1.0, l) - 1.0) / l;
  return fabs(l - 2.0) < DBL_EPSILON ? -log(1.0 - x) : -(pow(1.0 - x, 2.0 - l) - 1.0) / (2.0 - l);
}

static double ref_apply(const strata_transform *t, double x) {
  switch (t->kind) {
    case STRATA_TRANSFORM_LOG1P: return log(1.0 + x);
    case STRATA_TRANSFORM_YEO_JOHNSON: return ref_yj(x, t->lambda);
    case STRATA_TRANSFORM_CLIP: return x < t->lo ? t->lo : x > t->hi ? t->hi : x;
    default: return x;
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* numpy.percentile(x, 100 q), method 'linear', on sorted v. */
static double ref_quantile(const double *v, size_t n, double q) {
  double pos = q * (double)(n - 1);
  size_t lo = (size_t)floor(pos), hi = lo + 1 < n ? lo + 1 : lo;
  return v[lo] + (pos - (double)lo) * (v[hi] - v[lo]);
}

static strata_transform make(strata_transform_kind kind, double lambda, double lo, double hi) {
  return (strata_transform){kind, lambda, lo, hi, NAN, NAN};
}

/* ---- the transforms, their inverses, the scaler's float32 path ---- */

static void test_against_reference(void) {
  const double xs[] = {0.0, 1e-9, 0.5, 1.0, 3.25, 17.0, 1234.5, 1e6, -1e-9, -0.5, -3.0, -250.0};
  const double lambdas[] = {-1.3, -0.25, 0.0, 1e-20, 0.37, 1.0, 1.9, 2.0, 2.6};
  for (size_t a = 0; a < sizeof lambdas / sizeof *lambdas; a++) {
    strata_transform t = make(STRATA_TRANSFORM_YEO_JOHNSON, lambdas[a], NAN, NAN);
    for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) {
      double y = strata_transform_apply(&t, xs[i]), r = ref_yj(xs[i], lambdas[a]);
      /* expm1/log1p vs pow: equal up to the rounding of pow(x + 1, l) - 1 */
      CHECK_MSG(fabs(y - r) <= 1e-9 * fmax(1.0, fabs(r)), "yj(%g, %g) = %.17g, reference %.17g", xs[i],
                lambdas[a], y, r);
      double back = strata_transform_invert(&t, y);
      /* near the range's edge (-1/lambda) the inverse is ill-conditioned */
      CHECK_MSG(fabs(back - xs[i]) <= 1e-8 * fmax(1.0, fabs(xs[i])), "yj inverse(%g, %g) = %.17g", xs[i],
                lambdas[a], back);
    }
  }
  strata_transform lg = make(STRATA_TRANSFORM_LOG1P, NAN, NAN, NAN);
  for (size_t i = 0; i < sizeof xs / sizeof *xs; i++) {
    if (!(xs[i] > -1.0)) continue;
    /* log(1 + x) itself loses digits for tiny x: absolute 1e-15 */
    CHECK(fabs(strata_transform_apply(&lg, xs[i]) - ref_apply(&lg, xs[i])) <= 1e-15 + 1e-12 * fabs(ref_apply(&lg, xs[i])));
    CHECK_NEAR(strata_transform_invert(&lg, strata_transform_apply(&lg, xs[i])), xs[i], 1e-12);
  }
  CHECK(isinf(strata_transform_apply(&lg, -1.0)) && isnan(strata_transform_apply(&lg, -3.0)));
  CHECK(isnan(strata_transform_apply(&lg, NAN)));
  strata_transform cl = make(STRATA_TRANSFORM_CLIP, NAN, -2.0, 5.0);
  for (size_t i = 0; i < sizeof xs / sizeof *xs; i++)
    CHECK(strata_transform_apply(&cl, xs[i]) == ref_apply(&cl, xs[i]));

  /* The scaler's float32 path: transform in float64, then shift and factor,
   * rounded once; a NaN imputed in transformed units. */
  enum { D = 3, R = 5 };
  const char *names[D] = {"a", "b", "c"};
  const double shift[D] = {1.5, -0.25, 2.0}, factor[D] = {2.0, 0.5, 3.0}, impute[D] = {0.75, 0.1, 1.0};
  strata_transform tf[D] = {make(STRATA_TRANSFORM_LOG1P, NAN, NAN, NAN),
                            make(STRATA_TRANSFORM_YEO_JOHNSON, 0.37, NAN, NAN),
                            make(STRATA_TRANSFORM_CLIP, NAN, 0.0, 10.0)};
  float raw[R * D] = {0.0f, 1.0f, -4.0f, 2.5f, -7.5f, 12.0f, 100.0f, 0.0f, 3.0f, NAN, 2.0f, NAN, 9.0f, -0.5f, 11.0f};
  strata_scaler sc;
  CHECK_OK(strata_scaler_from(&sc, D, names, STRATA_MISSING_MEAN, shift, factor, impute));
  CHECK_OK(strata_scaler_set_transforms(&sc, tf));
  float out[R * D];
  uint16_t kept[R];
  size_t m = 0;
  CHECK_OK(strata_scaler_apply(&sc, raw, R, 0, out, kept, &m));
  CHECK(m == R);
  for (size_t i = 0; i < R; i++)
    for (size_t j = 0; j < D; j++) {
      double v = raw[i * D + j];
      double t = isnan(v) ? impute[j] : ref_apply(&tf[j], v);
      float want = (float)((t - shift[j]) / factor[j]);
      CHECK_MSG(fabsf(out[i * D + j] - want) <= 2e-7f * fmaxf(1.0f, fabsf(want)), "row %zu col %zu: %.9g vs %.9g",
                i, j, out[i * D + j], want);
    }
  /* forward and invert are each other's inverse on original units */
  double orig[D] = {3.0, -2.0, 4.0}, scaled[D], back[D];
  strata_scaler_forward(&sc, orig, scaled);
  strata_scaler_invert(&sc, scaled, back);
  for (size_t j = 0; j < D; j++) CHECK_NEAR(back[j], orig[j], 1e-12);
  /* log1p of -2 is refused with the column and the row */
  float bad[D] = {-2.0f, 1.0f, 1.0f};
  CHECK(strata_scaler_apply(&sc, bad, 1, 41, out, kept, &m) == STRATA_ERR_DATA);
  CHECK(strstr(strata_last_error(), "'a'") && strstr(strata_last_error(), "row 41"));
  strata_scaler_free(&sc);
}

/* ---- Yeo-Johnson's lambda ---- */

static void test_lambda(void) {
  uint64_t seed = 7;
  size_t n = 3000;
  double *x = malloc(n * sizeof *x);
  /* skewed right (lognormal), skewed left, and mixed signs */
  for (int shape = 0; shape < 3; shape++) {
    for (size_t i = 0; i < n; i++) {
      double z = fixture_normal(&seed);
      x[i] = shape == 0 ? exp(1.2 * z) * 40.0 : shape == 1 ? -exp(0.8 * z) * 3.0 : z * 5.0 + exp(z);
    }
    double l = strata_yeo_johnson_lambda(x, n);
    /* brute force: a grid of 2e-3 over [-4, 6] */
    double best = NAN, fbest = INFINITY;
    for (double g = -4.0; g <= 6.0; g += 2e-3) {
      double f = strata_yeo_johnson_nll(x, n, g);
      if (f < fbest) { fbest = f; best = g; }
    }
    CHECK_MSG(fabs(l - best) <= 2e-3, "shape %d: lambda %.9g, grid %.9g", shape, l, best);
    double fl = strata_yeo_johnson_nll(x, n, l);
    CHECK_MSG(fl <= fbest + 1e-9 * fabs(fbest), "shape %d: nll %.17g above the grid's %.17g", shape, fl, fbest);
    CHECK(fl <= strata_yeo_johnson_nll(x, n, l + 1e-4) && fl <= strata_yeo_johnson_nll(x, n, l - 1e-4));
  }
  for (size_t i = 0; i < n; i++) x[i] = 0.0;
  CHECK(strata_yeo_johnson_lambda(x, n) == 1.0);
  free(x);
}

/* ---- the spec ---- */

static void test_parse(void) {
  const char *names[] = {"spend", "visits", "age", "region=north"};
  const int groups[] = {-1, -1, -1, 0};
  strata_transform *tf = NULL;
  CHECK_OK(strata_transforms_parse("spend:log1p,visits:clip(p1,p99),age:yeo-johnson", 4, names, groups, &tf));
  if (tf) {
    CHECK(tf[0].kind == STRATA_TRANSFORM_LOG1P && tf[1].kind == STRATA_TRANSFORM_CLIP &&
          tf[2].kind == STRATA_TRANSFORM_YEO_JOHNSON && tf[3].kind == STRATA_TRANSFORM_NONE);
    CHECK(tf[1].p_lo == 1.0 && tf[1].p_hi == 99.0);
    CHECK(strata_transforms_need_fit(tf, 4));
  }
  free(tf);
  CHECK_OK(strata_transforms_parse("visits:clip(5,95.5)", 4, names, groups, &tf));
  CHECK(tf && tf[1].p_lo == 5.0 && tf[1].p_hi == 95.5 && !strata_transforms_need_fit(tf, 1));
  free(tf);
  CHECK_OK(strata_transforms_parse(NULL, 4, names, groups, &tf));
  CHECK(tf == NULL);
  const char *bad[] = {"spend", "spend:sqrt", "income:log1p", "spend:log1p,spend:clip", "visits:clip(p99,p1)",
                       "visits:clip(p1)", "visits:clip(p1,p101)", "region=north:log1p", "spend:log1p,,age:log1p"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    strata_status st = strata_transforms_parse(bad[i], 4, names, groups, &tf);
    CHECK_MSG(st == STRATA_ERR_USAGE && tf == NULL, "'%s' accepted", bad[i]);
  }
}

/* ---- clip's percentiles and the robust quartiles ---- */

/* A file of one column "v" (n values) and one "w" of normal noise. */
static const char *write_skewed(const char *name, size_t n, uint64_t seed, double **sorted) {
  float *x = malloc(2 * n * sizeof *x);
  double *v = malloc(n * sizeof *v);
  for (size_t i = 0; i < n; i++) {
    x[2 * i] = (float)(exp(1.5 * fixture_normal(&seed)) * 20.0);
    x[2 * i + 1] = (float)fixture_normal(&seed);
    v[i] = x[2 * i];
  }
  qsort(v, n, sizeof *v, cmp_double);
  const char *cols[] = {"v", "w"};
  const char *path = fixture_path(name);
  CHECK(fixture_write_columns(path, cols, n, 2, x, 1000) == 0);
  free(x);
  *sorted = v;
  return path;
}

static strata_model *fit_path(const char *path, const strata_fit_params *p, int threads) {
  strata_dataset *ds = NULL;
  strata_model *m = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));
  if (ds) CHECK_OK(strata_fit(test_ctx(threads, NULL), ds, p, &m));
  strata_dataset_free(ds);
  return m;
}

static void test_percentiles(void) {
  /* up to 4096 values the sketch is exact: numpy's linear percentiles */
  double *v = NULL;
  size_t n = 3001;
  const char *path = write_skewed("tf_small.h5", n, 11, &v);
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = 3;
  p.transforms = "v:clip(p2.5,p97)";
  p.scale = STRATA_SCALE_ROBUST;
  strata_model *m = fit_path(path, &p, 2);
  if (m) {
    const strata_model_info *in = strata_model_get_info(m);
    CHECK(in->transform_kind && in->transform_kind[0] == STRATA_TRANSFORM_CLIP &&
          in->transform_kind[1] == STRATA_TRANSFORM_NONE);
    double lo = ref_quantile(v, n, 0.025), hi = ref_quantile(v, n, 0.97);
    CHECK_NEAR(in->transform_param[1], lo, 1e-12);
    CHECK_NEAR(in->transform_param[2], hi, 1e-12);
    /* robust: median and IQR of the clipped values (float32 as stored) */
    double *c = malloc(n * sizeof *c);
    for (size_t i = 0; i < n; i++) c[i] = (double)(float)fmin(fmax(v[i], (double)(float)lo), (double)(float)hi);
    qsort(c, n, sizeof *c, cmp_double);
    CHECK_NEAR(in->scale_shift[0], ref_quantile(c, n, 0.5), 1e-6);
    CHECK_NEAR(in->scale_factor[0], ref_quantile(c, n, 0.75) - ref_quantile(c, n, 0.25), 1e-6);
    CHECK(strcmp(in->scale, "robust") == 0);
    free(c);
  }
  strata_model_free(m);
  free(v);
  /* beyond, within the sketch's rank error */
  n = 200000;
  path = write_skewed("tf_large.h5", n, 12, &v);
  p.transforms = "v:clip(p1,p99)";
  p.scale = STRATA_SCALE_ZSCORE;
  m = fit_path(path, &p, 2);
  if (m) {
    const strata_model_info *in = strata_model_get_info(m);
    for (int b = 0; b < 2; b++) {
      double bound = in->transform_param[1 + b], q = b ? 0.99 : 0.01;
      size_t below = 0;
      while (below < n && v[below] < bound) below++;
      double rank = (double)below / (double)n;
      CHECK_MSG(fabs(rank - q) <= 0.002, "clip bound %d: %.9g has rank %.5f, want %.2f", b, bound, rank, q);
    }
  }
  strata_model_free(m);
  free(v);
}

/* ---- determinism, assign, the model file ---- */

/* Rewrites /transform/param of a saved model (d×3). */
static int poke_param(const char *path, const double *param) {
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  if (f < 0) return -1;
  hid_t ds = H5Dopen2(f, "transform/param", H5P_DEFAULT);
  int rc = ds >= 0 && H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, param) >= 0 ? 0 : -1;
  if (ds >= 0) H5Dclose(ds);
  H5Fclose(f);
  return rc;
}

static int poke_kind(const char *path, int j, int kind) {
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  if (f < 0) return -1;
  hid_t ds = H5Dopen2(f, "transform/kind", H5P_DEFAULT);
  int kinds[4];
  int rc = ds >= 0 && H5Dread(ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, kinds) >= 0 ? 0 : -1;
  kinds[j] = kind;
  if (rc == 0) rc = H5Dwrite(ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, kinds) >= 0 ? 0 : -1;
  if (ds >= 0) H5Dclose(ds);
  H5Fclose(f);
  return rc;
}

static int drop_group(const char *path) {
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  if (f < 0) return -1;
  int rc = H5Ldelete(f, "transform", H5P_DEFAULT) >= 0 ? 0 : -1;
  H5Fclose(f);
  return rc;
}

static void test_fit_assign_file(void) {
  size_t n = 30011, d = 4, k = 5;
  float *x = malloc(n * d * sizeof *x);
  int32_t *lab = malloc(n * sizeof *lab), *lab2 = malloc(n * sizeof *lab2);
  fixture_blobs(x, NULL, n, d, k, 12.0, 5);
  /* column 0 skewed and positive, column 1 of both signs, 2 with outliers */
  uint64_t s = 99;
  for (size_t i = 0; i < n; i++) {
    x[i * d] = (float)exp(0.3 * x[i * d]);
    if (fixture_uniform(&s) < 0.01) x[i * d + 2] *= 40.0f;
  }
  const char *path = fixture_path("tf_blobs.h5"), *labels = fixture_path("tf_blobs_labels.h5");
  CHECK(fixture_write_columns(path, NULL, n, d, x, 1000) == 0);
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = (int)k;
  p.seed = 3;
  p.n_init = 2;
  p.transforms = "x0:log1p,x1:yeo-johnson,x2:clip(p1,p99),x3:yeo-johnson";
  p.scale = STRATA_SCALE_ROBUST;
  p.missing = STRATA_MISSING_MEDIAN;
  p.chunk_rows = 4096;
  p.labels_path = labels;
  const char *model_path = fixture_path("tf_model.h5");
  p.model_path = model_path;
  strata_model *ref = fit_path(path, &p, 1);
  if (!ref) goto out;
  const strata_model_info *a = strata_model_get_info(ref);
  CHECK(fixture_read(labels, "segment", H5T_NATIVE_INT32, lab) == 0);

  /* threads × chunk sizes × in-core/streaming: bit-identical models,
   * transform parameters and scaler included */
  int threads[] = {2, 2, 1, 2};
  size_t chunks[] = {12288, 4096, 20000, 0};
  int streaming[] = {1, 0, 1, 0};
  p.labels_path = NULL;
  p.model_path = NULL;
  for (int v = 0; v < 4; v++) {
    p.chunk_rows = chunks[v];
    p.streaming = streaming[v];
    strata_model *m = fit_path(path, &p, threads[v]);
    if (!m) continue;
    const strata_model_info *b = strata_model_get_info(m);
    CHECK_MSG(memcmp(a->centroids, b->centroids, k * d * sizeof(double)) == 0, "variant %d: centroids differ", v);
    CHECK_MSG(memcmp(&a->inertia, &b->inertia, sizeof(double)) == 0, "variant %d: %.17g vs %.17g", v, a->inertia,
              b->inertia);
    CHECK_MSG(memcmp(a->transform_param, b->transform_param, 3 * d * sizeof(double)) == 0 &&
                  memcmp(a->scale_shift, b->scale_shift, d * sizeof(double)) == 0 &&
                  memcmp(a->scale_factor, b->scale_factor, d * sizeof(double)) == 0,
              "variant %d: transforms or scaler differ", v);
    CHECK(a->iterations == b->iterations && a->best_init == b->best_init);
    strata_model_free(m);
  }

  /* the saved model: same transforms; assign reproduces fit's labels */
  strata_model *loaded = NULL;
  CHECK_OK(strata_model_load(model_path, &loaded));
  if (loaded) {
    const strata_model_info *b = strata_model_get_info(loaded);
    CHECK(b->transform_kind && memcmp(a->transform_kind, b->transform_kind, d * sizeof(int)) == 0);
    CHECK(b->transform_param && memcmp(a->transform_param, b->transform_param, 3 * d * sizeof(double)) == 0);
    /* centroids in original units went through the inverse transforms */
    double t = a->centroids[0] * a->scale_factor[0] + a->scale_shift[0];
    CHECK_NEAR(a->centroids_original[0], expm1(t), 1e-12);
    strata_dataset *ds = NULL;
    CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));
    const char *labels2 = fixture_path("tf_blobs_assign.h5");
    double inertia = 0;
    int64_t sizes[5];
    if (ds) CHECK_OK(strata_assign(test_ctx(2, NULL), loaded, ds, labels2, 0, &inertia, sizes));
    strata_dataset_free(ds);
    CHECK(fixture_read(labels2, "segment", H5T_NATIVE_INT32, lab2) == 0);
    CHECK(memcmp(lab, lab2, n * sizeof *lab) == 0);
    CHECK(memcmp(sizes, a->sizes, sizeof sizes) == 0);
    strata_model_free(loaded);
  }

  /* damaged transforms are refused as a bad file (exit 2) */
  double param[12];
  memcpy(param, a->transform_param, sizeof param);
  param[3] = NAN; /* x1's lambda */
  CHECK(poke_param(model_path, param) == 0);
  CHECK(strata_model_load(model_path, &loaded) == STRATA_ERR_FORMAT && !loaded);
  CHECK(strstr(strata_last_error(), "lambda") && strstr(strata_last_error(), "'x1'"));
  memcpy(param, a->transform_param, sizeof param);
  param[7] = param[8] + 1.0; /* x2: lower above upper */
  CHECK(poke_param(model_path, param) == 0);
  CHECK(strata_model_load(model_path, &loaded) == STRATA_ERR_FORMAT && !loaded);
  CHECK(strstr(strata_last_error(), "clip"));
  CHECK(poke_param(model_path, a->transform_param) == 0);
  CHECK(poke_kind(model_path, 3, 9) == 0);
  CHECK(strata_model_load(model_path, &loaded) == STRATA_ERR_FORMAT && !loaded);
  CHECK(poke_kind(model_path, 3, STRATA_TRANSFORM_YEO_JOHNSON) == 0);
  CHECK_OK(strata_model_load(model_path, &loaded));
  strata_model_free(loaded);
  loaded = NULL;
  CHECK(drop_group(model_path) == 0);
  CHECK(strata_model_load(model_path, &loaded) == STRATA_ERR_FORMAT && !loaded);
  CHECK(strstr(strata_last_error(), "'transform' is missing"));
  strata_model_free(ref);

  /* log1p of a value at or below -1 fails the fit naming the column */
  p.transforms = "x1:log1p";
  strata_dataset *ds = NULL;
  strata_model *m = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));
  CHECK(ds && strata_fit(test_ctx(2, NULL), ds, &p, &m) == STRATA_ERR_DATA && !m);
  CHECK(strstr(strata_last_error(), "'x1'") && strstr(strata_last_error(), "log1p"));
  p.transforms = "nosuch:log1p";
  CHECK(ds && strata_fit(test_ctx(2, NULL), ds, &p, &m) == STRATA_ERR_USAGE && !m);
  strata_dataset_free(ds);
out:
  free(x); free(lab); free(lab2);
}

/* A model without transforms stays format version 1 (older builds read it). */
static void test_version(void) {
  double *v = NULL;
  const char *path = write_skewed("tf_v1.h5", 500, 3, &v);
  free(v);
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = 2;
  const char *model_path = fixture_path("tf_v1_model.h5");
  p.model_path = model_path;
  strata_model *m = fit_path(path, &p, 1);
  strata_model_free(m);
  int version = 0;
  hid_t f = H5Fopen(model_path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t at = f >= 0 ? H5Aopen(f, "format_version", H5P_DEFAULT) : -1;
  CHECK(at >= 0 && H5Aread(at, H5T_NATIVE_INT, &version) >= 0 && version == 1);
  if (at >= 0) H5Aclose(at);
  if (f >= 0) H5Fclose(f);
}

int main(void) {
  test_against_reference();
  test_lambda();
  test_parse();
  test_percentiles();
  test_fit_assign_file();
  test_version();
  return check_report();
}
