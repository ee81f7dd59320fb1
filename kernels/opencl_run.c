/* Runs on an OpenCL device (the run_* slots of kernels.h).
 *
 * A chunk is cut into pieces of whole blocks (about 4 MiB of rows).  For
 * each piece: its rows are uploaded on the transfer queue, assign_f32 runs
 * on the compute queue, and labels and exact distances come back; the host
 * then counts, sums the inertia and orders the rows by cluster
 * (opencl_run_host.c), and reduce_sums_fixed adds the piece into the exact
 * totals on the device.  Two slots of buffers alternate, so piece p+1 is
 * uploaded and assigned while the host works on piece p and the device
 * reduces it; the totals stay on the device until the end of the pass.
 *
 * Modes:
 *   device reduce  float64 device, sums wanted, k <= DEVICE_REDUCE_MAX_K:
 *                  as above
 *   device dist    float64 device, no sums wanted (assign): labels and
 *                  exact distances from the device, counts on the host
 *   device labels  no float64 (or a huge k): the device returns labels only;
 *                  the host does the float64 work
 *   cpu            the device failed and cfg->fallback took over
 * Sums are exact fixed-point totals (common/exact.h) in every mode, so they
 * are bit-identical whichever mode computed which chunk.
 *
 * Data stays on the device between passes ("resident") when the whole input
 * fits the memory budget; else every pass streams it.  A buffer the device
 * cannot allocate halves the piece size (down to one block) and retries.
 *
 * With the pass's scaler (run_set_scaler; device modes with float64 only)
 * the rows arrive raw: scale_rows scales each piece in place right after its
 * upload, so a resident piece is scaled once, in its first pass.  A value the
 * scaler rejects sets a flag that is read once per chunk; the host's scaler
 * then words the error.  The CPU paths scale raw rows on the host.
 *
 * Under auto (cfg->fallback set) the totals are copied back after each
 * chunk, so that a device lost mid-pass can hand over to the CPU without
 * losing the chunks already reduced: the pass finishes exactly as the CPU
 * path would have computed it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opencl_internal.h"

enum {
  MODE_DEVICE_REDUCE, /* labels, distances and exact sums on the device */
  MODE_DEVICE_DIST,   /* labels and distances on the device; no sums wanted */
  MODE_DEVICE_LABELS, /* labels on the device, float64 work on the host */
  MODE_CPU            /* the device failed: cfg.fallback does everything */
};

/* Whether the device returns exact distances (float64) for host accounting. */
#define WANTS_DIST(mode) ((mode) == MODE_DEVICE_REDUCE || (mode) == MODE_DEVICE_DIST)

/* Rows of x per piece: large enough to amortise a launch, small enough that a
 * chunk (8 MiB by default) makes two pieces that overlap. */
#define PIECE_TARGET_BYTES (4u << 20)
#define PIECE_MAX_BLOCKS 64
/* Above this k the per-block offsets (k + 1 per block) cost more to build and
 * upload than the host reduction they replace. */
#define DEVICE_REDUCE_MAX_K 16384

typedef struct {
  cl_mem x, labels, dist, order, offsets;
  size_t cap;             /* rows the buffers were made for; 0 = none yet */
  int has_x;
  cl_int *order_h, *offsets_h;
  double *dist_h;
  cl_event reduced;       /* the last reduce that read x and order */
  cl_event done;          /* the last read of labels (and distances) */
} run_slot;

typedef struct {
  size_t row0, rows;
  cl_mem x;
} resident_piece;

typedef struct {
  size_t b0, b1;          /* blocks [b0, b1) of the chunk */
  size_t off, rows;       /* rows [off, off + rows) of the chunk's outputs */
  int slot;
  cl_mem x;
  int oom;                /* enqueue failed for want of device memory */
  ocl_piece_block pb[PIECE_MAX_BLOCKS];
} piece;

struct strata_kernel_run {
  ocl_device *dev;
  strata_run_config cfg;
  int mode;
  unsigned wg;
  cl_command_queue qc, qt;  /* compute, transfer */
  cl_kernel kassign, kreduce;
  cl_mem cbuf, total, scale;  /* centroids; exact sums k x d x 16 bytes; d scales */
  cl_mem off_grid;            /* one flag: reduce_sums_fixed left a sum out */
  double *sum_scale;          /* d, or NULL: no sums wanted */
  float *c, *cn;
  int c_set;
  uint64_t limit;           /* device bytes this run may use */
  size_t piece_cap;         /* rows per piece, whole blocks */
  run_slot slot[2];
  unsigned seq;             /* pieces enqueued; slot = seq & 1 */
  int resident, snapshot;
  resident_piece *res;
  size_t nres, res_cap, res_next;
  ocl_totals tot;
  int64_t *counts_mark;     /* totals at the start of the chunk */
  strata_xacc inertia_mark;
  ocl_host_ws ws;
  /* The scaler on the device (run_set_scaler): rows arrive raw, are scaled
   * in place after each upload, and a resident piece keeps the scaled rows. */
  cl_program program;
  unsigned scale_rows;                 /* STRATA_SCALE_ROWS of the program */
  int scales;
  strata_run_scaler scaler;
  cl_kernel kscale;
  cl_mem sshift, sinv, simpute, sbad;  /* d, d, d doubles; one flag */
  int scaled;                          /* scale_rows ran in this chunk */
  float *host_x;                       /* raw rows scaled on the host */
  size_t host_x_cap;
  strata_run_block *host_blocks;
  size_t host_blocks_cap;
};

static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

/* ---- memory budget -------------------------------------------------------- */

static uint64_t mem_limit(const strata_ctx *ctx, const strata_ocl_device_info *in) {
  const char *s = getenv("STRATA_OPENCL_MEM_LIMIT");
  if (s && *s) {
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (end && *end == '\0' && v > 0) return v;
    strata_log(ctx, STRATA_LOG_WARN, "STRATA_OPENCL_MEM_LIMIT='%s' is not a byte count; ignored", s);
  }
  /* The driver, other processes and fragmentation need the rest. */
  return in->global_mem / 4 * 3;
}

static size_t slot_bytes(const strata_kernel_run *r, size_t cap, int with_x) {
  size_t d = r->cfg.d, k = r->cfg.k, b = cap * (sizeof(cl_int) + sizeof(double));
  if (with_x) b += cap * d * sizeof(float);
  if (r->mode == MODE_DEVICE_REDUCE)
    b += cap * sizeof(cl_int) + (size_t)PIECE_MAX_BLOCKS * (k + 1) * sizeof(cl_int);
  return b;
}

static size_t fixed_bytes(const strata_kernel_run *r) {
  size_t kd = r->cfg.k * r->cfg.d;
  return kd * sizeof(float) + (r->mode == MODE_DEVICE_REDUCE ? kd * sizeof(strata_fixed128) : 0);
}

/* Piece size and residency from the budget; fails when not even one block
 * fits. */
static strata_status plan_memory(strata_kernel_run *r) {
  const strata_ocl_device_info *in = &r->dev->info;
  const size_t d = r->cfg.d, B = STRATA_OCL_BLOCK_ROWS;
  size_t cap = PIECE_TARGET_BYTES / (d * sizeof(float)) / B * B;
  if (cap < B) cap = B;
  if (cap > (size_t)PIECE_MAX_BLOCKS * B) cap = (size_t)PIECE_MAX_BLOCKS * B;
  while (cap > B && (uint64_t)cap * d * sizeof(float) > in->max_alloc) cap -= B;
  const char *res_env = getenv("STRATA_OPENCL_RESIDENT");
  uint64_t data = (uint64_t)r->cfg.n * d * sizeof(float);
  r->resident = !(res_env && strcmp(res_env, "0") == 0) &&
                fixed_bytes(r) + 2 * slot_bytes(r, cap, 0) + data <= r->limit;
  while (!r->resident && cap > B && fixed_bytes(r) + 2 * slot_bytes(r, cap, 1) > r->limit)
    cap = (cap / 2 + B - 1) / B * B;
  r->piece_cap = cap;
  if (!r->resident && fixed_bytes(r) + 2 * slot_bytes(r, cap, 1) > r->limit)
    return strata_fail(STRATA_ERR_BACKEND,
                       "OpenCL device %d (%s) is too small for k = %zu, d = %zu: it needs %llu bytes, "
                       "the limit is %llu",
                       in->index, in->name, r->cfg.k, d,
                       (unsigned long long)(fixed_bytes(r) + 2 * slot_bytes(r, cap, 1)),
                       (unsigned long long)r->limit);
  return STRATA_OK;
}

/* ---- buffers -------------------------------------------------------------- */

static void slot_release(run_slot *s) {
  ocl_release_mem(&s->x);
  ocl_release_mem(&s->labels);
  ocl_release_mem(&s->dist);
  ocl_release_mem(&s->order);
  ocl_release_mem(&s->offsets);
  ocl_release_event(&s->reduced);
  ocl_release_event(&s->done);
  free(s->order_h);
  free(s->offsets_h);
  free(s->dist_h);
  s->order_h = s->offsets_h = NULL;
  s->dist_h = NULL;
  s->cap = 0;
  s->has_x = 0;
}

static void resident_release(strata_kernel_run *r) {
  for (size_t i = 0; i < r->nres; i++) ocl_release_mem(&r->res[i].x);
  free(r->res);
  r->res = NULL;
  r->nres = r->res_cap = 0;
  r->resident = 0;
}

/* clCreateBuffer; *oom tells an allocation failure (split and retry) apart
 * from a broken device. */
static strata_status run_buffer(strata_kernel_run *r, cl_mem_flags flags, size_t bytes,
                                const char *what, cl_mem *out, int *oom) {
  cl_int code = CL_SUCCESS;
  strata_status st = ocl_buffer(r->dev->ctx, flags, bytes, what, out, &code);
  if (st != STRATA_OK && ocl_is_out_of_memory(code)) *oom = 1;
  return st;
}

/* Row buffers are written by scale_rows when the run scales. */
static cl_mem_flags rows_flags(const strata_kernel_run *r) {
  return r->scales ? CL_MEM_READ_WRITE : CL_MEM_READ_ONLY;
}

/* The slot's buffers for pieces of r->piece_cap rows. */
static strata_status slot_ready(strata_kernel_run *r, run_slot *s, int *oom) {
  const size_t cap = r->piece_cap, d = r->cfg.d, k = r->cfg.k;
  const int reduce = r->mode == MODE_DEVICE_REDUCE;
  if (s->cap != cap) {
    slot_release(s);
    FORWARD_IF_ERROR(run_buffer(r, CL_MEM_WRITE_ONLY, cap * sizeof(cl_int), "clCreateBuffer(labels)",
                                &s->labels, oom));
    /* assign_f32 always writes distances (float32 without float64); they
     * are only read back in device-reduce mode. */
    FORWARD_IF_ERROR(run_buffer(r, CL_MEM_WRITE_ONLY, cap * sizeof(double), "clCreateBuffer(distances)",
                                &s->dist, oom));
    if (reduce) {
      FORWARD_IF_ERROR(run_buffer(r, CL_MEM_READ_ONLY, cap * sizeof(cl_int), "clCreateBuffer(order)",
                                  &s->order, oom));
      FORWARD_IF_ERROR(run_buffer(r, CL_MEM_READ_ONLY,
                                  (size_t)PIECE_MAX_BLOCKS * (k + 1) * sizeof(cl_int),
                                  "clCreateBuffer(offsets)", &s->offsets, oom));
      s->order_h = malloc(cap * sizeof *s->order_h);
      s->offsets_h = malloc((size_t)PIECE_MAX_BLOCKS * (k + 1) * sizeof *s->offsets_h);
      RETURN_IF(!s->order_h || !s->offsets_h, STRATA_ERR_NOMEM, "out of memory for an OpenCL run");
    }
    if (WANTS_DIST(r->mode)) {
      s->dist_h = malloc(cap * sizeof *s->dist_h);
      RETURN_IF(!s->dist_h, STRATA_ERR_NOMEM, "out of memory for an OpenCL run");
    }
    s->cap = cap;
  }
  if (!r->resident && !s->has_x) {
    FORWARD_IF_ERROR(run_buffer(r, rows_flags(r), cap * d * sizeof(float), "clCreateBuffer(rows)",
                                &s->x, oom));
    s->has_x = 1;
  }
  return STRATA_OK;
}

/* ---- one piece ------------------------------------------------------------ */

/* Consecutive blocks from b0 that fit a piece (at least one). */
static void plan_piece(const strata_kernel_run *r, const strata_run_block *blocks, size_t nb,
                       size_t b0, size_t off, piece *p) {
  p->b0 = p->b1 = b0;
  p->off = off;
  p->rows = 0;
  p->oom = 0;
  while (p->b1 < nb && p->b1 - b0 < PIECE_MAX_BLOCKS &&
         (p->b1 == b0 || p->rows + blocks[p->b1].m <= r->piece_cap)) {
    p->pb[p->b1 - b0] = (ocl_piece_block){p->rows, blocks[p->b1].m};
    p->rows += blocks[p->b1].m;
    p->b1++;
  }
}

/* The device buffer holding the piece's rows, and whether they must be
 * uploaded: a resident piece uploads only in the first pass. */
static strata_status piece_buffer(strata_kernel_run *r, piece *p, const strata_run_block *blocks,
                                  int *upload) {
  run_slot *s = &r->slot[p->slot];
  *upload = 1;
  if (r->resident) {
    size_t i = r->res_next++;
    if (i < r->nres && r->res[i].row0 == blocks[p->b0].row0 && r->res[i].rows == p->rows) {
      p->x = r->res[i].x;
      *upload = 0;
      return STRATA_OK;
    }
    int oom = 0;
    cl_mem x = NULL;
    strata_status st = STRATA_OK;
    if (i == r->nres) {
      if (r->nres == r->res_cap) {
        size_t cap = r->res_cap ? 2 * r->res_cap : 64;
        resident_piece *g = realloc(r->res, cap * sizeof *g);
        RETURN_IF(!g, STRATA_ERR_NOMEM, "out of memory");
        r->res = g;
        r->res_cap = cap;
      }
      st = run_buffer(r, rows_flags(r), p->rows * r->cfg.d * sizeof(float),
                      "clCreateBuffer(resident rows)", &x, &oom);
    }
    if (x) {
      r->res[r->nres++] = (resident_piece){blocks[p->b0].row0, p->rows, x};
      p->x = x;
      return STRATA_OK;
    }
    if (st != STRATA_OK && !oom) return st;
    /* Out of room (or pieces no longer line up): stream from now on. */
    strata_log(r->cfg.ctx, STRATA_LOG_INFO, "OpenCL device %d: data no longer kept on the device; streaming",
               r->dev->info.index);
    resident_release(r);
    oom = 0;
    st = slot_ready(r, s, &oom);
    if (st != STRATA_OK) {
      p->oom = oom;
      return st;
    }
  }
  p->x = s->x;
  return STRATA_OK;
}

/* Queues scale_rows on the piece's raw rows once their upload (*up) is
 * done; in-order, the compute queue's next command sees scaled rows. */
static strata_status enqueue_scale(strata_kernel_run *r, const piece *p, cl_event *up) {
  const cl_uint r32 = (cl_uint)p->rows, d32 = (cl_uint)r->cfg.d;
  const cl_int nan_ok = r->scaler.impute != NULL;
  cl_mem impute = nan_ok ? r->simpute : r->sshift; /* not read without nan_ok */
  cl_int err = clSetKernelArg(r->kscale, 0, sizeof(cl_mem), &p->x);
  err |= clSetKernelArg(r->kscale, 1, sizeof r32, &r32);
  err |= clSetKernelArg(r->kscale, 2, sizeof d32, &d32);
  err |= clSetKernelArg(r->kscale, 3, sizeof(cl_mem), &r->sshift);
  err |= clSetKernelArg(r->kscale, 4, sizeof(cl_mem), &r->sinv);
  err |= clSetKernelArg(r->kscale, 5, sizeof(cl_mem), &impute);
  err |= clSetKernelArg(r->kscale, 6, sizeof nan_ok, &nan_ok);
  err |= clSetKernelArg(r->kscale, 7, sizeof(cl_mem), &r->sbad);
  OCL_TRY(err, "clSetKernelArg(scale_rows)");
  const size_t per = r->scale_rows;
  size_t global[2] = {r->cfg.d, (p->rows + per - 1) / per};
  r->scaled = 1;
  return ocl_launch(r->qc, r->kscale, 2, global, NULL, *up ? 1 : 0, *up ? up : NULL, NULL,
                    "clEnqueueNDRangeKernel(scale_rows)");
}

/* Queues the upload, assign_f32 and the read-back of one piece. */
static strata_status enqueue_piece(strata_kernel_run *r, piece *p, const strata_run_block *blocks,
                                   int32_t *labels) {
  p->slot = (int)(r->seq & 1);
  run_slot *s = &r->slot[p->slot];
  int oom = 0;
  strata_status st = slot_ready(r, s, &oom);
  if (st != STRATA_OK) {
    p->oom = oom;
    return st;
  }
  int upload = 0;
  FORWARD_IF_ERROR(piece_buffer(r, p, blocks, &upload));
  if (p->rows == 0) return STRATA_OK; /* every row of these blocks was dropped */
  const size_t d = r->cfg.d;
  cl_event up = NULL;
  if (upload) {
    /* A streamed slot's rows may still be read by the reduce of the piece
     * that used it two pieces ago. */
    cl_uint nwait = (!r->resident && s->reduced) ? 1 : 0;
    for (size_t b = p->b0; b < p->b1; b++) {
      const ocl_piece_block *pb = &p->pb[b - p->b0];
      if (!pb->m) continue;
      cl_event ev = NULL;
      cl_int err = clEnqueueWriteBuffer(r->qt, p->x, CL_FALSE, pb->off * d * sizeof(float),
                                        pb->m * d * sizeof(float), blocks[b].x, nwait,
                                        nwait ? &s->reduced : NULL, &ev);
      nwait = 0;
      ocl_release_event(&up);
      up = ev;
      OCL_TRY(err, "clEnqueueWriteBuffer(rows)");
    }
  }
  if (upload && r->scales) {
    strata_status sst = enqueue_scale(r, p, &up);
    ocl_release_event(&up);
    FORWARD_IF_ERROR(sst);
  }
  cl_uint r32 = (cl_uint)p->rows, d32 = (cl_uint)d, k32 = (cl_uint)r->cfg.k;
  cl_int err = clSetKernelArg(r->kassign, 0, sizeof(cl_mem), &p->x);
  err |= clSetKernelArg(r->kassign, 1, sizeof r32, &r32);
  err |= clSetKernelArg(r->kassign, 2, sizeof d32, &d32);
  err |= clSetKernelArg(r->kassign, 3, sizeof(cl_mem), &r->cbuf);
  err |= clSetKernelArg(r->kassign, 4, sizeof k32, &k32);
  err |= clSetKernelArg(r->kassign, 5, sizeof(cl_mem), &s->labels);
  err |= clSetKernelArg(r->kassign, 6, sizeof(cl_mem), &s->dist);
  if (err != CL_SUCCESS) ocl_release_event(&up);
  OCL_TRY(err, "clSetKernelArg(assign_f32)");
  size_t global = round_up(p->rows, r->wg), local = r->wg;
  st = ocl_launch(r->qc, r->kassign, 1, &global, &local, up ? 1 : 0, &up, NULL,
                  "clEnqueueNDRangeKernel(assign_f32)");
  ocl_release_event(&up);
  FORWARD_IF_ERROR(st);
  ocl_release_event(&s->done);
  if (WANTS_DIST(r->mode)) {
    OCL_TRY(clEnqueueReadBuffer(r->qc, s->labels, CL_FALSE, 0, p->rows * sizeof(cl_int),
                                labels + p->off, 0, NULL, NULL),
            "clEnqueueReadBuffer(labels)");
    OCL_TRY(clEnqueueReadBuffer(r->qc, s->dist, CL_FALSE, 0, p->rows * sizeof(double), s->dist_h, 0,
                                NULL, &s->done),
            "clEnqueueReadBuffer(distances)");
  } else {
    OCL_TRY(clEnqueueReadBuffer(r->qc, s->labels, CL_FALSE, 0, p->rows * sizeof(cl_int),
                                labels + p->off, 0, NULL, &s->done),
            "clEnqueueReadBuffer(labels)");
  }
  r->seq++;
  return STRATA_OK;
}

/* Waits for a piece's labels; with exact distances accounts for it on the
 * host, and in device-reduce mode queues its reduction. */
static strata_status finish_piece(strata_kernel_run *r, piece *p, int32_t *labels, float *dist2) {
  if (p->rows == 0) return STRATA_OK;
  run_slot *s = &r->slot[p->slot];
  OCL_TRY(clWaitForEvents(1, &s->done), "clWaitForEvents(assign_f32)");
  if (!WANTS_DIST(r->mode)) return STRATA_OK;
  const size_t nb = p->b1 - p->b0, k = r->cfg.k;
  const int reduce = r->mode == MODE_DEVICE_REDUCE;
  ocl_host_account(&r->tot, p->pb, nb, labels + p->off, s->dist_h, dist2 ? dist2 + p->off : NULL,
                   reduce ? s->order_h : NULL, s->offsets_h);
  if (!reduce) return STRATA_OK;
  /* Host arrays are reused two pieces later, after this slot's next read,
   * which the in-order queue runs after these writes. */
  OCL_TRY(clEnqueueWriteBuffer(r->qc, s->order, CL_FALSE, 0, p->rows * sizeof(cl_int), s->order_h, 0,
                               NULL, NULL),
          "clEnqueueWriteBuffer(order)");
  OCL_TRY(clEnqueueWriteBuffer(r->qc, s->offsets, CL_FALSE, 0, nb * (k + 1) * sizeof(cl_int),
                               s->offsets_h, 0, NULL, NULL),
          "clEnqueueWriteBuffer(offsets)");
  cl_uint d32 = (cl_uint)r->cfg.d, k32 = (cl_uint)k, nb32 = (cl_uint)nb;
  cl_int err = clSetKernelArg(r->kreduce, 0, sizeof(cl_mem), &p->x);
  err |= clSetKernelArg(r->kreduce, 1, sizeof d32, &d32);
  err |= clSetKernelArg(r->kreduce, 2, sizeof k32, &k32);
  err |= clSetKernelArg(r->kreduce, 3, sizeof nb32, &nb32);
  err |= clSetKernelArg(r->kreduce, 4, sizeof(cl_mem), &s->order);
  err |= clSetKernelArg(r->kreduce, 5, sizeof(cl_mem), &s->offsets);
  err |= clSetKernelArg(r->kreduce, 6, sizeof(cl_mem), &r->scale);
  err |= clSetKernelArg(r->kreduce, 7, sizeof(cl_mem), &r->total);
  err |= clSetKernelArg(r->kreduce, 8, sizeof r->tot.row_limit, &r->tot.row_limit);
  err |= clSetKernelArg(r->kreduce, 9, sizeof(cl_mem), &r->off_grid);
  OCL_TRY(err, "clSetKernelArg(reduce_sums_fixed)");
  size_t global = round_up(k * r->cfg.d, 64);
  ocl_release_event(&s->reduced);
  return ocl_launch(r->qc, r->kreduce, 1, &global, NULL, 0, NULL, &s->reduced,
                    "clEnqueueNDRangeKernel(reduce_sums_fixed)");
}

/* Halves the piece size after an allocation failure; fails at one block.
 * Nothing may be in flight. */
static strata_status shrink(strata_kernel_run *r) {
  const size_t B = STRATA_OCL_BLOCK_ROWS;
  if (r->piece_cap <= B && !r->resident) return STRATA_ERR_BACKEND; /* detail already recorded */
  char why[512];
  snprintf(why, sizeof why, "%s", strata_last_error());
  size_t before = r->piece_cap;
  if (r->piece_cap > B) r->piece_cap = (r->piece_cap / 2 + B - 1) / B * B;
  resident_release(r);
  slot_release(&r->slot[0]);
  slot_release(&r->slot[1]);
  strata_log(r->cfg.ctx, STRATA_LOG_INFO, "OpenCL device %d: %s; pieces of %zu rows now (were %zu), streaming",
             r->dev->info.index, why, r->piece_cap, before);
  return STRATA_OK;
}

/* Enqueues the piece starting at block b0, shrinking pieces as long as the
 * device runs out of memory. */
static strata_status enqueue_from(strata_kernel_run *r, const strata_run_block *blocks, size_t nb,
                                  size_t b0, size_t off, piece *p, int32_t *labels) {
  for (;;) {
    plan_piece(r, blocks, nb, b0, off, p);
    strata_status st = enqueue_piece(r, p, blocks, labels);
    if (st == STRATA_OK || !p->oom) return st;
    clFinish(r->qt);
    clFinish(r->qc);
    if (shrink(r) != STRATA_OK) return st;
  }
}

/* Waits until no queued command still reads or writes the caller's memory. */
static void drain(strata_kernel_run *r) {
  if (r->qt) clFinish(r->qt);
  if (r->qc) clFinish(r->qc);
}

/* The chunk's raw rows scaled on the host into r->host_x; *out: the same
 * blocks pointing there.  A rejected value returns the host scaler's error. */
static strata_status host_scale(strata_kernel_run *r, const strata_run_block *blocks, size_t nb,
                                const strata_run_block **out) {
  const size_t d = r->cfg.d;
  size_t rows = 0;
  for (size_t b = 0; b < nb; b++) rows += blocks[b].m;
  if (rows * d > r->host_x_cap) {
    free(r->host_x);
    r->host_x = malloc(rows * d * sizeof *r->host_x);
    r->host_x_cap = r->host_x ? rows * d : 0;
  }
  if (nb > r->host_blocks_cap) {
    free(r->host_blocks);
    r->host_blocks = malloc(nb * sizeof *r->host_blocks);
    r->host_blocks_cap = r->host_blocks ? nb : 0;
  }
  RETURN_IF(!r->host_x || !r->host_blocks, STRATA_ERR_NOMEM, "out of memory for an OpenCL run");
  float *x = r->host_x;
  for (size_t b = 0; b < nb; b++) {
    FORWARD_IF_ERROR(r->scaler.host_apply(r->scaler.ctx, blocks[b].x, blocks[b].m, blocks[b].row0, x));
    r->host_blocks[b] = (strata_run_block){x, blocks[b].m, blocks[b].row0};
    x += blocks[b].m * d;
  }
  *out = r->host_blocks;
  return STRATA_OK;
}

/* scale_rows flagged a value of this chunk: the host's scaler finds the
 * first one and words the error exactly as a host-scaled pass would. */
static strata_status rejected_value(strata_kernel_run *r, const strata_run_block *blocks, size_t nb) {
  const cl_int zero = 0;
  OCL_TRY(clEnqueueWriteBuffer(r->qc, r->sbad, CL_TRUE, 0, sizeof zero, &zero, 0, NULL, NULL),
          "clEnqueueWriteBuffer(scale flag)");
  const strata_run_block *scaled = NULL;
  strata_status st = host_scale(r, blocks, nb, &scaled);
  if (st != STRATA_OK) return st;
  return strata_fail(STRATA_ERR_INTERNAL, "OpenCL device %d: scale_rows rejected a value that the host "
                     "scaler accepts", r->dev->info.index);
}

/* reduce_sums_fixed's flag into the pass's totals. */
static strata_status read_off_grid(strata_kernel_run *r) {
  cl_int flag = 0;
  OCL_TRY(clEnqueueReadBuffer(r->qc, r->off_grid, CL_TRUE, 0, sizeof flag, &flag, 0, NULL, NULL),
          "clEnqueueReadBuffer(off-grid flag)");
  if (flag) r->tot.off_grid = 1;
  return STRATA_OK;
}

static strata_status device_chunk(strata_kernel_run *r, const strata_run_block *blocks, size_t nb,
                                  int32_t *labels, float *dist2) {
  piece cur, next;
  size_t done_blocks = 0, off = 0;
  r->scaled = 0;
  FORWARD_IF_ERROR(enqueue_from(r, blocks, nb, 0, 0, &cur, labels));
  done_blocks = cur.b1;
  off = cur.off + cur.rows;
  for (;;) {
    int have_next = 0;
    strata_status st = STRATA_OK;
    if (done_blocks < nb) {
      plan_piece(r, blocks, nb, done_blocks, off, &next);
      st = enqueue_piece(r, &next, blocks, labels);
      if (st == STRATA_OK) have_next = 1;
      else if (!next.oom) return st;
      /* Out of memory with a piece in flight: finish it, then shrink. */
    }
    FORWARD_IF_ERROR(finish_piece(r, &cur, labels, dist2));
    if (done_blocks < nb && !have_next) {
      drain(r);
      FORWARD_IF_ERROR(shrink(r) == STRATA_OK ? STRATA_OK : st);
      FORWARD_IF_ERROR(enqueue_from(r, blocks, nb, done_blocks, off, &next, labels));
      have_next = 1;
    }
    if (!have_next) break;
    cur = next;
    done_blocks = cur.b1;
    off = cur.off + cur.rows;
  }
  if (r->scaled) {
    /* Before any result of this chunk is used: did scale_rows reject a value? */
    cl_int bad = 0;
    OCL_TRY(clEnqueueReadBuffer(r->qc, r->sbad, CL_TRUE, 0, sizeof bad, &bad, 0, NULL, NULL),
            "clEnqueueReadBuffer(scale flag)");
    if (bad) return rejected_value(r, blocks, nb);
  }
  if (r->mode == MODE_DEVICE_LABELS) {
    OCL_TRY(clFinish(r->qc), "clFinish");
    return ocl_host_chunk(&r->tot, &r->ws, NULL, r->cfg.threads, r->c, r->cn, blocks, nb, 1, labels,
                          dist2);
  }
  if (r->snapshot) {
    OCL_TRY(clEnqueueReadBuffer(r->qc, r->total, CL_TRUE, 0, r->cfg.k * r->cfg.d * sizeof(strata_fixed128),
                                r->tot.sums, 0, NULL, NULL),
            "clEnqueueReadBuffer(sums)");
    FORWARD_IF_ERROR(read_off_grid(r));
  }
  return STRATA_OK;
}

/* ---- failure -------------------------------------------------------------- */

/* A device call failed with st: without a fallback that is the answer;
 * with one, the device is written off (one warning) and the run goes on on
 * the CPU. */
static strata_status device_failed(strata_kernel_run *r, strata_status st) {
  drain(r);
  /* A rejected input value is the data's fault, not the device's. */
  if (!r->cfg.fallback || st == STRATA_ERR_NOMEM || st == STRATA_ERR_DATA) return st;
  char consequence[128];
  snprintf(consequence, sizeof consequence, "continuing on the CPU (%s)", r->cfg.fallback->name);
  ocl_device_mark_broken(r->cfg.ctx, r->dev, consequence);
  r->mode = MODE_CPU;
  return STRATA_OK;
}

/* ---- the slots ------------------------------------------------------------ */

static strata_status open_device(strata_kernel_run *r) {
  ocl_device *dev = r->dev;
  ocl_program *prog = NULL;
  pthread_mutex_lock(&dev->lock);
  strata_status st = dev->broken ? strata_fail(STRATA_ERR_BACKEND, "%s", dev->broken_error)
                                 : ocl_device_program_locked(r->cfg.ctx, dev, r->cfg.k, &prog);
  pthread_mutex_unlock(&dev->lock);
  FORWARD_IF_ERROR(st);
  r->wg = prog->tune.wg;
  r->program = prog->program;
  r->scale_rows = prog->tune.scale_rows;
  if (!prog->tune.fp64) r->mode = MODE_DEVICE_LABELS;
  else if (!r->sum_scale) r->mode = MODE_DEVICE_DIST;
  else r->mode = r->cfg.k <= DEVICE_REDUCE_MAX_K ? MODE_DEVICE_REDUCE : MODE_DEVICE_LABELS;
  r->snapshot = r->cfg.fallback && r->mode == MODE_DEVICE_REDUCE;
  r->limit = mem_limit(r->cfg.ctx, &dev->info);
  FORWARD_IF_ERROR(plan_memory(r));
  cl_int err;
  r->qc = clCreateCommandQueue(dev->ctx, dev->id, 0, &err);
  OCL_TRY(err, "clCreateCommandQueue(compute)");
  r->qt = clCreateCommandQueue(dev->ctx, dev->id, 0, &err);
  OCL_TRY(err, "clCreateCommandQueue(transfer)");
  r->kassign = clCreateKernel(prog->program, "assign_f32", &err);
  OCL_TRY(err, "clCreateKernel(assign_f32)");
  const size_t kd = r->cfg.k * r->cfg.d;
  FORWARD_IF_ERROR(ocl_buffer(dev->ctx, CL_MEM_READ_ONLY, kd * sizeof(float), "clCreateBuffer(centroids)",
                              &r->cbuf, NULL));
  if (r->mode == MODE_DEVICE_REDUCE) {
    r->kreduce = clCreateKernel(prog->program, "reduce_sums_fixed", &err);
    OCL_TRY(err, "clCreateKernel(reduce_sums_fixed)");
    FORWARD_IF_ERROR(ocl_buffer(dev->ctx, CL_MEM_READ_WRITE, kd * sizeof(strata_fixed128),
                                "clCreateBuffer(sums)", &r->total, NULL));
    FORWARD_IF_ERROR(ocl_buffer(dev->ctx, CL_MEM_READ_WRITE, sizeof(cl_int), "clCreateBuffer(off-grid flag)",
                                &r->off_grid, NULL));
    FORWARD_IF_ERROR(ocl_buffer(dev->ctx, CL_MEM_READ_ONLY, r->cfg.d * sizeof(double),
                                "clCreateBuffer(scales)", &r->scale, NULL));
    OCL_TRY(clEnqueueWriteBuffer(r->qc, r->scale, CL_TRUE, 0, r->cfg.d * sizeof(double), r->sum_scale, 0,
                                 NULL, NULL),
            "clEnqueueWriteBuffer(scales)");
  }
  strata_log(r->cfg.ctx, STRATA_LOG_INFO, "OpenCL run on device %d (%s): %s, pieces of %zu rows, %s reduction",
             dev->info.index, dev->info.name, r->resident ? "data kept on the device" : "streaming",
             r->piece_cap, r->mode == MODE_DEVICE_REDUCE ? "device" : "host");
  return STRATA_OK;
}

strata_status ocl_run_open(const strata_kernel_ctx *ctx, const strata_run_config *cfg,
                           strata_kernel_run **out) {
  *out = NULL;
  const int idx = ctx->device;
  RETURN_IF(idx < 0, STRATA_ERR_INTERNAL, "ocl_run_open: not an OpenCL table");
  RETURN_IF(cfg->d == 0 || cfg->k == 0, STRATA_ERR_USAGE, "OpenCL run: d and k must be >= 1");
  strata_kernel_run *r = calloc(1, sizeof *r);
  RETURN_IF(!r, STRATA_ERR_NOMEM, "out of memory");
  r->dev = ocl_device_get((size_t)idx);
  r->cfg = *cfg;
  if (r->cfg.threads < 1) r->cfg.threads = 1;
  const size_t kd = cfg->k * cfg->d;
  r->c = malloc(kd * sizeof *r->c);
  r->cn = malloc(cfg->k * sizeof *r->cn);
  if (cfg->sum_scale) {
    r->sum_scale = malloc(cfg->d * sizeof *r->sum_scale);
    if (r->sum_scale) memcpy(r->sum_scale, cfg->sum_scale, cfg->d * sizeof *r->sum_scale);
  }
  r->cfg.sum_scale = r->sum_scale;
  r->tot = (ocl_totals){.k = cfg->k, .d = cfg->d, .scale = r->sum_scale, .row_limit = cfg->sum_row_limit,
                        .sums = calloc(kd, sizeof(strata_fixed128)), .counts = calloc(cfg->k, sizeof(int64_t))};
  r->counts_mark = calloc(cfg->k, sizeof *r->counts_mark);
  if (!r->c || !r->cn || !r->tot.sums || !r->tot.counts || !r->counts_mark ||
      (cfg->sum_scale && !r->sum_scale)) {
    ocl_run_close(r);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory for an OpenCL run (k = %zu, d = %zu)", cfg->k,
                       cfg->d);
  }
  strata_status st = open_device(r);
  if (st != STRATA_OK) {
    st = device_failed(r, st);
    if (st != STRATA_OK) {
      ocl_run_close(r);
      return st;
    }
  }
  *out = r;
  return STRATA_OK;
}

strata_status ocl_run_set_centroids(strata_kernel_run *r, const float *c, const float *c_norm2) {
  const size_t k = r->cfg.k, d = r->cfg.d;
  memcpy(r->c, c, k * d * sizeof *c);
  for (size_t l = 0; l < k; l++) {
    if (c_norm2) {
      r->cn[l] = c_norm2[l];
      continue;
    }
    double s = 0.0;
    for (size_t j = 0; j < d; j++) s += (double)c[l * d + j] * c[l * d + j];
    r->cn[l] = (float)s;
  }
  r->c_set = 1;
  if (r->mode == MODE_CPU) return STRATA_OK;
  strata_status st = ocl_check(clEnqueueWriteBuffer(r->qc, r->cbuf, CL_TRUE, 0, k * d * sizeof(float),
                                                    r->c, 0, NULL, NULL),
                               "clEnqueueWriteBuffer(centroids)");
  return st == STRATA_OK ? st : device_failed(r, st);
}

strata_status ocl_run_begin_pass(strata_kernel_run *r) {
  RETURN_IF(!r->c_set, STRATA_ERR_INTERNAL, "OpenCL run: a pass began before the centroids were set");
  memset(r->tot.sums, 0, r->cfg.k * r->cfg.d * sizeof *r->tot.sums);
  memset(r->tot.counts, 0, r->cfg.k * sizeof(int64_t));
  strata_xacc_zero(&r->tot.inertia);
  r->tot.off_grid = 0;
  r->res_next = 0;
  if (r->mode != MODE_DEVICE_REDUCE) return STRATA_OK;
  const cl_ulong zero = 0;
  strata_status st = ocl_check(clEnqueueFillBuffer(r->qc, r->total, &zero, sizeof zero, 0,
                                                   r->cfg.k * r->cfg.d * sizeof(strata_fixed128), 0, NULL,
                                                   NULL),
                               "clEnqueueFillBuffer(sums)");
  const cl_int clear = 0;
  if (st == STRATA_OK)
    st = ocl_check(clEnqueueFillBuffer(r->qc, r->off_grid, &clear, sizeof clear, 0, sizeof clear, 0, NULL, NULL),
                   "clEnqueueFillBuffer(off-grid flag)");
  return st == STRATA_OK ? st : device_failed(r, st);
}

strata_status ocl_run_chunk(strata_kernel_run *r, const strata_run_block *blocks, size_t nblocks,
                            int32_t *labels, float *dist2) {
  if (nblocks == 0) return STRATA_OK;
  if (r->mode != MODE_CPU) {
    memcpy(r->counts_mark, r->tot.counts, r->cfg.k * sizeof *r->counts_mark);
    r->inertia_mark = r->tot.inertia;
    strata_status st = device_chunk(r, blocks, nblocks, labels, dist2);
    if (st == STRATA_OK) return st;
    FORWARD_IF_ERROR(device_failed(r, st));
    /* Back to the totals of the previous chunk (the snapshot), and this
     * chunk again on the CPU. */
    memcpy(r->tot.counts, r->counts_mark, r->cfg.k * sizeof *r->counts_mark);
    r->tot.inertia = r->inertia_mark;
  }
  if (r->scales) FORWARD_IF_ERROR(host_scale(r, blocks, nblocks, &blocks));
  return ocl_host_chunk(&r->tot, &r->ws, r->cfg.fallback, r->cfg.threads, r->c, r->cn, blocks, nblocks,
                        0, labels, dist2);
}

strata_status ocl_run_end_pass(strata_kernel_run *r, strata_fixed128 *sums, int64_t *counts,
                               double *inertia) {
  const size_t kd = r->cfg.k * r->cfg.d;
  if (r->mode == MODE_DEVICE_REDUCE && !r->snapshot) {
    strata_status st = ocl_check(clEnqueueReadBuffer(r->qc, r->total, CL_TRUE, 0, kd * sizeof *sums,
                                                     r->tot.sums, 0, NULL, NULL),
                                 "clEnqueueReadBuffer(sums)");
    if (st == STRATA_OK) st = read_off_grid(r);
    if (st != STRATA_OK) return device_failed(r, st);
  }
  RETURN_IF(r->tot.off_grid, STRATA_ERR_DATA, STRATA_FIXED_OFF_GRID);
  /* Host totals, or the device's, read now or after the last chunk. */
  if (sums && r->sum_scale) memcpy(sums, r->tot.sums, kd * sizeof *sums);
  memcpy(counts, r->tot.counts, r->cfg.k * sizeof *counts);
  *inertia = strata_xacc_round(&r->tot.inertia);
  return STRATA_OK;
}

/* ---- the scaler on the device ------------------------------------------- */

static void scale_release(strata_kernel_run *r) {
  ocl_release_mem(&r->sshift);
  ocl_release_mem(&r->sinv);
  ocl_release_mem(&r->simpute);
  ocl_release_mem(&r->sbad);
  if (r->kscale) clReleaseKernel(r->kscale);
  r->kscale = NULL;
  r->scales = 0;
}

/* Why this run cannot scale on the device bit for bit like the host, or
 * NULL when it can. */
static const char *scale_refusal(const strata_kernel_run *r) {
  const char *env = getenv("STRATA_OPENCL_HOST_SCALE");
  if (env && strcmp(env, "1") == 0) return "STRATA_OPENCL_HOST_SCALE=1";
  if (r->mode == MODE_CPU) return "the run is on the CPU";
  if (!WANTS_DIST(r->mode))
    return r->dev->info.fp64 ? "the host does the float64 work at this k" : "no float64 (cl_khr_fp64)";
  /* The host rounds float64 to float32 to nearest, denormals included. */
  cl_device_fp_config f32 = 0, f64 = 0;
  if (clGetDeviceInfo(r->dev->id, CL_DEVICE_SINGLE_FP_CONFIG, sizeof f32, &f32, NULL) != CL_SUCCESS ||
      clGetDeviceInfo(r->dev->id, CL_DEVICE_DOUBLE_FP_CONFIG, sizeof f64, &f64, NULL) != CL_SUCCESS)
    return "clGetDeviceInfo(CL_DEVICE_*_FP_CONFIG) failed";
  const cl_device_fp_config need = CL_FP_DENORM | CL_FP_INF_NAN | CL_FP_ROUND_TO_NEAREST;
  if ((f32 & need) != need || (f64 & need) != need)
    return "no IEEE float32/float64 rounding with denormals";
  return NULL;
}

static strata_status scale_setup(strata_kernel_run *r) {
  const size_t bytes = r->cfg.d * sizeof(double);
  cl_context ctx = r->dev->ctx;
  cl_int err;
  r->kscale = clCreateKernel(r->program, "scale_rows", &err);
  OCL_TRY(err, "clCreateKernel(scale_rows)");
  FORWARD_IF_ERROR(ocl_buffer(ctx, CL_MEM_READ_ONLY, bytes, "clCreateBuffer(shift)", &r->sshift, NULL));
  FORWARD_IF_ERROR(ocl_buffer(ctx, CL_MEM_READ_ONLY, bytes, "clCreateBuffer(inv)", &r->sinv, NULL));
  FORWARD_IF_ERROR(ocl_buffer(ctx, CL_MEM_READ_WRITE, sizeof(cl_int), "clCreateBuffer(scale flag)",
                              &r->sbad, NULL));
  OCL_TRY(clEnqueueWriteBuffer(r->qc, r->sshift, CL_FALSE, 0, bytes, r->scaler.shift, 0, NULL, NULL),
          "clEnqueueWriteBuffer(shift)");
  OCL_TRY(clEnqueueWriteBuffer(r->qc, r->sinv, CL_FALSE, 0, bytes, r->scaler.inv, 0, NULL, NULL),
          "clEnqueueWriteBuffer(inv)");
  if (r->scaler.impute) {
    FORWARD_IF_ERROR(ocl_buffer(ctx, CL_MEM_READ_ONLY, bytes, "clCreateBuffer(impute)", &r->simpute, NULL));
    OCL_TRY(clEnqueueWriteBuffer(r->qc, r->simpute, CL_FALSE, 0, bytes, r->scaler.impute, 0, NULL, NULL),
            "clEnqueueWriteBuffer(impute)");
  }
  const cl_int zero = 0;
  OCL_TRY(clEnqueueWriteBuffer(r->qc, r->sbad, CL_FALSE, 0, sizeof zero, &zero, 0, NULL, NULL),
          "clEnqueueWriteBuffer(scale flag)");
  OCL_TRY(clFinish(r->qc), "clFinish(scaler)");
  return STRATA_OK;
}

int ocl_run_set_scaler(strata_kernel_run *r, const strata_run_scaler *s) {
  if (r->scales || r->seq) return r->scales; /* offered once, before any piece */
  const char *why = scale_refusal(r);
  char reason[512];
  if (!why) {
    r->scaler = *s;
    if (scale_setup(r) == STRATA_OK) {
      r->scales = 1;
      strata_log(r->cfg.ctx, STRATA_LOG_INFO, "OpenCL run on device %d: raw rows scaled on the device",
                 r->dev->info.index);
      return 1;
    }
    snprintf(reason, sizeof reason, "%s", strata_last_error());
    why = reason;
    scale_release(r);
  }
  ocl_device *dev = r->dev;
  pthread_mutex_lock(&dev->lock);
  int note = !dev->scale_noted;
  dev->scale_noted = 1;
  pthread_mutex_unlock(&dev->lock);
  if (note)
    strata_log(r->cfg.ctx, STRATA_LOG_INFO, "OpenCL device %d: rows are scaled on the host (%s)", dev->info.index, why);
  return 0;
}

void ocl_run_close(strata_kernel_run *r) {
  if (!r) return;
  drain(r);
  slot_release(&r->slot[0]);
  slot_release(&r->slot[1]);
  resident_release(r);
  ocl_release_mem(&r->cbuf);
  ocl_release_mem(&r->total);
  ocl_release_mem(&r->off_grid);
  ocl_release_mem(&r->scale);
  if (r->kassign) clReleaseKernel(r->kassign);
  if (r->kreduce) clReleaseKernel(r->kreduce);
  if (r->qc) clReleaseCommandQueue(r->qc);
  if (r->qt) clReleaseCommandQueue(r->qt);
  ocl_host_ws_free(&r->ws);
  scale_release(r);
  free(r->host_x);
  free(r->host_blocks);
  free(r->c);
  free(r->cn);
  free(r->tot.sums);
  free(r->sum_scale);
  free(r->tot.counts);
  free(r->counts_mark);
  free(r);
}
