/* The OpenCL kernel tables, one per device, and their per-block slots.
 *
 * The per-block slots (assign_reduce, dist2_to_points) keep the contract of
 * kernels.h for callers that do not use runs (k-means++ on the init sample,
 * the farthest-point pass, tests): they may be called from many threads at
 * once, so each call takes the device's lock and runs synchronously on the
 * device's own queue.  The device only chooses labels; the float64 work
 * (exact distance, sums, inertia) is done here on the host in row order,
 * exactly as the reference does, so the block's accumulation is
 * bit-identical to the CPU tables' given equal labels.
 *
 * A slot has no way to return an error, so a device failure makes the
 * device "broken" for the process: one warning, this call and every later
 * one computed by the CPU table, and every later run of the device fails (or
 * falls back under auto).  The answer is never wrong, only slower.
 *
 * One set of functions serves every device: the context they receive
 * (kernels.h) names the device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels_internal.h"
#include "opencl_internal.h"

static strata_kernels tables[STRATA_OCL_MAX_DEVICES];
static char table_names[STRATA_OCL_MAX_DEVICES][16];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* The CPU table the per-block slots fall back to (and size scratch for). */
static const strata_kernels *cpu_table(void) {
  const strata_kernels *t = strata_kernels_find("cpu");
  return t ? t : strata_kernels_ref();
}

static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

/* Grows a device buffer of the per-block slots to at least `bytes`. */
static strata_status grow(ocl_device *dev, cl_mem *buf, size_t *have, size_t bytes, cl_mem_flags flags,
                          const char *what) {
  if (*buf && *have >= bytes) return STRATA_OK;
  ocl_release_mem(buf);
  *have = 0;
  /* Some headroom, so that blocks of slowly growing size do not reallocate
   * every call. */
  size_t want = bytes + bytes / 4;
  FORWARD_IF_ERROR(ocl_buffer(dev->ctx, flags, want, what, buf, NULL));
  *have = want;
  return STRATA_OK;
}

/* x (rows with stride ld) into the packed device buffer bx. */
static strata_status upload_rows(ocl_device *dev, const float *x, size_t rows, size_t ld, size_t d) {
  FORWARD_IF_ERROR(grow(dev, &dev->bx, &dev->bx_bytes, rows * d * sizeof(float), CL_MEM_READ_ONLY,
                        "clCreateBuffer(rows)"));
  if (ld == d)
    return ocl_check(clEnqueueWriteBuffer(dev->queue, dev->bx, CL_FALSE, 0, rows * d * sizeof(float), x,
                                          0, NULL, NULL),
                     "clEnqueueWriteBuffer(rows)");
  const size_t origin[3] = {0, 0, 0}, region[3] = {d * sizeof(float), rows, 1};
  return ocl_check(clEnqueueWriteBufferRect(dev->queue, dev->bx, CL_FALSE, origin, origin, region,
                                            d * sizeof(float), 0, ld * sizeof(float), 0, x, 0, NULL,
                                            NULL),
                   "clEnqueueWriteBufferRect(rows)");
}

/* The kernel objects of the per-block slots for program *pi: the program
 * for k when by_k, else the already built program 0. */
static strata_status block_kernels(ocl_device *dev, size_t k, int *pi, int by_k) {
  ocl_program *p = &dev->programs[0];
  if (by_k) FORWARD_IF_ERROR(ocl_device_program_locked(NULL, dev, k, &p));
  *pi = (int)(p - dev->programs);
  cl_int err;
  if (!dev->bassign[*pi]) {
    dev->bassign[*pi] = clCreateKernel(p->program, "assign_f32", &err);
    OCL_TRY(err, "clCreateKernel(assign_f32)");
  }
  if (!dev->bdist2[*pi]) {
    dev->bdist2[*pi] = clCreateKernel(p->program, "dist2_points", &err);
    OCL_TRY(err, "clCreateKernel(dist2_points)");
  }
  return STRATA_OK;
}

/* After a failure: wait until nothing queued still reads the caller's
 * memory (writes are queued without blocking) before the call returns. */
static void drain_locked(ocl_device *dev) {
  if (dev->queue) clFinish(dev->queue);
}

static strata_status assign_locked(ocl_device *dev, const float *x, size_t rows, size_t ld, size_t d,
                                   const float *c, size_t k, int32_t *labels) {
  if (dev->broken) return strata_fail(STRATA_ERR_BACKEND, "%s", dev->broken_error);
  int pi = 0;
  FORWARD_IF_ERROR(block_kernels(dev, k, &pi, 1));
  const ocl_tuning *t = &dev->programs[pi].tune;
  FORWARD_IF_ERROR(upload_rows(dev, x, rows, ld, d));
  /* Centroids change once per pass, blocks come by the hundred: compare
   * (k*d floats, 1/rows of the distance work) and upload only on change. */
  size_t cbytes = k * d * sizeof(float);
  if (!dev->bc_host || dev->bc_k != k || dev->bc_d != d || memcmp(dev->bc_host, c, cbytes) != 0) {
    FORWARD_IF_ERROR(grow(dev, &dev->bc, &dev->bc_bytes, cbytes, CL_MEM_READ_ONLY, "clCreateBuffer(centroids)"));
    float *copy = realloc(dev->bc_host, cbytes);
    RETURN_IF(!copy, STRATA_ERR_NOMEM, "out of memory");
    dev->bc_host = copy;
    dev->bc_k = 0; /* valid again only once the upload is queued */
    OCL_TRY(clEnqueueWriteBuffer(dev->queue, dev->bc, CL_TRUE, 0, cbytes, c, 0, NULL, NULL),
            "clEnqueueWriteBuffer(centroids)");
    memcpy(dev->bc_host, c, cbytes);
    dev->bc_k = k;
    dev->bc_d = d;
  }
  FORWARD_IF_ERROR(grow(dev, &dev->blabels, &dev->blabels_bytes, rows * sizeof(cl_int),
                        CL_MEM_WRITE_ONLY, "clCreateBuffer(labels)"));
  FORWARD_IF_ERROR(grow(dev, &dev->bdist, &dev->bdist_bytes, rows * sizeof(double), CL_MEM_WRITE_ONLY,
                        "clCreateBuffer(distances)"));
  cl_kernel kr = dev->bassign[pi];
  cl_uint r32 = (cl_uint)rows, d32 = (cl_uint)d, k32 = (cl_uint)k;
  cl_int err = clSetKernelArg(kr, 0, sizeof(cl_mem), &dev->bx);
  err |= clSetKernelArg(kr, 1, sizeof r32, &r32);
  err |= clSetKernelArg(kr, 2, sizeof d32, &d32);
  err |= clSetKernelArg(kr, 3, sizeof(cl_mem), &dev->bc);
  err |= clSetKernelArg(kr, 4, sizeof k32, &k32);
  err |= clSetKernelArg(kr, 5, sizeof(cl_mem), &dev->blabels);
  err |= clSetKernelArg(kr, 6, sizeof(cl_mem), &dev->bdist);
  OCL_TRY(err, "clSetKernelArg(assign_f32)");
  size_t global = round_up(rows, t->wg), local = t->wg;
  FORWARD_IF_ERROR(ocl_launch(dev->queue, kr, 1, &global, &local, 0, NULL, NULL,
                              "clEnqueueNDRangeKernel(assign_f32)"));
  OCL_TRY(clEnqueueReadBuffer(dev->queue, dev->blabels, CL_TRUE, 0, rows * sizeof(cl_int), labels, 0,
                              NULL, NULL),
          "clEnqueueReadBuffer(labels)");
  return STRATA_OK;
}

static void block_assign(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld, size_t d,
                         const float *c,
                         const float *c_norm2, size_t k, int32_t *labels, float *dist2,
                         strata_block_acc *acc, strata_scratch scratch) {
  if (rows == 0) return;
  ocl_device *dev = ocl_device_get((size_t)ctx->device);
  pthread_mutex_lock(&dev->lock);
  strata_status st = assign_locked(dev, x, rows, ld, d, c, k, labels);
  if (st != STRATA_OK) drain_locked(dev);
  pthread_mutex_unlock(&dev->lock);
  if (st != STRATA_OK) {
    ocl_device_mark_broken(NULL, dev, "computing on the CPU from now on");
    const strata_kernels *cpu = cpu_table();
    cpu->lloyd.assign_reduce(&cpu->ctx, x, rows, ld, d, c, c_norm2, k, labels, dist2, acc, scratch);
    return;
  }
  strata_finish_rows_scalar(x, rows, ld, d, c, labels, dist2, acc);
}

static strata_status dist2_locked(ocl_device *dev, const float *x, size_t rows, size_t ld, size_t d,
                                  const float *cand, size_t m, float *out) {
  if (dev->broken) return strata_fail(STRATA_ERR_BACKEND, "%s", dev->broken_error);
  /* dist2_points does not depend on the tuning: any built program will do
   * (the one for a large k is the one a fit on this device builds anyway). */
  int pi = 0;
  if (dev->nprograms > 0) FORWARD_IF_ERROR(block_kernels(dev, 0, &pi, 0));
  else FORWARD_IF_ERROR(block_kernels(dev, (size_t)-1, &pi, 1));
  FORWARD_IF_ERROR(upload_rows(dev, x, rows, ld, d));
  size_t cbytes = m * d * sizeof(float), obytes = m * rows * sizeof(float);
  FORWARD_IF_ERROR(grow(dev, &dev->bc, &dev->bc_bytes, cbytes, CL_MEM_READ_ONLY, "clCreateBuffer(candidates)"));
  dev->bc_k = 0; /* bc no longer holds assign's centroids */
  OCL_TRY(clEnqueueWriteBuffer(dev->queue, dev->bc, CL_FALSE, 0, cbytes, cand, 0, NULL, NULL),
          "clEnqueueWriteBuffer(candidates)");
  FORWARD_IF_ERROR(grow(dev, &dev->bout, &dev->bout_bytes, obytes, CL_MEM_WRITE_ONLY,
                        "clCreateBuffer(distances)"));
  cl_kernel kr = dev->bdist2[pi];
  cl_uint r32 = (cl_uint)rows, d32 = (cl_uint)d, m32 = (cl_uint)m;
  cl_int err = clSetKernelArg(kr, 0, sizeof(cl_mem), &dev->bx);
  err |= clSetKernelArg(kr, 1, sizeof r32, &r32);
  err |= clSetKernelArg(kr, 2, sizeof d32, &d32);
  err |= clSetKernelArg(kr, 3, sizeof(cl_mem), &dev->bc);
  err |= clSetKernelArg(kr, 4, sizeof m32, &m32);
  err |= clSetKernelArg(kr, 5, sizeof(cl_mem), &dev->bout);
  OCL_TRY(err, "clSetKernelArg(dist2_points)");
  size_t global[2] = {round_up(rows, 64), m};
  FORWARD_IF_ERROR(ocl_launch(dev->queue, kr, 2, global, NULL, 0, NULL, NULL,
                              "clEnqueueNDRangeKernel(dist2_points)"));
  OCL_TRY(clEnqueueReadBuffer(dev->queue, dev->bout, CL_TRUE, 0, obytes, out, 0, NULL, NULL),
          "clEnqueueReadBuffer(distances)");
  return STRATA_OK;
}

static void block_dist2(const strata_kernel_ctx *ctx, const float *x, size_t rows, size_t ld, size_t d,
                        const float *cand,
                        size_t m, float *out, strata_scratch scratch) {
  if (rows == 0 || m == 0) return;
  ocl_device *dev = ocl_device_get((size_t)ctx->device);
  pthread_mutex_lock(&dev->lock);
  strata_status st = dist2_locked(dev, x, rows, ld, d, cand, m, out);
  if (st != STRATA_OK) drain_locked(dev);
  pthread_mutex_unlock(&dev->lock);
  if (st != STRATA_OK) {
    ocl_device_mark_broken(NULL, dev, "computing on the CPU from now on");
    const strata_kernels *cpu = cpu_table();
    cpu->seed.dist2_to_points(&cpu->ctx, x, rows, ld, d, cand, m, out, scratch);
  }
}

/* Scratch is only ever used by the CPU fallback. */
static size_t block_scratch(const strata_kernel_ctx *ctx, size_t rows, size_t d, size_t k) {
  const strata_kernels *cpu = cpu_table();
  return cpu->lloyd.scratch_bytes(&cpu->ctx, rows, d, k);
}

static void make_tables(void) {
  size_t n = strata_ocl_device_count();
  for (size_t i = 0; i < n && i < STRATA_OCL_MAX_DEVICES; i++) {
    if (!strata_ocl_device(i)->usable) continue;
    strata_kernels *t = &tables[i];
    *t = *strata_kernels_ref(); /* no slot is ever empty */
    snprintf(table_names[i], sizeof table_names[i], "opencl:%zu", i);
    t->name = table_names[i];
    t->ctx = (strata_kernel_ctx){t, (int)i};
    t->lloyd.scratch_bytes = block_scratch;
    t->lloyd.assign_reduce = block_assign;
    t->seed.dist2_to_points = block_dist2;
    t->run.run_open = ocl_run_open;
    t->run.run_set_centroids = ocl_run_set_centroids;
    t->run.run_begin_pass = ocl_run_begin_pass;
    t->run.run_chunk = ocl_run_chunk;
    t->run.run_end_pass = ocl_run_end_pass;
    t->run.run_close = ocl_run_close;
    t->run.run_set_scaler = ocl_run_set_scaler;
  }
}

const strata_kernels *strata_ocl_table(size_t i) {
  pthread_once(&tables_once, make_tables);
  return i < STRATA_OCL_MAX_DEVICES && tables[i].name ? &tables[i] : NULL;
}

int strata_ocl_table_device(const strata_kernels *t) {
  for (int i = 0; t && i < STRATA_OCL_MAX_DEVICES; i++)
    if (t == &tables[i]) return i;
  return -1;
}
