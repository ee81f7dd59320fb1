/* The OpenCL backend against the reference kernels (kernels/ref.c).
 *
 * Per-block slots: assign_reduce and dist2_to_points on awkward shapes
 * (rows, d, k not multiples of any tile; misaligned x with ld > d; incoming
 * sums that are added to): labels equal, sums/counts/inertia bit-identical,
 * dist2 within 1e-5 relative.
 *
 * Runs (the run_* slots): a pass over many blocks, cut into chunks of
 * several sizes, against the core's own scheme (ref per block, block sums
 * merged in block order): labels equal, pass totals bit-identical with a
 * float64 device; data resident or streamed, pieces forced down to one
 * block, a second pass with other centroids, empty clusters, k = 1, k = n,
 * duplicate rows, blocks with dropped rows; and the same pass twice gives
 * the same bits.
 *
 * The scaler on the device (run_set_scaler): raw rows in, every output bit
 * for bit equal to the same run fed the host's scaled rows (core/scaler.c),
 * resident and streamed, over two passes (the second reads the resident,
 * already scaled rows), d = 1, odd d, k = 1, a constant column, NaN imputed
 * (mean, median); Inf and NaN under "error" fail with the host's message for
 * the first bad row, also with a fallback and without a warning; a device
 * lost mid-run scales on the host; STRATA_OPENCL_HOST_SCALE=1 refuses.
 *
 * Failures, each in a fresh process (the test runs itself with an argument:
 * OpenCL state must not cross a fork): no platform (OCL_ICD_VENDORS pointing
 * at an empty folder), a forced build failure, a device lost mid-run (with
 * and without a CPU fallback), allocations that fail above a size (pieces
 * split and the answer is unchanged), and the program cache (a second
 * process loads the binary; an unwritable cache is skipped).
 *
 * Without an OpenCL device the test reports skipped (exit 77), or fails with
 * CI=true (check_unavailable). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ctx_pool.h"
#include "exact.h"
#include "kernels.h"
#include "opencl.h"
#include "scaler.h"
#include "xacc.h"

/* The context of the runs here: the defaults until a child captures what
 * the library logs (capture_logs). */
static strata_ctx *log_ctx;

/* ---- data ---------------------------------------------------------------- */

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint64_t rng_next(void) { /* splitmix64 */
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static double rng_uniform(void) { return (double)(rng_next() >> 11) * 0x1.0p-53; }
static double rng_sym(void) { return 2.0 * rng_uniform() - 1.0; }

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
  return p;
}
static void *xcalloc(size_t n, size_t s) {
  void *p = calloc(n ? n : 1, s ? s : 1);
  if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
  return p;
}

/* Centroids on a grid of spacing 4 in the first one or two coordinates, the
 * rest in [-1, 1]: far apart at every d and k (as tests/test_kernels.c). */
static void make_centroids(float *c, size_t k, size_t d) {
  const size_t side = d >= 2 ? 45 : k;
  for (size_t l = 0; l < k; l++) {
    for (size_t j = 0; j < d; j++) c[l * d + j] = (float)rng_sym();
    c[l * d] = (float)(4.0 * ((double)(l % side) - 0.5 * (double)(side - 1)));
    if (d >= 2) c[l * d + 1] = (float)(4.0 * ((double)(l / side) - 0.5 * (double)(k / side)));
  }
}

/* Points within 0.05 per coordinate of a random centroid among the first
 * `used` (used < k leaves clusters empty); every 5th row repeats an earlier
 * one.  Padding columns (ld > d) hold NaN: they must never be read. */
static void make_points(float *x, size_t rows, size_t ld, size_t d, const float *c, size_t used) {
  for (size_t i = 0; i < rows; i++) {
    float *xi = x + i * ld;
    if (i >= 5 && i % 5 == 0) {
      memcpy(xi, x + (rng_next() % i) * ld, d * sizeof(float));
    } else {
      const size_t l = rng_next() % used;
      for (size_t j = 0; j < d; j++) xi[j] = c[l * d + j] + (float)(0.05 * rng_sym());
    }
    for (size_t j = d; j < ld; j++) xi[j] = (float)NAN;
  }
}

static void norms(const float *c, size_t k, size_t d, float *cn) {
  for (size_t l = 0; l < k; l++) {
    double s = 0.0;
    for (size_t j = 0; j < d; j++) s += (double)c[l * d + j] * c[l * d + j];
    cn[l] = (float)s;
  }
}

static int close_rel(double a, double b, double rel, double abs_tol) {
  return fabs(a - b) <= rel * fmax(fabs(a), fabs(b)) + abs_tol;
}

static strata_scratch scratch_for(const strata_kernels *t, size_t rows, size_t d, size_t k) {
  strata_scratch s = {NULL, t->lloyd.scratch_bytes(&t->ctx, rows, d, k)};
  if (s.bytes) {
    s.ptr = aligned_alloc(64, (s.bytes + 63) & ~(size_t)63);
    if (!s.ptr) exit(2);
  }
  return s;
}

/* ---- the device under test ------------------------------------------------ */

static const strata_kernels *T;  /* the OpenCL table */
static const strata_ocl_device_info *INFO;
static const char *self_path;
static char tmp_dir[512];

/* ---- per-block slots ------------------------------------------------------ */

static void assign_one(const strata_kernels *t, const float *x, size_t rows, size_t ld, size_t d,
                       const float *c, const float *cn, size_t k, int32_t *lab, float *dist2,
                       double *sums, int64_t *counts, double *inertia) {
  for (size_t i = 0; i < k * d; i++) sums[i] = 0.25 * (double)(i % 7);
  for (size_t l = 0; l < k; l++) counts[l] = (int64_t)(l % 3);
  strata_block_acc acc = {sums, counts, 1.5};
  strata_scratch s = scratch_for(t, rows, d, k);
  t->lloyd.assign_reduce(&t->ctx, x, rows, ld, d, c, cn, k, lab, dist2, &acc, s);
  free(s.ptr);
  *inertia = acc.inertia;
}

static void test_block_shape(size_t rows, size_t d, size_t k, size_t ld) {
  float *c = xmalloc(k * d * sizeof *c), *cn = xmalloc(k * sizeof *cn);
  float *xbuf = xmalloc((rows * ld + 1) * sizeof *xbuf), *x = xbuf + 1; /* misaligned */
  make_centroids(c, k, d);
  norms(c, k, d, cn);
  make_points(x, rows, ld, d, c, k);
  int32_t *la = xmalloc(rows * 4), *lb = xmalloc(rows * 4);
  float *da = xmalloc(rows * 4), *db = xmalloc(rows * 4);
  double *sa = xmalloc(k * d * 8), *sb = xmalloc(k * d * 8), ia, ib;
  int64_t *ca = xmalloc(k * 8), *cb = xmalloc(k * 8);
  assign_one(strata_kernels_ref(), x, rows, ld, d, c, cn, k, la, da, sa, ca, &ia);
  assign_one(T, x, rows, ld, d, c, cn, k, lb, db, sb, cb, &ib);
  size_t bad = 0, bad_d = 0;
  for (size_t i = 0; i < rows; i++) {
    bad += la[i] != lb[i];
    bad_d += !close_rel(da[i], db[i], 1e-5, 1e-6);
  }
  const int before = check_failures_;
  CHECK_MSG(bad == 0, "%zu labels differ", bad);
  CHECK_MSG(bad_d == 0, "%zu dist2 differ", bad_d);
  if (bad == 0) {
    CHECK_MSG(memcmp(sa, sb, k * d * 8) == 0, "sums not bit-identical");
    CHECK_MSG(memcmp(ca, cb, k * 8) == 0, "counts differ");
    CHECK_MSG(ia == ib, "inertia %.17g vs %.17g", ib, ia);
  }
  if (check_failures_ != before) fprintf(stderr, "  block shape rows=%zu d=%zu k=%zu ld=%zu\n", rows, d, k, ld);
  free(c); free(cn); free(xbuf); free(la); free(lb); free(da); free(db);
  free(sa); free(sb); free(ca); free(cb);
}

static void test_block_slots(void) {
  static const size_t rows_l[] = {1, 7, 17, 1000, 4096};
  static const size_t d_l[] = {1, 2, 3, 7, 16, 17, 33, 100, 300};
  static const size_t k_l[] = {1, 2, 7, 8, 17, 64, 100, 1000, 2000};
  /* Every d and every k at least once, without the full product (each
   * call is a device round trip). */
  for (size_t a = 0; a < 9; a++)
    for (size_t b = 0; b < 9; b += 1 + (a % 3)) {
      size_t rows = rows_l[(a + b) % 5], d = d_l[a], k = k_l[b];
      test_block_shape(rows, d, k, d + (a % 2) * 3);
    }
  /* dist2_to_points */
  static const size_t m_l[] = {1, 3, 9, 17, 64};
  for (size_t a = 0; a < 5; a++) {
    size_t rows = rows_l[a], d = d_l[(2 * a + 1) % 9], m = m_l[a], ld = d + 1;
    float *x = xmalloc(rows * ld * 4), *cand = xmalloc(m * d * 4);
    float *oa = xmalloc(m * rows * 4), *ob = xmalloc(m * rows * 4);
    make_centroids(cand, m, d);
    make_points(x, rows, ld, d, cand, m);
    strata_scratch s = scratch_for(T, rows, d, m);
    strata_kernels_ref()->seed.dist2_to_points(&strata_kernels_ref()->ctx, x, rows, ld, d, cand, m, oa, s);
    T->seed.dist2_to_points(&T->ctx, x, rows, ld, d, cand, m, ob, s);
    free(s.ptr);
    size_t bad = 0;
    for (size_t i = 0; i < m * rows; i++)
      bad += INFO->fp64 ? oa[i] != ob[i] : !close_rel(oa[i], ob[i], 1e-5, 1e-6);
    CHECK_MSG(bad == 0, "dist2_to_points rows=%zu d=%zu m=%zu: %zu values differ", rows, d, m, bad);
    free(x); free(cand); free(oa); free(ob);
  }
}

/* ---- runs ----------------------------------------------------------------- */

typedef struct {
  size_t n, d, k;
  float *x;          /* nblocks slots of 4096 rows (fewer used when rows are dropped) */
  size_t nblocks;
  size_t *m;         /* rows present per block */
  float *c, *cn;
  double *scale;     /* d: 2^S_j of the exact sums, as core/kmeans.c sets them */
} run_data;

typedef struct {
  int32_t *labels;   /* packed, block after block */
  float *dist2;
  strata_fixed128 *sums;
  int64_t *counts;
  double inertia;
} pass_out;

static void pass_alloc(pass_out *o, const run_data *r) {
  o->labels = xcalloc(r->n, 4);
  o->dist2 = xcalloc(r->n, 4);
  o->sums = xcalloc(r->k * r->d, sizeof *o->sums);
  o->counts = xcalloc(r->k, 8);
  o->inertia = 0.0;
}
static void pass_free(pass_out *o) { free(o->labels); free(o->dist2); free(o->sums); free(o->counts); }

/* The scale of the exact sums, from the largest |value| per column. */
static void run_data_sum_scale(run_data *r) {
  for (size_t j = 0; j < r->d; j++) {
    double bound = 0.0;
    for (size_t b = 0; b < r->nblocks; b++)
      for (size_t i = 0; i < r->m[b]; i++) bound = fmax(bound, fabs(r->x[(b * 4096 + i) * r->d + j]));
    r->scale[j] = ldexp(1.0, strata_fixed_exponent(bound, (double)(r->n ? r->n : 1)));
  }
}

/* n rows in blocks of 4096; with `drop`, some blocks lose rows (one loses
 * all of them), as the core's missing-value rule would. */
static void run_data_make(run_data *r, size_t n, size_t d, size_t k, size_t used, int drop) {
  r->n = n; r->d = d; r->k = k;
  r->nblocks = (n + 4095) / 4096;
  r->x = xmalloc(r->nblocks * 4096 * d * sizeof(float));
  r->m = xmalloc(r->nblocks * sizeof *r->m);
  r->c = xmalloc(k * d * 4);
  r->cn = xmalloc(k * 4);
  make_centroids(r->c, k, d);
  norms(r->c, k, d, r->cn);
  size_t total = 0;
  for (size_t b = 0; b < r->nblocks; b++) {
    size_t m = n - b * 4096 < 4096 ? n - b * 4096 : 4096;
    if (drop && b % 3 == 1) m = m * 2 / 3;
    if (drop && b == 2) m = 0;
    r->m[b] = m;
    make_points(r->x + b * 4096 * d, m, d, d, r->c, used);
    total += m;
  }
  r->n = total; /* rows actually present */
  r->scale = xmalloc(d * sizeof *r->scale);
  run_data_sum_scale(r);
}

static void run_data_free(run_data *r) { free(r->x); free(r->m); free(r->c); free(r->cn); free(r->scale); }

static void fixed_add(strata_fixed128 *acc, strata_fixed v) {
  strata_fixed a = (strata_fixed)(((unsigned __int128)(uint64_t)acc->hi << 64) | acc->lo);
  a += v;
  acc->lo = (uint64_t)a;
  acc->hi = (int64_t)(a >> 64);
}

/* The core's scheme with the reference kernels (core/lloyd_pass.c): per block
 * into zeroed partials, each touched cluster's sums rounded once to fixed
 * point and added exactly; inertia per block, the blocks added exactly
 * (common/xacc.h) and rounded once. */
static void reference_pass(const run_data *r, const float *c, const float *cn, pass_out *o) {
  const strata_kernels *ref = strata_kernels_ref();
  double *bs = xcalloc(r->k * r->d, 8);
  int64_t *bc = xcalloc(r->k, 8);
  memset(o->sums, 0, r->k * r->d * sizeof *o->sums);
  memset(o->counts, 0, r->k * 8);
  strata_xacc inertia;
  strata_xacc_zero(&inertia);
  size_t off = 0;
  for (size_t b = 0; b < r->nblocks; b++) {
    strata_block_acc acc = {bs, bc, 0.0};
    ref->lloyd.assign_reduce(&ref->ctx, r->x + b * 4096 * r->d, r->m[b], r->d, r->d, c, cn, r->k, o->labels + off,
                       o->dist2 + off, &acc, (strata_scratch){NULL, 0});
    for (size_t l = 0; l < r->k; l++) {
      if (!bc[l]) continue;
      o->counts[l] += bc[l];
      bc[l] = 0;
      for (size_t j = 0; j < r->d; j++) {
        fixed_add(&o->sums[l * r->d + j], strata_to_fixed(bs[l * r->d + j] * r->scale[j]));
        bs[l * r->d + j] = 0.0;
      }
    }
    strata_xacc_add(&inertia, acc.inertia);
    off += r->m[b];
  }
  o->inertia = strata_xacc_round(&inertia);
  free(bs); free(bc);
}

/* One pass through a run, chunk_blocks blocks per run_chunk call. */
static strata_status device_pass(strata_kernel_run *run, const run_data *r, size_t chunk_blocks,
                                 pass_out *o) {
  strata_run_block *blk = xmalloc(r->nblocks * sizeof *blk);
  for (size_t b = 0; b < r->nblocks; b++) blk[b] = (strata_run_block){r->x + b * 4096 * r->d, r->m[b], b * 4096};
  strata_status st = T->run.run_begin_pass(run);
  size_t off = 0;
  for (size_t b0 = 0; st == STRATA_OK && b0 < r->nblocks; b0 += chunk_blocks) {
    size_t nb = r->nblocks - b0 < chunk_blocks ? r->nblocks - b0 : chunk_blocks, rows = 0;
    for (size_t b = b0; b < b0 + nb; b++) rows += r->m[b];
    st = T->run.run_chunk(run, blk + b0, nb, o->labels + off, o->dist2 + off);
    off += rows;
  }
  if (st == STRATA_OK) st = T->run.run_end_pass(run, o->sums, o->counts, &o->inertia);
  free(blk);
  return st;
}

/* Compares a device pass with the reference pass; exact when the device has
 * float64 (or the host did the float64 work). */
static void compare_pass(const char *what, const run_data *r, const pass_out *ref, const pass_out *got) {
  size_t bad = 0, bad_d = 0;
  for (size_t i = 0; i < r->n; i++) {
    bad += ref->labels[i] != got->labels[i];
    bad_d += !close_rel(ref->dist2[i], got->dist2[i], 1e-6, 0.0);
  }
  const int before = check_failures_;
  CHECK_MSG(bad == 0, "%s: %zu of %zu labels differ", what, bad, r->n);
  CHECK_MSG(bad_d == 0, "%s: %zu dist2 differ", what, bad_d);
  CHECK_MSG(memcmp(ref->counts, got->counts, r->k * 8) == 0, "%s: counts differ", what);
  size_t bad_s = 0;
  for (size_t i = 0; i < r->k * r->d; i++)
    bad_s += ref->sums[i].lo != got->sums[i].lo || ref->sums[i].hi != got->sums[i].hi;
  CHECK_MSG(bad_s == 0, "%s: %zu of %zu exact sums differ", what, bad_s, r->k * r->d);
  CHECK_MSG(ref->inertia == got->inertia, "%s: inertia %.17g vs %.17g", what, got->inertia, ref->inertia);
  if (check_failures_ != before) fprintf(stderr, "  %s: n=%zu d=%zu k=%zu\n", what, r->n, r->d, r->k);
}

static strata_kernel_run *open_run(const run_data *r, const strata_kernels *fallback) {
  strata_run_config cfg = {log_ctx, r->n, r->d, r->k, 2, fallback, r->scale,
                           strata_fixed_row_limit((double)(r->n ? r->n : 1))};
  strata_kernel_run *run = NULL;
  strata_status st = T->run.run_open(&T->ctx, &cfg, &run);
  CHECK_MSG(st == STRATA_OK, "run_open: %s", strata_last_error());
  return run;
}

/* A run over one data set, chunked several ways, two passes each. */
static void test_run_case(size_t n, size_t d, size_t k, size_t used, int drop) {
  run_data r;
  run_data_make(&r, n, d, k, used, drop);
  pass_out ref, ref2, got;
  pass_alloc(&ref, &r); pass_alloc(&ref2, &r); pass_alloc(&got, &r);
  reference_pass(&r, r.c, r.cn, &ref);
  /* Second pass: the centroids move (as after an update). */
  float *c2 = xmalloc(k * d * 4), *cn2 = xmalloc(k * 4);
  for (size_t i = 0; i < k * d; i++) c2[i] = r.c[i] + 0.01f;
  norms(c2, k, d, cn2);
  reference_pass(&r, c2, cn2, &ref2);
  static const size_t chunks[] = {1, 3, 200};
  for (size_t ci = 0; ci < 3; ci++) {
    strata_kernel_run *run = open_run(&r, NULL);
    if (!run) break;
    char what[64];
    snprintf(what, sizeof what, "run, %zu blocks per chunk, pass 1", chunks[ci]);
    CHECK_OK(T->run.run_set_centroids(run, r.c, r.cn));
    CHECK_OK(device_pass(run, &r, chunks[ci], &got));
    compare_pass(what, &r, &ref, &got);
    snprintf(what, sizeof what, "run, %zu blocks per chunk, pass 2", chunks[ci]);
    CHECK_OK(T->run.run_set_centroids(run, c2, NULL));
    CHECK_OK(device_pass(run, &r, chunks[ci], &got));
    compare_pass(what, &r, &ref2, &got);
    T->run.run_close(run);
  }
  free(c2); free(cn2);
  pass_free(&ref); pass_free(&ref2); pass_free(&got);
  run_data_free(&r);
}

static void test_runs(void) {
  test_run_case(50000, 16, 8, 8, 0);
  test_run_case(30001, 3, 100, 100, 1);
  test_run_case(9000, 300, 17, 17, 0);
  test_run_case(1234, 33, 2000, 2000, 0);
  test_run_case(4096, 1, 1, 1, 0);        /* k = 1 */
  test_run_case(20000, 7, 64, 20, 0);      /* 44 empty clusters */
  test_run_case(500, 5, 500, 500, 0);      /* k = n (with duplicate rows) */
  /* Random shapes, n cut so that the reference (float64 scalar) stays
   * around 1e8 multiply-adds per pass. */
  for (int i = 0; i < 6; i++) {
    size_t d = 1 + rng_next() % 300, k = 1 + rng_next() % 2000, n = 1 + rng_next() % 40000;
    if (n * k * d > 100000000) n = 100000000 / (k * d) + 1;
    if (k > n) k = n;
    test_run_case(n, d, k, k, (int)(rng_next() % 2));
  }
}

/* Values past the exact sums' grid (a grid chosen for a bound 8 times too
 * small: the input changed after the statistics pass): the pass fails with
 * STRATA_ERR_DATA at its end, in the device's reduction and in the
 * snapshot mode a fallback uses, never wraps a sum; the next pass, under
 * the right grid, is exact again. */
static void test_run_off_grid(void) {
  run_data r;
  run_data_make(&r, 20000, 6, 9, 9, 0);
  pass_out ref, got;
  pass_alloc(&ref, &r); pass_alloc(&got, &r);
  reference_pass(&r, r.c, r.cn, &ref);
  double *right = xmalloc(r.d * sizeof *right);
  memcpy(right, r.scale, r.d * sizeof *right);
  for (size_t j = 0; j < r.d; j++) r.scale[j] = right[j] * 8.0;
  for (int snapshot = 0; snapshot < 2; snapshot++) {
    strata_kernel_run *run = open_run(&r, snapshot ? strata_kernels_ref() : NULL);
    if (!run) continue;
    CHECK_OK(T->run.run_set_centroids(run, r.c, r.cn));
    strata_status st = device_pass(run, &r, 2, &got);
    CHECK_MSG(st == STRATA_ERR_DATA && strstr(strata_last_error(), "far past its column's range"),
              "off the grid (snapshot %d): %s, %s", snapshot, strata_status_name(st), strata_last_error());
    T->run.run_close(run);
  }
  memcpy(r.scale, right, r.d * sizeof *right);
  strata_kernel_run *run = open_run(&r, NULL);
  if (run) {
    CHECK_OK(T->run.run_set_centroids(run, r.c, r.cn));
    CHECK_OK(device_pass(run, &r, 2, &got));
    compare_pass("on the grid again", &r, &ref, &got);
    T->run.run_close(run);
  }
  free(right);
  pass_free(&ref); pass_free(&got);
  run_data_free(&r);
}

/* Streamed and resident, pieces of one block: the same bits; the same pass
 * twice: the same bits. */
static void test_run_modes(void) {
  run_data r;
  run_data_make(&r, 70000, 12, 37, 37, 1);
  pass_out ref, got;
  pass_alloc(&ref, &r); pass_alloc(&got, &r);
  reference_pass(&r, r.c, r.cn, &ref);
  static const char *const modes[][2] = {{"STRATA_OPENCL_RESIDENT", "0"},
                                         {"STRATA_OPENCL_MEM_LIMIT", "600000"}};
  for (int i = 0; i < 2; i++) {
    setenv(modes[i][0], modes[i][1], 1);
    strata_kernel_run *run = open_run(&r, NULL);
    unsetenv(modes[i][0]);
    if (!run) continue;
    char what[96];
    snprintf(what, sizeof what, "run with %s=%s", modes[i][0], modes[i][1]);
    CHECK_OK(T->run.run_set_centroids(run, r.c, r.cn));
    for (int pass = 0; pass < 2; pass++) {
      CHECK_OK(device_pass(run, &r, 7, &got));
      compare_pass(what, &r, &ref, &got);
    }
    T->run.run_close(run);
  }
  /* Non-separated data: labels may differ from the reference at near-ties,
   * but two runs agree bit for bit. */
  for (size_t i = 0; i < r.nblocks * 4096 * r.d; i++) r.x[i] = (float)rng_sym();
  run_data_sum_scale(&r); /* the grid of the new values */
  pass_out again;
  pass_alloc(&again, &r);
  strata_kernel_run *run = open_run(&r, NULL);
  if (run) {
    CHECK_OK(T->run.run_set_centroids(run, r.c, r.cn));
    CHECK_OK(device_pass(run, &r, 5, &got));
    T->run.run_close(run);
  }
  run = open_run(&r, NULL);
  if (run) {
    CHECK_OK(T->run.run_set_centroids(run, r.c, r.cn));
    CHECK_OK(device_pass(run, &r, 11, &again));
    T->run.run_close(run);
  }
  CHECK_MSG(memcmp(got.labels, again.labels, r.n * 4) == 0, "labels not reproducible");
  CHECK_MSG(memcmp(got.sums, again.sums, r.k * r.d * sizeof *got.sums) == 0, "sums not reproducible");
  CHECK_MSG(got.inertia == again.inertia, "inertia not reproducible");
  reference_pass(&r, r.c, r.cn, &ref);
  size_t agree = 0;
  for (size_t i = 0; i < r.n; i++) agree += ref.labels[i] == got.labels[i];
  CHECK_MSG(agree >= r.n - r.n / 1000, "only %zu of %zu labels agree on random data", agree, r.n);
  pass_free(&ref); pass_free(&got); pass_free(&again);
  run_data_free(&r);
}

/* ---- failure paths, each in a fresh process ------------------------------- */

static char log_buf[8192];
static int warnings;
static void capture_log(strata_log_level level, const char *msg, void *user) {
  (void)user;
  if (level == STRATA_LOG_WARN) warnings++;
  size_t n = strlen(log_buf);
  snprintf(log_buf + n, sizeof log_buf - n, "%s\n", msg);
}

static void capture_logs(void) {
  if (!log_ctx) log_ctx = strata_ctx_new();
  strata_ctx_set_log(log_ctx, capture_log, NULL, STRATA_LOG_DEBUG);
}

/* Runs this test binary with `mode` and extra environment; returns its exit
 * status (0 = the child's checks passed). */
static int run_child(const char *mode, const char *const *env) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    for (size_t i = 0; env && env[i]; i += 2) setenv(env[i], env[i + 1], 1);
    execl(self_path, self_path, mode, (char *)NULL);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* A pass with a fallback must equal the reference even if the device dies. */
static int child_lost(int with_fallback) {
  capture_logs();
  run_data r;
  run_data_make(&r, 60000, 9, 21, 21, 0);
  pass_out ref, got;
  pass_alloc(&ref, &r); pass_alloc(&got, &r);
  reference_pass(&r, r.c, r.cn, &ref);
  strata_kernel_run *run = open_run(&r, with_fallback ? strata_kernels_ref() : NULL);
  strata_status st = run ? T->run.run_set_centroids(run, r.c, r.cn) : STRATA_ERR_BACKEND;
  for (int pass = 0; st == STRATA_OK && pass < 3; pass++) {
    st = device_pass(run, &r, 4, &got);
    if (with_fallback && st == STRATA_OK) compare_pass("run after a lost device", &r, &ref, &got);
  }
  if (with_fallback) {
    CHECK_MSG(st == STRATA_OK, "with a fallback: %s", strata_last_error());
    CHECK_MSG(warnings == 1, "%d warnings, expected exactly one:\n%s", warnings, log_buf);
    CHECK_MSG(strstr(log_buf, "continuing on the CPU (ref)") != NULL, "log: %s", log_buf);
  } else {
    CHECK_MSG(st == STRATA_ERR_BACKEND, "without a fallback: %s", strata_status_name(st));
    CHECK_MSG(strstr(strata_last_error(), "clEnqueueNDRangeKernel(assign_f32) failed: CL_DEVICE_NOT_AVAILABLE (-2)"),
              "error: %s", strata_last_error());
  }
  T->run.run_close(run);
  /* The per-block slots now compute on the CPU: still right. */
  int32_t lab[100];
  float d2[100];
  T->lloyd.assign_reduce(&T->ctx, r.x, 100, r.d, r.d, r.c, r.cn, r.k, lab, d2, NULL, (strata_scratch){NULL, 0});
  CHECK(memcmp(lab, ref.labels, sizeof lab) == 0);
  pass_free(&ref); pass_free(&got);
  run_data_free(&r);
  return check_report();
}

static int child_alloc(void) {
  capture_logs();
  run_data r;
  run_data_make(&r, 100000, 8, 10, 10, 0);
  pass_out ref, got;
  pass_alloc(&ref, &r); pass_alloc(&got, &r);
  reference_pass(&r, r.c, r.cn, &ref);
  strata_kernel_run *run = open_run(&r, NULL);
  if (run) {
    CHECK_OK(T->run.run_set_centroids(run, r.c, r.cn));
    for (int pass = 0; pass < 2; pass++) {
      CHECK_OK(device_pass(run, &r, 25, &got));
      compare_pass("run with allocations failing above 300000 bytes", &r, &ref, &got);
    }
    T->run.run_close(run);
  }
  CHECK_MSG(strstr(log_buf, "pieces of") != NULL, "no split logged:\n%s", log_buf);
  CHECK_MSG(warnings == 0, "warnings:\n%s", log_buf);
  pass_free(&ref); pass_free(&got);
  run_data_free(&r);
  return check_report();
}

static int child_build_error(void) {
  strata_status st = strata_ocl_prepare(log_ctx, (size_t)INFO->index, 8);
  CHECK(st == STRATA_ERR_BACKEND);
  const char *e = strata_last_error();
  CHECK_MSG(strstr(e, "OpenCL program build failed") && strstr(e, "STRATA_FORCE_BUILD_ERROR") &&
                !strchr(e, '\n'),
            "error: %s", e);
  /* With a fallback a run still works (on the CPU), saying so once. */
  capture_logs();
  run_data r;
  run_data_make(&r, 5000, 4, 3, 3, 0);
  pass_out ref, got;
  pass_alloc(&ref, &r); pass_alloc(&got, &r);
  reference_pass(&r, r.c, r.cn, &ref);
  strata_kernel_run *run = open_run(&r, strata_kernels_ref());
  if (run) {
    CHECK_OK(T->run.run_set_centroids(run, r.c, r.cn));
    CHECK_OK(device_pass(run, &r, 1, &got));
    compare_pass("CPU fallback after a build failure", &r, &ref, &got);
    T->run.run_close(run);
  }
  CHECK_MSG(warnings == 1, "%d warnings:\n%s", warnings, log_buf);
  pass_free(&ref); pass_free(&got);
  run_data_free(&r);
  return check_report();
}

static int child_no_platform(void) {
  CHECK(strata_ocl_device_count() == 0);
  CHECK(strata_ocl_table(0) == NULL);
  CHECK_MSG(strstr(strata_ocl_discovery_note(), "no OpenCL platform") != NULL, "note: %s",
            strata_ocl_discovery_note());
  return check_report();
}

static int child_cache(int expect_hit) {
  capture_logs();
  CHECK_OK(strata_ocl_prepare(log_ctx, (size_t)INFO->index, 8));
  int hit = strstr(log_buf, "loaded from the cache") != NULL;
  CHECK_MSG(hit == expect_hit, "cache %s expected:\n%s", expect_hit ? "hit" : "miss", log_buf);
  CHECK_MSG(warnings == 0, "warnings:\n%s", log_buf);
  return check_report();
}

/* ---- the scaler on the device (run_set_scaler) ----------------------------
 *
 * The run gets RAW rows and the scaler; the same run fed the rows scaled by
 * the host (core/scaler.c) must give the same bits everywhere: labels, dist2,
 * exact sums (fixed point at a resolution far below one float32 ulp of the
 * data), counts, inertia, in both passes (the second reads the resident rows,
 * which must be the scaled ones, scaled once). */

typedef struct {
  float *raw;            /* like run_data.x, in original units */
  strata_scaler sc;
  char (*names)[24];
  const char **name_ptrs;
} raw_data;

static strata_status scaler_host_apply(const void *ctx, const float *raw, size_t rows, size_t row0,
                                       float *out) {
  size_t m = 0;
  return strata_scaler_apply(ctx, raw, rows, row0, out, NULL, &m);
}

static strata_run_scaler run_scaler_of(const strata_scaler *sc) {
  return (strata_run_scaler){sc->shift, sc->inv, sc->missing == STRATA_MISSING_ERROR ? NULL : sc->impute,
                             scaler_host_apply, sc};
}

/* Original units for r (scaled units): per column a shift and a factor, the
 * last column (d >= 2) constant (factor 1, as the scaler keeps it); about one
 * cell in 50 NaN when nan_cells.  r->x is then replaced by the host's
 * scaling of the raw rows, the oracle. */
static void raw_make(raw_data *w, run_data *r, strata_missing missing, int nan_cells) {
  const size_t d = r->d, cells = r->nblocks * 4096 * d;
  double *shift = xmalloc(d * 8), *factor = xmalloc(d * 8), *impute = xmalloc(d * 8);
  w->names = xmalloc(d * sizeof *w->names);
  w->name_ptrs = xmalloc(d * sizeof *w->name_ptrs);
  for (size_t j = 0; j < d; j++) {
    snprintf(w->names[j], sizeof w->names[j], "col%zu", j);
    w->name_ptrs[j] = w->names[j];
    shift[j] = 1000.0 * rng_sym();
    factor[j] = 0.01 + 50.0 * rng_uniform();
    impute[j] = shift[j] + factor[j] * rng_sym();
  }
  const size_t constant = d >= 2 ? d - 1 : d;
  if (constant < d) { shift[constant] = 42.5; factor[constant] = 1.0; }
  CHECK_OK(strata_scaler_from(&w->sc, d, w->name_ptrs, missing, shift, factor, impute));
  w->raw = xmalloc(cells * sizeof(float));
  for (size_t b = 0; b < r->nblocks; b++)
    for (size_t i = 0; i < r->m[b]; i++)
      for (size_t j = 0; j < d; j++) {
        const size_t e = (b * 4096 + i) * d + j;
        float v = j == constant ? 42.5f : (float)(r->x[e] * factor[j] + shift[j]);
        if (nan_cells && rng_next() % 50 == 0) v = NAN;
        w->raw[e] = v;
      }
  for (size_t b = 0; b < r->nblocks; b++) {
    size_t m = 0;
    CHECK_OK(strata_scaler_apply(&w->sc, w->raw + b * 4096 * d, r->m[b], b * 4096, r->x + b * 4096 * d,
                                 NULL, &m));
  }
  run_data_sum_scale(r);
  free(shift); free(factor); free(impute);
}

static void raw_free(raw_data *w) {
  strata_scaler_free(&w->sc);
  free(w->raw); free(w->names); free(w->name_ptrs);
}

static void compare_exact(const char *what, const run_data *r, const pass_out *a, const pass_out *b) {
  size_t bad_l = 0, bad_d = 0;
  for (size_t i = 0; i < r->n; i++) {
    bad_l += a->labels[i] != b->labels[i];
    bad_d += memcmp(&a->dist2[i], &b->dist2[i], sizeof(float)) != 0;
  }
  CHECK_MSG(bad_l == 0 && bad_d == 0, "%s: %zu labels and %zu distances differ of %zu", what, bad_l, bad_d, r->n);
  CHECK_MSG(memcmp(a->counts, b->counts, r->k * 8) == 0, "%s: counts differ", what);
  CHECK_MSG(memcmp(a->sums, b->sums, r->k * r->d * sizeof *a->sums) == 0, "%s: exact sums differ", what);
  CHECK_MSG(memcmp(&a->inertia, &b->inertia, sizeof(double)) == 0, "%s: inertia %.17g vs %.17g", what,
            b->inertia, a->inertia);
}

/* Two passes (the centroids move in between) of one run. */
static void two_passes(strata_kernel_run *run, run_data *r, const float *x, size_t chunk_blocks,
                       const float *c2, const float *cn2, pass_out out[2]) {
  float *scaled = r->x;
  r->x = (float *)x;
  CHECK_OK(T->run.run_set_centroids(run, r->c, r->cn));
  CHECK_OK(device_pass(run, r, chunk_blocks, &out[0]));
  CHECK_OK(T->run.run_set_centroids(run, c2, cn2));
  CHECK_OK(device_pass(run, r, chunk_blocks, &out[1]));
  r->x = scaled;
}

static void test_scale_case(size_t n, size_t d, size_t k, strata_missing missing, int nan_cells,
                            size_t chunk_blocks) {
  run_data r;
  run_data_make(&r, n, d, k, k, 0);
  raw_data w;
  raw_make(&w, &r, missing, nan_cells);
  float *c2 = xmalloc(k * d * 4), *cn2 = xmalloc(k * 4);
  for (size_t i = 0; i < k * d; i++) c2[i] = r.c[i] + 0.01f;
  norms(c2, k, d, cn2);
  pass_out ref, host[2], dev[2];
  pass_alloc(&ref, &r);
  for (int i = 0; i < 2; i++) { pass_alloc(&host[i], &r); pass_alloc(&dev[i], &r); }
  reference_pass(&r, r.c, r.cn, &ref);
  const strata_run_scaler rs = run_scaler_of(&w.sc);
  for (int resident = 1; resident >= 0; resident--) {
    if (!resident) setenv("STRATA_OPENCL_RESIDENT", "0", 1);
    strata_kernel_run *hr = open_run(&r, NULL), *dr = open_run(&r, NULL);
    unsetenv("STRATA_OPENCL_RESIDENT");
    if (!hr || !dr) { T->run.run_close(hr); T->run.run_close(dr); break; }
    const int took = T->run.run_set_scaler(dr, &rs);
    CHECK_MSG(took == INFO->fp64, "run_set_scaler returned %d on a device %s float64", took,
              INFO->fp64 ? "with" : "without");
    two_passes(hr, &r, r.x, chunk_blocks, c2, cn2, host);
    two_passes(dr, &r, took ? w.raw : r.x, chunk_blocks, c2, cn2, dev);
    char what[160];
    for (int p = 0; p < 2; p++) {
      snprintf(what, sizeof what, "device scaling, %s, pass %d, n=%zu d=%zu k=%zu missing=%s%s", 
               resident ? "resident" : "streamed", p + 1, n, d, k, strata_missing_name(missing),
               nan_cells ? " with NaN" : "");
      compare_exact(what, &r, &host[p], &dev[p]);
    }
    compare_pass(what, &r, &ref, &dev[0]); /* against the float64 reference too */
    T->run.run_close(hr);
    T->run.run_close(dr);
  }
  pass_free(&ref);
  for (int i = 0; i < 2; i++) { pass_free(&host[i]); pass_free(&dev[i]); }
  free(c2); free(cn2);
  raw_free(&w);
  run_data_free(&r);
}

static void test_device_scaling(void) {
  if (!INFO->fp64) printf("device scaling: no float64 on this device, only the refusal is tested\n");
  test_scale_case(20000, 16, 8, STRATA_MISSING_ERROR, 0, 2);
  test_scale_case(9001, 1, 1, STRATA_MISSING_MEAN, 1, 1);      /* d = 1, k = 1 */
  test_scale_case(12289, 7, 5, STRATA_MISSING_MEAN, 1, 3);     /* d not a multiple of 4 */
  test_scale_case(8200, 33, 1, STRATA_MISSING_MEDIAN, 1, 200); /* k = 1, d = 33 */
  test_scale_case(5000, 17, 40, STRATA_MISSING_MEDIAN, 1, 1);
  test_scale_case(300, 9, 12, STRATA_MISSING_ERROR, 0, 1);     /* one short block */
  /* STRATA_OPENCL_HOST_SCALE=1 refuses, so that the two can be compared. */
  run_data r;
  run_data_make(&r, 100, 3, 2, 2, 0);
  raw_data w;
  raw_make(&w, &r, STRATA_MISSING_MEAN, 0);
  const strata_run_scaler rs = run_scaler_of(&w.sc);
  setenv("STRATA_OPENCL_HOST_SCALE", "1", 1);
  strata_kernel_run *run = open_run(&r, NULL);
  if (run) CHECK_MSG(T->run.run_set_scaler(run, &rs) == 0, "STRATA_OPENCL_HOST_SCALE=1 ignored");
  unsetenv("STRATA_OPENCL_HOST_SCALE");
  T->run.run_close(run);
  raw_free(&w);
  run_data_free(&r);
}

/* The run_chunk of the chunk holding the first rejected value (Inf, or NaN
 * under the rule "error") fails with the host scaler's very message, even
 * with a CPU fallback (no warning: bad data is not a device failure). */
static int child_scale_errors(void) {
  capture_logs();
  if (!INFO->fp64) {
    check_skip("the device has no fp64: the scaled runs' error paths are not checked");
    return check_report();
  }
  static const struct { strata_missing missing; size_t nan_row, inf_row; } cases[] = {
      {STRATA_MISSING_MEAN, 0, 2 * 4096 + 17},        /* NaN imputed, Inf rejected */
      {STRATA_MISSING_ERROR, 4096 + 5000 % 4096, 4096 + 4000}, /* NaN first */
      {STRATA_MISSING_MEDIAN, 3, 5 * 4096 - 1},       /* the last row of the data */
  };
  for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
    for (int resident = 0; resident < 2; resident++) {
      run_data r;
      run_data_make(&r, 5 * 4096, 6, 4, 4, 0);
      raw_data w;
      raw_make(&w, &r, cases[ci].missing, 0);
      w.raw[cases[ci].nan_row * r.d + 2] = NAN;
      w.raw[cases[ci].inf_row * r.d + 4] = -INFINITY;
      /* The host's message over the same rows, in order. */
      char want[512] = "";
      float *tmp = xmalloc(4096 * r.d * sizeof(float));
      for (size_t b = 0; b < r.nblocks && !*want; b++) {
        size_t m;
        if (strata_scaler_apply(&w.sc, w.raw + b * 4096 * r.d, r.m[b], b * 4096, tmp, NULL, &m) != STRATA_OK)
          snprintf(want, sizeof want, "%s", strata_last_error());
      }
      free(tmp);
      CHECK_MSG(*want, "case %zu: the host accepts the data", ci);
      if (!resident) setenv("STRATA_OPENCL_RESIDENT", "0", 1);
      strata_kernel_run *run = open_run(&r, strata_kernels_ref());
      unsetenv("STRATA_OPENCL_RESIDENT");
      const strata_run_scaler rs = run_scaler_of(&w.sc);
      CHECK(run && T->run.run_set_scaler(run, &rs) == 1);
      pass_out got;
      pass_alloc(&got, &r);
      float *scaled = r.x;
      r.x = w.raw;
      strata_status st = T->run.run_set_centroids(run, r.c, r.cn);
      if (st == STRATA_OK) st = device_pass(run, &r, 2, &got);
      r.x = scaled;
      CHECK_MSG(st == STRATA_ERR_DATA && strcmp(strata_last_error(), want) == 0,
                "case %zu (%s): status %s, error '%s', want '%s'", ci, resident ? "resident" : "streamed",
                strata_status_name(st), strata_last_error(), want);
      T->run.run_close(run);
      pass_free(&got);
      raw_free(&w);
      run_data_free(&r);
    }
  }
  CHECK_MSG(warnings == 0, "warnings:\n%s", log_buf);
  return check_report();
}

/* A device lost mid-run under a fallback: the run scales the raw rows on the
 * host from then on, and every pass still equals the reference. */
static int child_lost_scaled(void) {
  capture_logs();
  run_data r;
  run_data_make(&r, 60000, 9, 21, 21, 0);
  raw_data w;
  raw_make(&w, &r, STRATA_MISSING_MEAN, 1);
  pass_out ref, got;
  pass_alloc(&ref, &r); pass_alloc(&got, &r);
  reference_pass(&r, r.c, r.cn, &ref);
  strata_kernel_run *run = open_run(&r, strata_kernels_ref());
  const strata_run_scaler rs = run_scaler_of(&w.sc);
  CHECK(run && T->run.run_set_scaler(run, &rs) == INFO->fp64);
  float *scaled = r.x;
  strata_status st = run ? T->run.run_set_centroids(run, r.c, r.cn) : STRATA_ERR_BACKEND;
  for (int pass = 0; st == STRATA_OK && pass < 3; pass++) {
    r.x = INFO->fp64 ? w.raw : scaled;
    st = device_pass(run, &r, 4, &got);
    r.x = scaled;
    if (st == STRATA_OK) compare_pass("scaled on the host after a lost device", &r, &ref, &got);
  }
  CHECK_MSG(st == STRATA_OK, "with a fallback: %s", strata_last_error());
  CHECK_MSG(warnings == 1 && strstr(log_buf, "continuing on the CPU (ref)"), "log:\n%s", log_buf);
  T->run.run_close(run);
  pass_free(&ref); pass_free(&got);
  raw_free(&w);
  run_data_free(&r);
  return check_report();
}

static void test_failures(void) {
  char empty[600], cache[600];
  snprintf(empty, sizeof empty, "%s/no-icd", tmp_dir);
  snprintf(cache, sizeof cache, "%s/cache", tmp_dir);
  mkdir(empty, 0755);
  const char *no_platform[] = {"OCL_ICD_VENDORS", empty, NULL};
  CHECK_MSG(run_child("no-platform", no_platform) == 0, "no-platform child failed");
  const char *build[] = {"STRATA_OPENCL_EXTRA_OPTIONS", "-DSTRATA_FORCE_BUILD_ERROR", NULL};
  CHECK_MSG(run_child("build-error", build) == 0, "build-error child failed");
  const char *lost[] = {"STRATA_OPENCL_FAULT", "launch:5", NULL};
  CHECK_MSG(run_child("lost-fallback", lost) == 0, "lost-fallback child failed");
  CHECK_MSG(run_child("lost-error", lost) == 0, "lost-error child failed");
  const char *alloc[] = {"STRATA_OPENCL_FAULT", "alloc:300000", NULL};
  CHECK_MSG(run_child("alloc", alloc) == 0, "alloc child failed");
  /* The cache: a fresh folder misses, then hits; an unwritable one is skipped. */
  const char *fresh[] = {"STRATA_OPENCL_CACHE", cache, NULL};
  CHECK_MSG(run_child("cache-miss", fresh) == 0, "cache-miss child failed");
  CHECK_MSG(run_child("cache-hit", fresh) == 0, "cache-hit child failed");
  const char *bad[] = {"STRATA_OPENCL_CACHE", "/proc/strata-cannot-write-here", NULL};
  CHECK_MSG(run_child("cache-miss", bad) == 0, "unwritable-cache child failed");
  int scale_rc = run_child("scale-errors", NULL);
  if (scale_rc == CHECK_SKIP_STATUS)
    check_skip("scale-errors child: the device has no fp64");
  else
    CHECK_MSG(scale_rc == 0, "scale-errors child failed");
  CHECK_MSG(run_child("lost-scaled", lost) == 0, "lost-scaled child failed");
}

/* ---- main ----------------------------------------------------------------- */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
  self_path = argv[0];
  const char *base = getenv("STRATA_TEST_TMP");
  snprintf(tmp_dir, sizeof tmp_dir, "%s/test_opencl.%ld", base && *base ? base : "/tmp", (long)getpid());
  const char *mode = argc > 1 ? argv[1] : NULL;
  if (!mode) {
    mkdir(tmp_dir, 0755);
    /* Builds go to a private cache: the test never writes to ~/.cache. */
    char cache[600];
    snprintf(cache, sizeof cache, "%s/main-cache", tmp_dir);
    setenv("STRATA_OPENCL_CACHE", cache, 1);
  }
  if (mode && strcmp(mode, "no-platform") == 0) return child_no_platform();

  if (!strata_ocl_built()) {
    check_unavailable("no OpenCL device (%s)", strata_ocl_discovery_note());
    return check_report();
  }
  for (size_t i = 0; i < strata_ocl_device_count() && !T; i++) {
    if ((T = strata_ocl_table(i))) INFO = strata_ocl_device(i);
  }
  if (!T) {
    check_unavailable("no usable OpenCL device (%s)", strata_ocl_discovery_note());
    return check_report();
  }
  if (mode) {
    if (strcmp(mode, "build-error") == 0) return child_build_error();
    if (strcmp(mode, "lost-fallback") == 0) return child_lost(1);
    if (strcmp(mode, "lost-error") == 0) return child_lost(0);
    if (strcmp(mode, "alloc") == 0) return child_alloc();
    if (strcmp(mode, "cache-miss") == 0) return child_cache(0);
    if (strcmp(mode, "cache-hit") == 0) return child_cache(1);
    if (strcmp(mode, "scale-errors") == 0) return child_scale_errors();
    if (strcmp(mode, "lost-scaled") == 0) return child_lost_scaled();
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  printf("testing %s: %s (%s), platform %s, driver %s, fp64 %s\n", T->name, INFO->name, INFO->type,
         INFO->platform, INFO->driver, INFO->fp64 ? "yes" : "no");
  static const struct { const char *name; void (*fn)(void); } parts[] = {
      {"per-block slots", test_block_slots}, {"runs", test_runs},
      {"run modes", test_run_modes}, {"off the grid", test_run_off_grid},
      {"device scaling", test_device_scaling},
      {"failure paths", test_failures}};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    double t0 = now_s();
    parts[i].fn();
    printf("%-16s %6.2f s\n", parts[i].name, now_s() - t0);
  }
  int rc = check_report();
  if (rc != 1) {
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp_dir);
  }
  return rc;
}
