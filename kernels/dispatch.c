/* Backend registry.  Each backend's table starts from the reference kernels
 * and overrides the slots it speeds up; this file lists every backend once
 * (strata_backends) and is the only place that chooses between them (by
 * name, by the detected ISA, and for "auto" by the shape). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_features.h"
#include "kernels_internal.h"
#include "opencl.h"

/* An explicitly named ISA is handed out only where it can run; STRATA_ISA
 * does not apply to explicit names (tests and benchmarks use them). */
static int isa_available(strata_isa isa) { return isa <= strata_cpu_info_get()->best; }

/* The tables handed out: the reference table with each backend's own
 * slots (kernels_internal.h) laid over it, built once. */
enum { T_BLAS_SCALAR, T_AVX2, T_BLAS_AVX2, T_AVX512, T_BLAS_AVX512, N_DERIVED };
static strata_kernels derived[N_DERIVED];
static pthread_once_t derived_once = PTHREAD_ONCE_INIT;

static void derive_tables(void) {
  strata_kernels_overlay(&derived[T_BLAS_SCALAR], &strata_kernels_blas_scalar_table);
#if defined(STRATA_BUILD_AVX2)
  strata_kernels_overlay(&derived[T_AVX2], &strata_kernels_avx2_table);
  strata_kernels_overlay(&derived[T_BLAS_AVX2], &strata_kernels_blas_avx2_table);
#endif
#if defined(STRATA_BUILD_AVX512)
  strata_kernels_overlay(&derived[T_AVX512], &strata_kernels_avx512_table);
  strata_kernels_overlay(&derived[T_BLAS_AVX512], &strata_kernels_blas_avx512_table);
#endif
}

/* The direct table for an ISA; the reference kernels stand in for scalar.
 * Callers pass an available ISA, so the table was built. */
static const strata_kernels *direct_table(strata_isa isa) {
  pthread_once(&derived_once, derive_tables);
  const strata_kernels *t = strata_kernels_ref();
#if defined(STRATA_BUILD_AVX2)
  if (isa >= STRATA_ISA_AVX2) t = &derived[T_AVX2];
#endif
#if defined(STRATA_BUILD_AVX512)
  if (isa >= STRATA_ISA_AVX512) t = &derived[T_AVX512];
#endif
  (void)isa;
  return t;
}

/* The BLAS table whose fused argmin and epilogue use isa. */
static const strata_kernels *blas_table_of(strata_isa isa) {
  pthread_once(&derived_once, derive_tables);
  const strata_kernels *t = &derived[T_BLAS_SCALAR];
#if defined(STRATA_BUILD_AVX2)
  if (isa >= STRATA_ISA_AVX2) t = &derived[T_BLAS_AVX2];
#endif
#if defined(STRATA_BUILD_AVX512)
  if (isa >= STRATA_ISA_AVX512) t = &derived[T_BLAS_AVX512];
#endif
  (void)isa;
  return t;
}

/* Handing a BLAS table out is what first pins OpenBLAS to one thread. */
static const strata_kernels *blas_table(strata_isa isa) {
  strata_blas_init_once();
  return blas_table_of(isa);
}


static int prefer_blas(strata_isa isa, size_t d, size_t k) {
  /* The first guess only: for jobs worth it, the scheduler times both CPU
   * paths on a slice of the data (strata_kernels_cpu_candidates) and takes
   * the other one when it is more than 5% faster.
   * Measured single-thread, CPU time, on AMD EPYC (Zen 5, 4.1 GHz) with
   * OpenBLAS 0.3.21 running its Haswell kernels (bench_kernels, sweep/):
   *  - AVX-512 direct: 150-215 GFLOP/s from k*d ~ 4096 up, against sgemm's
   *    ~95-105 including the fused scan; below that both are limited by the
   *    per-row epilogue and direct still wins.  The guess: never hand over
   *    (on another EPYC, 2026-12-07, OpenBLAS Cooperlake sgemm measured
   *    13% faster at d=128 k=1024: the scheduler measures for that).
   *  - AVX2 direct: 80-90 GFLOP/s at large shapes.  sgemm needs no
   *    subtraction and wins by 5-30% once d >= 64 and k*d >= 8192 (e.g.
   *    d=128 k=1024: 95 vs 86; d=300 k=2000: 104 vs 88); for smaller d its
   *    packing and the scan do not pay (d=16 k=1024: 61 vs 89).
   *  - No SIMD: the reference kernels run at ~3 GFLOP/s (float64 scalar);
   *    sgemm with the plain-C scan overtakes them from k*d ~ 16. */
  switch (isa) {
    case STRATA_ISA_AVX512:
      return 0;
    case STRATA_ISA_AVX2:
      return d >= STRATA_BLAS_MIN_D_AVX2 && k * d >= STRATA_BLAS_MIN_KD_AVX2;
    case STRATA_ISA_SCALAR:
      return k * d >= STRATA_BLAS_MIN_KD_SCALAR;
  }
  return 0;
}

/* ---- the list ---------------------------------------------------------------- */

/* The CPU backends: a new table is one more row here. */
static const struct {
  const char *name;
  strata_backend_kind kind;
  strata_isa isa;
} cpu_backends[] = {
  {"ref", STRATA_BACKEND_REF, STRATA_ISA_SCALAR},
  {"avx2", STRATA_BACKEND_DIRECT, STRATA_ISA_AVX2},
  {"avx512", STRATA_BACKEND_DIRECT, STRATA_ISA_AVX512},
  {"blas-scalar", STRATA_BACKEND_BLAS, STRATA_ISA_SCALAR},
  {"blas-avx2", STRATA_BACKEND_BLAS, STRATA_ISA_AVX2},
  {"blas-avx512", STRATA_BACKEND_BLAS, STRATA_ISA_AVX512},
};
#define N_CPU_BACKENDS (sizeof cpu_backends / sizeof cpu_backends[0])

/* The CPU entries, then (once devices are asked for) a copy of them followed
 * by every device found: one array, so that both kinds are one list.  The
 * arrays live as long as the process, like the tables. */
static strata_backend cpu_list[N_CPU_BACKENDS];
static strata_backend *full_list;
static size_t n_full;
static pthread_once_t cpu_once = PTHREAD_ONCE_INIT, devices_once = PTHREAD_ONCE_INIT;

static void list_cpu(void) {
  for (size_t i = 0; i < N_CPU_BACKENDS; i++) {
    const strata_isa isa = cpu_backends[i].isa;
    const strata_kernels *t = NULL;
    if (cpu_backends[i].kind == STRATA_BACKEND_REF) t = strata_kernels_ref();
    else if (isa_available(isa))
      t = cpu_backends[i].kind == STRATA_BACKEND_BLAS ? blas_table_of(isa) : direct_table(isa);
    cpu_list[i] = (strata_backend){cpu_backends[i].name, cpu_backends[i].kind, t, -1};
  }
}

#define DEVICE_NAME_SIZE 28 /* "opencl:" and a size_t */

static void list_devices(void) {
  pthread_once(&cpu_once, list_cpu);
  const size_t n = strata_ocl_device_count();
  /* One block: the entries, then their names. */
  strata_backend *l = malloc((N_CPU_BACKENDS + n) * sizeof *l + n * DEVICE_NAME_SIZE);
  if (!l) return; /* devices unlisted, as if none were found */
  char *names = (char *)(l + N_CPU_BACKENDS + n);
  memcpy(l, cpu_list, sizeof cpu_list);
  for (size_t i = 0; i < n; i++) {
    char *name = names + i * DEVICE_NAME_SIZE;
    snprintf(name, DEVICE_NAME_SIZE, "opencl:%zu", i);
    l[N_CPU_BACKENDS + i] = (strata_backend){name, STRATA_BACKEND_DEVICE, strata_ocl_table(i), (int)i};
  }
  full_list = l;
  n_full = N_CPU_BACKENDS + n;
}

size_t strata_backends(unsigned which, const strata_backend **out) {
  pthread_once(&cpu_once, list_cpu);
  if (which & STRATA_BACKENDS_CPU) strata_blas_init_once();
  if (which & STRATA_BACKENDS_DEVICES) pthread_once(&devices_once, list_devices);
  if (!(which & STRATA_BACKENDS_DEVICES) || !full_list) {
    *out = cpu_list + (which & STRATA_BACKENDS_CPU ? 0 : N_CPU_BACKENDS);
    return which & STRATA_BACKENDS_CPU ? N_CPU_BACKENDS : 0;
  }
  const size_t first = which & STRATA_BACKENDS_CPU ? 0 : N_CPU_BACKENDS;
  *out = full_list + first;
  return n_full - first;
}

const strata_kernels *strata_kernels_find(const char *name) {
  const strata_isa sel = strata_cpu_isa();
  if (name == NULL || strcmp(name, "auto") == 0 || strcmp(name, "cpu") == 0)
    return direct_table(sel);
  if (strcmp(name, "blas") == 0) return blas_table(sel);
  pthread_once(&cpu_once, list_cpu);
  for (size_t i = 0; i < N_CPU_BACKENDS; i++) {
    if (strcmp(name, cpu_list[i].name) != 0) continue;
    if (cpu_list[i].kind == STRATA_BACKEND_BLAS && cpu_list[i].table) strata_blas_init_once();
    return cpu_list[i].table;
  }
  return NULL;
}

const strata_kernels *strata_kernels_for_shape(const char *name, size_t d, size_t k) {
  if (name == NULL || strcmp(name, "auto") == 0) {
    const strata_isa sel = strata_cpu_isa();
    return prefer_blas(sel, d, k) ? blas_table(sel) : direct_table(sel);
  }
  return strata_kernels_find(name);
}

/* Where the BLAS table would run the direct kernel anyway. */
static int blas_is_direct(strata_isa isa, size_t d, size_t k) {
#if defined(STRATA_BUILD_AVX512)
  if (isa >= STRATA_ISA_AVX512) return strata_blas_direct_only_avx512(d, k);
#endif
#if defined(STRATA_BUILD_AVX2)
  if (isa >= STRATA_ISA_AVX2) return strata_blas_direct_only_avx2(d, k);
#endif
  (void)isa; (void)d; (void)k;
  return 0;
}

size_t strata_kernels_cpu_candidates(size_t d, size_t k, const strata_kernels *out[2]) {
  const strata_isa sel = strata_cpu_isa();
  const int blas_first = prefer_blas(sel, d, k);
  out[0] = blas_first ? blas_table(sel) : direct_table(sel);
  out[1] = blas_first ? direct_table(sel) : blas_table(sel);
  return blas_is_direct(sel, d, k) ? 1 : 2;
}
