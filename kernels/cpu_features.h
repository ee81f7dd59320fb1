/* Run-time CPU feature detection for choosing a kernel table.
 *
 * Detection runs once per process (pthread_once): CPUID for what the CPU
 * implements, XGETBV for what the operating system saves on a context switch
 * (a CPU may have AVX-512 while the OS has not enabled the ZMM state, and
 * then the instructions fault).  An ISA is "available" when the CPU has it,
 * the OS enabled its register state, and this build compiled its kernels.
 *
 * STRATA_ISA=scalar|avx2|avx512 (case-insensitive; empty or "auto" means no
 * override) caps the ISA the "cpu"/"auto"/"blas" tables use.  A value that is
 * not one of those, or an ISA that is not available, is not obeyed: the best
 * available ISA is used instead and strata_cpu_isa_note() says so, so that the
 * caller can log it once. */
#ifndef STRATA_CPU_FEATURES_H
#define STRATA_CPU_FEATURES_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  STRATA_ISA_SCALAR = 0, /* baseline x86-64 (or any CPU): the reference kernels */
  STRATA_ISA_AVX2 = 1,   /* AVX2 + FMA */
  STRATA_ISA_AVX512 = 2  /* AVX-512F (+ AVX2, FMA) */
} strata_isa;

/* What happened to the STRATA_ISA request. */
typedef enum {
  STRATA_ISA_OVERRIDE_NONE = 0,     /* unset, empty or "auto" */
  STRATA_ISA_OVERRIDE_APPLIED = 1,  /* a valid, available ISA was selected */
  STRATA_ISA_OVERRIDE_INVALID = 2,  /* not one of scalar|avx2|avx512: ignored */
  STRATA_ISA_OVERRIDE_UNAVAILABLE = 3 /* valid name, but not available here: ignored */
} strata_isa_override;

typedef struct {
  char vendor[13];     /* CPUID vendor string, "" if not x86 */
  char brand[49];      /* CPUID brand string, "" if not available */
  int cpu_avx2_fma;    /* CPU implements AVX2, FMA and F16C and the OS enabled YMM state */
  int cpu_avx512f;     /* CPU implements AVX-512F and the OS enabled opmask/ZMM state */
  int cpu_avx512vnni;  /* ... and AVX512-VNNI (8-bit dot products; k-means++'s screen) */
  strata_isa best;     /* best available ISA (CPU, OS and build all agree) */
  strata_isa selected; /* what the CPU tables use: best, or a valid STRATA_ISA */
  strata_isa_override override_status;
  char note[200];      /* one line about STRATA_ISA when override_status != NONE */
} strata_cpu_info;

/* The process-wide detection result (detected on first call, thread-safe). */
const strata_cpu_info *strata_cpu_info_get(void);

/* Shorthands for strata_cpu_info_get()->selected and ->note; the note is NULL
 * when STRATA_ISA was not set.  The core should log it once: as a warning if
 * strata_cpu_info_get()->override_status is INVALID or UNAVAILABLE, as
 * information if APPLIED. */
strata_isa strata_cpu_isa(void);
const char *strata_cpu_isa_note(void);

/* "scalar", "avx2", "avx512". */
const char *strata_isa_name(strata_isa isa);

/* Whether this build compiled the kernels for isa (scalar always). */
int strata_isa_built(strata_isa isa);

/* The pure decision behind STRATA_ISA, exposed for tests: given the request
 * (NULL = unset) and the best available ISA, stores the ISA to use in
 * *selected, writes a one-line note (may be NULL / 0 size) and returns what
 * happened to the request.  An ISA is available iff it is <= best. */
strata_isa_override strata_isa_resolve(const char *request, strata_isa best,
                                       strata_isa *selected, char *note,
                                       size_t note_size);

#ifdef __cplusplus
}
#endif

#endif
