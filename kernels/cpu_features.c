/* CPU feature detection, once per process.  Compiled for baseline x86-64
 * (no ISA flags): it must run on every CPU to decide what else may run. */
#include "cpu_features.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define STRATA_X86 1
#endif

static strata_cpu_info g_info;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

const char *strata_isa_name(strata_isa isa) {
  switch (isa) {
    case STRATA_ISA_AVX512: return "avx512";
    case STRATA_ISA_AVX2: return "avx2";
    case STRATA_ISA_SCALAR: break;
  }
  return "scalar";
}

int strata_isa_built(strata_isa isa) {
  switch (isa) {
    case STRATA_ISA_SCALAR: return 1;
    case STRATA_ISA_AVX2:
#if defined(STRATA_BUILD_AVX2)
      return 1;
#else
      return 0;
#endif
    case STRATA_ISA_AVX512:
#if defined(STRATA_BUILD_AVX512)
      return 1;
#else
      return 0;
#endif
  }
  return 0;
}

static int parse_isa(const char *s, strata_isa *out) {
  static const struct { const char *name; strata_isa isa; } names[] = {
    {"scalar", STRATA_ISA_SCALAR}, {"avx2", STRATA_ISA_AVX2}, {"avx512", STRATA_ISA_AVX512},
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcasecmp(s, names[i].name) == 0) { *out = names[i].isa; return 1; }
  return 0;
}

strata_isa_override strata_isa_resolve(const char *request, strata_isa best,
                                       strata_isa *selected, char *note,
                                       size_t note_size) {
  char dummy[1];
  if (note == NULL || note_size == 0) { note = dummy; note_size = sizeof dummy; }
  note[0] = '\0';
  *selected = best;
  if (request == NULL || request[0] == '\0' || strcasecmp(request, "auto") == 0)
    return STRATA_ISA_OVERRIDE_NONE;

  strata_isa want;
  if (!parse_isa(request, &want)) {
    /* Quote at most a short prefix: the value comes from the environment. */
    snprintf(note, note_size,
             "STRATA_ISA='%.32s' is not one of scalar|avx2|avx512; using %s",
             request, strata_isa_name(best));
    return STRATA_ISA_OVERRIDE_INVALID;
  }
  if (want > best) {
    snprintf(note, note_size,
             "STRATA_ISA=%s is not available on this CPU/OS/build; using %s",
             strata_isa_name(want), strata_isa_name(best));
    return STRATA_ISA_OVERRIDE_UNAVAILABLE;
  }
  *selected = want;
  snprintf(note, note_size, "STRATA_ISA=%s: using %s (best available: %s)",
           strata_isa_name(want), strata_isa_name(want), strata_isa_name(best));
  return STRATA_ISA_OVERRIDE_APPLIED;
}

#if defined(STRATA_X86)
/* XCR0 via XGETBV, written as an instruction so that this file needs no
 * -mxsave; only called after CPUID reported OSXSAVE. */
static uint64_t read_xcr0(void) {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((uint64_t)edx << 32) | eax;
}

static void detect_x86(strata_cpu_info *info) {
  unsigned a, b, c, d;
  unsigned max_leaf = __get_cpuid_max(0, NULL);
  if (max_leaf == 0) return;

  __cpuid(0, a, b, c, d);
  memcpy(info->vendor + 0, &b, 4);
  memcpy(info->vendor + 4, &d, 4);
  memcpy(info->vendor + 8, &c, 4);
  info->vendor[12] = '\0';

  if ((unsigned)__get_cpuid_max(0x80000000u, NULL) >= 0x80000004u) {
    unsigned regs[12];
    for (unsigned i = 0; i < 3; i++)
      __cpuid(0x80000002u + i, regs[4 * i], regs[4 * i + 1], regs[4 * i + 2], regs[4 * i + 3]);
    memcpy(info->brand, regs, 48);
    info->brand[48] = '\0';
    /* Some CPUs left-pad the brand string with spaces. */
    size_t lead = strspn(info->brand, " ");
    memmove(info->brand, info->brand + lead, strlen(info->brand + lead) + 1);
  }

  __cpuid(1, a, b, c, d);
  const int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
  if (!osxsave || !avx) return;  /* no OS support for any VEX state */
  const uint64_t xcr0 = read_xcr0();
  const int os_ymm = (xcr0 & 0x6) == 0x6;     /* XMM | YMM state */
  const int os_zmm = (xcr0 & 0xE6) == 0xE6;   /* + opmask, ZMM_Hi256, Hi16_ZMM */
  if (max_leaf < 7) return;
  __cpuid_count(7, 0, a, b, c, d);
  const int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1;

  info->cpu_avx2_fma = os_ymm && avx2 && fma && f16c; /* every AVX2 CPU has F16C */
  info->cpu_avx512f = info->cpu_avx2_fma && os_zmm && avx512f;
  info->cpu_avx512vnni = info->cpu_avx512f && ((c >> 11) & 1);
}
#endif

static void detect_once(void) {
  strata_cpu_info *info = &g_info;
  memset(info, 0, sizeof *info);
#if defined(STRATA_X86)
  detect_x86(info);
#endif
  info->best = STRATA_ISA_SCALAR;
  if (info->cpu_avx2_fma && strata_isa_built(STRATA_ISA_AVX2)) info->best = STRATA_ISA_AVX2;
  if (info->cpu_avx512f && strata_isa_built(STRATA_ISA_AVX512)) info->best = STRATA_ISA_AVX512;
  info->override_status = strata_isa_resolve(getenv("STRATA_ISA"), info->best,
                                             &info->selected, info->note, sizeof info->note);
}

const strata_cpu_info *strata_cpu_info_get(void) {
  pthread_once(&g_once, detect_once);
  return &g_info;
}

strata_isa strata_cpu_isa(void) { return strata_cpu_info_get()->selected; }

const char *strata_cpu_isa_note(void) {
  const strata_cpu_info *info = strata_cpu_info_get();
  return info->note[0] ? info->note : NULL;
}
