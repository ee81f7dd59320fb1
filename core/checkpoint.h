/* Checkpoint and resume of a k-means fit (strata_fit_params checkpoint_path,
 * checkpoint_every, resume_path; issue 14 point 6).
 *
 * A checkpoint is the state at an iteration boundary (strata_fit_state,
 * core/fit.h: the restart, the iterations done, the next pass's centres,
 * the latest pass's centres, the statistics so far and the best earlier
 * restart) plus a fingerprint of what it belongs to: the input file (path,
 * size, modification time), the features, every parameter that changes
 * the result, and after the statistics pass the kept rows and the scaler's
 * bits.  Thread count, chunk size, memory mode and the number of MPI ranks
 * change no bit of a fit, so they are not in it: a job may resume with
 * other ones.
 *
 * The file is small (two k×d matrices and the statistics) and binary: a
 * magic, a version, a byte-order mark, the payload's length, the payload
 * and its FNV-1a 64 checksum, so a truncated or altered file is refused
 * with STRATA_ERR_FORMAT.  It is written whole under a temporary name and
 * renamed (io/output_file.h).  With several ranks rank 0 writes it (every
 * rank holds the same state after the pass's allreduce) and reads it for
 * the others (broadcast), so only rank 0's node needs the directory. */
#ifndef STRATA_CHECKPOINT_H
#define STRATA_CHECKPOINT_H

#include <stddef.h>

#include "fit.h"
#include "strata.h"

/* Lines "key=value" that a checkpoint must match to be taken up. */
typedef struct {
  char **items;
  size_t n, cap;
} strata_fingerprint;

/* The input file, the features and the parameters (before any pass). */
strata_status strata_fingerprint_input(strata_fingerprint *fp, strata_dataset *ds, const strata_fit_params *p);
/* The statistics pass's result: kept rows and the scaler (bit for bit). */
strata_status strata_fingerprint_data(strata_fingerprint *fp, const strata_fit_data *f);
void strata_fingerprint_free(strata_fingerprint *fp);

typedef struct strata_checkpoint strata_checkpoint;

/* Reads and checks path: rank 0 reads it, every rank gets its bytes.
 * STRATA_ERR_NOT_FOUND when it cannot be read, STRATA_ERR_FORMAT when it
 * is not a whole Strata checkpoint.  out OUT. */
strata_status strata_checkpoint_load(const strata_ctx *ctx, const char *path, strata_checkpoint **out);
void strata_checkpoint_free(strata_checkpoint *c);

/* Every item of fp must be in c with the same value: STRATA_ERR_USAGE
 * naming the first that differs (checked on rank 0, agreed by all). */
strata_status strata_checkpoint_match(const strata_ctx *ctx, const strata_checkpoint *c,
                                      const strata_fingerprint *fp);
/* The state to take up (valid while c lives); np: the estimator's
 * n_params, k its clusters (STRATA_ERR_FORMAT when they differ). */
strata_status strata_checkpoint_state(const strata_checkpoint *c, size_t np, size_t k, const strata_fit_state **out);
const char *strata_checkpoint_backend(const strata_checkpoint *c);
const char *strata_checkpoint_path(const strata_checkpoint *c);

/* What the fit's iteration boundaries need to save (the `user` of
 * strata_fit_checkpoint.boundary, strata_checkpoint_boundary). */
typedef struct {
  const strata_ctx *ctx;
  const char *path;
  int every;                     /* iterations of a run between saves; 0 = on request only */
  const strata_fingerprint *fp;  /* input and data items */
  const char *backend;           /* the table the passes run (a resume runs the same) */
  size_t np, k;
  int saved_run, saved_iteration; /* OUT: the latest save (-1: none) */
} strata_checkpointer;

/* At an iteration boundary: saves the state every `every` iterations and
 * when a checkpoint was asked for on any rank (strata_ctx_request_checkpoint);
 * after a save on request returns STRATA_STOPPED. */
strata_status strata_checkpoint_boundary(void *checkpointer, const strata_fit_state *s);

#endif
