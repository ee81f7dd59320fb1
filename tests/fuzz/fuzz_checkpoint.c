/* libFuzzer harness of the checkpoint reader (core/checkpoint.c): the input
 * is a checkpoint's payload, which the harness frames as a file (magic,
 * version, byte order, length, the payload, its FNV-1a checksum: a mutated
 * payload is not refused by the checksum alone), and a k-means fit of a
 * fixed in-memory table with the fingerprint the seeds were written for
 * resumes from it.  Oracles beyond the sanitizers and libFuzzer's limits:
 *  - every failure is a status naming the input or the system with a
 *    one-line message, never STRATA_ERR_INTERNAL (fuzz_check_status);
 *  - a fit that resumes gives a usable model: finite centroids, sizes >= 0
 *    summing to the rows, a finite inertia >= 0, the iterations within
 *    max_iter, iteration statistics finite and >= 0.
 * FUZZ_CHECKPOINT_SEEDS=DIR makes the harness write its seed payloads
 * (checkpoints taken at several runs and iterations of the same fit) into
 * DIR and exit: tests/fuzz/corpus_checkpoint holds them.
 * Built by tests/fuzz/run.sh checkpoint (clang -fsanitize=fuzzer) or, as a
 * replay of corpus_checkpoint/ and regressions_checkpoint/, by
 * tests/fuzz/CMakeLists.txt. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"

enum { ROWS = 240, D = 3, K = 4, N_INIT = 3, MAX_ITER = 6 };

static const char MAGIC[8] = {'S', 'T', 'R', 'A', 'T', 'A', 'C', 'K'};
enum { HEADER = 8 + 4 + 4 + 8 };

static uint64_t fnv1a(const uint8_t *p, size_t n) {
  uint64_t h = 14695981039346656037ull;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

/* Four groups of rows in three columns, the same on every call. */
static strata_dataset *table(void) {
  static float x[ROWS * D];
  uint64_t s = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < ROWS; i++)
    for (size_t j = 0; j < D; j++) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      double noise = (double)(s >> 11) * 0x1.0p-53 - 0.5;
      x[i * D + j] = (float)((double)((i % K) * 3 + j) + noise);
    }
  const char *names[D] = {"recency", "frequency", "spend"};
  strata_dataset *ds = NULL;
  strata_status st = strata_dataset_from_memory(x, ROWS, D, names, &ds);
  if (st != STRATA_OK) fuzz_fail("fuzz_checkpoint", "the fixed table");
  return ds;
}

static void params(strata_fit_params *p) {
  strata_fit_params_init(p);
  p->k = K;
  p->n_init = N_INIT;
  p->max_iter = MAX_ITER;
  p->tol = 0.0;
  p->seed = 11;
}

static void check_model(const strata_model *m) {
  const strata_model_info *info = strata_model_get_info(m);
  if (!info || info->k != K || info->d != D) fuzz_fail("fuzz_checkpoint", "model shape");
  int64_t total = 0;
  for (int c = 0; c < K; c++) {
    if (info->sizes[c] < 0) fuzz_fail("fuzz_checkpoint", "a negative segment size");
    total += info->sizes[c];
  }
  for (size_t i = 0; i < (size_t)K * D; i++)
    if (!isfinite(info->centroids[i])) fuzz_fail("fuzz_checkpoint", "a non-finite centroid");
  if (total != ROWS) fuzz_fail("fuzz_checkpoint", "sizes do not sum to the rows");
  if (!isfinite(info->inertia) || info->inertia < 0) fuzz_fail("fuzz_checkpoint", "inertia");
  if (info->iterations < 0 || info->iterations > MAX_ITER) fuzz_fail("fuzz_checkpoint", "iterations past max_iter");
  if (info->n_iter_stats < 0 || info->n_iter_stats > MAX_ITER) fuzz_fail("fuzz_checkpoint", "iteration statistics");
  for (int i = 0; i < info->n_iter_stats; i++) {
    const strata_iter_stats *it = &info->iter_stats[i];
    const double v[4] = {it->inertia, it->shift, it->seconds, it->rows_per_second};
    if (getenv("FUZZ_VERBOSE"))
      fprintf(stderr, "iteration %d: inertia %g shift %g relocations %lld seconds %g rows/s %g\n", i + 1, v[0], v[1],
              (long long)it->relocations, v[2], v[3]);
    for (int j = 0; j < 4; j++)
      if (!(v[j] >= 0.0 && v[j] < INFINITY)) fuzz_fail("fuzz_checkpoint", "an iteration statistic not finite and >= 0");
    if (it->relocations < 0 || it->relocations > ROWS) fuzz_fail("fuzz_checkpoint", "relocations past the rows");
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static strata_dataset *ds;
  if (!ds) ds = table();
  uint8_t *file = malloc(HEADER + size + 8);
  if (!file) fuzz_fail("fuzz_checkpoint", "out of memory in the harness");
  const uint32_t version = 1, bom = 0x01020304u;
  const uint64_t len = size, sum = fnv1a(data, size);
  memcpy(file, MAGIC, 8);
  memcpy(file + 8, &version, 4);
  memcpy(file + 12, &bom, 4);
  memcpy(file + 16, &len, 8);
  if (size) memcpy(file + HEADER, data, size);
  memcpy(file + HEADER + size, &sum, 8);
  const char *path = fuzz_file_write(file, HEADER + size + 8, "resume.ckpt");
  free(file);

  strata_fit_params p;
  params(&p);
  p.resume_path = path;
  strata_model *m = NULL;
  strata_status st = strata_fit(fuzz_quiet_ctx(), ds, &p, &m);
  fuzz_check_status(st, "strata_fit (resume)");
  if (st == STRATA_OK) check_model(m);
  if (st != STRATA_OK && m) fuzz_fail("fuzz_checkpoint", "a failed fit returned a model");
  strata_model_free(m);
  return 0;
}

/* ---- seeds ---- */

typedef struct {
  strata_ctx *ctx;
  int run, iteration;
} stop_at;

static void request(const strata_progress *pr, void *user) {
  stop_at *s = user;
  if (pr->stage == STRATA_STAGE_ITER && pr->run == s->run && pr->iteration == s->iteration)
    strata_ctx_request_checkpoint(s->ctx);
}

/* One checkpoint per (run, iteration) asked for, its payload written to dir. */
static void write_seeds(const char *dir) {
  strata_dataset *ds = table();
  for (int run = 0; run < N_INIT; run++)
    for (int it = 1; it < MAX_ITER; it++) {
      strata_ctx *ctx = strata_ctx_new();
      strata_ctx_set_log(ctx, NULL, NULL, STRATA_LOG_ERROR);
      strata_ctx_set_threads(ctx, 1);
      char ck[512], out[600];
      snprintf(ck, sizeof ck, "%s/seed.ckpt", dir);
      stop_at s = {ctx, run, it};
      strata_fit_params p;
      params(&p);
      p.checkpoint_path = ck;
      p.progress = request;
      p.progress_user = &s;
      strata_model *m = NULL;
      strata_status st = strata_fit(ctx, ds, &p, &m);
      strata_model_free(m);
      strata_ctx_free(ctx);
      if (st != STRATA_STOPPED) continue; /* converged before it */
      FILE *f = fopen(ck, "rb");
      if (!f) fuzz_fail("fuzz_checkpoint", "no checkpoint written");
      static uint8_t buf[1 << 20];
      size_t n = fread(buf, 1, sizeof buf, f);
      fclose(f);
      remove(ck);
      if (n < HEADER + 8) fuzz_fail("fuzz_checkpoint", "a short checkpoint");
      snprintf(out, sizeof out, "%s/run%d_iter%d", dir, run, it);
      FILE *o = fopen(out, "wb");
      if (!o || fwrite(buf + HEADER, 1, n - HEADER - 8, o) != n - HEADER - 8) fuzz_fail("fuzz_checkpoint", "a seed");
      fclose(o);
      printf("seed %s: %zu bytes\n", out, n - HEADER - 8);
    }
  strata_dataset_free(ds);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *dir = getenv("FUZZ_CHECKPOINT_SEEDS");
  if (dir && *dir) {
    write_seeds(dir);
    exit(0);
  }
  return 0;
}
