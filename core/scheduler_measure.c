/* Measuring a kernel table: rows per second of one Lloyd pass (assignment
 * and reduction), as the scheduler's calibration and `strata devices` need.
 *
 * A CPU table is timed the way core/pass.c runs it (4096-row blocks over
 * OpenMP threads, per-thread scratch and partial sums); a device table
 * through a run, sized for the real job so that it streams or keeps the data
 * resident exactly as the job would.  The first pass warms up (page faults,
 * device buffers, first upload); the best of the next two counts. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "exact.h"
#include "kernels.h"
#include "pass.h"
#include "scheduler.h"

#define MEASURE_PASSES 3

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Deterministic data when there is no sample: uniform in [-1, 1). */
static float *generate(size_t rows, size_t d) {
  float *x = malloc((rows ? rows : 1) * d * sizeof *x);
  if (!x) return NULL;
  uint64_t s = 0x9E3779B97F4A7C15ull ^ (rows * 131 + d);
  for (size_t i = 0; i < rows * d; i++) {
    s ^= s << 13; s ^= s >> 7; s ^= s << 17; /* xorshift64 */
    x[i] = (float)((double)(s >> 11) * 0x1.0p-52 - 1.0);
  }
  return x;
}

/* k centroids spread over the rows (repeating when rows < k). */
static void pick_centroids(const float *x, size_t rows, size_t d, size_t k, float *c, float *cn) {
  for (size_t l = 0; l < k; l++) {
    size_t i = rows > k ? l * (rows / k) : l % rows;
    memcpy(c + l * d, x + i * d, d * sizeof *c);
    double s = 0.0;
    for (size_t j = 0; j < d; j++) s += (double)c[l * d + j] * c[l * d + j];
    cn[l] = (float)s;
  }
}

typedef struct {
  int32_t *labels;
  float *dist2;
  double *sums;
  int64_t *counts;
  strata_scratch scratch;
} cpu_thread;

static strata_status time_cpu(const strata_kernels *t, const float *x, size_t rows, size_t d,
                              const float *c, const float *cn, size_t k, int threads, double *best) {
  const size_t B = STRATA_BLOCK_ROWS, nb = (rows + B - 1) / B;
  if ((size_t)threads > nb) threads = (int)nb;
  cpu_thread *th = calloc((size_t)threads, sizeof *th);
  int ok = th != NULL;
  size_t sb = t->lloyd.scratch_bytes(&t->ctx, B, d, k);
  for (int i = 0; ok && i < threads; i++) {
    th[i].labels = malloc(B * sizeof *th[i].labels);
    th[i].dist2 = malloc(B * sizeof *th[i].dist2);
    th[i].sums = calloc(k * d, sizeof *th[i].sums);
    th[i].counts = calloc(k, sizeof *th[i].counts);
    th[i].scratch.bytes = sb;
    if (sb) th[i].scratch.ptr = aligned_alloc(64, (sb + 63) / 64 * 64);
    ok = th[i].labels && th[i].dist2 && th[i].sums && th[i].counts && (!sb || th[i].scratch.ptr);
  }
  for (int pass = 0; ok && pass < MEASURE_PASSES; pass++) {
    double t0 = now_seconds();
#pragma omp parallel for schedule(static, 1) num_threads(threads)
    for (long b = 0; b < (long)nb; b++) {
      cpu_thread *me = &th[omp_get_thread_num()];
      size_t r0 = (size_t)b * B, m = rows - r0 < B ? rows - r0 : B;
      strata_block_acc acc = {me->sums, me->counts, 0.0};
      t->lloyd.assign_reduce(&t->ctx, x + r0 * d, m, d, d, c, cn, k, me->labels, me->dist2, &acc, me->scratch);
    }
    double dt = now_seconds() - t0;
    if (pass > 0 && (*best == 0.0 || dt < *best)) *best = dt;
  }
  for (int i = 0; th && i < threads; i++) {
    free(th[i].labels); free(th[i].dist2); free(th[i].sums); free(th[i].counts);
    free(th[i].scratch.ptr);
  }
  free(th);
  RETURN_IF(!ok, STRATA_ERR_NOMEM, "out of memory for the calibration");
  return STRATA_OK;
}

static strata_status time_device(const strata_ctx *ctx, const strata_kernels *t, const float *x, size_t rows, size_t d,
                                 const float *c, const float *cn, size_t k, uint64_t job_rows,
                                 int threads, double *best) {
  const size_t B = STRATA_BLOCK_ROWS, nb = (rows + B - 1) / B;
  strata_run_block *blk = malloc(nb * sizeof *blk);
  int32_t *labels = malloc(rows * sizeof *labels);
  strata_fixed128 *sums = malloc(k * d * sizeof *sums);
  int64_t *counts = malloc(k * sizeof *counts);
  double *scale = malloc(d * sizeof *scale);
  strata_status st = STRATA_OK;
  strata_kernel_run *run = NULL;
  if (!blk || !labels || !sums || !counts || !scale) {
    st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the calibration");
    goto done;
  }
  for (size_t b = 0; b < nb; b++)
    blk[b] = (strata_run_block){x + b * B * d, rows - b * B < B ? rows - b * B : B, b * B};
  /* Sums wanted, as in a fit: the exact accumulator's scale per column. */
  for (size_t j = 0; j < d; j++) {
    double bound = 0.0;
    for (size_t i = 0; i < rows; i++) bound = fmax(bound, fabs(x[i * d + j]));
    scale[j] = ldexp(1.0, strata_fixed_exponent(bound, (double)rows));
  }
  /* A run sized for the job: resident only if the job's data would be. */
  strata_run_config cfg = {ctx, job_rows > rows ? (size_t)job_rows : rows, d, k, threads, NULL, scale,
                           strata_fixed_row_limit((double)rows)};
  GOTO_IF_ERROR(st, t->run.run_open(&t->ctx, &cfg, &run), done);
  GOTO_IF_ERROR(st, t->run.run_set_centroids(run, c, cn), done);
  const size_t chunk = 32; /* blocks per chunk, as an 8 MiB chunk of d = 16 */
  for (int pass = 0; pass < MEASURE_PASSES; pass++) {
    double t0 = now_seconds(), inertia = 0.0;
    GOTO_IF_ERROR(st, t->run.run_begin_pass(run), done);
    size_t off = 0;
    for (size_t b0 = 0; b0 < nb; b0 += chunk) {
      size_t n = nb - b0 < chunk ? nb - b0 : chunk;
      GOTO_IF_ERROR(st, t->run.run_chunk(run, blk + b0, n, labels + off, NULL), done);
      for (size_t b = b0; b < b0 + n; b++) off += blk[b].m;
    }
    GOTO_IF_ERROR(st, t->run.run_end_pass(run, sums, counts, &inertia), done);
    double dt = now_seconds() - t0;
    if (pass > 0 && (*best == 0.0 || dt < *best)) *best = dt;
  }
done:
  if (run) t->run.run_close(run);
  free(blk); free(labels); free(sums); free(counts); free(scale);
  return st;
}

strata_status strata_scheduler_measure(const strata_ctx *ctx, const strata_kernels *t, const float *x, size_t rows, size_t d,
                                       size_t k, uint64_t job_rows, int threads,
                                       double *rows_per_second) {
  *rows_per_second = 0.0;
  RETURN_IF(rows == 0 || d == 0 || k == 0, STRATA_ERR_USAGE, "calibration needs rows, d, k >= 1");
  threads = strata_threads_resolve(threads);
  float *own = NULL;
  if (!x) {
    own = generate(rows, d);
    RETURN_IF(!own, STRATA_ERR_NOMEM, "out of memory for the calibration");
    x = own;
  }
  float *c = malloc(k * d * sizeof *c), *cn = malloc(k * sizeof *cn);
  strata_status st = STRATA_OK;
  double best = 0.0;
  if (!c || !cn) st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the calibration");
  if (st == STRATA_OK) {
    pick_centroids(x, rows, d, k, c, cn);
    st = t->run.run_open ? time_device(ctx, t, x, rows, d, c, cn, k, job_rows, threads, &best)
                     : time_cpu(t, x, rows, d, c, cn, k, threads, &best);
  }
  if (st == STRATA_OK) *rows_per_second = (double)rows / (best > 1e-9 ? best : 1e-9);
  free(c); free(cn); free(own);
  return st;
}
