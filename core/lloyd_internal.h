/* The assignment pass's state, shared by its three files: the CPU pass and
 * the object (lloyd_pass.c), the pass on a device (lloyd_device.c) and the
 * farthest-point search (lloyd_far.c).  Not for other modules: they use
 * lloyd.h. */
#ifndef STRATA_LLOYD_INTERNAL_H
#define STRATA_LLOYD_INTERNAL_H

#include "exact.h"
#include "lloyd.h"
#include "reduce.h"

/* A thread's candidates for the farthest points. */
typedef struct {
  strata_far_point *cand; /* the current block's best `want` */
  size_t ncand;
  float *cand_x;
  strata_far_point *best; /* this thread's best `want` so far, plus room for a block's */
  size_t nbest;
  float *best_x;
} lloyd_far_thread;

typedef struct {
  double *sums;       /* k×d: one block's sums, kept zero between blocks */
  int64_t *counts;    /* k: one block's counts, kept zero between blocks */
  strata_fixed *fx;   /* k×d: this thread's exact sums over its blocks */
  int64_t *total;     /* k: this thread's counts */
  double *wsum;       /* k: one block's weights, kept zero between blocks (weighted) */
  strata_fixed *wfx;  /* k: this thread's exact weights (weighted) */
  int64_t relocations;
  uint64_t rows;
  int32_t *labels;    /* STRATA_BLOCK_ROWS */
  float *dist2;       /* STRATA_BLOCK_ROWS */
  strata_scratch scratch;
  lloyd_far_thread far;
  strata_fixed *disp;    /* 2k: exact sums of ||x - mean||^2 and ||x - mean||, or NULL */
  double *bdist;         /* k: the current block's distance sums (strata_lloyd_want_stats) */
  strata_xacc *dist;     /* k: this thread's exact distance sums, with bdist */
  strata_xacc inertia;   /* this thread's exact inertia over its blocks */
  int off_grid;          /* a value of this pass passed its grid's limit (exact.h) */
} lloyd_thread;

/* A device run (kernels.h run_* slots), opened at the first pass. */
typedef struct {
  const strata_kernels *fallback; /* CPU table if the device fails mid-run */
  strata_kernel_run *run;
  strata_run_block *blocks;   /* one chunk's blocks */
  int32_t *labels;            /* chunk_rows, block after block */
  float *dist2;               /* chunk_rows */
  strata_fixed128 *sums;      /* k×d */
  int raw;                    /* the run scales raw rows itself (run_set_scaler) */
} lloyd_device;

/* The farthest points of the last search. */
typedef struct {
  size_t want;
  strata_far_point *pts;      /* merged best `want`, plus room for one block's */
  size_t n;
  float *x;
} lloyd_far;

/* Dispersion about given means, for the next pass only. */
typedef struct {
  const double *means;        /* NULL = not asked for */
  double scale[2], inv[2];
  double row_limit;           /* strata_fixed_row_limit of the grid's rows */
  double *sq, *dist;          /* k each */
} lloyd_disp;

struct strata_lloyd {
  const strata_kernels *kern;
  strata_pass *pass;
  size_t k, d, n;
  size_t first_row;            /* this rank's first input row: labels[0] is its label */
  int threads;
  float *cf, *cnorm;         /* centroids as the kernels see them */
  void *labels;              /* n labels of label_bytes each, or NULL */
  int label_bytes;           /* 1 (k < 255), 2 (k < 65535) or 4: the array is read and
                                written every pass, so it is kept narrow */
  lloyd_thread *t;
  int stats, col_stats;      /* strata_lloyd_want_stats was called (with column statistics) */
  int stats_paused;          /* strata_lloyd_pause_stats */
  strata_moments_set cols;   /* per-thread column statistics, with col_stats */
  double *fx_scale, *fx_inv; /* d: 2^S_j and 2^-S_j; NULL = sums not wanted */
  double fx_row_limit;       /* strata_fixed_row_limit of the sums' grid */
  int weighted;              /* strata_lloyd_want_weights */
  double wmax, w_scale, w_inv; /* the largest weight; the weights' fixed-point scale */
  double w_row_limit;        /* strata_fixed_row_limit of the weights' grid */
  strata_lloyd_result res;
  /* per pass: the labels file's chunk */
  strata_labels_writer *writer;
  int32_t *chunk_seg;
  float *chunk_dist;
  size_t chunk_rows;
  lloyd_device dev;
  lloyd_far far;
  lloyd_disp disp;
  const uint64_t *batch;     /* strata_lloyd_set_batch: the next passes' blocks, or NULL */
  size_t nbatch;
};

/* ---- lloyd_pass.c, for the other two ---- */

/* Statistics are gathered in this pass. */
int strata_lloyd_stats_on(const strata_lloyd *l);
/* Stores a block's labels (and the labels file's chunk), returns how many
 * changed. */
int64_t strata_lloyd_record_labels(strata_lloyd *l, const strata_block *b, const int32_t *lab,
                                   const float *dist2);
/* Adds a block's distance and column statistics (when asked for). */
void strata_lloyd_block_stats(strata_lloyd *l, const strata_block *b, const int32_t *lab, const float *dist2,
                              int thread);
/* The statistics' totals of the pass. */
strata_status strata_lloyd_collect_stats(strata_lloyd *l);
/* The pass's `chunk_done`: writes the chunk's labels when a writer is set. */
strata_status strata_lloyd_chunk_done(void *ctx, size_t row0, size_t rows);

/* ---- lloyd_device.c ---- */

/* One assignment pass through the device run (opened on first use). */
strata_status strata_lloyd_device_pass(strata_lloyd *l);
void strata_lloyd_device_free(strata_lloyd *l);

/* ---- lloyd_far.c ---- */

void strata_lloyd_far_free(strata_lloyd *l);

#endif
