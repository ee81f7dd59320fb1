/* The swap search's view of the init sample (refine_sample.h).
 *
 * All arithmetic is float64 on the float32 sample, ((x - c)^2 summed over
 * the columns in order), so a row's distances do not depend on how the rows
 * are split; the one parallel loop (the distances to all centroids) writes
 * per row, and every sum runs sequentially in a fixed order. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "refine_sample.h"

#define REFINE_BLOCK 1024
/* Rows whose distances to all k centroids are computed together: each
 * column of the transposed centroids is then read once for that many rows. */
#define ROW_GROUP 4
/* Below this many row×centroid×column operations the distances run on one
 * thread: the fork and join (and, on a busy machine, the wait for a core)
 * would cost more than the work. */
#define PAR_MIN_WORK ((size_t)1 << 21)
/* `work` counts in the Lloyd kernels' currency, one row×centroid distance
 * of a pass: the plain float64 loops here cost about ASSIGN_COST of those
 * per distance to a centroid and ROW_COST per row a candidate visits
 * (measured with perf on Birch1 and case B, AVX-512 kernels). */
#define ASSIGN_COST 8
#define ROW_COST 16

static size_t nblocks(const strata_refine_sample *s) { return (s->m + REFINE_BLOCK - 1) / REFINE_BLOCK; }

strata_status strata_refine_sample_init(strata_refine_sample *s, const float *x, const float *w, size_t m, size_t d,
                                        size_t k, int threads, const double *c) {
  memset(s, 0, sizeof *s);
  s->x = x;
  s->w = w;
  s->m = m;
  s->d = d;
  s->k = k;
  s->threads = threads < 1 ? 1 : threads;
  s->c = malloc(k * d * sizeof *s->c);
  s->ct = malloc(k * d * sizeof *s->ct);
  s->lab = malloc(m * sizeof *s->lab);
  s->lab2 = malloc(m * sizeof *s->lab2);
  s->d1 = malloc(m * sizeof *s->d1);
  s->d2 = malloc(m * sizeof *s->d2);
  s->acc = malloc((size_t)s->threads * ROW_GROUP * k * sizeof *s->acc);
  s->bsum = malloc(nblocks(s) * sizeof *s->bsum);
  s->order = malloc(m * sizeof *s->order);
  s->start = malloc((k + 1) * sizeof *s->start);
  s->radius = malloc(k * sizeof *s->radius);
  s->d2max = malloc(k * sizeof *s->d2max);
  s->removal = malloc(k * sizeof *s->removal);
  s->sum = malloc(k * d * sizeof *s->sum);
  s->cnt = malloc(k * sizeof *s->cnt);
  s->mass = malloc(k * sizeof *s->mass);
  s->moved = malloc(k * sizeof *s->moved);
  s->e = malloc(m * sizeof *s->e);
  s->visited = calloc(k, sizeof *s->visited);
  s->gain = malloc(k * sizeof *s->gain);
  if (!s->c || !s->ct || !s->lab || !s->lab2 || !s->d1 || !s->d2 || !s->acc || !s->bsum || !s->order ||
      !s->start || !s->radius || !s->d2max || !s->removal || !s->sum || !s->cnt || !s->mass || !s->moved || !s->e || !s->visited ||
      !s->gain || m > UINT32_MAX) {
    strata_refine_sample_free(s);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for the refinement on %zu sample rows, k = %zu", m, k);
  }
  strata_refine_sample_set(s, c, NULL);
  return STRATA_OK;
}

void strata_refine_sample_free(strata_refine_sample *s) {
  free(s->c); free(s->ct); free(s->lab); free(s->lab2); free(s->d1); free(s->d2); free(s->acc);
  free(s->bsum); free(s->order); free(s->start); free(s->radius); free(s->d2max); free(s->removal);
  free(s->sum); free(s->cnt); free(s->mass); free(s->moved); free(s->e); free(s->visited); free(s->gain);
  memset(s, 0, sizeof *s);
}

/* Nearest and second nearest of rows [r0, r0 + rows), rows <= ROW_GROUP.
 * acc: ROW_GROUP×k.  Vectorises across centroids: each centroid's sum still
 * runs over the columns in order. */
static void nearest_two(strata_refine_sample *s, size_t r0, size_t rows, double *acc) {
  size_t k = s->k, d = s->d;
  memset(acc, 0, ROW_GROUP * k * sizeof *acc);
  for (size_t j = 0; j < d; j++) {
    const double *cj = s->ct + j * k;
    for (size_t r = 0; r < rows; r++) {
      double xj = (double)s->x[(r0 + r) * d + j];
      double *a = acc + r * k;
      for (size_t c = 0; c < k; c++) {
        double t = xj - cj[c];
        a[c] += t * t;
      }
    }
  }
  for (size_t r = 0; r < rows; r++) {
    const double *a = acc + r * k;
    double b1 = INFINITY, b2 = INFINITY;
    int32_t l1 = 0, l2 = 0;
    for (size_t c = 0; c < k; c++) {
      if (a[c] < b1) {
        b2 = b1;
        l2 = l1;
        b1 = a[c];
        l1 = (int32_t)c;
      } else if (a[c] < b2) {
        b2 = a[c];
        l2 = (int32_t)c;
      }
    }
    s->lab[r0 + r] = l1;
    s->lab2[r0 + r] = l2;
    s->d1[r0 + r] = b1;
    s->d2[r0 + r] = b2;
  }
}

/* Inserts centroid c at squared distance v into row r's nearest two, in
 * (distance, index) order: what a full scan in index order would give. */
static void insert_two(strata_refine_sample *s, size_t r, size_t c, double v) {
  int32_t ci = (int32_t)c;
  if (v < s->d1[r] || (v == s->d1[r] && ci < s->lab[r])) {
    s->d2[r] = s->d1[r];
    s->lab2[r] = s->lab[r];
    s->d1[r] = v;
    s->lab[r] = ci;
  } else if (v < s->d2[r] || (v == s->d2[r] && ci < s->lab2[r])) {
    s->d2[r] = v;
    s->lab2[r] = ci;
  }
}

/* changed: NULL (every centroid moved) or k flags; a row whose nearest or
 * second nearest moved is scanned in full, any other row only against the
 * moved centroids. */
static void assign_rows(strata_refine_sample *s, const unsigned char *changed) {
  size_t k = s->k, d = s->d, nb = nblocks(s), nch = 0;
  for (size_t c = 0; c < k; c++)
    for (size_t j = 0; j < d; j++) s->ct[j * k + c] = s->c[c * d + j];
  size_t *moved = changed ? s->moved : NULL;
  if (changed)
    for (size_t c = 0; c < k; c++)
      if (changed[c]) moved[nch++] = c;
  size_t per_row = changed ? nch + 1 : k;
#pragma omp parallel for schedule(dynamic, 1) num_threads(s->threads) if (s->m * per_row * d >= PAR_MIN_WORK)
  for (size_t b = 0; b < nb; b++) {
    double *acc = s->acc + (size_t)omp_get_thread_num() * ROW_GROUP * k;
    size_t end = (b + 1) * REFINE_BLOCK < s->m ? (b + 1) * REFINE_BLOCK : s->m;
    for (size_t r = b * REFINE_BLOCK; r < end; r++) {
      if (changed && !changed[s->lab[r]] && !changed[s->lab2[r]]) {
        /* moved centroids were not among its two: they may now be */
        const float *xr = s->x + r * d;
        for (size_t t = 0; t < nch; t++) {
          const double *cc = s->c + moved[t] * d;
          double q = 0.0;
          for (size_t j = 0; j < d; j++) {
            double u = (double)xr[j] - cc[j];
            q += u * u;
          }
          insert_two(s, r, moved[t], q);
        }
        continue;
      }
      nearest_two(s, r, 1, acc);
    }
  }
  s->work += (uint64_t)s->m * per_row * ASSIGN_COST;
}

/* The per-cluster index and statistics of the current assignment. */
static void index_clusters(strata_refine_sample *s) {
  size_t k = s->k, d = s->d, m = s->m;
  memset(s->start, 0, (k + 1) * sizeof *s->start);
  for (size_t r = 0; r < m; r++) s->start[(size_t)s->lab[r] + 1]++;
  for (size_t c = 0; c < k; c++) s->start[c + 1] += s->start[c];
  /* fill with start[c] as the cursor, then shift back */
  for (size_t r = 0; r < m; r++) s->order[s->start[s->lab[r]]++] = (uint32_t)r;
  for (size_t c = k; c > 0; c--) s->start[c] = s->start[c - 1];
  s->start[0] = 0;
  for (size_t c = 0; c < k; c++) {
    s->radius[c] = 0.0;
    s->d2max[c] = 0.0;
    s->removal[c] = 0.0;
    s->cnt[c] = (int64_t)(s->start[c + 1] - s->start[c]);
    s->mass[c] = s->w ? 0.0 : (double)s->cnt[c];
  }
  memset(s->sum, 0, k * d * sizeof *s->sum);
  double total = 0.0;
  for (size_t b = 0; b * REFINE_BLOCK < m; b++) {
    size_t end = (b + 1) * REFINE_BLOCK < m ? (b + 1) * REFINE_BLOCK : m;
    double part = 0.0;
    for (size_t r = b * REFINE_BLOCK; r < end; r++) {
      size_t c = (size_t)s->lab[r];
      const double w = s->w ? (double)s->w[r] : 1.0;
      part += w * s->d1[r];
      if (s->d1[r] > s->radius[c]) s->radius[c] = s->d1[r];
      if (s->d2[r] > s->d2max[c]) s->d2max[c] = s->d2[r];
      s->removal[c] += w * (s->d2[r] - s->d1[r]);
      if (s->w) s->mass[c] += w;
      for (size_t j = 0; j < d; j++) s->sum[c * d + j] += w * (double)s->x[r * d + j];
    }
    s->bsum[b] = part;
    total += part;
  }
  s->inertia = total;
  for (size_t c = 0; c < k; c++) s->radius[c] = sqrt(s->radius[c]);
}

void strata_refine_sample_set(strata_refine_sample *s, const double *c, const unsigned char *changed) {
  memcpy(s->c, c, s->k * s->d * sizeof *s->c);
  assign_rows(s, changed);
  index_clusters(s);
}

int strata_refine_sample_lloyd(strata_refine_sample *s, double *next) {
  size_t k = s->k, d = s->d;
  int moved = 0;
  for (size_t c = 0; c < k; c++)
    for (size_t j = 0; j < d; j++) {
      double v = s->mass[c] > 0.0 ? s->sum[c * d + j] / s->mass[c] : s->c[c * d + j];
      moved |= v != s->c[c * d + j];
      next[c * d + j] = v;
    }
  if (moved) strata_refine_sample_set(s, next, NULL);
  return moved;
}

size_t strata_refine_sample_draw(const strata_refine_sample *s, double u) {
  /* Walk the blocks' sums, then the rows. */
  size_t nb = nblocks(s), b = 0;
  double target = u * s->inertia, run = 0.0;
  for (; b + 1 < nb && run + s->bsum[b] <= target; b++) run += s->bsum[b];
  size_t end = (b + 1) * REFINE_BLOCK < s->m ? (b + 1) * REFINE_BLOCK : s->m, last = b * REFINE_BLOCK;
  for (size_t r = b * REFINE_BLOCK; r < end; r++) {
    const double v = s->w ? (double)s->w[r] * s->d1[r] : s->d1[r];
    if (v > 0.0) last = r;
    run += v;
    if (run > target && v > 0.0) return r;
  }
  return last; /* rounding at the very end */
}

static double dist2(const double *a, const double *b, size_t d) {
  double q = 0.0;
  for (size_t j = 0; j < d; j++) {
    double t = a[j] - b[j];
    q += t * t;
  }
  return q;
}

size_t strata_refine_sample_eval(strata_refine_sample *s, const double *cand, double *delta) {
  size_t k = s->k, d = s->d;
  uint32_t stamp = ++s->stamp;
  if (stamp == 0) { /* wrapped: no cluster may look visited */
    memset(s->visited, 0, k * sizeof *s->visited);
    stamp = s->stamp = 1;
  }
  double common = 0.0;
  for (size_t c = 0; c < k; c++) {
    /* A row x of cluster c has ||x - cand|| >= ||c - cand|| - radius; when
     * that exceeds every second distance of the cluster, cand serves none
     * of its rows and removing c costs exactly removal[c]. */
    s->gain[c] = s->removal[c];
    if (s->cnt[c] == 0) continue;
    double lb = sqrt(dist2(cand, s->c + c * d, d)) - s->radius[c];
    if (lb > 0.0 && lb * lb > s->d2max[c] * (1.0 + 1e-9)) continue;
    s->visited[c] = stamp;
    double r_c = 0.0;
    for (size_t i = s->start[c]; i < s->start[c + 1]; i++) {
      size_t r = s->order[i];
      const float *xr = s->x + r * d;
      double q = 0.0;
      for (size_t j = 0; j < d; j++) {
        double t = (double)xr[j] - cand[j];
        q += t * t;
      }
      s->e[r] = q;
      double with1 = q < s->d1[r] ? q : s->d1[r];
      double with2 = q < s->d2[r] ? q : s->d2[r];
      const double w = s->w ? (double)s->w[r] : 1.0;
      /* every row gains from cand; a row of a removed centroid then falls
       * back to its second nearest or cand */
      common += w * (with1 - s->d1[r]);
      r_c += w * (with2 - with1);
    }
    s->gain[c] = r_c;
    s->work += (uint64_t)s->cnt[c] * ROW_COST;
  }
  size_t best = 0;
  for (size_t c = 0; c < k; c++) {
    s->gain[c] += common;
    if (s->gain[c] < s->gain[best]) best = c;
  }
  s->work += k;
  *delta = s->gain[best];
  return best;
}

/* Row r's squared distance to the last candidate: INFINITY (further than
 * its second nearest) outside the visited clusters. */
static double cand_dist(const strata_refine_sample *s, size_t r) {
  return s->visited[s->lab[r]] == s->stamp ? s->e[r] : INFINITY;
}

int strata_refine_sample_captured_mean(const strata_refine_sample *s, size_t a, double *out) {
  size_t d = s->d, k = s->k;
  double n = 0.0;
  memset(out, 0, d * sizeof *out);
  for (size_t c = 0; c < k; c++) {
    if (s->visited[c] != s->stamp) continue;
    for (size_t i = s->start[c]; i < s->start[c + 1]; i++) {
      size_t r = s->order[i];
      double stay = c == a ? s->d2[r] : s->d1[r];
      if (!(s->e[r] < stay)) continue;
      const double w = s->w ? (double)s->w[r] : 1.0;
      n += w;
      for (size_t j = 0; j < d; j++) out[j] += w * (double)s->x[r * d + j];
    }
  }
  if (!(n > 0.0)) return 0;
  for (size_t j = 0; j < d; j++) out[j] /= n;
  return 1;
}

/* Moves row r's contribution from cluster `from` to `to`. */
static void move_row(const strata_refine_sample *s, size_t r, size_t from, size_t to, double *sum, double *mass,
                     unsigned char *changed) {
  size_t d = s->d;
  const float *xr = s->x + r * d;
  const double w = s->w ? (double)s->w[r] : 1.0;
  mass[from] -= w;
  mass[to] += w;
  changed[from] = changed[to] = 1;
  for (size_t j = 0; j < d; j++) {
    sum[from * d + j] -= w * (double)xr[j];
    sum[to * d + j] += w * (double)xr[j];
  }
}

double strata_refine_sample_update_delta(strata_refine_sample *s, size_t a, const double *cand, double *next,
                                         unsigned char *changed, double *sum, double *mass) {
  size_t k = s->k, d = s->d;
  memcpy(sum, s->sum, k * d * sizeof *sum);
  memcpy(mass, s->mass, k * sizeof *mass);
  memset(changed, 0, k);
  changed[a] = 1;
  /* Only rows of visited clusters and of a change hands. */
  for (size_t c = 0; c < k; c++) {
    if (s->visited[c] != s->stamp && c != a) continue;
    for (size_t i = s->start[c]; i < s->start[c + 1]; i++) {
      size_t r = s->order[i];
      double e = cand_dist(s, r);
      if (c == a) {
        /* cand takes a's place: a row stays in slot a if cand serves it */
        if (!(e < s->d2[r])) move_row(s, r, a, (size_t)s->lab2[r], sum, mass, changed);
      } else if (e < s->d1[r]) {
        move_row(s, r, c, a, sum, mass, changed);
      }
    }
    s->work += (uint64_t)s->cnt[c] * ROW_COST;
  }
  /* The clusters that changed move to their means: a centroid moved to
   * the mean mu of rows of weight n saves n ||mu - c||^2.  The others stay. */
  memcpy(next, s->c, k * d * sizeof *next);
  memcpy(next + a * d, cand, d * sizeof *next);
  double saved = 0.0;
  for (size_t c = 0; c < k; c++) {
    if (!changed[c] || !(mass[c] > 0.0)) continue;
    double *nc = next + c * d, q = 0.0;
    for (size_t j = 0; j < d; j++) {
      double mu = sum[c * d + j] / mass[c];
      double t = mu - nc[j];
      q += t * t;
      nc[j] = mu;
    }
    saved += mass[c] * q;
  }
  s->work += k;
  return s->gain[a] - saved;
}
