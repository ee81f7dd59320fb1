/* k-means++ on a sample packed in half precision (large samples, kernels
 * that offer it) against the same init with the float32 packing: one centre
 * per well-separated blob either way, centres are distinct rows of the
 * sample, the same answer for 1 and 2 threads, and rows that differ only
 * below half precision fall back to float32 instead of failing; the
 * screen changes nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "kmeans_init.h"

enum { M = 20000, D = 128, K = 12 };  /* 10 MB of float32: above the half-precision threshold */

/* Every centre is a row of x and no two are equal. */
static int rows_distinct(const float *x, const double *c, int k) {
  for (int a = 0; a < k; a++) {
    int found = 0;
    for (size_t i = 0; i < M && !found; i++) {
      int same = 1;
      for (int j = 0; j < D && same; j++) same = (double)x[i * D + j] == c[(size_t)a * D + j];
      found = same;
    }
    if (!found) return 0;
    for (int b = 0; b < a; b++)
      if (memcmp(c + (size_t)a * D, c + (size_t)b * D, D * sizeof *c) == 0) return 0;
  }
  return 1;
}

static void check_table(const strata_kernels *half) {
  strata_kernels plain = *half;
  plain.seed.pack_rows_half = NULL;
  plain.seed.dist2_packed_half = NULL;
  plain.seed.packed_half_bytes = NULL;
  plain.seed.round_half = NULL;
  plain.seed.dist2_packed_half_below = NULL;

  float *x = malloc((size_t)M * D * sizeof *x);
  int32_t *truth = malloc(M * sizeof *truth);
  fixture_blobs(x, truth, M, D, K, 40.0, 7);
  double *ch = malloc((size_t)K * D * sizeof *ch), *cp = malloc((size_t)K * D * sizeof *cp),
         *c1 = malloc((size_t)K * D * sizeof *c1);
  strata_init_job job = {.kern = half, .threads = 2, .x = x, .m = M, .d = D, .k = K, .sample_is_all = 1,
                         .seed = 42, .run = 0};
  CHECK_OK(strata_init_kmeanspp(&job, ch));
  job.threads = 1;
  CHECK_OK(strata_init_kmeanspp(&job, c1));
  CHECK(memcmp(ch, c1, (size_t)K * D * sizeof *ch) == 0);
  /* The screen (where the kernel has one) skips only distances that cannot
   * matter: the same centres to the bit without it. */
  strata_kernels unscreened = *half;
  unscreened.seed.dist2_packed_half_below = NULL;
  job.kern = &unscreened;
  CHECK_OK(strata_init_kmeanspp(&job, c1));
  CHECK(memcmp(ch, c1, (size_t)K * D * sizeof *ch) == 0);
  job.kern = &plain;
  job.threads = 2;
  CHECK_OK(strata_init_kmeanspp(&job, cp));
  CHECK(rows_distinct(x, ch, K) && rows_distinct(x, cp, K));
  /* One centre per blob: the blob of each centre's row, all different. */
  int seen_h[K] = {0}, seen_p[K] = {0};
  for (int c = 0; c < K; c++) {
    for (size_t i = 0; i < M; i++) {
      int same = 1;
      for (int j = 0; j < D && same; j++) same = (double)x[i * D + j] == ch[(size_t)c * D + j];
      if (same) { seen_h[truth[i]]++; break; }
    }
    for (size_t i = 0; i < M; i++) {
      int same = 1;
      for (int j = 0; j < D && same; j++) same = (double)x[i * D + j] == cp[(size_t)c * D + j];
      if (same) { seen_p[truth[i]]++; break; }
    }
  }
  for (int b = 0; b < K; b++) CHECK_MSG(seen_h[b] == 1 && seen_p[b] == 1, "blob %d: %d / %d centres", b, seen_h[b], seen_p[b]);

  /* Only K distinct rows in half precision (each blob collapsed onto its
   * first row plus offsets below 2^-11 relative), but every row distinct in
   * float32: the half-precision pass runs out of distinct rows and the init
   * must fall back, not fail. */
  half->seed.round_half(&half->ctx, x, (size_t)M * D); /* every value a half: offsets below round back to it */
  for (size_t i = 0; i < M; i++) {
    size_t first = 0;
    while (truth[first] != truth[i]) first++;
    for (int j = 0; j < D; j++) {
      float base = x[first * D + j];
      x[i * D + j] = j == 0 ? base + fabsf(base) * 0x1p-14f * (float)(i % 3) / 2.0f : base;
    }
  }
  job.kern = half;
  job.k = K + 3;
  double *cf = malloc((size_t)(K + 3) * D * sizeof *cf);
  strata_status st = strata_init_kmeanspp(&job, cf);
  CHECK_MSG(st == STRATA_OK, "fallback to float32: %s", strata_last_error());
  free(cf);
  free(x); free(truth); free(ch); free(cp); free(c1);
}

int main(void) {
  int ran = 0;
  for (const char *const *name = (const char *const[]){"avx512", "avx2", NULL}; *name; name++) {
    const strata_kernels *t = strata_kernels_find(*name);
    if (!t || !t->seed.pack_rows_half) continue;
    printf("table %s\n", *name);
    check_table(t);
    ran++;
  }
  if (!ran) check_skip("no kernel table with half-precision packing on this CPU/build");
  return check_report();
}
