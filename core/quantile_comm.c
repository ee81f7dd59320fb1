/* The quantile sketches' merge tree across MPI ranks: each rank's waiting
 * nodes (its blocks' complete subtrees) go to rank 0, which inserts them
 * as strata_qtree_combine inserts a thread's, so that the sketches, and
 * every median and quartile read from them, equal one process's. */
#include <stdint.h>
#include <stdlib.h>

#include "comm.h"
#include "error.h"
#include "quantile.h"

strata_status strata_qtree_gather(strata_qtree *t, const strata_comm *comm) {
  int P = strata_comm_size(comm), r = strata_comm_rank(comm);
  if (P == 1) return STRATA_OK;
  void *mine = NULL;
  size_t n = 0;
  strata_status st = strata_qtree_pack(t, &mine, &n);
  uint64_t my = st == STRATA_OK ? (uint64_t)n : UINT64_MAX;
  uint64_t *sizes = malloc((size_t)P * sizeof *sizes);
  if (!sizes && st == STRATA_OK) st = strata_fail(STRATA_ERR_NOMEM, "out of memory for the quantile sketches");
  /* Every rank knows every size before any byte moves: a rank that could
   * not pack fails them all here, and no send waits for a receiver. */
  st = strata_comm_agree(comm, st);
  if (st == STRATA_OK) st = strata_comm_agree(comm, strata_comm_allgather(comm, &my, sizeof my, sizes));
  if (st != STRATA_OK) {
    free(mine);
    free(sizes);
    return st;
  }
  if (r == 0) {
    uint64_t most = 0;
    for (int q = 1; q < P; q++) most = sizes[q] > most ? sizes[q] : most;
    void *buf = malloc(most ? (size_t)most : 1);
    /* The senders are already waiting: without the buffer this rank
     * cannot drain them, so the job ends rather than hangs. */
    if (!buf) strata_comm_abort(comm, 1);
    for (int q = 1; q < P && st == STRATA_OK; q++) {
      st = strata_comm_recv(comm, q, buf, (size_t)sizes[q]);
      if (st == STRATA_OK) st = strata_qtree_unpack(t, buf, (size_t)sizes[q]);
    }
    free(buf);
  } else {
    st = strata_comm_send(comm, 0, mine, n);
  }
  free(mine);
  free(sizes);
  return strata_comm_agree(comm, st);
}
