/* Gaussian mixtures as an estimator (core/estimator.h): EM with full, tied,
 * diagonal or spherical covariances.  The E-step is a pass (core/gmm_pass.c),
 * the M-step core/gmm_em.c's update of the reduced moments; the means start
 * from k-means++ on the init sample (or random rows, or --init FILE), the
 * weights at 1/k and every covariance at the diagonal of the scaled column
 * variances plus reg_covar.  Convergence: the mean log-likelihood per row
 * moved by at most tol between two iterations (scikit-learn's rule; its
 * default tol is 1e-3, Strata's 1e-4). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "estimator.h"
#include "fit.h"
#include "gmm.h"
#include "kmeans_init.h"
#include "kmeans_weighted.h"

typedef struct {
  strata_estimator base;
  const strata_fit_data *data;
  const strata_kernels *init_kern;
  strata_gmm_shape s;
  double *params, *next;   /* n_params each */
  double *seed_means;      /* k×d */
  strata_gmm_prep prep;    /* of params */
  strata_gmm_runner *runner;
  strata_gmm_totals tot;   /* of the latest pass */
  double prev_ll;          /* mean log-likelihood of the previous iteration pass */
  int converged;
  double *scratch;         /* d×d, for strata_gmm_regularise */
  int warned;              /* a singular covariance was reported */
} gmm;

static gmm *as_gmm(strata_estimator *e) { return (gmm *)e; }
static const gmm *as_gmm_c(const strata_estimator *e) { return (const gmm *)e; }

static void gm_free(strata_estimator *e) {
  if (!e) return;
  gmm *g = as_gmm(e);
  strata_gmm_runner_free(g->runner);
  strata_gmm_prep_free(&g->prep);
  strata_gmm_totals_free(&g->tot);
  free(g->params);
  free(g->next);
  free(g->seed_means);
  free(g->scratch);
  free(g);
}

static strata_status gm_create(const strata_fit_data *data, const strata_estimator_opts *o, strata_estimator **out) {
  *out = NULL;
  const strata_fit_params *p = data->p;
  size_t k = o->k, d = data->d;
  RETURN_IF(!strata_gmm_type_name(p->covariance_type), STRATA_ERR_USAGE, "unknown covariance type %d",
            (int)p->covariance_type);
  RETURN_IF(p->init == STRATA_INIT_KMEANS_PARALLEL, STRATA_ERR_USAGE,
            "k-means|| seeds kmeans; a Gaussian mixture seeds its means with k-means++, random or a file");
  RETURN_IF(p->parent, STRATA_ERR_USAGE, "a Gaussian mixture takes no parent model (--warm-start, "
            "--match-ids) yet");
  RETURN_IF(!(p->reg_covar >= 0.0) || !isfinite(p->reg_covar), STRATA_ERR_USAGE,
            "reg-covar must be a finite number >= 0 (got %g)", p->reg_covar);
  gmm *g = calloc(1, sizeof *g);
  RETURN_IF(!g, STRATA_ERR_NOMEM, "out of memory");
  g->base = (strata_estimator){&strata_estimator_gmm, k, d};
  g->data = data;
  g->init_kern = o->init_kern ? o->init_kern : o->kern;
  strata_gmm_shape_init(&g->s, k, d, p->covariance_type);
  size_t np = strata_gmm_n_params(&g->s);
  g->params = calloc(np, sizeof *g->params);
  g->next = calloc(np, sizeof *g->next);
  g->seed_means = calloc(k * d + 1, sizeof *g->seed_means);
  g->scratch = malloc((d * d + 1) * sizeof *g->scratch);
  strata_status st = !g->params || !g->next || !g->seed_means || !g->scratch
                         ? strata_fail(STRATA_ERR_NOMEM, "out of memory for k = %zu, d = %zu", k, d)
                         : STRATA_OK;
  if (st == STRATA_OK) st = strata_gmm_prep_alloc(&g->prep, &g->s);
  if (st == STRATA_OK) st = strata_gmm_totals_alloc(&g->tot, &g->s);
  if (st == STRATA_OK) st = strata_gmm_runner_create(data->pass, &g->s, &g->runner);
  if (st != STRATA_OK) {
    gm_free(&g->base);
    return st;
  }
  *out = &g->base;
  return STRATA_OK;
}

/* The means of restart `run`, as k-means seeds its centroids. */
static strata_status seed_means(gmm *g, const strata_fit_data *data, int run) {
  const strata_fit_params *p = data->p;
  size_t k = g->base.k, d = g->base.d;
  const strata_sample *s = &data->sample;
  strata_init_job job = {data->ctx, g->init_kern, strata_pass_threads(data->pass), s->x, s->m, d, k,
                         s->m == data->kept, p->seed, run, 0};
  if (p->init == STRATA_INIT_GIVEN) {
    for (size_t c = 0; c < k; c++)
      strata_scaler_forward(&data->scaler, p->init_centroids + c * d, g->seed_means + c * d);
    return STRATA_OK;
  }
  RETURN_IF(s->m < k, STRATA_ERR_DATA, "the init sample holds %zu complete rows, fewer than k = %zu", s->m, k);
  if (s->w) /* weighted rows: k-means' weighted seeding */
    return strata_kmeans_weighted_init(data->ctx, g->init_kern, strata_pass_threads(data->pass), s->x, s->w, s->m, d,
                                       k, p->seed, run, p->init == STRATA_INIT_RANDOM, g->seed_means);
  if (p->init == STRATA_INIT_RANDOM) return strata_init_random(&job, g->seed_means);
  return strata_init_kmeanspp(&job, g->seed_means);
}

/* Makes every covariance of params positive definite (strata_gmm_regularise:
 * a ridge from max(reg_covar, 1e-6), scikit-learn's default, growing
 * tenfold), warns once per fit, and prepares the densities: a singular
 * covariance never becomes a NaN model or a failed fit. */
static strata_status regularise_prepare(gmm *g) {
  size_t c = 0;
  double base = g->data->p->reg_covar > 1e-6 ? g->data->p->reg_covar : 1e-6;
  double r = strata_gmm_regularise(&g->s, g->params, base, &c, g->scratch);
  RETURN_IF(r < 0.0, STRATA_ERR_DATA,
            "the covariance of mixture component %zu holds a value that is not finite or cannot be made positive "
            "definite (values too large for float64?)", c);
  if (r > 0.0 && !g->warned) {
    g->warned = 1;
    strata_log(g->data->ctx, STRATA_LOG_WARN,
               "gmm: the covariance of component %zu is singular (collapsed rows, a constant column?): added %g to "
               "its diagonal (scaled units) to keep it positive definite; raise --reg-covar to choose the ridge", c,
               r);
  }
  return strata_gmm_prepare(&g->prep, g->params);
}

static strata_status gm_init(strata_estimator *e, const strata_fit_data *data, int run) {
  gmm *g = as_gmm(e);
  size_t d = e->d;
  FORWARD_IF_ERROR(seed_means(g, data, run));
  /* The column variances of the scaled data (those of the complete values). */
  double *var = malloc((d + 1) * sizeof *var);
  RETURN_IF(!var, STRATA_ERR_NOMEM, "out of memory");
  for (size_t j = 0; j < d; j++) {
    double inv = data->scaler.inv[j];
    var[j] = strata_colacc_var(&data->sc.total[j]) * inv * inv;
  }
  strata_gmm_init_params(&g->s, g->seed_means, var, data->p->reg_covar, g->params);
  free(var);
  g->prev_ll = -INFINITY;
  g->converged = 0;
  return regularise_prepare(g);
}

static strata_status gm_e_step(strata_estimator *const *es, size_t n, const strata_estep_mode *modes,
                               strata_labels_writer *writer) {
  (void)modes; /* every pass gathers everything: the moments are the pass's work */
  RETURN_IF(writer && n != 1, STRATA_ERR_INTERNAL, "a shared pass writes no labels");
  for (size_t i = 0; i < n; i++) {
    gmm *g = as_gmm(es[i]);
    FORWARD_IF_ERROR(strata_gmm_runner_pass(g->runner, &g->prep, g->params, writer, &g->tot));
  }
  return STRATA_OK;
}

/* Per row, or per unit of weight with row weights (each row counting as
 * often as its weight says). */
static double mean_loglik(const gmm *g) {
  return g->tot.weight > 0.0 ? g->tot.loglik / g->tot.weight : NAN;
}

static strata_status gm_m_step(strata_estimator *e, strata_estimator_step *out) {
  gmm *g = as_gmm(e);
  double ll = mean_loglik(g), change = ll - g->prev_ll;
  RETURN_IF(!isfinite(ll), STRATA_ERR_DATA,
            "the mixture's log-likelihood is %g: values too large for float64 densities", ll);
  g->prev_ll = ll;
  g->converged = fabs(change) <= g->data->p->tol;
  strata_gmm_m_step(&g->s, &g->tot, g->params, g->data->p->reg_covar, g->next);
  double *t = g->params;
  g->params = g->next;
  g->next = t;
  FORWARD_IF_ERROR(regularise_prepare(g));
  *out = (strata_estimator_step){-ll, isfinite(change) ? fabs(change) : INFINITY, 0, g->tot.rows, 0,
                                 g->converged, 0};
  return STRATA_OK;
}

static int gm_converged(const strata_estimator *e) { return as_gmm_c(e)->converged; }

static strata_status gm_want_reference(strata_estimator *e) {
  (void)e; /* every pass measures the Mahalanobis distances */
  return STRATA_OK;
}

static void gm_result(const strata_estimator *e, double *objective, int64_t *sizes) {
  const gmm *g = as_gmm_c(e);
  *objective = -mean_loglik(g);
  memcpy(sizes, g->tot.counts, e->k * sizeof *sizes);
}

static void gm_reference(const strata_estimator *e, double *out) {
  const gmm *g = as_gmm_c(e);
  for (size_t c = 0; c < e->k; c++)
    out[c] = g->tot.hard_weight[c] > 0.0 ? g->tot.maha[c] / g->tot.hard_weight[c] : NAN;
}

static size_t gm_n_params(const strata_estimator *e) { return strata_gmm_n_params(&as_gmm_c(e)->s); }
static const double *gm_params(const strata_estimator *e) { return as_gmm_c(e)->params; }
static void gm_set_params(strata_estimator *e, const double *params) {
  gmm *g = as_gmm(e);
  memcpy(g->params, params, strata_gmm_n_params(&g->s) * sizeof *params);
  /* These parameters were prepared once already, when they were made. */
  (void)strata_gmm_prepare(&g->prep, g->params);
}

static strata_status gm_predict(const strata_estimator *e, const float *x, size_t m, int32_t *labels) {
  const gmm *g = as_gmm_c(e);
  return strata_gmm_predict(&g->prep, g->params, x, m, labels);
}

static void gm_release_pass(strata_estimator *e) {
  gmm *g = as_gmm(e);
  strata_gmm_runner_free(g->runner);
  g->runner = NULL;
}

/* The means as the model's centroids; weights, covariances and the fit's
 * likelihood (of the latest pass: the final assignment with these
 * parameters) into the mixture's fields. */
static strata_status gm_describe(const strata_estimator *e, const double *params, const strata_fit_data *data,
                                 strata_model *m) {
  const gmm *g = as_gmm_c(e);
  size_t k = e->k, d = e->d;
  memcpy(m->centroids, params, k * d * sizeof *params);
  for (size_t c = 0; c < k; c++)
    strata_scaler_invert(&data->scaler, m->centroids + c * d, m->centroids_original + c * d);
  RETURN_IF(!strata_model_set_string(&m->estimator, strata_estimator_gmm.name), STRATA_ERR_NOMEM,
            "out of memory");
  RETURN_IF(!strata_model_set_mixture(m, strata_gmm_type_name(g->s.type), params + k * d, params + k * d + k,
                                      g->s.ncov),
            STRATA_ERR_NOMEM, "out of memory");
  double n = g->tot.weight, ll = mean_loglik(g), np = strata_gmm_free_parameters(&g->s);
  m->info.reg_covar = data->p->reg_covar;
  m->info.log_likelihood = ll;
  m->info.bic = -2.0 * ll * n + np * log(n);
  m->info.aic = -2.0 * ll * n + 2.0 * np;
  m->info.inertia = g->tot.sqdist;
  strata_model_sync_info(m);
  return STRATA_OK;
}

const strata_estimator_ops strata_estimator_gmm = {
    .name = "gmm",
    .create = gm_create,
    .free = gm_free,
    .init = gm_init,
    .e_step = gm_e_step,
    .m_step = gm_m_step,
    .converged = gm_converged,
    .want_reference = gm_want_reference,
    .result = gm_result,
    .reference = gm_reference,
    .n_params = gm_n_params,
    .params = gm_params,
    .set_params = gm_set_params,
    .predict = gm_predict,
    .release_pass = gm_release_pass,
    .describe = gm_describe,
};
