/* The scheduler: which kernel table a job runs on, and why.
 *
 *   strata_scheduler_choose  the backend for one fit/assign: a drop-in
 *                            replacement for strata_kernels_for_shape that
 *                            also knows OpenCL devices, calibrates "auto" on
 *                            a slice of the real data, and says why
 *   strata_devices_list      every backend usable here with a measured
 *                            throughput for a shape (`strata devices`)
 *
 * Backend names (--backend):
 *   auto (or NULL)  the faster of the CPU's direct and BLAS tables measured
 *                   on a slice of the data (they give the same bits), unless
 *                   an OpenCL device measures faster still; tiny jobs skip
 *                   the measurement (cost model: strata_kernels_for_shape)
 *   ref, cpu, blas, avx2, avx512, blas-*   the CPU tables (kernels/kernels.h)
 *   opencl          the first usable OpenCL GPU (else the first usable device)
 *   opencl:N        OpenCL device N, as numbered by `strata devices`
 *
 * Only devices of type GPU or accelerator are considered by auto; an OpenCL
 * CPU device (PoCL) shares the cores the native kernels already use, so it
 * is skipped unless STRATA_AUTO_OPENCL_CPU=1 (the tests use that to exercise
 * the calibration on machines without a GPU). */
#ifndef STRATA_SCHEDULER_H
#define STRATA_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

#ifdef __cplusplus
extern "C" {
#endif

struct strata_kernels;

/* 2·n·k·d per pass below which auto measures nothing (the CPU table of the
 * cost model, strata_kernels_for_shape): a CPU does such a pass in tens of
 * milliseconds, less than calibrating costs. */
#define STRATA_SCHED_MIN_FLOPS 4e9
/* Above it, the CPU path the cost model did not pick (direct SIMD kernels or
 * sgemm, strata_kernels_cpu_candidates) is taken when it measures this much
 * faster on the calibration slice. */
#define STRATA_SCHED_CPU_MARGIN 1.05
/* A device must measure this much faster than the CPU to be chosen: the CPU
 * path is the one with no driver in the way.  STRATA_AUTO_MARGIN overrides
 * it (0 chooses any device that works; the tests use that). */
#define STRATA_SCHED_DEVICE_MARGIN 1.25

typedef struct {
  const struct strata_kernels *kern;     /* the table to run; never NULL on success */
  /* The CPU table a device run falls back to if the device fails mid-run
   * (auto only: pass it as strata_run_config.fallback); NULL otherwise. */
  const struct strata_kernels *fallback;
  char name[32];                         /* kern->name: "avx512", "opencl:0" */
  char reason[512];                      /* one line: why this table */
  int calibrated;                        /* rates below were measured */
  double cpu_rows_per_second;            /* 0 when not measured */
  double device_rows_per_second;         /* best device measured, 0 if none */
} strata_backend_choice;

/* Checks a --backend name without probing devices or measuring, so that a
 * misspelt name fails before the data is read.  STRATA_ERR_USAGE with a
 * detail listing the names when it is not one. */
strata_status strata_scheduler_check_name(const char *request);

/* Chooses the table for a job.
 *  ctx          IN  host threads, where the choice is logged
 *  request      IN  backend name (see above; usually ctx's); NULL = auto
 *  sample       IN  sample_rows x d scaled rows of the real data (the init
 *                   sample), used to calibrate auto; may be NULL (generated
 *                   data is used then)
 *  n            IN  rows of the job (for the cost model and to know whether
 *                   the data can stay on a device)
 *  d, k         IN  shape
 *  out          OUT the choice
 * Errors: STRATA_ERR_USAGE for a malformed name; STRATA_ERR_BACKEND when an
 * explicitly named backend cannot run here (no OpenCL device, device N
 * missing, driver or build failure: the detail says which).  auto never
 * fails: problems with devices are logged once (a warning, or information
 * when no OpenCL platform is installed at all) and the CPU is used.
 * The choice and the reason are logged at STRATA_LOG_INFO. */
strata_status strata_scheduler_choose(const strata_ctx *ctx, const char *request, const float *sample,
                                      size_t sample_rows, uint64_t n, size_t d, size_t k,
                                      strata_backend_choice *out);

/* Measures one table: rows per second of a Lloyd pass (assignment and
 * reduction) over the rows x d matrix x (NULL: generated data) against k
 * centroids taken from it, best of two passes, with `threads` host threads.
 * A device table is measured through a run sized for a job of job_rows
 * rows (so it streams or keeps the data resident as that job would). */
strata_status strata_scheduler_measure(const strata_ctx *ctx, const struct strata_kernels *t, const float *x, size_t rows,
                                       size_t d, size_t k, uint64_t job_rows, int threads,
                                       double *rows_per_second);

/* ---- strata devices ------------------------------------------------------ */

typedef struct {
  char backend[32];      /* what --backend takes: "cpu", "opencl:0" */
  char kind[8];          /* "cpu" or "opencl" */
  char name[160];        /* CPU brand string or OpenCL device name */
  char vendor[128];
  char platform[128];    /* OpenCL platform ("" for the CPU) */
  char driver[128];      /* OpenCL driver version ("" for the CPU) */
  char version[128];     /* OpenCL device version ("" for the CPU) */
  char type[16];         /* "cpu", "gpu", "accelerator", "other" */
  char isa[16];          /* CPU: the ISA the CPU tables use ("avx512") */
  char table[32];        /* the table measured: "avx512", "blas", "opencl:0" */
  int threads;           /* CPU: threads; OpenCL: compute units */
  uint64_t global_mem;   /* OpenCL: bytes; CPU: 0 */
  int fp64;              /* OpenCL: cl_khr_fp64 */
  int usable;
  char note[256];        /* why not usable, or what failed while measuring */
  double rows_per_second; /* measured for the shape; 0 when not measured */
} strata_device_desc;

/* Lists the CPU and every OpenCL device; with measure set, times each usable
 * one on generated data of shape (d, k) (rows chosen to take well under a
 * second).  out OUT (free with strata_devices_free), count OUT.  Never fails
 * for want of devices: the CPU is always there. */
strata_status strata_devices_list(const strata_ctx *ctx, size_t d, size_t k, int measure,
                                  strata_device_desc **out, size_t *count);
void strata_devices_free(strata_device_desc *list);

/* Why no OpenCL device is listed, or what went wrong finding them ("" when
 * nothing did). */
const char *strata_devices_note(void);

#ifdef __cplusplus
}
#endif

/* Several ranks run one table: rank 0's choice (broadcast) becomes every
 * rank's, so that "auto", which measures, cannot differ between processes.
 * Device backends are refused across ranks (STRATA_ERR_USAGE).  A no-op in
 * one process.  choice INOUT. */
strata_status strata_scheduler_agree(const strata_ctx *ctx, size_t d, size_t k, strata_backend_choice *choice);

#endif
