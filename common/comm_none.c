/* The communicator without MPI (comm.h): one process, every collective a
 * no-op.  A strata_comm never exists in this build. */
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "error.h"

int strata_comm_built(void) { return 0; }

strata_status strata_comm_world(int *argc, char ***argv, strata_comm **out) {
  (void)argc; (void)argv;
  *out = NULL;
  return STRATA_OK;
}

void strata_comm_finish(strata_comm *c) { (void)c; }
void strata_comm_watch(strata_comm *c, const strata_ctx *ctx) { (void)c; (void)ctx; }
void strata_comm_abort(const strata_comm *c, int code) { (void)c; exit(code); }
int strata_comm_rank(const strata_comm *c) { (void)c; return 0; }
int strata_comm_size(const strata_comm *c) { (void)c; return 1; }
strata_status strata_comm_agree(const strata_comm *c, strata_status st) { (void)c; return st; }
strata_status strata_comm_sum_i128(const strata_comm *c, __int128 *v, size_t n) { (void)c; (void)v; (void)n; return STRATA_OK; }
strata_status strata_comm_minmax(const strata_comm *c, double *lo, double *hi, size_t n) {
  (void)c; (void)lo; (void)hi; (void)n;
  return STRATA_OK;
}
strata_status strata_comm_or(const strata_comm *c, void *buf, size_t bytes) { (void)c; (void)buf; (void)bytes; return STRATA_OK; }
strata_status strata_comm_allgather(const strata_comm *c, const void *mine, size_t bytes, void *all) {
  (void)c;
  if (bytes) memcpy(all, mine, bytes);
  return STRATA_OK;
}
strata_status strata_comm_bcast(const strata_comm *c, void *buf, size_t bytes, int root) {
  (void)c; (void)buf; (void)bytes; (void)root;
  return STRATA_OK;
}
strata_status strata_comm_send(const strata_comm *c, int to, const void *buf, size_t bytes) {
  (void)c; (void)to; (void)buf; (void)bytes;
  return strata_fail(STRATA_ERR_INTERNAL, "no other rank to send to");
}
strata_status strata_comm_recv(const strata_comm *c, int from, void *buf, size_t bytes) {
  (void)c; (void)from; (void)buf; (void)bytes;
  return strata_fail(STRATA_ERR_INTERNAL, "no other rank to receive from");
}
