/* Gaussian mixtures (core/gmm.h, core/estimator_gmm.c) against a plain
 * float64 reference: the per-row log densities on random shapes (d not a
 * multiple of 8, k = 1) for every covariance type, through an explicit
 * inverse and determinant; the pass's moments and the M-step against the
 * textbook formulas (scikit-learn's, centred on the new means) on data with
 * duplicated rows; the same bits for 1 or 2 threads and any chunk size; a
 * component that loses all its rows stays valid (weight 10·eps/n, its mean,
 * covariance reg·I); the model file round-trips a mixture and refuses
 * corrupt weights and covariances. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ctx_pool.h"
#include "dataset.h"
#include "estimator.h"
#include "fixture.h"
#include "gmm.h"
#include "model.h"
#include "strata.h"

static const strata_covariance TYPES[] = {STRATA_COV_FULL, STRATA_COV_TIED, STRATA_COV_DIAG, STRATA_COV_SPHERICAL};

/* Random parameters of shape s: weights summing to 1, means in [-3, 3],
 * covariances A Aᵀ/d + 0.3 I (full, tied), variances in [0.3, 2.3]. */
static void random_params(const strata_gmm_shape *s, uint64_t *seed, double *p) {
  size_t k = s->k, d = s->d;
  double *mu = p, *w = p + k * d, *cov = w + k, sum = 0.0;
  for (size_t i = 0; i < k * d; i++) mu[i] = 6.0 * fixture_uniform(seed) - 3.0;
  for (size_t c = 0; c < k; c++) sum += w[c] = 0.2 + fixture_uniform(seed);
  for (size_t c = 0; c < k; c++) w[c] /= sum;
  size_t mats = s->type == STRATA_COV_FULL ? k : s->type == STRATA_COV_TIED ? 1 : 0;
  double *a = malloc(d * d * sizeof *a);
  for (size_t c = 0; c < mats; c++) {
    for (size_t i = 0; i < d * d; i++) a[i] = fixture_normal(seed);
    double *m = cov + c * d * d;
    for (size_t i = 0; i < d; i++)
      for (size_t j = 0; j < d; j++) {
        double v = 0.0;
        for (size_t t = 0; t < d; t++) v += a[i * d + t] * a[j * d + t];
        m[i * d + j] = v / (double)d + (i == j ? 0.3 : 0.0);
      }
    for (size_t i = 0; i < d; i++) /* exactly symmetric */
      for (size_t j = 0; j < i; j++) m[i * d + j] = m[j * d + i];
  }
  if (!mats)
    for (size_t i = 0; i < s->ncov; i++) cov[i] = 0.3 + 2.0 * fixture_uniform(seed);
  free(a);
}

/* Component c's covariance as a full d×d matrix. */
static void full_cov(const strata_gmm_shape *s, const double *p, size_t c, double *out) {
  size_t k = s->k, d = s->d;
  const double *cov = p + k * d + k;
  memset(out, 0, d * d * sizeof *out);
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++)
      switch (s->type) {
        case STRATA_COV_FULL: out[i * d + j] = cov[c * d * d + i * d + j]; break;
        case STRATA_COV_TIED: out[i * d + j] = cov[i * d + j]; break;
        case STRATA_COV_DIAG: out[i * d + j] = i == j ? cov[c * d + i] : 0.0; break;
        case STRATA_COV_SPHERICAL: out[i * d + j] = i == j ? cov[c] : 0.0; break;
      }
}

/* Gauss-Jordan with partial pivoting: inverse of a (d×d) and log det. */
static void invert(const double *a, size_t d, double *inv, double *logdet) {
  double *m = malloc(d * 2 * d * sizeof *m);
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < 2 * d; j++) m[i * 2 * d + j] = j < d ? a[i * d + j] : (j - d == i);
  double ld = 0.0;
  for (size_t col = 0; col < d; col++) {
    size_t piv = col;
    for (size_t i = col + 1; i < d; i++)
      if (fabs(m[i * 2 * d + col]) > fabs(m[piv * 2 * d + col])) piv = i;
    for (size_t j = 0; j < 2 * d && piv != col; j++) {
      double t = m[col * 2 * d + j];
      m[col * 2 * d + j] = m[piv * 2 * d + j];
      m[piv * 2 * d + j] = t;
    }
    double pv = m[col * 2 * d + col];
    ld += log(fabs(pv));
    for (size_t j = 0; j < 2 * d; j++) m[col * 2 * d + j] /= pv;
    for (size_t i = 0; i < d; i++) {
      if (i == col) continue;
      double f = m[i * 2 * d + col];
      for (size_t j = 0; j < 2 * d; j++) m[i * 2 * d + j] -= f * m[col * 2 * d + j];
    }
  }
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++) inv[i * d + j] = m[i * 2 * d + d + j];
  *logdet = ld;
  free(m);
}

/* log w_c + log N(x | μ_c, Σ_c) for every c, the plain way. */
static void reference_logp(const strata_gmm_shape *s, const double *p, const float *x, double *logp) {
  size_t k = s->k, d = s->d;
  double *cov = malloc(d * d * sizeof *cov), *inv = malloc(d * d * sizeof *inv), *diff = malloc(d * sizeof *diff);
  for (size_t c = 0; c < k; c++) {
    double logdet;
    full_cov(s, p, c, cov);
    invert(cov, d, inv, &logdet);
    for (size_t j = 0; j < d; j++) diff[j] = (double)x[j] - p[c * d + j];
    double q = 0.0;
    for (size_t i = 0; i < d; i++)
      for (size_t j = 0; j < d; j++) q += diff[i] * inv[i * d + j] * diff[j];
    logp[c] = log(p[k * d + c]) - 0.5 * ((double)d * log(2.0 * M_PI) + logdet + q);
  }
  free(cov);
  free(inv);
  free(diff);
}

static void test_row_against_reference(void) {
  static const size_t ds[] = {1, 3, 9, 17}, ks[] = {1, 3, 5};
  uint64_t seed = 7;
  for (size_t t = 0; t < 4; t++)
    for (size_t a = 0; a < 4; a++)
      for (size_t b = 0; b < 3; b++) {
        strata_gmm_shape s;
        strata_gmm_shape_init(&s, ks[b], ds[a], TYPES[t]);
        size_t k = s.k, d = s.d;
        double *p = malloc(strata_gmm_n_params(&s) * sizeof *p);
        random_params(&s, &seed, p);
        strata_gmm_prep prep;
        CHECK_OK(strata_gmm_prep_alloc(&prep, &s));
        CHECK_OK(strata_gmm_prepare(&prep, p));
        double logp[5], maha[5], ref[5], scratch[18];
        float x[17];
        int ok = 1;
        for (int r = 0; r < 20; r++) {
          for (size_t j = 0; j < d; j++) x[j] = (float)(4.0 * fixture_normal(&seed));
          double lse = strata_gmm_row(&prep, p, x, logp, maha, scratch);
          reference_logp(&s, p, x, ref);
          double top = -INFINITY, sum = 0.0;
          for (size_t c = 0; c < k; c++) top = fmax(top, ref[c]);
          for (size_t c = 0; c < k; c++) sum += exp(ref[c] - top);
          for (size_t c = 0; c < k; c++) ok &= fabs(logp[c] - ref[c]) <= 1e-9 * fmax(1.0, fabs(ref[c]));
          ok &= fabs(lse - (top + log(sum))) <= 1e-9 * fmax(1.0, fabs(lse));
        }
        CHECK_MSG(ok, "log densities of type %s, d = %zu, k = %zu match the reference",
                  strata_gmm_type_name(TYPES[t]), d, k);
        strata_gmm_prep_free(&prep);
        free(p);
      }
}

/* n rows of d columns, the second half a copy of the first quarter (duplicates). */
static float *test_rows(size_t n, size_t d, uint64_t seed) {
  float *x = malloc(n * d * sizeof *x);
  fixture_blobs(x, NULL, n, d, 3, 8.0, seed);
  for (size_t i = n / 2; i < n; i++) memcpy(x + i * d, x + (i - n / 2) / 2 * d, d * sizeof *x);
  return x;
}

static strata_dataset *memory_dataset(const float *x, size_t n, size_t d) {
  float *copy = malloc(n * d * sizeof *copy);
  memcpy(copy, x, n * d * sizeof *copy);
  char **names = calloc(d, sizeof *names);
  for (size_t j = 0; j < d; j++) {
    names[j] = malloc(24);
    snprintf(names[j], 24, "c%zu", j);
  }
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_adopt_memory(copy, n, d, names, &ds));
  return ds;
}

/* One runner pass over x with params; totals into tot. */
static void run_pass(const float *x, size_t n, const strata_gmm_shape *s, const double *params, int threads,
                     size_t chunk, strata_gmm_totals *tot) {
  strata_dataset *ds = memory_dataset(x, n, s->d);
  strata_pass *pass = NULL;
  strata_gmm_runner *r = NULL;
  strata_gmm_prep prep;
  CHECK_OK(strata_gmm_prep_alloc(&prep, s));
  CHECK_OK(strata_gmm_prepare(&prep, params));
  CHECK_OK(strata_pass_open(test_ctx(threads, "ref"), ds, NULL, chunk, 0, &pass));
  if (pass) CHECK_OK(strata_gmm_runner_create(pass, s, &r));
  if (r) CHECK_OK(strata_gmm_runner_pass(r, &prep, params, NULL, tot));
  strata_gmm_runner_free(r);
  strata_pass_free(pass);
  strata_gmm_prep_free(&prep);
  strata_dataset_free(ds);
}

/* scikit-learn's M-step, plainly: responsibilities per row, then weights,
 * means and covariances centred on the new means, plus reg. */
static void reference_m_step(const strata_gmm_shape *s, const float *x, size_t n, const double *old, double reg,
                             double *out, double *loglik) {
  size_t k = s->k, d = s->d;
  strata_gmm_prep prep;
  CHECK_OK(strata_gmm_prep_alloc(&prep, s));
  double *r = malloc(n * k * sizeof *r), *logp = malloc(k * sizeof *logp);
  double *nk = calloc(k, sizeof *nk), *cov = malloc(d * d * sizeof *cov);
  *loglik = 0.0;
  for (size_t i = 0; i < n; i++) {
    reference_logp(s, old, x + i * d, logp);
    double top = -INFINITY, sum = 0.0;
    for (size_t c = 0; c < k; c++) top = fmax(top, logp[c]);
    for (size_t c = 0; c < k; c++) sum += exp(logp[c] - top);
    double lse = top + log(sum);
    *loglik += lse;
    for (size_t c = 0; c < k; c++) r[i * k + c] = exp(logp[c] - lse);
  }
  double total = 0.0;
  for (size_t c = 0; c < k; c++) {
    for (size_t i = 0; i < n; i++) nk[c] += r[i * k + c];
    nk[c] += 10.0 * DBL_EPSILON;
    total += nk[c];
  }
  double *mu = out, *w = out + k * d, *oc = w + k;
  memset(oc, 0, s->ncov * sizeof *oc);
  for (size_t c = 0; c < k; c++) {
    w[c] = nk[c] / total;
    for (size_t j = 0; j < d; j++) {
      double v = 0.0;
      for (size_t i = 0; i < n; i++) v += r[i * k + c] * x[i * d + j];
      mu[c * d + j] = v / nk[c];
    }
    for (size_t a = 0; a < d; a++)
      for (size_t b = 0; b < d; b++) {
        double v = 0.0;
        for (size_t i = 0; i < n; i++)
          v += r[i * k + c] * ((double)x[i * d + a] - mu[c * d + a]) * ((double)x[i * d + b] - mu[c * d + b]);
        cov[a * d + b] = v / nk[c];
      }
    for (size_t a = 0; a < d; a++)
      for (size_t b = 0; b < d; b++) switch (s->type) {
          case STRATA_COV_FULL: oc[c * d * d + a * d + b] = cov[a * d + b] + (a == b ? reg : 0.0); break;
          case STRATA_COV_TIED: oc[a * d + b] += nk[c] * cov[a * d + b] / total; break;
          case STRATA_COV_DIAG: if (a == b) oc[c * d + a] = cov[a * d + a] + reg; break;
          case STRATA_COV_SPHERICAL: if (a == b) oc[c] += (cov[a * d + a] + reg) / (double)d; break;
        }
  }
  if (s->type == STRATA_COV_TIED)
    for (size_t a = 0; a < d; a++) oc[a * d + a] += reg;
  strata_gmm_prep_free(&prep);
  free(r); free(logp); free(nk); free(cov);
}

static int close_all(const double *a, const double *b, size_t n, double tol) {
  for (size_t i = 0; i < n; i++)
    if (!(fabs(a[i] - b[i]) <= tol * fmax(1.0, fabs(b[i])))) return 0;
  return 1;
}

static void test_pass_and_m_step(void) {
  static const size_t ds[] = {1, 5, 9}, ks[] = {1, 2, 4};
  uint64_t seed = 21;
  const size_t n = 5003; /* not a whole number of blocks */
  for (size_t t = 0; t < 4; t++)
    for (size_t a = 0; a < 3; a++) {
      strata_gmm_shape s;
      strata_gmm_shape_init(&s, ks[a], ds[a], TYPES[t]);
      float *x = test_rows(n, s.d, 100 + a);
      size_t np = strata_gmm_n_params(&s);
      double *p = malloc(np * sizeof *p), *mine = malloc(np * sizeof *mine), *ref = malloc(np * sizeof *ref);
      random_params(&s, &seed, p);
      for (size_t i = 0; i < s.k * s.d; i++) p[i] = x[(i / s.d) * 997 % n * s.d + i % s.d]; /* means on rows */
      strata_gmm_totals t1, t2, t3;
      CHECK_OK(strata_gmm_totals_alloc(&t1, &s));
      CHECK_OK(strata_gmm_totals_alloc(&t2, &s));
      CHECK_OK(strata_gmm_totals_alloc(&t3, &s));
      run_pass(x, n, &s, p, 1, 0, &t1);
      run_pass(x, n, &s, p, 2, 4096, &t2);
      run_pass(x, n, &s, p, 2, 8192, &t3);
      strata_gmm_m_step(&s, &t1, p, 1e-6, mine);
      double ll;
      reference_m_step(&s, x, n, p, 1e-6, ref, &ll);
      CHECK_MSG(t1.rows == n && fabs(t1.loglik - ll) <= 1e-10 * fabs(ll),
                "%s d=%zu k=%zu: log-likelihood %.17g vs reference %.17g", strata_gmm_type_name(s.type), s.d, s.k,
                t1.loglik, ll);
      CHECK_MSG(close_all(mine, ref, np, 1e-8), "%s d=%zu k=%zu: M-step equals the reference",
                strata_gmm_type_name(s.type), s.d, s.k);
      int same = t1.loglik == t2.loglik && t1.loglik == t3.loglik && t1.sqdist == t2.sqdist &&
                 !memcmp(t1.nk, t2.nk, s.k * sizeof(double)) && !memcmp(t1.nk, t3.nk, s.k * sizeof(double)) &&
                 !memcmp(t1.s1, t2.s1, s.k * s.d * sizeof(double)) &&
                 !memcmp(t1.s2, t2.s2, s.k * s.nmom * sizeof(double)) &&
                 !memcmp(t1.s2, t3.s2, s.k * s.nmom * sizeof(double)) &&
                 !memcmp(t1.counts, t2.counts, s.k * sizeof(int64_t));
      CHECK_MSG(same, "%s d=%zu k=%zu: the same bits for 1 or 2 threads and chunk sizes",
                strata_gmm_type_name(s.type), s.d, s.k);
      strata_gmm_totals_free(&t1);
      strata_gmm_totals_free(&t2);
      strata_gmm_totals_free(&t3);
      free(p); free(mine); free(ref); free(x);
    }
}

/* A component far from every row gets no responsibility: it keeps its
 * mean, its covariance becomes reg·I and its weight 10·eps/n, and the
 * parameters still prepare (positive definite, positive weight). */
static void test_empty_component(void) {
  for (size_t t = 0; t < 4; t++) {
    strata_gmm_shape s;
    strata_gmm_shape_init(&s, 3, 4, TYPES[t]);
    const size_t n = 2000;
    float *x = test_rows(n, s.d, 5);
    uint64_t seed = 3;
    size_t np = strata_gmm_n_params(&s);
    double *p = malloc(np * sizeof *p), *next = malloc(np * sizeof *next);
    random_params(&s, &seed, p);
    for (size_t j = 0; j < s.d; j++) p[2 * s.d + j] = 1e4; /* component 2, far away */
    strata_gmm_totals tot;
    CHECK_OK(strata_gmm_totals_alloc(&tot, &s));
    run_pass(x, n, &s, p, 2, 0, &tot);
    CHECK(tot.nk[2] == 0.0 && tot.counts[2] == 0);
    strata_gmm_m_step(&s, &tot, p, 1e-6, next);
    double w2 = next[s.k * s.d + 2];
    CHECK_MSG(w2 > 0.0 && w2 < 1e-14, "%s: the empty component's weight is %g", strata_gmm_type_name(s.type), w2);
    CHECK(next[2 * s.d] == 1e4);
    double *cov = next + s.k * s.d + s.k;
    if (s.type == STRATA_COV_FULL) CHECK(cov[2 * 16] == 1e-6 && cov[2 * 16 + 1] == 0.0);
    if (s.type == STRATA_COV_DIAG) CHECK(cov[2 * 4] == 1e-6);
    if (s.type == STRATA_COV_SPHERICAL) CHECK(cov[2] == 1e-6);
    strata_gmm_prep prep;
    CHECK_OK(strata_gmm_prep_alloc(&prep, &s));
    CHECK_OK(strata_gmm_prepare(&prep, next));
    strata_gmm_prep_free(&prep);
    strata_gmm_totals_free(&tot);
    free(p); free(next); free(x);
  }
}

/* Through strata_fit: the model round-trips its mixture, and the loader
 * refuses corrupt values with a message naming them. */
static void test_model_file(void) {
  const size_t n = 3000, d = 3;
  float *x = test_rows(n, d, 9);
  strata_dataset *ds = memory_dataset(x, n, d);
  free(x);
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = 3;
  p.algorithm = "gmm";
  strata_model *m = NULL;
  CHECK_OK(strata_fit(test_ctx(2, "ref"), ds, &p, &m));
  strata_dataset_free(ds);
  if (!m) return;
  const strata_model_info *mi = strata_model_get_info(m);
  CHECK(strcmp(mi->estimator, "gmm") == 0 && strcmp(mi->covariance_type, "full") == 0 && mi->weights &&
        isfinite(mi->log_likelihood) && mi->bic > mi->aic);
  const char *path = fixture_path("test_gmm_model.h5");
  CHECK_OK(strata_model_save(m, path));
  strata_model *back = NULL;
  CHECK_OK(strata_model_load(path, &back));
  if (back) {
    const strata_model_info *bi = strata_model_get_info(back);
    CHECK(bi->weights && !memcmp(bi->weights, mi->weights, 3 * sizeof(double)));
    CHECK(bi->covariances && !memcmp(bi->covariances, mi->covariances, 3 * d * d * sizeof(double)));
    CHECK(bi->log_likelihood == mi->log_likelihood && bi->bic == mi->bic && bi->reg_covar == 1e-6);
    strata_model_free(back);
  }
  struct { size_t at; double v; int weight; const char *what; } bad[] = {
      {0, -1.0, 0, "positive definite"},  /* a negative variance */
      {1, 5.0, 0, "symmetric"},           /* one off-diagonal half changed */
      {4, NAN, 0, "holds nan"},
      {0, 0.9, 1, "sum to"},
      {1, 0.0, 1, "gmm/weights"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    double *field = bad[i].weight ? m->weights : m->covariances;
    double keep = field[bad[i].at];
    field[bad[i].at] = bad[i].v;
    CHECK_OK(strata_model_save(m, path));
    field[bad[i].at] = keep;
    back = NULL;
    strata_status st = strata_model_load(path, &back);
    CHECK_MSG(st == STRATA_ERR_FORMAT && !back && strstr(strata_last_error(), bad[i].what),
              "corrupt %s[%zu] = %g refused: %s", bad[i].weight ? "weights" : "covariances", bad[i].at, bad[i].v,
              strata_last_error());
    strata_model_free(back);
  }
  strata_model_free(m);
}

/* sweep and stability take a mixture (each k a strata_fit; the runs
 * labelled by the most probable component, tests/test_sweep_methods.c);
 * they refuse dbscan, which has no k, rather than fit something else. */
static void test_refused_elsewhere(void) {
  const size_t n = 500, d = 2;
  float *x = test_rows(n, d, 4);
  strata_dataset *ds = memory_dataset(x, n, d);
  free(x);
  strata_sweep_params sp;
  strata_sweep_params_init(&sp);
  sp.k_min = 2;
  sp.k_max = 3;
  sp.fit.algorithm = "gmm";
  strata_sweep_result *sr = NULL;
  CHECK_OK(strata_sweep(test_ctx(1, "ref"), ds, &sp, &sr));
  CHECK(sr && sr->n_results == 2 && strcmp(sr->results[0].algorithm, "gmm") == 0 && isfinite(sr->results[0].bic));
  strata_sweep_free(sr);
  sr = NULL;
  sp.fit.algorithm = "dbscan";
  CHECK(strata_sweep(test_ctx(1, "ref"), ds, &sp, &sr) == STRATA_ERR_USAGE && !sr &&
        strstr(strata_last_error(), "dbscan finds its own number of segments"));
  strata_sweep_free(sr);
  strata_stability_params tp;
  strata_stability_params_init(&tp);
  tp.fit.algorithm = "dbscan";
  tp.fit.k = 2;
  strata_stability_result *tr = NULL;
  CHECK(strata_stability(test_ctx(1, "ref"), ds, &tp, &tr) == STRATA_ERR_USAGE && !tr &&
        strstr(strata_last_error(), "stability measures kmeans, gmm or ward"));
  strata_stability_free(tr);
  strata_dataset_free(ds);
}

int main(void) {
  test_refused_elsewhere();
  test_row_against_reference();
  test_pass_and_m_step();
  test_empty_component();
  test_model_file();
  return check_report();
}
