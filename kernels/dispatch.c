/* Backend registry.  Each backend's table starts from the reference kernels
 * and overrides the slots it speeds up; this file is the only place that
 * chooses between them (by name, by the detected ISA, and for "auto" by the
 * shape). */
#include <string.h>

#include "cpu_features.h"
#include "kernels_internal.h"

/* The direct table for an ISA; the reference kernels stand in for scalar.
 * Callers pass an available ISA, so the table was built. */
static const strata_kernels *direct_table(strata_isa isa) {
  const strata_kernels *t = strata_kernels_ref();
#if defined(STRATA_BUILD_AVX2)
  if (isa >= STRATA_ISA_AVX2) t = &strata_kernels_avx2_table;
#endif
#if defined(STRATA_BUILD_AVX512)
  if (isa >= STRATA_ISA_AVX512) t = &strata_kernels_avx512_table;
#endif
  (void)isa;
  return t;
}

/* The BLAS table whose fused argmin and epilogue use isa.  Handing it out
 * is what first pins OpenBLAS to one thread. */
static const strata_kernels *blas_table(strata_isa isa) {
  const strata_kernels *t = &strata_kernels_blas_scalar_table;
#if defined(STRATA_BUILD_AVX2)
  if (isa >= STRATA_ISA_AVX2) t = &strata_kernels_blas_avx2_table;
#endif
#if defined(STRATA_BUILD_AVX512)
  if (isa >= STRATA_ISA_AVX512) t = &strata_kernels_blas_avx512_table;
#endif
  (void)isa;
  strata_blas_init_once();
  return t;
}

/* An explicitly named ISA is handed out only where it can run; STRATA_ISA
 * does not apply to explicit names (tests and benchmarks use them). */
static int isa_available(strata_isa isa) { return isa <= strata_cpu_info_get()->best; }

static int prefer_blas(strata_isa isa, size_t d, size_t k) {
  /* Measured single-thread, CPU time, on AMD EPYC (Zen 5, 4.1 GHz) with
   * OpenBLAS 0.3.21 running its Haswell kernels (bench_kernels, sweep/):
   *  - AVX-512 direct: 150-215 GFLOP/s from k*d ~ 4096 up, against sgemm's
   *    ~95-105 including the fused scan; below that both are limited by the
   *    per-row epilogue and direct still wins.  Never hand over.
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

const strata_kernels *strata_kernels_find(const char *name) {
  const strata_isa sel = strata_cpu_isa();
  if (name == NULL || strcmp(name, "auto") == 0 || strcmp(name, "cpu") == 0)
    return direct_table(sel);
  if (strcmp(name, "ref") == 0) return strata_kernels_ref();
  if (strcmp(name, "blas") == 0) return blas_table(sel);
  static const struct { const char *name; strata_isa isa; int blas; } explicit_names[] = {
    {"avx2", STRATA_ISA_AVX2, 0},          {"avx512", STRATA_ISA_AVX512, 0},
    {"blas-scalar", STRATA_ISA_SCALAR, 1}, {"blas-avx2", STRATA_ISA_AVX2, 1},
    {"blas-avx512", STRATA_ISA_AVX512, 1},
  };
  for (size_t i = 0; i < sizeof explicit_names / sizeof explicit_names[0]; i++) {
    if (strcmp(name, explicit_names[i].name) != 0) continue;
    const strata_isa isa = explicit_names[i].isa;
    if (!isa_available(isa)) return NULL;
    return explicit_names[i].blas ? blas_table(isa) : direct_table(isa);
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
