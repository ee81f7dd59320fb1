/* Shared by the kernels/opencl_*.c files only: the OpenCL headers, the
 * per-device state, programs, and the error helpers.  Each file has one job:
 *
 *   opencl_error.c    CL error names, status checks, fault injection
 *   opencl_device.c   discovery, device information, per-device context
 *   opencl_tuning.c   per-device tuning defaults -> build options
 *   opencl_program.c  building a program (from the on-disk cache if possible)
 *   opencl_cache.c    the on-disk program cache
 *   opencl_table.c    the kernel tables and the per-block slots
 *   opencl_run.c      runs: whole chunks, pipelined, device-side reduction
 *   opencl_run_host.c the host side of a run: ordering rows for the device
 *                     reduction, and the CPU paths (no float64, fallback) */
#ifndef STRATA_OPENCL_INTERNAL_H
#define STRATA_OPENCL_INTERNAL_H

#define CL_TARGET_OPENCL_VERSION 120
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>
#include <pthread.h>

#include "block.h"
#include "ctx.h"
#include "error.h"
#include "xacc.h"
#include "opencl.h"

/* ---- errors (opencl_error.c) ---------------------------------------------- */

/* "CL_OUT_OF_RESOURCES" etc.; "CL_UNKNOWN_ERROR" for codes it does not know. */
const char *ocl_error_name(cl_int err);

/* STRATA_OK for CL_SUCCESS; otherwise records "<what> failed: <NAME> (<code>)"
 * (e.g. "clEnqueueNDRangeKernel(assign_f32) failed: CL_OUT_OF_RESOURCES (-5)")
 * and returns STRATA_ERR_BACKEND. */
strata_status ocl_check(cl_int err, const char *what);

#define OCL_TRY(expr, what) FORWARD_IF_ERROR(ocl_check((expr), (what)))
#define OCL_GOTO(st, expr, what, label) GOTO_IF_ERROR((st), ocl_check((expr), (what)), label)

/* Whether err means "not enough device memory" (split and retry) rather than
 * a broken device. */
int ocl_is_out_of_memory(cl_int err);

/* Fault injection (STRATA_OPENCL_FAULT, see opencl.h): the status a kernel
 * launch or a buffer allocation of `bytes` should fail with, or CL_SUCCESS. */
cl_int ocl_fault_launch(void);
cl_int ocl_fault_alloc(size_t bytes);

/* clCreateBuffer with fault injection and a named error; *code (may be
 * NULL) receives the OpenCL status. */
strata_status ocl_buffer(cl_context ctx, cl_mem_flags flags, size_t bytes, const char *what,
                         cl_mem *out, cl_int *code);
/* clEnqueueNDRangeKernel with fault injection and a named error. */
strata_status ocl_launch(cl_command_queue q, cl_kernel k, cl_uint dims, const size_t *global,
                         const size_t *local, cl_uint nwait, const cl_event *wait, cl_event *ev,
                         const char *what);
/* clReleaseMemObject / clReleaseEvent that accept NULL and clear the handle. */
void ocl_release_mem(cl_mem *m);
void ocl_release_event(cl_event *e);

/* ---- tuning (opencl_tuning.c) --------------------------------------------- */

typedef struct {
  unsigned wg;      /* STRATA_WG: rows per work-group of assign_f32 */
  unsigned tile_k;  /* STRATA_TILE_K */
  unsigned tile_d;  /* STRATA_TILE_D */
  int fp64;         /* STRATA_HAVE_FP64 */
  unsigned scale_rows; /* STRATA_SCALE_ROWS: rows per work-item of scale_rows */
} ocl_tuning;

/* The tuning for device info and k centroids: per-device-type defaults,
 * clamped to the device's limits, then the STRATA_OPENCL_* overrides. */
ocl_tuning ocl_tuning_for(const strata_ctx *ctx, const strata_ocl_device_info *info, size_t k);
/* "-cl-std=CL1.2 -DSTRATA_WG=.. ... <STRATA_OPENCL_EXTRA_OPTIONS>" */
void ocl_tuning_options(const ocl_tuning *t, char *buf, size_t size);

/* ---- programs (opencl_program.c, opencl_cache.c) -------------------------- */

typedef struct {
  ocl_tuning tune;
  char options[512];
  cl_program program;
} ocl_program;

struct ocl_device;

/* Builds (or loads from the disk cache) the program for tune on dev; on a
 * build failure the detail holds the first lines of the build log. */
strata_status ocl_program_build(const strata_ctx *ctx, struct ocl_device *dev, const ocl_tuning *tune, ocl_program *out);

/* The disk cache.  key is a hex string; NULL/0 when absent or disabled. */
void ocl_cache_key(const struct ocl_device *dev, const char *options, char key[33]);
unsigned char *ocl_cache_load(const strata_ctx *ctx, const char *key, size_t *size);
void ocl_cache_store(const strata_ctx *ctx, const char *key, const unsigned char *data, size_t size);

/* The embedded sources (generated at build time from kernels/opencl/ *.cl
 * by kernels/opencl/embed.cmake). */
extern const char strata_opencl_source[];
extern const size_t strata_opencl_source_len;

/* ---- devices (opencl_device.c) -------------------------------------------- */

#define OCL_MAX_PROGRAMS 8

typedef struct ocl_device {
  strata_ocl_device_info info;
  cl_platform_id platform;
  cl_device_id id;
  /* Guards everything below, and serialises the per-block slots. */
  pthread_mutex_t lock;
  int context_state;        /* 0 not tried, 1 ready, -1 failed (context_error) */
  char context_error[512];
  cl_context ctx;
  cl_command_queue queue;   /* the per-block slots' queue */
  ocl_program programs[OCL_MAX_PROGRAMS];
  int nprograms;
  /* A device that failed once is not trusted again in this process: the
   * per-block slots compute on the CPU and new runs fail (or fall back). */
  int broken;
  char broken_error[512];
  int warned;
  int scale_noted;          /* why rows are scaled on the host: logged once */
  /* Buffers of the per-block slots, grown on demand. */
  cl_mem bx, bc, blabels, bdist, bout;
  size_t bx_bytes, bc_bytes, blabels_bytes, bdist_bytes, bout_bytes;
  cl_kernel bassign[OCL_MAX_PROGRAMS], bdist2[OCL_MAX_PROGRAMS];
  float *bc_host;           /* centroids now in bc, to upload only on change */
  size_t bc_k, bc_d;
} ocl_device;

/* Device i of the discovered list, or NULL. */
ocl_device *ocl_device_get(size_t i);

/* Creates the device's context and queue if not done yet.  Caller holds
 * dev->lock. */
strata_status ocl_device_open_locked(ocl_device *dev);

/* The program for k centroids (built on first use; ctx: where the build
 * logs).  Caller holds dev->lock. */
strata_status ocl_device_program_locked(const strata_ctx *ctx, ocl_device *dev, size_t k, ocl_program **out);

/* Records that the device failed (with the current strata_last_error()) and
 * logs one warning per device: "<what>; <consequence>". */
void ocl_device_mark_broken(const strata_ctx *ctx, ocl_device *dev, const char *consequence);

/* ---- runs (opencl_run.c) -------------------------------------------------- */

strata_status ocl_run_open(const strata_kernel_ctx *ctx, const strata_run_config *cfg,
                           strata_kernel_run **out);
strata_status ocl_run_set_centroids(strata_kernel_run *r, const float *c, const float *c_norm2);
strata_status ocl_run_begin_pass(strata_kernel_run *r);
strata_status ocl_run_chunk(strata_kernel_run *r, const strata_run_block *blocks, size_t nblocks,
                            int32_t *labels, float *dist2);
strata_status ocl_run_end_pass(strata_kernel_run *r, strata_fixed128 *sums, int64_t *counts,
                               double *inertia);
void ocl_run_close(strata_kernel_run *r);
int ocl_run_set_scaler(strata_kernel_run *r, const strata_run_scaler *s);

/* ---- the host side of a run (opencl_run_host.c) --------------------------- */

/* Rows of one reduction block (common/block.h); strata_run_block.m never
 * exceeds it. */
#define STRATA_OCL_BLOCK_ROWS STRATA_BLOCK_ROWS

/* Per-pass totals kept on the host. */
typedef struct {
  size_t k, d;
  const double *scale;     /* d: 2^S_j; NULL = no sums wanted */
  double row_limit;        /* strata_fixed_row_limit of the scales' grid */
  int off_grid;            /* a block sum of this pass passed it: the pass fails at its end */
  strata_fixed128 *sums;   /* k x d exact sums: host modes, and the device
                              totals copied back after each chunk */
  int64_t *counts;         /* k */
  strata_xacc inertia;     /* each block's inertia added exactly (xacc.h) */
} ocl_totals;

/* One block's rows of a piece: rows [off, off + m) of the piece. */
typedef struct {
  size_t off, m;
} ocl_piece_block;

/* Counts, inertia (each block's rows in row order, the blocks added exactly),
 * dist2 = (float)dist64, and, when order is not NULL, the stable order of
 * each block's rows by label for reduce_sums_fixed:
 *  order OUT rows, offsets OUT nb x (k + 1) (absolute positions in order). */
void ocl_host_account(ocl_totals *t, const ocl_piece_block *blocks, size_t nb,
                      const int32_t *labels, const double *dist64, float *dist2, cl_int *order,
                      cl_int *offsets);

/* Per-thread state of ocl_host_chunk, kept by the run between chunks. */
typedef struct {
  int threads;
  const strata_kernels *cpu;
  double **sums;          /* threads x (k x d): one block's sums, zero between blocks */
  int64_t **counts;       /* threads x k: one block's counts, zero between blocks */
  strata_fixed **fx;      /* threads x (k x d): a thread's exact sums over a chunk */
  int64_t **total;        /* threads x k: a thread's counts over a chunk */
  strata_scratch *scratch;
  double *inertia;        /* one per block of the chunk */
  size_t inertia_cap;
} ocl_host_ws;
void ocl_host_ws_free(ocl_host_ws *ws);

/* The CPU path for a chunk, with the core's exact accumulation into t:
 * either the labels are given (device labels, host float64 work:
 * labels_given = 1) or the table `cpu` computes them.  Uses up to `threads`
 * OpenMP threads; must be called outside any parallel region.  Returns
 * STRATA_ERR_NOMEM if per-thread state cannot be allocated. */
strata_status ocl_host_chunk(ocl_totals *t, ocl_host_ws *ws, const strata_kernels *cpu, int threads,
                             const float *c, const float *c_norm2, const strata_run_block *blocks,
                             size_t nblocks, int labels_given, int32_t *labels, float *dist2);

#endif
