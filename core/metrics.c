/* Cluster-quality metrics (see metrics.h). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "metrics.h"
#include "pass.h"

/* Rows whose distance vector one thread computes before moving on. */
#define SIL_TILE 16

typedef struct {
  int32_t *perm;     /* m: rows sorted by label, stable */
  size_t *start;     /* k+1: cluster c is perm[start[c] .. start[c+1]) */
  size_t k, present; /* present: non-empty clusters */
} sil_groups;

static strata_status group_rows(const int32_t *lab, size_t m, size_t k, sil_groups *g) {
  g->k = k;
  g->perm = malloc((m ? m : 1) * sizeof *g->perm);
  g->start = calloc(k + 2, sizeof *g->start);
  RETURN_IF(!g->perm || !g->start, STRATA_ERR_NOMEM, "out of memory for the silhouette sample");
  for (size_t i = 0; i < m; i++) {
    RETURN_IF(lab[i] < 0 || (size_t)lab[i] >= k, STRATA_ERR_INTERNAL, "silhouette: label %d out of range",
              (int)lab[i]);
    g->start[(size_t)lab[i] + 2]++;
  }
  g->present = 0;
  for (size_t c = 0; c < k; c++) g->present += g->start[c + 2] > 0;
  for (size_t c = 2; c < k + 2; c++) g->start[c] += g->start[c - 1];
  for (size_t i = 0; i < m; i++) g->perm[g->start[(size_t)lab[i] + 1]++] = (int32_t)i;
  return STRATA_OK;
}

/* s(i) from row i's distances to every row; w: the rows' weights or NULL
 * (every row weighs 1).  Weighted, a cluster's mean distance is the
 * weight-averaged one and row i's own weight leaves its cluster's total:
 * with weights 1 the same sums, bit for bit. */
static double silhouette_row(const double *dist, const sil_groups *g, int32_t own, const float *w, size_t i) {
  double a = 0.0, b = INFINITY, nown = 0.0;
  for (size_t c = 0; c < g->k; c++) {
    size_t lo = g->start[c], hi = g->start[c + 1];
    if (lo == hi) continue;
    /* Four partial sums: no loop-carried chain; fixed order, so deterministic. */
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, mass = (double)(hi - lo);
    size_t j = lo;
    if (w) {
      double m0 = 0.0, m1 = 0.0, m2 = 0.0, m3 = 0.0;
      for (; j + 4 <= hi; j += 4) {
        s0 += (double)w[g->perm[j]] * dist[g->perm[j]];
        s1 += (double)w[g->perm[j + 1]] * dist[g->perm[j + 1]];
        s2 += (double)w[g->perm[j + 2]] * dist[g->perm[j + 2]];
        s3 += (double)w[g->perm[j + 3]] * dist[g->perm[j + 3]];
        m0 += w[g->perm[j]];
        m1 += w[g->perm[j + 1]];
        m2 += w[g->perm[j + 2]];
        m3 += w[g->perm[j + 3]];
      }
      for (; j < hi; j++) {
        s0 += (double)w[g->perm[j]] * dist[g->perm[j]];
        m0 += w[g->perm[j]];
      }
      mass = (m0 + m1) + (m2 + m3);
    } else {
      for (; j + 4 <= hi; j += 4) {
        s0 += dist[g->perm[j]];
        s1 += dist[g->perm[j + 1]];
        s2 += dist[g->perm[j + 2]];
        s3 += dist[g->perm[j + 3]];
      }
      for (; j < hi; j++) s0 += dist[g->perm[j]];
    }
    double s = (s0 + s1) + (s2 + s3);
    if ((int32_t)c == own) {
      a = s; /* includes d(i,i) = 0 */
      nown = mass - (w ? (double)w[i] : 1.0);
    } else if (mass > 0.0) {
      double mean = s / mass;
      if (mean < b) b = mean;
    }
  }
  /* alone in its cluster (or the only weight in it): 0, as scikit-learn */
  if (!(nown > 0.0) || !(b < INFINITY)) return 0.0;
  a /= nown;
  double den = a > b ? a : b;
  return den > 0.0 ? (b - a) / den : 0.0;
}

strata_status strata_silhouette_multi(const float *x, const float *w, size_t m, size_t d,
                                      const int32_t *const *labels, const size_t *k, size_t nl, int threads,
                                      double *out) {
  for (size_t l = 0; l < nl; l++) out[l] = NAN;
  if (m < 2 || nl == 0) return STRATA_OK;
  int T = strata_threads_resolve(threads);
  strata_status st = STRATA_OK;
  sil_groups *g = calloc(nl, sizeof *g);
  double *xt = malloc(d * m * sizeof *xt);     /* column-major: distances vectorise over rows */
  double *s = malloc(nl * m * sizeof *s);       /* s[l*m + i] */
  double *dist = malloc((size_t)T * SIL_TILE * m * sizeof *dist);
  if (!g || !xt || !s || !dist) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the silhouette sample (%zu rows)", m);
    goto done;
  }
  for (size_t l = 0; l < nl && st == STRATA_OK; l++) st = group_rows(labels[l], m, k[l], &g[l]);
  if (st != STRATA_OK) goto done;
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < d; j++) xt[j * m + i] = x[i * d + j];
  size_t ntiles = (m + SIL_TILE - 1) / SIL_TILE;
#pragma omp parallel for schedule(dynamic, 1) num_threads(T)
  for (size_t tile = 0; tile < ntiles; tile++) {
    double *dt = dist + (size_t)omp_get_thread_num() * SIL_TILE * m;
    size_t i0 = tile * SIL_TILE, i1 = i0 + SIL_TILE < m ? i0 + SIL_TILE : m;
    for (size_t i = i0; i < i1; i++) {
      double *di = dt + (i - i0) * m;
      memset(di, 0, m * sizeof *di);
      for (size_t j = 0; j < d; j++) {
        const double *col = xt + j * m;
        double v = col[i];
        for (size_t r = 0; r < m; r++) {
          double q = col[r] - v;
          di[r] += q * q;
        }
      }
      for (size_t r = 0; r < m; r++) di[r] = sqrt(di[r]);
    }
    for (size_t l = 0; l < nl; l++)
      for (size_t i = i0; i < i1; i++) s[l * m + i] = silhouette_row(dt + (i - i0) * m, &g[l], labels[l][i], w, i);
  }
  double wtotal = 0.0;
  for (size_t i = 0; w && i < m; i++) wtotal += w[i];
  for (size_t l = 0; l < nl; l++) {
    if (g[l].present < 2 || g[l].present > m - 1) continue;
    double sum = 0.0;
    if (w) {
      if (!(wtotal > 0.0)) continue;
      for (size_t i = 0; i < m; i++) sum += (double)w[i] * s[l * m + i];
      out[l] = sum / wtotal;
    } else {
      for (size_t i = 0; i < m; i++) sum += s[l * m + i];
      out[l] = sum / (double)m;
    }
  }
done:
  for (size_t l = 0; g && l < nl; l++) {
    free(g[l].perm);
    free(g[l].start);
  }
  free(g);
  free(xt);
  free(s);
  free(dist);
  return st;
}

double strata_calinski_harabasz(size_t k, size_t d, const double *mass, const double *means, double within) {
  size_t present = 0;
  double n = 0.0;
  for (size_t c = 0; c < k; c++) {
    present += mass[c] > 0.0;
    n += mass[c];
  }
  if (present < 2 || !((double)present < n)) return NAN;
  double between = 0.0;
  for (size_t j = 0; j < d; j++) {
    double mu = 0.0;
    for (size_t c = 0; c < k; c++) mu += mass[c] * means[c * d + j];
    mu /= n;
    for (size_t c = 0; c < k; c++) {
      if (!(mass[c] > 0.0)) continue;
      double q = means[c * d + j] - mu;
      between += mass[c] * q * q;
    }
  }
  /* scikit-learn: 1 when the within-cluster dispersion is 0 */
  if (within == 0.0) return 1.0;
  return between * (n - (double)present) / (within * (double)(present - 1));
}

static double mean_distance(const double *a, const double *b, size_t d) {
  double s = 0.0;
  for (size_t j = 0; j < d; j++) {
    double q = a[j] - b[j];
    s += q * q;
  }
  return sqrt(s);
}

double strata_davies_bouldin(size_t k, size_t d, const double *mass, const double *means,
                             const double *dist_sum) {
  size_t present = 0;
  for (size_t c = 0; c < k; c++) present += mass[c] > 0.0;
  if (present < 2) return NAN;
  /* scikit-learn: 0 when every cluster is a point (np.allclose(S, 0)) */
  int spread = 0;
  for (size_t c = 0; c < k; c++) spread |= mass[c] > 0.0 && fabs(dist_sum[c] / mass[c]) > 1e-8;
  if (!spread) return 0.0;
  double total = 0.0;
  int any_apart = 0;
  for (size_t i = 0; i < k; i++) {
    if (!(mass[i] > 0.0)) continue;
    double si = dist_sum[i] / mass[i], worst = 0.0;
    for (size_t j = 0; j < k; j++) {
      if (j == i || !(mass[j] > 0.0)) continue;
      double m = mean_distance(means + i * d, means + j * d, d);
      if (m == 0.0) continue; /* infinitely far: ratio 0 */
      any_apart = 1;
      double r = (si + dist_sum[j] / mass[j]) / m;
      if (r > worst) worst = r;
    }
    total += worst;
  }
  if (!any_apart) return 0.0;
  return total / (double)present;
}

int strata_knee(const double *x, const double *y, size_t n) {
  int best = -1;
  double best_ratio = STRATA_KNEE_MIN_RATIO;
  for (size_t i = 1; i + 1 < n; i++) {
    /* gains per unit of x, so that a list with gaps compares fairly */
    double before = (y[i - 1] - y[i]) / (x[i] - x[i - 1]);
    double after = (y[i] - y[i + 1]) / (x[i + 1] - x[i]);
    if (!(before > 0.0) || !(after > 0.0) || !isfinite(before)) continue;
    double ratio = before / after;
    if (ratio > best_ratio) {
      best_ratio = ratio;
      best = (int)i;
    }
  }
  return best;
}
