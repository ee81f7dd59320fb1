/* The communicator of a multi-process run (strata.h declares `strata_comm`
 * opaque; the ctx holds one, NULL = one process).  Everything MPI is behind
 * these functions: comm_mpi.c when built with -DSTRATA_MPI=ON, comm_none.c
 * otherwise, so core/ never includes mpi.h.
 *
 * Every collective is a no-op for NULL or a one-rank communicator, so a
 * caller writes the same code for one process and for P ranks.  Each
 * collective must be called by every rank in the same order: a rank that
 * failed still joins the next agreement (strata_comm_agree) instead of
 * returning early, so that the others do not wait for it forever.
 *
 * Sums are integer sums (the exact reducer's words, common/xacc.h and
 * common/exact.h): the result does not depend on the order MPI adds them
 * in, which is what keeps a P-rank model bit-identical to one process. */
#ifndef STRATA_COMM_H
#define STRATA_COMM_H

#include <stddef.h>
#include <stdint.h>

#include "strata.h"

/* 1 when built with MPI. */
int strata_comm_built(void);
/* MPI_Init and a duplicate of the world communicator, when a launcher
 * (mpirun, srun) started the process; *out = NULL (an ordinary run) when
 * MPI is not built in or no launcher is seen.  A one-rank job gets a
 * communicator of size 1, on which every collective is a no-op. */
strata_status strata_comm_world(int *argc, char ***argv, strata_comm **out);
/* Waits inside collectives end with STRATA_ERR_CANCELLED once ctx is
 * cancelled (SIGTERM from mpirun when another rank died), so that this
 * rank unwinds and removes its temporary outputs.  ctx borrowed. */
void strata_comm_watch(strata_comm *c, const strata_ctx *ctx);
/* Frees c and finalises MPI (when strata_comm_world initialised it). */
void strata_comm_finish(strata_comm *c);
/* Ends every rank of the job now (a failure that cannot be agreed on). */
void strata_comm_abort(const strata_comm *c, int code);

int strata_comm_rank(const strata_comm *c);  /* 0 for NULL */
int strata_comm_size(const strata_comm *c);  /* 1 for NULL */

/* The same status on every rank: STRATA_OK when every rank passed OK, else
 * the status of the lowest failing rank, whose error detail becomes every
 * rank's (prefixed with its rank on the others). */
strata_status strata_comm_agree(const strata_comm *c, strata_status st);

/* v[0..n) = the sum over ranks, in 128-bit integers (exact). */
strata_status strata_comm_sum_i128(const strata_comm *c, __int128 *v, size_t n);
/* Element-wise min of lo[0..n) and max of hi[0..n) over ranks. */
strata_status strata_comm_minmax(const strata_comm *c, double *lo, double *hi, size_t n);
/* buf[0..bytes) = the bitwise OR over ranks: ranks that each filled
 * disjoint slots of a zeroed buffer all end with every slot, bit for bit. */
strata_status strata_comm_or(const strata_comm *c, void *buf, size_t bytes);
/* all[r*bytes .. (r+1)*bytes) = rank r's `mine`, on every rank. */
strata_status strata_comm_allgather(const strata_comm *c, const void *mine, size_t bytes, void *all);
/* buf of rank `root` to every rank. */
strata_status strata_comm_bcast(const strata_comm *c, void *buf, size_t bytes, int root);
/* Point to point, for gathering outputs to rank 0. */
strata_status strata_comm_send(const strata_comm *c, int to, const void *buf, size_t bytes);
strata_status strata_comm_recv(const strata_comm *c, int from, void *buf, size_t bytes);

#endif
