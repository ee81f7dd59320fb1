/* The communicator over MPI (comm.h).  The only file that includes mpi.h.
 * Buffers larger than an int count are sent in pieces. */
#include <limits.h>
#include <mpi.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comm.h"
#include "ctx.h"
#include "error.h"

struct strata_comm {
  MPI_Comm comm;
  int rank, size;
  MPI_Datatype i128;  /* 16 bytes, summed by sum128 */
  MPI_Op sum128;
  int initialised;    /* MPI_Init was ours: MPI_Finalize is too */
  const strata_ctx *watch; /* its cancellation ends a wait (strata_comm_watch) */
};

/* Elements per MPI call: counts are ints. */
#define PIECE ((size_t)1 << 26)

int strata_comm_built(void) { return 1; }

static void sum128(void *in, void *inout, int *len, MPI_Datatype *type) {
  (void)type;
  __int128 a, b;
  for (int i = 0; i < *len; i++) {
    memcpy(&a, (char *)in + 16 * (size_t)i, 16);
    memcpy(&b, (char *)inout + 16 * (size_t)i, 16);
    /* Two's complement wraps like the words it sums: the integer total is
     * exact whenever it fits, whatever the order. */
    b = (__int128)((unsigned __int128)a + (unsigned __int128)b);
    memcpy((char *)inout + 16 * (size_t)i, &b, 16);
  }
}

static strata_status check(int rc, const char *what) {
  if (rc == MPI_SUCCESS) return STRATA_OK;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  return strata_fail(STRATA_ERR_IO, "MPI %s failed: %s", what, msg);
}

/* Waits for a non-blocking operation, or until the watched ctx is
 * cancelled: when a rank dies, mpirun sends the others SIGTERM, and a rank
 * waiting on the dead one must still unwind and remove its temporary
 * outputs before the SIGKILL that follows. */
static strata_status wait_for(const strata_comm *c, int rc, MPI_Request *req, const char *what) {
  FORWARD_IF_ERROR(check(rc, what));
  for (;;) {
    int done = 0;
    FORWARD_IF_ERROR(check(MPI_Test(req, &done, MPI_STATUS_IGNORE), what));
    if (done) return STRATA_OK;
    if (c->watch && strata_check_cancel(c->watch) != STRATA_OK)
      return strata_fail(STRATA_ERR_CANCELLED, "stopped while waiting for the other MPI ranks (one of them "
                         "ended, or the job was signalled)");
    sched_yield();
  }
}

void strata_comm_watch(strata_comm *c, const strata_ctx *ctx) {
  if (c) c->watch = ctx;
}

/* Whether a launcher (mpirun, mpiexec, srun) started this process: its
 * process-management variables.  Run plainly, MPI is not initialised at
 * all: a singleton MPI_Init costs most of a second (it starts a helper
 * daemon), which every plain `strata` command would pay. */
static int launched(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") || getenv("PMI_SIZE");
}

/* Start-up (MPI_Init, the communicator's duplication) waits for every
 * rank, and Open MPI 4.1 spins for ever inside MPI_Comm_dup when a rank's
 * allocations fail there (seen under `ulimit -v`); nothing can be
 * cancelled yet.  A rank still starting after START_LIMIT seconds
 * (STRATA_MPI_START_TIMEOUT overrides) says so and exits 1, which ends the
 * job: there are no outputs yet. */
#define START_LIMIT 120

static void start_timed_out(int sig) {
  (void)sig;
  static const char msg[] = "strata: error: MPI start-up did not finish in time (a rank out of memory, or one that "
                            "never started?); STRATA_MPI_START_TIMEOUT sets the limit in seconds\n";
  ssize_t r = write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)r;
  _exit(1);
}

/* The other ranks end without a word, as after start-up. */
static void start_timed_out_quietly(int sig) {
  (void)sig;
  _exit(1);
}

/* Rank 0 speaks, as after start-up; the launcher's variables say which
 * rank this is before MPI can (none: speak). */
static int launcher_rank_zero(void) {
  static const char *const vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    const char *v = getenv(vars[i]);
    if (v && *v) return strcmp(v, "0") == 0;
  }
  return 1;
}

static unsigned start_limit(void) {
  const char *e = getenv("STRATA_MPI_START_TIMEOUT");
  char *end = NULL;
  long v = e ? strtol(e, &end, 10) : 0;
  return e && end != e && *end == '\0' && v > 0 && v < 86400 ? (unsigned)v : START_LIMIT;
}

strata_status strata_comm_world(int *argc, char ***argv, strata_comm **out) {
  *out = NULL;
  int ready = 0, provided = 0;
  MPI_Initialized(&ready);
  if (!ready && !launched()) return STRATA_OK;
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = launcher_rank_zero() ? start_timed_out : start_timed_out_quietly;
  sigemptyset(&sa.sa_mask);
  int watched = sigaction(SIGALRM, &sa, &old) == 0;
  if (watched) alarm(start_limit());
  /* Only the calling thread talks to MPI; OpenMP workers and the prefetch
   * thread never do. */
  if (!ready && MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
    if (watched) {
      alarm(0);
      sigaction(SIGALRM, &old, NULL);
    }
    return strata_fail(STRATA_ERR_IO, "MPI_Init failed");
  }
  strata_comm *c = calloc(1, sizeof *c);
  if (!c) return strata_fail(STRATA_ERR_NOMEM, "out of memory");
  c->initialised = !ready;
  MPI_Comm_dup(MPI_COMM_WORLD, &c->comm);
  if (watched) {
    alarm(0);
    sigaction(SIGALRM, &old, NULL);
  }
  MPI_Comm_set_errhandler(c->comm, MPI_ERRORS_RETURN);
  MPI_Comm_rank(c->comm, &c->rank);
  MPI_Comm_size(c->comm, &c->size);
  MPI_Type_contiguous(16, MPI_BYTE, &c->i128);
  MPI_Type_commit(&c->i128);
  MPI_Op_create(sum128, 1, &c->sum128);
  *out = c;
  return STRATA_OK;
}

void strata_comm_finish(strata_comm *c) {
  if (!c) return;
  MPI_Op_free(&c->sum128);
  MPI_Type_free(&c->i128);
  MPI_Comm_free(&c->comm);
  int initialised = c->initialised;
  free(c);
  if (initialised) MPI_Finalize();
}

void strata_comm_abort(const strata_comm *c, int code) {
  if (c) MPI_Abort(c->comm, code);
  exit(code);
}

int strata_comm_rank(const strata_comm *c) { return c ? c->rank : 0; }
int strata_comm_size(const strata_comm *c) { return c ? c->size : 1; }

static int alone(const strata_comm *c) { return !c || c->size == 1; }

strata_status strata_comm_agree(const strata_comm *c, strata_status st) {
  if (alone(c)) return st;
  int mine = st != STRATA_OK ? c->rank : c->size, first = c->size;
  MPI_Request req;
  FORWARD_IF_ERROR(wait_for(c, MPI_Iallreduce(&mine, &first, 1, MPI_INT, MPI_MIN, c->comm, &req), &req, "allreduce"));
  if (first == c->size) return STRATA_OK;
  struct {
    int status;
    char msg[1000];
  } e;
  memset(&e, 0, sizeof e);
  if (c->rank == first) {
    e.status = (int)st;
    snprintf(e.msg, sizeof e.msg, "%s", strata_last_error());
  }
  FORWARD_IF_ERROR(wait_for(c, MPI_Ibcast(&e, (int)sizeof e, MPI_BYTE, first, c->comm, &req), &req, "broadcast"));
  if (c->rank == first) return st;
  return strata_fail((strata_status)e.status, "rank %d: %s", first, e.msg);
}

strata_status strata_comm_sum_i128(const strata_comm *c, __int128 *v, size_t n) {
  if (alone(c)) return STRATA_OK;
  for (size_t i = 0; i < n; i += PIECE) {
    int m = (int)(n - i < PIECE ? n - i : PIECE);
    MPI_Request req;
    FORWARD_IF_ERROR(
        wait_for(c, MPI_Iallreduce(MPI_IN_PLACE, v + i, m, c->i128, c->sum128, c->comm, &req), &req, "allreduce"));
  }
  return STRATA_OK;
}

strata_status strata_comm_minmax(const strata_comm *c, double *lo, double *hi, size_t n) {
  if (alone(c)) return STRATA_OK;
  for (size_t i = 0; i < n; i += PIECE) {
    int m = (int)(n - i < PIECE ? n - i : PIECE);
    MPI_Request req;
    FORWARD_IF_ERROR(
        wait_for(c, MPI_Iallreduce(MPI_IN_PLACE, lo + i, m, MPI_DOUBLE, MPI_MIN, c->comm, &req), &req, "allreduce"));
    FORWARD_IF_ERROR(
        wait_for(c, MPI_Iallreduce(MPI_IN_PLACE, hi + i, m, MPI_DOUBLE, MPI_MAX, c->comm, &req), &req, "allreduce"));
  }
  return STRATA_OK;
}

strata_status strata_comm_or(const strata_comm *c, void *buf, size_t bytes) {
  if (alone(c)) return STRATA_OK;
  for (size_t i = 0; i < bytes; i += PIECE) {
    int m = (int)(bytes - i < PIECE ? bytes - i : PIECE);
    MPI_Request req;
    FORWARD_IF_ERROR(wait_for(
        c, MPI_Iallreduce(MPI_IN_PLACE, (char *)buf + i, m, MPI_UNSIGNED_CHAR, MPI_BOR, c->comm, &req), &req,
        "allreduce"));
  }
  return STRATA_OK;
}

strata_status strata_comm_allgather(const strata_comm *c, const void *mine, size_t bytes, void *all) {
  if (alone(c)) {
    if (bytes) memcpy(all, mine, bytes);
    return STRATA_OK;
  }
  RETURN_IF(bytes > INT_MAX, STRATA_ERR_INTERNAL, "allgather of %zu bytes per rank", bytes);
  MPI_Request req;
  return wait_for(c, MPI_Iallgather(mine, (int)bytes, MPI_BYTE, all, (int)bytes, MPI_BYTE, c->comm, &req), &req,
                  "allgather");
}

strata_status strata_comm_bcast(const strata_comm *c, void *buf, size_t bytes, int root) {
  if (alone(c)) return STRATA_OK;
  for (size_t i = 0; i < bytes; i += PIECE) {
    int m = (int)(bytes - i < PIECE ? bytes - i : PIECE);
    MPI_Request req;
    FORWARD_IF_ERROR(wait_for(c, MPI_Ibcast((char *)buf + i, m, MPI_BYTE, root, c->comm, &req), &req, "broadcast"));
  }
  return STRATA_OK;
}

strata_status strata_comm_send(const strata_comm *c, int to, const void *buf, size_t bytes) {
  RETURN_IF(alone(c), STRATA_ERR_INTERNAL, "no other rank to send to");
  for (size_t i = 0; i < bytes; i += PIECE) {
    int m = (int)(bytes - i < PIECE ? bytes - i : PIECE);
    MPI_Request req;
    FORWARD_IF_ERROR(wait_for(c, MPI_Isend((const char *)buf + i, m, MPI_BYTE, to, 0, c->comm, &req), &req, "send"));
  }
  return STRATA_OK;
}

strata_status strata_comm_recv(const strata_comm *c, int from, void *buf, size_t bytes) {
  RETURN_IF(alone(c), STRATA_ERR_INTERNAL, "no other rank to receive from");
  for (size_t i = 0; i < bytes; i += PIECE) {
    int m = (int)(bytes - i < PIECE ? bytes - i : PIECE);
    MPI_Request req;
    FORWARD_IF_ERROR(wait_for(c, MPI_Irecv((char *)buf + i, m, MPI_BYTE, from, 0, c->comm, &req), &req, "receive"));
  }
  return STRATA_OK;
}
