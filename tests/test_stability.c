/* strata_stability on in-memory data: planted well-separated blobs are
 * stable (ARI near 1, every segment "stable"), k = 5 on uniform noise is
 * not; same seed gives the same result for 1 and 2 threads; the result
 * agrees with itself (dissolved counts, sizes); refusals. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "ctx_pool.h"
#include "rng.h"
#include "strata.h"

enum { N = 4000, D = 3 };

/* kind 0: 4 blobs (std 1) with centres 40 apart; kind 1: uniform in [0,1]^D. */
static strata_dataset *make(int kind, uint64_t seed, int with_nan) {
  float *x = malloc(N * D * sizeof *x);
  strata_rng rng;
  strata_rng_seed(&rng, seed, 3);
  for (size_t i = 0; i < N; i++)
    for (size_t j = 0; j < D; j++) {
      double v = strata_rng_uniform(&rng);
      if (kind == 0) {
        double u2 = strata_rng_uniform(&rng);
        double g = sqrt(-2.0 * log(1.0 - v)) * cos(6.283185307179586 * u2);
        v = 40.0 * (double)(((i % 4) >> (j % 2)) & 1) * (j < 2) + g;
      }
      x[i * D + j] = (float)v;
    }
  if (with_nan) x[7 * D + 1] = NAN;
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_from_memory(x, N, D, NULL, &ds));
  free(x);
  return ds;
}

/* Errors only: the refusals below would warn on stderr. */
static strata_ctx *quiet;

static strata_stability_result *run_threads(strata_dataset *ds, strata_stability_params *p, int threads) {
  CHECK_OK(strata_ctx_set_threads(quiet, threads));
  strata_stability_result *r = NULL;
  strata_status st = strata_stability(quiet, ds, p, &r);
  CHECK_MSG(st == STRATA_OK, "%s: %s", strata_status_name(st), strata_last_error());
  return r;
}

/* What the result says of itself must hold together. */
static void consistent(const strata_stability_result *r, const strata_stability_params *p) {
  int64_t total = 0;
  int worst = 0;
  const char *order[] = {"stable", "patterns", "unstable", "dissolved"};
  for (int s = 0; s < r->k; s++) {
    const strata_stability_segment *g = &r->segments[s];
    total += g->size;
    int dissolved = 0;
    double sum = 0;
    for (int run = 0; run < r->runs; run++) {
      double j = r->jaccard[run * r->k + s];
      CHECK(j >= 0.0 && j <= 1.0);
      dissolved += j <= p->dissolved;
      sum += j;
    }
    CHECK(g->dissolved == dissolved);
    CHECK_NEAR(g->jaccard_mean, sum / r->runs, 1e-12);
    CHECK(g->jaccard_min <= g->jaccard_mean && g->jaccard_mean <= g->jaccard_max);
    CHECK(strcmp(g->verdict, strata_stability_verdict(g->jaccard_mean, p->stable, p->unstable, p->dissolved)) == 0);
    for (int v = 0; v < 4; v++)
      if (strcmp(g->verdict, order[v]) == 0 && v > worst) worst = v;
  }
  CHECK(total <= (int64_t)r->sample_rows);
  CHECK(strcmp(r->verdict, order[worst]) == 0);
  CHECK(r->ari_pairs == (uint64_t)r->runs * (uint64_t)(r->runs - 1) / 2);
  CHECK(r->ari_min <= r->ari_mean && r->ari_mean <= r->ari_max && r->ari_max <= 1.0);
}

static void planted_vs_noise(void) {
  strata_stability_params p;
  strata_stability_params_init(&p);
  p.fit.k = 4;
  p.runs = 8;
  p.fit.seed = 1;
  strata_dataset *blobs = make(0, 1, 0);
  strata_stability_result *r = run_threads(blobs, &p, 0);
  if (r) {
    consistent(r, &p);
    CHECK_MSG(r->ari_mean > 0.95, "blobs: mean ARI %g", r->ari_mean);
    CHECK(r->sample_rows == N && r->rows == N);
    CHECK(strcmp(r->verdict, "stable") == 0);
    for (int s = 0; s < r->k; s++) {
      CHECK_MSG(r->segments[s].jaccard_mean > 0.95, "blobs: segment %d Jaccard %g", s, r->segments[s].jaccard_mean);
      CHECK(llabs(r->segments[s].size - N / 4) < 20); /* the planted blobs */
    }
  }
  strata_stability_free(r);

  /* The subsample method on the same blobs, on a smaller sample. */
  p.method = STRATA_RESAMPLE_SUBSAMPLE;
  p.fraction = 0.5;
  p.sample_rows = 1000;
  r = run_threads(blobs, &p, 0);
  if (r) {
    consistent(r, &p);
    CHECK(r->sample_rows == 1000 && strcmp(r->method, "subsample") == 0 && r->fraction == 0.5);
    CHECK(r->ari_mean > 0.95 && strcmp(r->verdict, "stable") == 0);
  }
  strata_stability_free(r);
  strata_dataset_free(blobs);

  strata_stability_params_init(&p);
  p.fit.k = 5;
  p.runs = 8;
  p.fit.seed = 1;
  strata_dataset *noise = make(1, 2, 0);
  r = run_threads(noise, &p, 0);
  if (r) {
    consistent(r, &p);
    CHECK_MSG(r->ari_mean < 0.8, "noise: mean ARI %g", r->ari_mean);
    CHECK_MSG(strcmp(r->verdict, "stable") != 0, "noise: verdict %s", r->verdict);
    int unstable = 0;
    for (int s = 0; s < r->k; s++) unstable += r->segments[s].jaccard_mean < p.stable;
    CHECK(unstable >= 1);
  }
  strata_stability_free(r);
  strata_dataset_free(noise);
}

static int same_result(const strata_stability_result *a, const strata_stability_result *b) {
  if (a->ari_mean != b->ari_mean || a->ari_std != b->ari_std || a->ari_min != b->ari_min || a->ari_max != b->ari_max)
    return 0;
  if (memcmp(a->jaccard, b->jaccard, (size_t)a->runs * (size_t)a->k * sizeof *a->jaccard) != 0) return 0;
  for (int s = 0; s < a->k; s++)
    if (a->segments[s].size != b->segments[s].size || a->segments[s].jaccard_std != b->segments[s].jaccard_std)
      return 0;
  return 1;
}

static void determinism(void) {
  strata_dataset *noise = make(1, 3, 0);
  strata_stability_params p;
  strata_stability_params_init(&p);
  p.fit.k = 5;
  p.runs = 5;
  p.fit.seed = 9;
  strata_stability_result *a = run_threads(noise, &p, 1);
  p.fit.chunk_rows = 4096; /* a different chunking of the sample pass too */
  strata_stability_result *b = run_threads(noise, &p, 2);
  if (a && b) CHECK(same_result(a, b));
  p.fit.seed = 10;
  strata_stability_result *c = run_threads(noise, &p, 0);
  if (a && c) CHECK(!same_result(a, c)); /* the seed matters */
  strata_stability_free(a);
  strata_stability_free(b);
  strata_stability_free(c);
  strata_dataset_free(noise);
}

static void missing_values(void) {
  strata_dataset *ds = make(0, 4, 1);
  strata_stability_params p;
  strata_stability_params_init(&p);
  p.fit.k = 4;
  p.runs = 3;
  strata_stability_result *r = NULL;
  CHECK(strata_stability(quiet, ds, &p, &r) == STRATA_ERR_DATA && r == NULL);
  CHECK(strstr(strata_last_error(), "row 7") != NULL);
  p.fit.missing = STRATA_MISSING_DROP;
  r = run_threads(ds, &p, 0);
  if (r) {
    int64_t total = 0;
    for (int s = 0; s < r->k; s++) total += r->segments[s].size;
    CHECK(total == N - 1); /* the row with NaN has no segment */
    CHECK(strcmp(r->verdict, "stable") == 0);
  }
  strata_stability_free(r);
  strata_dataset_free(ds);
}

static void refusals(void) {
  strata_dataset *ds = make(1, 5, 0);
  strata_stability_params p;
  strata_stability_result *r = NULL;
#define REFUSED(code, change)                                  \
  do {                                                         \
    strata_stability_params_init(&p);                          \
    p.fit.k = 3;                                               \
    change;                                                    \
    CHECK(strata_stability(quiet, ds, &p, &r) == (code) && r == NULL); \
  } while (0)
  REFUSED(STRATA_ERR_USAGE, p.runs = 1);
  REFUSED(STRATA_ERR_DATA, p.fit.k = N + 1);
  REFUSED(STRATA_ERR_USAGE, p.method = (strata_resample)7);
  REFUSED(STRATA_ERR_USAGE, (p.method = STRATA_RESAMPLE_SUBSAMPLE, p.fraction = 1.0));
  REFUSED(STRATA_ERR_USAGE, p.stable = 0.5);
  REFUSED(STRATA_ERR_USAGE, p.fit.init = STRATA_INIT_GIVEN);
  REFUSED(STRATA_ERR_DATA, (p.method = STRATA_RESAMPLE_SUBSAMPLE, p.fraction = 0.001, p.sample_rows = 1000,
                            p.fit.k = 3));
  REFUSED(STRATA_ERR_USAGE, p.sample_rows = 2);
#undef REFUSED
  CHECK(strata_stability(NULL, NULL, &p, &r) == STRATA_ERR_USAGE);
  strata_dataset_free(ds);

  CHECK(strcmp(strata_stability_verdict(0.75, 0.75, 0.6, 0.5), "stable") == 0);
  CHECK(strcmp(strata_stability_verdict(0.7499, 0.75, 0.6, 0.5), "patterns") == 0);
  CHECK(strcmp(strata_stability_verdict(0.6, 0.75, 0.6, 0.5), "patterns") == 0);
  CHECK(strcmp(strata_stability_verdict(0.55, 0.75, 0.6, 0.5), "unstable") == 0);
  CHECK(strcmp(strata_stability_verdict(0.5, 0.75, 0.6, 0.5), "dissolved") == 0);
  CHECK(strcmp(strata_stability_verdict(NAN, 0.75, 0.6, 0.5), "dissolved") == 0);
}

int main(void) {
  quiet = strata_ctx_new();
  strata_ctx_set_log(quiet, NULL, NULL, STRATA_LOG_ERROR);
  planted_vs_noise();
  determinism();
  missing_values();
  refusals();
  strata_ctx_free(quiet);
  return check_report();
}
