/* Cluster-quality metrics, as pure functions over in-memory data or
 * per-cluster sufficient statistics, with scikit-learn's definitions
 * (sklearn.metrics silhouette_score, calinski_harabasz_score,
 * davies_bouldin_score), plus knee detection on a curve.  Clusters with no
 * rows are left out, as scikit-learn never sees their label.  Functions
 * return NaN where the metric is undefined (fewer than 2 non-empty clusters,
 * or as many clusters as rows for Calinski-Harabasz). */
#ifndef STRATA_METRICS_H
#define STRATA_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

/* Mean silhouette of m rows x (m×d, row-major) under nl labelings at once:
 * labels[l] holds m labels in 0..k[l]-1.  Distances are float64 Euclidean
 * ((x_i - x_j)^2 summed, never the expansion), computed once per pair and
 * shared by every labeling: O(m²·d + m²·nl) time, O(m·(d + nl)) memory.
 * A row alone in its cluster scores 0 (scikit-learn).  w: m row weights or
 * NULL (every row weighs 1, scikit-learn's score): weighted, a(i) and b(i)
 * are weight-averaged distances (a(i) over the other rows of i's cluster,
 * b(i) over clusters of positive weight) and the score is the
 * weight-averaged s(i); with weights 1 the same bits as NULL.  out OUT nl
 * scores, NaN when a labeling has fewer than 2 or more than m-1 distinct
 * labels.  Deterministic for any thread count (threads 0 = all). */
strata_status strata_silhouette_multi(const float *x, const float *w, size_t m, size_t d,
                                      const int32_t *const *labels, const size_t *k, size_t nl, int threads,
                                      double *out);

/* Calinski-Harabasz from per-cluster statistics:
 *   [sum_c n_c ||mean_c - mean||² / (K-1)] / [within / (n-K)]
 * with n_c = mass[c] the rows of cluster c (or their summed weights: then
 * integer weights score as repeated rows), n their sum, mean the
 * mass-weighted mean of the cluster means and K the clusters of positive
 * mass.  means IN k×d, within IN: sum over rows of (weight ×)
 * ||x - mean_label||². */
double strata_calinski_harabasz(size_t k, size_t d, const double *mass, const double *means, double within);

/* Davies-Bouldin: mean over clusters i of max_{j != i} (S_i + S_j) /
 * ||mean_i - mean_j||, S_i = dist_sum[i] / mass[i] the mean Euclidean
 * distance of the rows of i to mean_i (mass and dist_sum weighted alike, or
 * not at all).  Coincident means count as infinitely far apart
 * (scikit-learn); 0 when every pair coincides. */
double strata_davies_bouldin(size_t k, size_t d, const double *mass, const double *means,
                             const double *dist_sum);

/* The knee (elbow) of a decreasing curve such as inertia over k: the
 * interior point where the gain per step collapses the most, i.e. the
 * largest ratio (y[i-1] - y[i]) / (y[i] - y[i+1]) (gains per unit of x).
 * Like Kneedle it looks for the strongest bend, but it does not depend on
 * the ends of the range: Kneedle's normalised chord moves the knee with
 * k_max (planted 8 clusters read as 5 over k = 2..15, 5 as 4 over 2..8).
 * x increasing.  Returns the index, or -1 with fewer than 3 points or no
 * ratio above STRATA_KNEE_MIN_RATIO (a smooth curve has no knee); points
 * where y does not decrease on both sides are skipped. */
#define STRATA_KNEE_MIN_RATIO 2.0
int strata_knee(const double *x, const double *y, size_t n);

#endif
