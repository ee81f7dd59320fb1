/* The OpenCL backend as the rest of the library sees it: the devices found
 * here, one kernel table per device, and what went wrong when there are none.
 *
 * Nothing here needs the OpenCL headers; a build without OpenCL
 * (-DSTRATA_OPENCL=OFF) links kernels/opencl_none.c instead, which reports no
 * devices and says why.
 *
 * Devices are discovered once per process (thread-safe), in platform order
 * and then device order, and numbered from 0: device i is the backend
 * "opencl:i".  Discovery only queries the ICD loader; contexts and programs
 * are created when a table is first used (or by strata_ocl_prepare).
 *
 * Environment (read once, at first use):
 *   STRATA_OPENCL_CACHE=DIR       built programs are cached in DIR (default
 *                                 $XDG_CACHE_HOME/strata/opencl, else
 *                                 ~/.cache/strata/opencl); "off" disables the
 *                                 cache.  A cache that cannot be written is
 *                                 skipped silently.
 *   STRATA_OPENCL_EXTRA_OPTIONS   appended to the build options (tests use
 *                                 -DSTRATA_FORCE_BUILD_ERROR)
 *   STRATA_OPENCL_WG, STRATA_OPENCL_TILE_K, STRATA_OPENCL_TILE_D,
 *   STRATA_OPENCL_SCALE_ROWS      override the per-device tuning defaults
 *   STRATA_OPENCL_MEM_LIMIT=BYTES caps the device memory a run uses (default
 *                                 3/4 of the device's global memory): data is
 *                                 kept resident only when it fits, and pieces
 *                                 shrink to fit
 *   STRATA_OPENCL_RESIDENT=0      never keep the data on the device (stream
 *                                 every pass; for benchmarks)
 *   STRATA_OPENCL_HOST_SCALE=1    never take the pass's scaler (run_set_scaler):
 *                                 rows arrive scaled by the host (for tests and
 *                                 benchmarks)
 *   STRATA_OPENCL_FAULT=launch:N|alloc:BYTES
 *                                 fault injection for tests: from the N-th
 *                                 kernel launch on every launch fails as if
 *                                 the device were lost; or every buffer
 *                                 larger than BYTES fails to allocate */
#ifndef STRATA_OPENCL_H
#define STRATA_OPENCL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "strata.h"

#ifdef __cplusplus
extern "C" {
#endif

/* At most this many devices get a table (the rest are listed, not usable). */
#define STRATA_OCL_MAX_DEVICES 16

typedef struct {
  int index;                /* i of "opencl:i" */
  char platform[128];       /* CL_PLATFORM_NAME */
  char platform_version[128];
  char name[128];           /* CL_DEVICE_NAME */
  char vendor[128];         /* CL_DEVICE_VENDOR */
  char driver[128];         /* CL_DRIVER_VERSION */
  char version[128];        /* CL_DEVICE_VERSION, "OpenCL 3.0 ..." */
  char c_version[64];       /* CL_DEVICE_OPENCL_C_VERSION */
  const char *type;         /* "gpu", "cpu", "accelerator", "other" */
  uint64_t global_mem;      /* bytes */
  uint64_t max_alloc;       /* largest single buffer, bytes */
  uint64_t local_mem;       /* bytes per work-group */
  unsigned compute_units;
  unsigned clock_mhz;
  size_t max_work_group;
  int fp64;                 /* cl_khr_fp64 (or OpenCL C with doubles) */
  int usable;               /* available, has a compiler, OpenCL C >= 1.2, index < MAX */
  char unusable_reason[128];
} strata_ocl_device_info;

/* 1 when this build has OpenCL support at all. */
int strata_ocl_built(void);

/* Devices found (0 when there is no platform, no ICD, or no OpenCL build). */
size_t strata_ocl_device_count(void);

/* Device i (i < strata_ocl_device_count()), or NULL. Valid for the process. */
const strata_ocl_device_info *strata_ocl_device(size_t i);

/* One line about discovery: why there are no devices ("no OpenCL platform:
 * clGetPlatformIDs failed: CL_PLATFORM_NOT_FOUND_KHR (-1001)"), or which
 * platforms failed to list their devices; "" when nothing went wrong. */
const char *strata_ocl_discovery_note(void);

/* The kernel table of device i ("opencl:i"), or NULL if there is no such
 * usable device.  The table fills every slot of kernels.h, the run_* device
 * slots included.  Tables are static: never freed. */
const strata_kernels *strata_ocl_table(size_t i);

/* Index of the device behind an OpenCL table, or -1 for any other table. */
int strata_ocl_table_device(const strata_kernels *t);

/* Creates device i's context and builds its program for a job of k
 * centroids now, so that a driver or build failure is reported here (with
 * the first lines of the build log) rather than inside a run. */
strata_status strata_ocl_prepare(const strata_ctx *ctx, size_t i, size_t k);

#ifdef __cplusplus
}
#endif

#endif
