/* The swap search's view of the init sample (core/kmeans_refine.c): the
 * sample's rows against k centroids, each row's nearest and second-nearest
 * centroid and squared distance, and the change of the sample's inertia
 * when one centroid is removed and a candidate added, for every removal at
 * once, with or without one Lloyd update after it.
 *
 * After an assignment the rows are indexed by cluster, with each cluster's
 * radius, largest second distance, removal cost and sums.  A candidate then
 * visits only the clusters whose rows it could serve (triangle inequality):
 * a trial costs about the rows of a few clusters, not the sample.
 *
 * Row distances do not depend on how the rows are split among threads, and
 * every sum runs in a fixed order, so every result is the same for any
 * thread count. */
#ifndef STRATA_REFINE_SAMPLE_H
#define STRATA_REFINE_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct {
  const float *x;        /* m×d scaled sample (borrowed) */
  const float *w;        /* m row weights (borrowed), or NULL: every row weighs 1; the
                            inertia, removal costs, sums and draws below are weighted */
  size_t m, d, k;
  int threads;
  double *c;             /* k×d centroids */
  double *ct;            /* d×k: c transposed, for the distance loop */
  int32_t *lab, *lab2;   /* m: nearest and second nearest centroid (the lower index on a tie) */
  double *d1, *d2;       /* m: their squared distances */
  double *acc;           /* threads×ROW_GROUP×k scratch of the distance loop */
  double *bsum;          /* per block of rows: Σ d1 (the k-means++ draw) */
  /* by cluster, from the last assignment */
  uint32_t *order;       /* m: rows by cluster, in row order within one */
  size_t *start;         /* k+1: cluster c's rows are order[start[c]..start[c+1]) */
  double *radius;        /* k: the largest distance (not squared) of a row to its centroid */
  double *d2max;         /* k: the largest d2 of its rows */
  double *removal;       /* k: Σ (d2 - d1) over its rows: the cost of removing it */
  double *sum;           /* k×d: Σ of its rows */
  int64_t *cnt;          /* k: rows */
  double *mass;          /* k: their weight (rows when unweighted) */
  size_t *moved;         /* k: scratch of an incremental assignment */
  /* the last candidate evaluated */
  double *e;             /* m: squared distance to it, for rows of visited clusters */
  uint32_t *visited;     /* k: == stamp when the cluster was visited */
  uint32_t stamp;
  double *gain;          /* k: the change of inertia by removal */
  double inertia;        /* Σ w d1 */
  uint64_t work;         /* cost so far, in row×centroid distances of a Lloyd pass */
} strata_refine_sample;

/* c IN: k×d starting centroids; w: m row weights or NULL.  m >= 1, k >= 2. */
strata_status strata_refine_sample_init(strata_refine_sample *s, const float *x, const float *w, size_t m, size_t d,
                                        size_t k, int threads, const double *c);
void strata_refine_sample_free(strata_refine_sample *s);

/* The centroids := c (k×d), then everything above for them.  changed:
 * NULL, or k flags, set for every centroid that differs from the current
 * one (the rows are then rescanned only where they can have changed). */
void strata_refine_sample_set(strata_refine_sample *s, const double *c, const unsigned char *changed);

/* One Lloyd update of every centroid on the sample (one without rows
 * stays), then everything above for them; next: k×d scratch.  Returns 0
 * when no centroid moved (nothing done). */
int strata_refine_sample_lloyd(strata_refine_sample *s, double *next);

/* Row i with probability w_i d1[i] / inertia (the k-means++ draw), u
 * uniform in [0, 1).  inertia > 0. */
size_t strata_refine_sample_draw(const strata_refine_sample *s, double u);

/* The candidate centroid cand (d): gain[a] = the change of the sample's
 * inertia if centroid a were removed and cand added (no Lloyd step);
 * returns the best removal (lowest change, the lower index on a tie) and
 * its change in *delta. */
size_t strata_refine_sample_eval(strata_refine_sample *s, const double *cand, double *delta);

/* The mean of the rows cand (last evaluated) would serve if centroid a
 * were removed, into out (d); 0 when it serves none (cand's one Lloyd
 * step before the others'). */
int strata_refine_sample_captured_mean(const strata_refine_sample *s, size_t a, double *out);

/* The change of the sample's inertia if centroid a were removed, cand
 * (last evaluated) added, and each centroid whose rows changed then moved
 * to their mean (one Lloyd update of the clusters the swap touched).
 * next OUT (k×d): those centroids (cand in a's place); changed OUT (k):
 * which differ from the current ones.  sum (k×d), mass (k): scratch. */
double strata_refine_sample_update_delta(strata_refine_sample *s, size_t a, const double *cand, double *next,
                                         unsigned char *changed, double *sum, double *mass);

#endif
