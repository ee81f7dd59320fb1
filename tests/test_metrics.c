/* core/metrics.c against direct float64 computations from the rows:
 * silhouette (several labelings at once, thread counts), Calinski-Harabasz
 * and Davies-Bouldin from per-cluster statistics, the knee; and their
 * row-weighted forms: the silhouette against its weighted definition,
 * CH and DB with integer weights against the rows repeated. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "metrics.h"

static uint64_t rng_state = 12345;
static double urand(void) {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (double)(rng_state >> 11) * 0x1.0p-53;
}

static double dist(const float *a, const float *b, size_t d) {
  double s = 0.0;
  for (size_t j = 0; j < d; j++) {
    double q = (double)a[j] - (double)b[j];
    s += q * q;
  }
  return sqrt(s);
}

/* The textbook definition, O(m²·k) with no shared work. */
static double silhouette_direct(const float *x, size_t m, size_t d, const int32_t *lab, size_t k) {
  size_t *cnt = calloc(k, sizeof *cnt);
  double *sum = calloc(k, sizeof *sum);
  size_t present = 0;
  for (size_t i = 0; i < m; i++) cnt[lab[i]]++;
  for (size_t c = 0; c < k; c++) present += cnt[c] > 0;
  double total = 0.0;
  for (size_t i = 0; i < m; i++) {
    for (size_t c = 0; c < k; c++) sum[c] = 0.0;
    for (size_t j = 0; j < m; j++) sum[lab[j]] += dist(x + i * d, x + j * d, d);
    if (cnt[lab[i]] == 1) continue;
    double a = sum[lab[i]] / (double)(cnt[lab[i]] - 1), b = INFINITY;
    for (size_t c = 0; c < k; c++)
      if (c != (size_t)lab[i] && cnt[c] && sum[c] / (double)cnt[c] < b) b = sum[c] / (double)cnt[c];
    total += (b - a) / fmax(a, b);
  }
  free(cnt);
  free(sum);
  return present < 2 || present > m - 1 ? NAN : total / (double)m;
}

/* The weighted silhouette straight from its definition (metrics.h): a(i)
 * over the other rows of i's cluster, b(i) over clusters of positive
 * weight, each weight-averaged; the mean of s(i) weighted. */
static double silhouette_weighted_direct(const float *x, const float *w, size_t m, size_t d, const int32_t *lab,
                                         size_t k) {
  double *sum = calloc(k, sizeof *sum), *mass = calloc(k, sizeof *mass), total = 0.0, wt = 0.0;
  size_t *cnt = calloc(k, sizeof *cnt), present = 0;
  for (size_t i = 0; i < m; i++) cnt[lab[i]]++;
  for (size_t c = 0; c < k; c++) present += cnt[c] > 0;
  for (size_t i = 0; i < m; i++) {
    wt += w[i];
    for (size_t c = 0; c < k; c++) sum[c] = mass[c] = 0.0;
    for (size_t j = 0; j < m; j++) {
      if (j == i) continue;
      sum[lab[j]] += w[j] * dist(x + i * d, x + j * d, d);
      mass[lab[j]] += w[j];
    }
    double b = INFINITY;
    for (size_t c = 0; c < k; c++)
      if (c != (size_t)lab[i] && mass[c] > 0.0 && sum[c] / mass[c] < b) b = sum[c] / mass[c];
    if (!(mass[lab[i]] > 0.0) || !(b < INFINITY)) continue;
    double a = sum[lab[i]] / mass[lab[i]];
    if (fmax(a, b) > 0.0) total += w[i] * (b - a) / fmax(a, b);
  }
  free(sum); free(mass); free(cnt);
  return present < 2 || present > m - 1 ? NAN : total / wt;
}

/* Means, within sum of squares and sums of distances straight from rows. */
static void cluster_stats(const float *x, const float *w, size_t m, size_t d, const int32_t *lab, size_t k,
                          double *cnt, double *means, double *within, double *dsum) {
  for (size_t c = 0; c < k; c++) { cnt[c] = 0; dsum[c] = 0.0; }
  for (size_t c = 0; c < k * d; c++) means[c] = 0.0;
  for (size_t i = 0; i < m; i++) {
    double wi = w ? w[i] : 1.0;
    cnt[lab[i]] += wi;
    for (size_t j = 0; j < d; j++) means[lab[i] * d + j] += wi * x[i * d + j];
  }
  for (size_t c = 0; c < k; c++)
    for (size_t j = 0; j < d; j++) if (cnt[c] > 0) means[c * d + j] /= cnt[c];
  *within = 0.0;
  for (size_t i = 0; i < m; i++) {
    double s = 0.0;
    for (size_t j = 0; j < d; j++) {
      double q = x[i * d + j] - means[lab[i] * d + j];
      s += q * q;
    }
    double wi = w ? w[i] : 1.0;
    *within += wi * s;
    dsum[lab[i]] += wi * sqrt(s);
  }
}

/* CH straight from the definition: between = total scatter - within. */
static double ch_direct(const float *x, size_t m, size_t d, const int32_t *lab, size_t k) {
  double *cnt = calloc(k, sizeof *cnt);
  double *means = calloc(k * d, sizeof *means), *dsum = calloc(k, sizeof *dsum), within;
  cluster_stats(x, NULL, m, d, lab, k, cnt, means, &within, dsum);
  double total = 0.0;
  for (size_t j = 0; j < d; j++) {
    double mu = 0.0;
    for (size_t i = 0; i < m; i++) mu += x[i * d + j];
    mu /= (double)m;
    for (size_t i = 0; i < m; i++) total += (x[i * d + j] - mu) * (x[i * d + j] - mu);
  }
  size_t present = 0;
  for (size_t c = 0; c < k; c++) present += cnt[c] > 0;
  free(cnt); free(means); free(dsum);
  return (total - within) * (double)(m - present) / (within * (double)(present - 1));
}

static double db_direct(const float *x, size_t m, size_t d, const int32_t *lab, size_t k) {
  double *cnt = calloc(k, sizeof *cnt);
  double *means = calloc(k * d, sizeof *means), *dsum = calloc(k, sizeof *dsum), within;
  cluster_stats(x, NULL, m, d, lab, k, cnt, means, &within, dsum);
  double total = 0.0;
  size_t present = 0;
  for (size_t i = 0; i < k; i++) {
    if (!cnt[i]) continue;
    present++;
    double worst = 0.0;
    for (size_t j = 0; j < k; j++) {
      if (j == i || !cnt[j]) continue;
      double md = 0.0;
      for (size_t t = 0; t < d; t++) md += (means[i * d + t] - means[j * d + t]) * (means[i * d + t] - means[j * d + t]);
      double r = (dsum[i] / cnt[i] + dsum[j] / cnt[j]) / sqrt(md);
      if (r > worst) worst = r;
    }
    total += worst;
  }
  free(cnt); free(means); free(dsum);
  return total / (double)present;
}

int main(void) {
  const size_t m = 700, d = 5, nl = 4;
  const size_t ks[4] = {2, 3, 6, 9};
  float *x = malloc(m * d * sizeof *x);
  int32_t *lab[4];
  /* three loose blobs plus noise */
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < d; j++) x[i * d + j] = (float)(4.0 * (j == i % 3) + urand() * 2.0);
  for (size_t l = 0; l < nl; l++) {
    lab[l] = malloc(m * sizeof *lab[l]);
    for (size_t i = 0; i < m; i++) lab[l][i] = (int32_t)(l == 1 ? i % 3 : (size_t)(urand() * (double)ks[l]));
  }
  /* k = 9: cluster 8 left empty, cluster 7 a single row */
  for (size_t i = 0; i < m; i++) if (lab[3][i] >= 7) lab[3][i] = 0;
  lab[3][5] = 7;

  double s1[4], s2[4];
  CHECK_OK(strata_silhouette_multi(x, NULL, m, d, (const int32_t *const *)lab, ks, nl, 1, s1));
  CHECK_OK(strata_silhouette_multi(x, NULL, m, d, (const int32_t *const *)lab, ks, nl, 3, s2));
  for (size_t l = 0; l < nl; l++) {
    double want = silhouette_direct(x, m, d, lab[l], ks[l]);
    CHECK_NEAR(s1[l], want, 1e-12);
    CHECK_MSG(memcmp(&s1[l], &s2[l], sizeof(double)) == 0, "silhouette differs between 1 and 3 threads (l = %zu)", l);
  }
  CHECK(s1[1] > 0.2); /* the planted labeling separates */

  /* one cluster only: undefined */
  int32_t *one = calloc(m, sizeof *one);
  size_t k2 = 2;
  double s_one;
  CHECK_OK(strata_silhouette_multi(x, NULL, m, d, (const int32_t *const *)&one, &k2, 1, 2, &s_one));
  CHECK(isnan(s_one));

  for (size_t l = 0; l < nl; l++) {
    size_t k = ks[l];
    double *cnt = calloc(k, sizeof *cnt);
    double *means = calloc(k * d, sizeof *means), *dsum = calloc(k, sizeof *dsum), within;
    cluster_stats(x, NULL, m, d, lab[l], k, cnt, means, &within, dsum);
    CHECK_NEAR(strata_calinski_harabasz(k, d, cnt, means, within), ch_direct(x, m, d, lab[l], k), 1e-9);
    CHECK_NEAR(strata_davies_bouldin(k, d, cnt, means, dsum), db_direct(x, m, d, lab[l], k), 1e-12);
    free(cnt); free(means); free(dsum);
  }
  {
    double cnt[2] = {10, 0};
    double means[2] = {0.0, 1.0}, ds[2] = {1.0, 0.0};
    CHECK(isnan(strata_calinski_harabasz(2, 1, cnt, means, 3.0)));
    CHECK(isnan(strata_davies_bouldin(2, 1, cnt, means, ds)));
  }

  /* Row weights.  Weights 1: the same bits as none. */
  float *w = malloc(m * sizeof *w);
  for (size_t i = 0; i < m; i++) w[i] = 1.0f;
  double sw[4];
  CHECK_OK(strata_silhouette_multi(x, w, m, d, (const int32_t *const *)lab, ks, nl, 2, sw));
  for (size_t l = 0; l < nl; l++)
    CHECK_MSG(memcmp(&s1[l], &sw[l], sizeof(double)) == 0, "weights 1 change the silhouette (l = %zu)", l);
  /* Random weights, some 0, and a cluster whose rows all weigh 0: the
   * definition, and the same bits for any thread count. */
  for (size_t i = 0; i < m; i++) w[i] = i % 7 == 0 ? 0.0f : (float)(0.25 + 3.0 * urand());
  for (size_t i = 0; i < m; i++)
    if (lab[2][i] == 5) w[i] = 0.0f;
  double sw3[4];
  CHECK_OK(strata_silhouette_multi(x, w, m, d, (const int32_t *const *)lab, ks, nl, 1, sw));
  CHECK_OK(strata_silhouette_multi(x, w, m, d, (const int32_t *const *)lab, ks, nl, 3, sw3));
  for (size_t l = 0; l < nl; l++) {
    CHECK_NEAR(sw[l], silhouette_weighted_direct(x, w, m, d, lab[l], ks[l]), 1e-12);
    CHECK_MSG(memcmp(&sw[l], &sw3[l], sizeof(double)) == 0, "weighted silhouette differs between 1 and 3 threads");
    CHECK_MSG(fabs(sw[l] - s1[l]) > 1e-6, "the weights did not change the silhouette (l = %zu)", l);
  }
  /* Integer weights: CH and DB as with the rows repeated (and the
   * weighted cluster statistics computed as the sweep's pass does). */
  {
    size_t mr = 0;
    for (size_t i = 0; i < m; i++) {
      w[i] = (float)(i % 4);
      mr += i % 4;
    }
    float *xr = malloc(mr * d * sizeof *xr);
    for (size_t l = 0; l < nl; l++) {
      size_t k = ks[l], r = 0;
      int32_t *lr = malloc(mr * sizeof *lr);
      for (size_t i = 0; i < m; i++)
        for (size_t t = 0; t < i % 4; t++, r++) {
          memcpy(xr + r * d, x + i * d, d * sizeof *xr);
          lr[r] = lab[l][i];
        }
      double *mass = calloc(k, sizeof *mass), *means = calloc(k * d, sizeof *means), *dsum = calloc(k, sizeof *dsum);
      double within;
      cluster_stats(x, w, m, d, lab[l], k, mass, means, &within, dsum);
      CHECK_NEAR(strata_calinski_harabasz(k, d, mass, means, within), ch_direct(xr, mr, d, lr, k), 1e-9);
      CHECK_NEAR(strata_davies_bouldin(k, d, mass, means, dsum), db_direct(xr, mr, d, lr, k), 1e-12);
      free(mass); free(means); free(dsum); free(lr);
    }
    free(xr);
  }
  free(w);

  /* knee: a planted elbow at x = 5, none on a smooth curve, short input */
  double kx[9] = {2, 3, 4, 5, 6, 7, 8, 9, 10};
  double elbow[9] = {900, 600, 350, 100, 92, 85, 79, 74, 70};
  double smooth[9];
  for (int i = 0; i < 9; i++) smooth[i] = 1000.0 * pow(0.8, kx[i]);
  CHECK(strata_knee(kx, elbow, 9) == 3);
  CHECK(strata_knee(kx, smooth, 9) == -1);
  CHECK(strata_knee(kx, elbow, 2) == -1);
  /* a list with gaps: gains per unit of k */
  double gx[4] = {2, 4, 5, 9}, gy[4] = {500, 300, 100, 60};
  CHECK(strata_knee(gx, gy, 4) == 2);

  for (size_t l = 0; l < nl; l++) free(lab[l]);
  free(one);
  free(x);
  return check_report();
}
