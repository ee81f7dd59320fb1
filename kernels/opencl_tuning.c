/* Per-device tuning of the OpenCL kernels, passed as -D build options.
 *
 * Defaults by device type, then the STRATA_OPENCL_WG / _TILE_K / _TILE_D /
 * _SCALE_ROWS overrides (a value that is not an integer in 1..4096 is ignored with one
 * warning), then clamped to what the device allows (work-group size, local
 * memory).  The tile of centroids follows k in steps (4, 8, 16, then the
 * default) so that a small k does not compute distances to padding; each
 * distinct tuning is one program build, cached on disk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opencl_internal.h"

/* GPUs: 64 rows per work-group (two warps / one wavefront) and 16 running
 * distances per work-item keep registers and local memory (8.3 KiB of rows,
 * 2 KiB of centroids) well inside every OpenCL 1.2 GPU's limits (not
 * measured: no GPU was available when these were set).
 * CPU devices (PoCL): the compiler vectorises the running distances of a
 * tile (contiguous in local memory), so a wide tile of centroids wins:
 * 32 rows x 32 centroids x 32 features was the best of WG 32/64/256,
 * TILE_K 4..32, TILE_D 16/32 on Zen 5 with PoCL 3.1 (docs/PERFORMANCE.md). */
#define GPU_WG 64
#define GPU_TILE_K 16
#define GPU_TILE_D 32
#define CPU_WG 32
#define CPU_TILE_K 32
#define CPU_TILE_D 32
/* scale_rows: rows per work-item (one feature each).  GPUs want many small
 * work-items (not measured: no GPU).  With PoCL 3.1 on 2 shared Zen cores,
 * 1..4096 rows per work-item scaled 1e6 x 16 in the same time within the
 * noise (about 15 ms per pass); 16 amortises the float64 loads. */
#define GPU_SCALE_ROWS 4
#define CPU_SCALE_ROWS 16

static size_t local_bytes(unsigned wg, unsigned tk, unsigned td) {
  return ((size_t)td * (wg + 1) + (size_t)tk * td) * sizeof(float);
}

/* A positive integer from the environment, or 0. */
static unsigned env_uint(const strata_ctx *ctx, const char *name) {
  const char *s = getenv(name);
  if (!s || !*s) return 0;
  char *end = NULL;
  unsigned long v = strtoul(s, &end, 10);
  if (!end || *end || v == 0 || v > 4096) {
    strata_log(ctx, STRATA_LOG_WARN, "%s='%s' is not an integer in 1..4096; ignored", name, s);
    return 0;
  }
  return (unsigned)v;
}

/* Read once per process, so that a bad value is warned about once (to the
 * ctx of the first program build). */
static pthread_mutex_t env_lock = PTHREAD_MUTEX_INITIALIZER;
static int env_read;
static unsigned env_wg, env_tile_k, env_tile_d, env_scale_rows;

static void read_env(const strata_ctx *ctx) {
  pthread_mutex_lock(&env_lock);
  if (!env_read) {
    env_wg = env_uint(ctx, "STRATA_OPENCL_WG");
    env_tile_k = env_uint(ctx, "STRATA_OPENCL_TILE_K");
    env_tile_d = env_uint(ctx, "STRATA_OPENCL_TILE_D");
    env_scale_rows = env_uint(ctx, "STRATA_OPENCL_SCALE_ROWS");
    env_read = 1;
  }
  pthread_mutex_unlock(&env_lock);
}

ocl_tuning ocl_tuning_for(const strata_ctx *ctx, const strata_ocl_device_info *info, size_t k) {
  read_env(ctx);
  int gpu = strcmp(info->type, "gpu") == 0;
  ocl_tuning t = {gpu ? GPU_WG : CPU_WG, gpu ? GPU_TILE_K : CPU_TILE_K,
                  gpu ? GPU_TILE_D : CPU_TILE_D, info->fp64, gpu ? GPU_SCALE_ROWS : CPU_SCALE_ROWS};
  /* The smallest step that holds k, so that padding is never computed. */
  for (unsigned step = 4; step < t.tile_k; step *= 2)
    if (k <= step) {
      t.tile_k = step;
      break;
    }

  if (env_wg) t.wg = env_wg;
  if (env_tile_k) t.tile_k = env_tile_k;
  if (env_tile_d) t.tile_d = env_tile_d;
  if (env_scale_rows) t.scale_rows = env_scale_rows;

  /* What the device allows wins over defaults and overrides alike. */
  while (t.wg > 16 && t.wg > info->max_work_group) t.wg /= 2;
  size_t room = info->local_mem > 1024 ? info->local_mem - 1024 : info->local_mem;
  while (t.tile_d > 4 && local_bytes(t.wg, t.tile_k, t.tile_d) > room) t.tile_d /= 2;
  while (t.wg > 16 && local_bytes(t.wg, t.tile_k, t.tile_d) > room) t.wg /= 2;
  return t;
}

void ocl_tuning_options(const ocl_tuning *t, char *buf, size_t size) {
  const char *extra = getenv("STRATA_OPENCL_EXTRA_OPTIONS");
  snprintf(buf, size, "-cl-std=CL1.2 -DSTRATA_WG=%u -DSTRATA_TILE_K=%u -DSTRATA_TILE_D=%u "
                      "-DSTRATA_HAVE_FP64=%d -DSTRATA_SCALE_ROWS=%u%s%s",
           t->wg, t->tile_k, t->tile_d, t->fp64, t->scale_rows, extra && *extra ? " " : "", extra ? extra : "");
}
