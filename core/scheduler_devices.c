/* `strata devices`: the CPU and every OpenCL device, with a measured
 * throughput for a shape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_features.h"
#include "error.h"
#include "kernels.h"
#include "opencl.h"
#include "pass.h"
#include "scheduler.h"

/* Rows measured: about 2^26 distance terms, within these bounds. */
#define LIST_TERMS (1u << 26)
#define LIST_MIN_ROWS 4096
#define LIST_MAX_ROWS 262144

static size_t measure_rows(size_t d, size_t k) {
  size_t rows = LIST_TERMS / (k * d);
  rows = rows < LIST_MIN_ROWS ? LIST_MIN_ROWS : rows > LIST_MAX_ROWS ? LIST_MAX_ROWS : rows;
  return (rows + 4095) / 4096 * 4096;
}

static void describe_cpu(strata_device_desc *e, size_t d, size_t k, int threads) {
  const strata_cpu_info *ci = strata_cpu_info_get();
  const strata_kernels *t = strata_kernels_for_shape("auto", d, k);
  snprintf(e->backend, sizeof e->backend, "cpu");
  snprintf(e->kind, sizeof e->kind, "cpu");
  snprintf(e->name, sizeof e->name, "%s", ci->brand[0] ? ci->brand : "unknown CPU");
  snprintf(e->vendor, sizeof e->vendor, "%s", ci->vendor);
  snprintf(e->type, sizeof e->type, "cpu");
  snprintf(e->isa, sizeof e->isa, "%s", strata_isa_name(ci->selected));
  snprintf(e->table, sizeof e->table, "%s", t->name);
  e->threads = threads;
  e->usable = 1;
}

static void describe_opencl(strata_device_desc *e, const strata_backend *b) {
  const strata_ocl_device_info *in = strata_ocl_device((size_t)b->device);
  snprintf(e->backend, sizeof e->backend, "%s", b->name);
  snprintf(e->kind, sizeof e->kind, "opencl");
  snprintf(e->name, sizeof e->name, "%s", in->name);
  snprintf(e->vendor, sizeof e->vendor, "%s", in->vendor);
  snprintf(e->platform, sizeof e->platform, "%s", in->platform);
  snprintf(e->driver, sizeof e->driver, "%s", in->driver);
  snprintf(e->version, sizeof e->version, "%s", in->version);
  snprintf(e->type, sizeof e->type, "%s", in->type);
  snprintf(e->table, sizeof e->table, "%s", b->name);
  e->threads = (int)in->compute_units;
  e->global_mem = in->global_mem;
  e->fp64 = in->fp64;
  e->usable = in->usable;
  if (!in->usable) snprintf(e->note, sizeof e->note, "%s", in->unusable_reason);
}

strata_status strata_devices_list(const strata_ctx *ctx, size_t d, size_t k, int measure,
                                  strata_device_desc **out, size_t *count) {
  *out = NULL;
  *count = 0;
  RETURN_IF(d == 0 || k == 0, STRATA_ERR_USAGE, "d and k must be at least 1");
  int threads = strata_threads_resolve(strata_ctx_threads(ctx));
  /* The CPU row, then every device of the registry. */
  const strata_backend *dev;
  const size_t ndev = strata_backends(STRATA_BACKENDS_DEVICES, &dev);
  strata_device_desc *list = calloc(1 + ndev, sizeof *list);
  RETURN_IF(!list, STRATA_ERR_NOMEM, "out of memory");
  describe_cpu(&list[0], d, k, threads);
  for (size_t i = 0; i < ndev; i++) describe_opencl(&list[1 + i], &dev[i]);
  const size_t rows = measure_rows(d, k);
  for (size_t i = 0; measure && i < 1 + ndev; i++) {
    strata_device_desc *e = &list[i];
    if (!e->usable) continue;
    const strata_kernels *t = i == 0 ? strata_kernels_for_shape("auto", d, k) : dev[i - 1].table;
    strata_status st = i == 0 ? STRATA_OK : strata_ocl_prepare(ctx, (size_t)dev[i - 1].device, k);
    /* Sized for a job of the measured rows: the data stays on a device. */
    if (st == STRATA_OK) st = strata_scheduler_measure(ctx, t, NULL, rows, d, k, rows, threads, &e->rows_per_second);
    if (st != STRATA_OK) {
      snprintf(e->note, sizeof e->note, "%s", strata_last_error());
      e->usable = 0;
    }
  }
  *out = list;
  *count = 1 + ndev;
  return STRATA_OK;
}

void strata_devices_free(strata_device_desc *list) { free(list); }

const char *strata_devices_note(void) { return strata_ocl_discovery_note(); }
