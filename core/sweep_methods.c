/* strata_sweep across methods (strata.h, "Several methods"): k-means keeps
 * its shared passes (core/sweep.c); every other method with a k fits each k
 * through strata_fit, so that its k = K is `strata fit --algorithm M -k K`
 * to the bit, and is scored on the silhouette sample k-means uses (the same
 * seeded rows, the same scaler).  Then a k per method and a method. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "error.h"
#include "fit.h"
#include "metrics.h"
#include "model.h"
#include "model_predict.h"
#include "sweep.h"

#define MAX_METHODS 8
/* A pick whose mean ARI between stability runs is below this yields to a
 * stable one (Hennig's "patterns" threshold, as strata stability). */
#define STABLE_ARI 0.6
/* Stability's sample when the silhouette sample is off. */
#define STABILITY_ROWS 10000

static int is(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* The methods asked, by their registry names (static storage). */
static strata_status parse_methods(const strata_sweep_params *p, const char **names, size_t *n) {
  const char *list = p->algorithms ? p->algorithms : p->fit.algorithm ? p->fit.algorithm : "kmeans";
  *n = 0;
  const char *s = list;
  for (;;) {
    size_t len = strcspn(s, ",");
    RETURN_IF(len == 0, STRATA_ERR_USAGE, "empty method name in the algorithm list '%s'", list);
    const char *name = NULL;
    for (const char *const *a = strata_algorithms(); *a && !name; a++)
      if (strlen(*a) == len && strncmp(*a, s, len) == 0) name = *a;
    RETURN_IF(!name, STRATA_ERR_USAGE, "unknown algorithm '%.*s' in '%s' (sweep compares kmeans, gmm, ward)",
              (int)len, s, list);
    RETURN_IF(is(name, "dbscan"), STRATA_ERR_USAGE,
              "dbscan finds its own number of segments: sweep compares methods with a k (kmeans, gmm, ward)");
    for (size_t i = 0; i < *n; i++)
      RETURN_IF(names[i] == name, STRATA_ERR_USAGE, "algorithm '%s' is listed twice in '%s'", name, list);
    RETURN_IF(*n == MAX_METHODS, STRATA_ERR_USAGE, "too many methods in '%s'", list);
    names[(*n)++] = name;
    if (!s[len]) break;
    s += len + 1;
  }
  return STRATA_OK;
}

static size_t n_ks(const strata_sweep_params *p) {
  return p->ks && p->nk ? p->nk : (size_t)(p->k_max - p->k_min + 1);
}
static int k_at(const strata_sweep_params *p, size_t i) { return p->ks && p->nk ? p->ks[i] : p->k_min + (int)i; }

/* The fit parameters of method `name` at k: the sweep's, no outputs. */
static strata_fit_params fit_params(const strata_sweep_params *p, const char *name, int k) {
  strata_fit_params f = p->fit;
  f.k = k;
  f.algorithm = name;
  f.progress = NULL;
  f.progress_user = NULL;
  f.labels_path = f.model_path = NULL;
  if (is(name, "ward")) f.n_init = 1; /* deterministic: restarts are refused */
  return f;
}

/* The silhouette sample of k-means' sweep (its rows, scaled alike): one
 * statistics pass, made once for every other method. */
static strata_status prepare_sample(strata_fit_data *data, const strata_ctx *ctx, strata_dataset *ds,
                                    const strata_sweep_params *p, size_t kmax) {
  if (data->p) return STRATA_OK; /* prepared (ctx may be NULL: the default context) */
  FORWARD_IF_ERROR(strata_fit_data_check(data, ctx, ds, &p->fit, kmax));
  strata_fit_data_opts o = {.kmax = kmax, .with_init_sample = 0, .sample2_rows = p->silhouette_sample,
                            .sample2_seed = p->fit.seed ^ STRATA_SWEEP_SIL_SALT, .n_init = 1};
  return strata_fit_data_prepare(data, &o);
}

/* One k of a method: the model's figures into it, its labels of the
 * sample into lab (when k >= 2 and there is a sample). */
static strata_status fit_one(const strata_ctx *ctx, strata_dataset *ds, const strata_sweep_params *p,
                             const char *name, const strata_fit_data *data, strata_sweep_out *o, size_t i,
                             int32_t *lab) {
  strata_fit_params f = fit_params(p, name, k_at(p, i));
  strata_model *model = NULL;
  double t0 = strata_fit_now();
  FORWARD_IF_ERROR(strata_fit(ctx, ds, &f, &model));
  const strata_model_info *mi = strata_model_get_info(model);
  size_t k = (size_t)mi->k, d = (size_t)mi->d, m = data->sample2.m;
  strata_sweep_k *it = &o->items[i];
  it->algorithm = name;
  it->k = mi->k;
  it->inertia = mi->inertia;
  it->iterations = mi->iterations;
  it->converged = mi->converged;
  int64_t *sizes = malloc(k * sizeof *sizes);
  double *cent = malloc(k * d * sizeof *cent), *dist_sum = malloc(k * sizeof *dist_sum);
  double *mass = malloc(k * sizeof *mass);
  it->sizes = sizes;
  it->centroids = cent;
  strata_status st = STRATA_OK;
  if (!sizes || !cent || !dist_sum || !mass) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
    goto done;
  }
  memcpy(sizes, mi->sizes, k * sizeof *sizes);
  memcpy(cent, mi->centroids_original, k * d * sizeof *cent);
  if (is(name, "gmm")) {
    it->bic = mi->bic;
    it->aic = mi->aic;
  } else if (mi->train_mean_distance) {
    /* Ward's centroids are its segments' (weighted) means and its inertia
     * their (weighted) within sum of squares, over all rows: k-means'
     * metrics, exactly.  Its model keeps row counts and unweighted mean
     * distances; a weighted fit leaves the weighted ones beside them. */
    if (mi->weight_column && !model->fit_weight_dist) {
      st = strata_fail(STRATA_ERR_INTERNAL, "%s k = %zu: a weighted fit left no segment weights", name, k);
      goto done;
    }
    for (size_t c = 0; c < k; c++) {
      mass[c] = mi->weight_column ? model->fit_weight_dist[c] : (double)mi->sizes[c];
      dist_sum[c] = mi->weight_column ? model->fit_weight_dist[k + c] : mi->train_mean_distance[c] * mass[c];
    }
    it->calinski_harabasz = strata_calinski_harabasz(k, d, mass, mi->centroids, mi->inertia);
    if (k >= 2) it->davies_bouldin = strata_davies_bouldin(k, d, mass, mi->centroids, dist_sum);
  }
  if (k >= 2 && m > 0)
    st = strata_model_predict_scaled(mi, data->sample2.x, m, strata_threads_resolve(strata_ctx_threads(ctx)), lab);
  snprintf(o->backend, sizeof o->backend, "%s", mi->backend ? mi->backend : "cpu");
  strata_log(ctx, STRATA_LOG_INFO, "sweep: %s k = %zu fitted in %.3f s", name, k, strata_fit_now() - t0);
done:
  free(dist_sum);
  free(mass);
  strata_model_free(model);
  return st;
}

/* Every k of a method other than k-means. */
static strata_status method_sweep(const strata_ctx *ctx, strata_dataset *ds, const strata_sweep_params *p,
                                  const char *name, strata_fit_data *data, strata_sweep_out **out) {
  size_t nk = n_ks(p);
  FORWARD_IF_ERROR(prepare_sample(data, ctx, ds, p, (size_t)k_at(p, nk - 1)));
  size_t m = data->sample2.m, d = data->d, nl = 0;
  strata_sweep_out *o = NULL;
  FORWARD_IF_ERROR(strata_sweep_out_new(nk, &o));
  int32_t *lab = malloc((m ? m : 1) * nk * sizeof *lab);
  const int32_t **labs = calloc(nk, sizeof *labs);
  size_t *kk = calloc(nk, sizeof *kk), *at = calloc(nk, sizeof *at);
  double *sil = calloc(nk, sizeof *sil), *xs = calloc(nk, sizeof *xs), *ys = calloc(nk, sizeof *ys);
  strata_status st = STRATA_OK;
  if (!lab || !labs || !kk || !at || !sil || !xs || !ys) st = strata_fail(STRATA_ERR_NOMEM, "out of memory");
  for (size_t i = 0; st == STRATA_OK && i < nk; i++) {
    st = fit_one(ctx, ds, p, name, data, o, i, lab + nl * m);
    if (st == STRATA_OK && o->items[i].k >= 2 && m > 0) {
      labs[nl] = lab + nl * m;
      kk[nl] = (size_t)o->items[i].k;
      at[nl++] = i;
    }
    xs[i] = (double)o->items[i].k;
    ys[i] = o->items[i].inertia;
  }
  if (st == STRATA_OK && nl > 0)
    st = strata_silhouette_multi(data->sample2.x, data->sample2.w, m, d, labs, kk, nl, strata_ctx_threads(ctx), sil);
  if (st == STRATA_OK) {
    for (size_t l = 0; l < nl; l++) o->items[at[l]].silhouette = sil[l];
    /* A mixture's k comes from its BIC, not from a bend of its inertia. */
    int knee = is(name, "gmm") ? -1 : strata_knee(xs, ys, nk);
    o->pub.knee_k = knee >= 0 ? o->items[knee].k : 0;
    o->pub.d = d;
    o->pub.rows = data->kept;
    o->pub.rows_dropped = data->sc.skipped;
    o->pub.silhouette_rows = m;
    o->pub.backend = o->backend;
  }
  free(lab); free(labs); free(kk); free(at); free(sil); free(xs); free(ys);
  if (st != STRATA_OK) {
    strata_sweep_free(&o->pub);
    return st;
  }
  *out = o;
  return STRATA_OK;
}

/* Each item's mean ARI between stability runs (strata_stability on the
 * silhouette sample's size, the sweep's seed). */
static strata_status add_stability(const strata_ctx *ctx, strata_dataset *ds, const strata_sweep_params *p,
                                   strata_sweep_out *o) {
  for (size_t i = 0; i < o->pub.n_results; i++) {
    strata_sweep_k *it = &o->items[i];
    strata_stability_params sp;
    strata_stability_params_init(&sp);
    sp.fit = fit_params(p, it->algorithm, it->k);
    sp.runs = p->stability_runs;
    sp.sample_rows = p->silhouette_sample ? p->silhouette_sample : STABILITY_ROWS;
    strata_stability_result *r = NULL;
    FORWARD_IF_ERROR(strata_stability(ctx, ds, &sp, &r));
    it->stability = r->ari_mean;
    strata_log(ctx, STRATA_LOG_INFO, "sweep: %s k = %d stability (mean ARI of %d runs) %.4f", it->algorithm,
               it->k, sp.runs, it->stability);
    strata_stability_free(r);
  }
  return STRATA_OK;
}

/* The k each method would choose: gmm the lowest BIC, the others the
 * knee/silhouette rule on their own curve.  why OUT: the reason. */
static int method_pick(const strata_sweep_out *part, char *why, size_t len) {
  const strata_sweep_k *it = part->items;
  size_t n = part->pub.n_results;
  if (!is(it[0].algorithm, "gmm")) return strata_sweep_pick_k(it, n, part->pub.knee_k, why, len);
  int best = -1;
  for (size_t i = 0; i < n; i++)
    if (isfinite(it[i].bic) && (best < 0 || it[i].bic < it[best].bic)) best = (int)i;
  if (best >= 0) snprintf(why, len, "k = %d: its BIC %.6g is the lowest", it[best].k, it[best].bic);
  else snprintf(why, len, "no finite BIC");
  return best;
}

/* The method and k, and the one-line reason. */
static void recommend(strata_sweep_out *o, strata_sweep_out *const *parts, const char *const *names, size_t nm,
                      int with_stability) {
  int pick[MAX_METHODS];
  char why[MAX_METHODS][200];
  int chosen = -1, any_stable = 0;
  for (size_t a = 0; a < nm; a++) {
    pick[a] = method_pick(parts[a], why[a], sizeof why[a]);
    if (pick[a] >= 0 && with_stability && parts[a]->items[pick[a]].stability >= STABLE_ARI) any_stable = 1;
  }
  /* Among the picks (the stable ones, when any is): the highest silhouette,
   * the first method asked on a tie or when no silhouette was taken. */
  for (size_t a = 0; a < nm; a++) {
    if (pick[a] < 0) continue;
    const strata_sweep_k *c = &parts[a]->items[pick[a]];
    if (any_stable && !(c->stability >= STABLE_ARI)) continue;
    if (chosen < 0) {
      chosen = (int)a;
      continue;
    }
    double best = parts[chosen]->items[pick[chosen]].silhouette;
    if (isfinite(c->silhouette) && (!isfinite(best) || c->silhouette > best)) chosen = (int)a;
  }
  strata_sweep_result *r = &o->pub;
  char *buf = o->reason;
  size_t len = sizeof o->reason, w = 0;
#define PUT(...) (w += (size_t)snprintf(buf + w, w < len ? len - w : 0, __VA_ARGS__), w = w < len ? w : len)
  if (chosen < 0) {
    r->recommended_k = 0;
    r->recommended_algorithm = NULL;
    PUT("no recommendation: no method could choose a k (%s)", why[0]);
    return;
  }
  const strata_sweep_k *c = &parts[chosen]->items[pick[chosen]];
  r->recommended_k = c->k;
  r->recommended_algorithm = c->algorithm;
  r->knee_k = parts[chosen]->pub.knee_k;
  PUT("%s, k = %d: ", c->algorithm, c->k);
  if (nm == 1) PUT("the only method compared");
  else if (isfinite(c->silhouette))
    PUT("its silhouette %.3f is the highest of the methods' picks%s", c->silhouette,
        any_stable ? " that are stable (mean ARI >= 0.6)" : "");
  else PUT("no silhouette was computed; the first method's pick%s", any_stable ? " that is stable" : "");
  /* Silhouettes that print alike are not a real preference: say so. */
  int close = 0;
  for (size_t a = 0; a < nm; a++)
    if ((int)a != chosen && pick[a] >= 0 && fabs(parts[a]->items[pick[a]].silhouette - c->silhouette) < 5e-4)
      close = 1;
  if (close && isfinite(c->silhouette)) PUT(", within 0.0005 of another method's (a near tie)");
  if (nm > 1) {
    PUT(" (");
    int first = 1;
    for (size_t a = 0; a < nm; a++) {
      if ((int)a == chosen) continue;
      if (pick[a] < 0) PUT("%s%s: none", first ? "" : "; ", names[a]);
      else PUT("%s%s k = %d: %.3f", first ? "" : "; ", names[a], parts[a]->items[pick[a]].k,
               parts[a]->items[pick[a]].silhouette);
      first = 0;
    }
    PUT(")");
  }
  PUT("; within %s, %s", c->algorithm, why[chosen]);
  if (with_stability) PUT("; stability (mean ARI) %.3f", c->stability);
#undef PUT
}

/* Moves the items of parts into one result, method after method. */
static strata_status merge(strata_sweep_out *const *parts, size_t nm, strata_sweep_out **out) {
  size_t nk = parts[0]->pub.n_results;
  strata_sweep_out *o = NULL;
  FORWARD_IF_ERROR(strata_sweep_out_new(nm * nk, &o));
  for (size_t a = 0; a < nm; a++)
    for (size_t i = 0; i < nk; i++) {
      strata_sweep_k *src = &parts[a]->items[i];
      o->items[a * nk + i] = *src;
      src->sizes = NULL;
      src->centroids = NULL;
    }
  const strata_sweep_result *f = &parts[0]->pub;
  o->pub.d = f->d;
  o->pub.rows = f->rows;
  o->pub.rows_dropped = f->rows_dropped;
  o->pub.silhouette_rows = f->silhouette_rows;
  o->pub.n_algorithms = nm;
  /* k-means' table when it ran, else the CPU threads of the fits. */
  snprintf(o->backend, sizeof o->backend, "%s", f->backend);
  for (size_t a = 0; a < nm; a++)
    if (is(parts[a]->items[0].algorithm, "kmeans")) snprintf(o->backend, sizeof o->backend, "%s", parts[a]->pub.backend);
  o->pub.backend = o->backend;
  *out = o;
  return STRATA_OK;
}

static strata_status compare(const strata_ctx *ctx, strata_dataset *ds, const strata_sweep_params *p,
                             const char *const *names, size_t nm, strata_sweep_out **parts, strata_fit_data *data,
                             strata_sweep_out **out) {
  double t0 = strata_fit_now();
  int passes = 0;
  for (size_t a = 0; a < nm; a++) {
    if (is(names[a], "kmeans")) {
      FORWARD_IF_ERROR(strata_sweep_kmeans(ctx, ds, p, &parts[a]));
      passes += parts[a]->pub.data_passes;
    } else {
      passes += data->p ? 0 : 1;
      FORWARD_IF_ERROR(method_sweep(ctx, ds, p, names[a], data, &parts[a]));
    }
  }
  if (p->stability_runs)
    for (size_t a = 0; a < nm; a++) FORWARD_IF_ERROR(add_stability(ctx, ds, p, parts[a]));
  FORWARD_IF_ERROR(merge(parts, nm, out));
  recommend(*out, parts, names, nm, p->stability_runs > 0);
  (*out)->pub.data_passes = passes;
  (*out)->pub.seconds = strata_fit_now() - t0;
  return STRATA_OK;
}

strata_status strata_sweep(const strata_ctx *ctx, strata_dataset *ds, const strata_sweep_params *p,
                           strata_sweep_result **out) {
  RETURN_IF(!ds || !p || !out, STRATA_ERR_USAGE, "strata_sweep: NULL argument");
  *out = NULL;
  FORWARD_IF_ERROR(strata_check_size(p->size, sizeof *p, "strata_sweep_params"));
  FORWARD_IF_ERROR(strata_check_size(p->fit.size, sizeof p->fit, "strata_fit_params"));
  FORWARD_IF_ERROR(strata_sweep_check_params(p));
  RETURN_IF(p->stability_runs < 0 || p->stability_runs == 1, STRATA_ERR_USAGE,
            "stability runs must be 0 (none) or at least 2 (got %d)", p->stability_runs);
  const char *names[MAX_METHODS];
  size_t nm = 0;
  FORWARD_IF_ERROR(parse_methods(p, names, &nm));
  strata_sweep_out *o = NULL;
  if (nm == 1 && is(names[0], "kmeans") && !p->stability_runs) {
    /* k-means alone: its own result and reason, as before methods were compared. */
    FORWARD_IF_ERROR(strata_sweep_kmeans(ctx, ds, p, &o));
    *out = &o->pub;
    return STRATA_OK;
  }
  strata_sweep_out *parts[MAX_METHODS] = {0};
  strata_fit_data data;
  memset(&data, 0, sizeof data);
  strata_status st = compare(ctx, ds, p, names, nm, parts, &data, &o);
  for (size_t a = 0; a < nm; a++)
    if (parts[a]) strata_sweep_free(&parts[a]->pub);
  strata_fit_data_free(&data);
  if (st == STRATA_OK) *out = &o->pub;
  return st;
}
