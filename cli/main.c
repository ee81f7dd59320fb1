/* `strata`: dispatches to the subcommands. */
#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "comm.h"
#include "diag.h"
#include "strata.h"

typedef struct {
  const char *name;
  int (*run)(strata_ctx *ctx, int argc, char **argv);
  const char *summary;
} command;

static const command commands[] = {
    {"import", cli_cmd_import, "convert a CSV file into a columnar HDF5 table"},
    {"fit", cli_cmd_fit, "cluster a dataset into k segments and save the model"},
    {"assign", cli_cmd_assign, "score a dataset into the segments of a saved model"},
    {"inspect", cli_cmd_inspect, "show a dataset's columns, types, rows, missing values and statistics"},
    {"export", cli_cmd_export, "join labels back to chosen input columns as a CSV file"},
    {"pca", cli_cmd_pca, "principal components: explained variance and a 2-D/3-D projection"},
    {"report", cli_cmd_report, "write a self-contained HTML report of a model over a dataset"},
    {"devices", cli_cmd_devices, "list the CPU and OpenCL devices with a measured throughput"},
    {"stability", cli_cmd_stability, "how stable the segments are under resampling (bootstrap refits)"},
    {"profile", cli_cmd_profile, "describe each segment of a model in a dataset"},
    {"explain", cli_cmd_explain, "state each segment as rules on its features (a shallow decision tree)"},
    {"sweep", cli_cmd_sweep, "fit every k of a range in one job and recommend a k"},
    {"rfm", cli_cmd_rfm, "turn a transaction table into one row per customer (recency, frequency, monetary)"},
};
enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

static void usage(FILE *f) {
  fputs("usage: strata COMMAND [options]\n"
        "       strata COMMAND --help\n"
        "\n"
        "Strata: customer segmentation (k-means) over columnar HDF5, streamed in chunks.\n"
        "\n"
        "commands:\n",
        f);
  for (size_t i = 0; i < NCOMMANDS; i++) fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
  fputs("\n"
        "options:\n"
        "  -h, --help      show this help\n"
        "  -V, --version   show the version\n"
        "\n"
        "Errors are one line on stderr, \"strata: error: ...\".  Exit status: 0 ok,\n"
        "1 runtime failure, 2 bad usage or bad input.\n",
        f);
}

static const command *find(const char *name) {
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  return NULL;
}

/* Output that could not be written is a failure too (a full disk, a closed
 * pipe): a job script must not take a truncated result for success. */
static int finish(int rc) {
  if (fflush(stdout) != 0 || ferror(stdout)) {
    int e = errno;
    if (rc == CLI_EXIT_OK) return cli_error(CLI_EXIT_RUNTIME, "cannot write to standard output: %s", strerror(e));
  }
  return rc;
}

static int dispatch(strata_ctx *ctx, int argc, char **argv) {
  if (argc < 2) return cli_usage_error(NULL, "missing command");
  const char *arg = argv[1];
  if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0 || strcmp(arg, "help") == 0) {
    if (argc > 2) {
      /* "strata help fit" is "strata fit --help". */
      const command *c = find(argv[2]);
      if (!c) return cli_usage_error(NULL, "unknown command '%s'", argv[2]);
      char *sub[] = {argv[2], (char *)"--help", NULL};
      return c->run(ctx, 2, sub);
    }
    usage(stdout);
    return CLI_EXIT_OK;
  }
  if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
    if (argc > 2) return cli_usage_error(NULL, "unexpected argument '%s'", argv[2]);
    printf("strata %s (MPI: %s)\n", strata_version(), strata_comm_built() ? "built in" : "not built in");
    return CLI_EXIT_OK;
  }
  if (arg[0] == '-') return cli_usage_error(NULL, "unknown option '%s'", arg);
  const command *c = find(arg);
  if (!c) return cli_usage_error(NULL, "unknown command '%s'", arg);
  int ranks = strata_comm_size(strata_ctx_comm(ctx));
  int across = c->run == cli_cmd_fit || c->run == cli_cmd_assign || c->run == cli_cmd_sweep ||
               c->run == cli_cmd_stability || c->run == cli_cmd_profile;
  if (ranks > 1 && !across && !(argc > 2 && strcmp(argv[2], "--help") == 0))
    return cli_usage_error(NULL, "'%s' does not run across MPI ranks yet (%d ranks): fit, assign, sweep, stability "
                           "and profile do; run it as one process", arg, ranks);
  return c->run(ctx, argc - 1, argv + 1);
}

/* The command's context: the signal handler cancels it.  SIGINT/SIGTERM
 * ask the library to stop at the next chunk; it then removes its temporary
 * outputs and the command exits 1 with one error line; a second one ends
 * the process at once.  SIGUSR1 (Slurm's
 * warning before the time limit) is ignored, unless a fit with a
 * checkpoint file runs (cli_signals_checkpoint): then SIGUSR1 and, in one
 * process, SIGTERM ask it to save the checkpoint and stop (exit 75). */
static strata_ctx *volatile job_ctx;
static volatile sig_atomic_t checkpoint_mode; /* 0 off, 1 TERM and USR1, 2 USR1 only (MPI) */
static volatile sig_atomic_t signal_cancelled; /* a signal has cancelled the command */

static void on_signal(int sig) {
  /* Still running after a signal cancelled it (a loop that does not poll,
   * as a report drawing a damaged dendrogram once did): the next SIGINT
   * or SIGTERM ends it now.  Its hidden temporary outputs stay, as after
   * SIGKILL, until the next run to the same outputs removes them. */
  if (sig != SIGUSR1 && signal_cancelled) {
    static const char msg[] = "strata: error: stopped by a second signal before the command could clean up\n";
    ssize_t written = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)written;
    _exit(CLI_EXIT_RUNTIME);
  }
  int asks = sig == SIGUSR1 ? checkpoint_mode != 0 : sig == SIGTERM && checkpoint_mode == 1;
  if (sig == SIGUSR1 && !asks) return;
  /* A second SIGTERM while the checkpoint is pending cancels. */
  if (asks && !(sig == SIGTERM && strata_ctx_checkpoint_requested(job_ctx))) {
    strata_ctx_request_checkpoint(job_ctx);
    return;
  }
  strata_ctx_cancel(job_ctx);
  signal_cancelled = 1;
}

void cli_signals_checkpoint(void) {
  checkpoint_mode = strata_comm_size(strata_ctx_comm(job_ctx)) > 1 ? 2 : 1;
}

/* Two settings that libraries read once, as they load, so they are made
 * in the environment and the command runs itself again (execv of
 * /proc/self/exe; without it, it goes on as it is):
 *
 * OpenBLAS's pthread build starts its worker pool in its constructor,
 * before main, sized from OPENBLAS_NUM_THREADS (else the cores): each
 * worker allocates a 128 MiB buffer as it starts and, under an
 * address-space limit (ulimit -v) that cannot hold it, retries forever,
 * burning a core, and the exit waits for it.  Strata never uses the pool
 * (kernels/blas.c calls OpenBLAS single-threaded from its own OpenMP
 * threads): OPENBLAS_NUM_THREADS=1, under which no pool is started.
 *
 * libgomp's idle workers spin before they sleep (300,000 turns by default),
 * at every barrier of every pass.  On a server that other jobs share, those
 * turns take the cores from the prefetch thread reading the next chunk and
 * from the other jobs (docs/PERFORMANCE.md, "On a shared machine"), so
 * workers wait passively (OMP_WAIT_POLICY=passive) unless the user chose
 * (OMP_WAIT_POLICY or GOMP_SPINCOUNT set). */
static void library_environment(char **argv) {
  int again = 0;
  const char *v = getenv("OPENBLAS_NUM_THREADS");
  if (!(v && strcmp(v, "1") == 0) && setenv("OPENBLAS_NUM_THREADS", "1", 1) == 0) again = 1;
  if (!getenv("OMP_WAIT_POLICY") && !getenv("GOMP_SPINCOUNT") && setenv("OMP_WAIT_POLICY", "passive", 1) == 0)
    again = 1;
  if (again) execv("/proc/self/exe", argv);
}

int main(int argc, char **argv) {
  library_environment(argv);
  /* Under mpirun (built with MPI): one communicator for the job.  Only
   * rank 0 speaks: the others' output would repeat it, and every failure
   * is agreed on, so rank 0's line names the rank that failed. */
  strata_comm *comm = NULL;
  if (strata_comm_world(&argc, &argv, &comm) != STRATA_OK) return cli_status_error(STRATA_ERR_IO);
  if (strata_comm_rank(comm) > 0 && (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)))
    return CLI_EXIT_RUNTIME;
  strata_ctx *ctx = strata_ctx_new();
  if (!ctx) return cli_status_error(STRATA_ERR_NOMEM);
  strata_ctx_set_comm(ctx, comm);
  strata_comm_watch(comm, ctx);
  job_ctx = ctx;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  /* One handler at a time: a second signal is seen after the first one's
   * cancel, not inside it. */
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGINT);
  sigaddset(&sa.sa_mask, SIGTERM);
  sigaddset(&sa.sa_mask, SIGUSR1);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
  /* A file size limit (ulimit -f) must fail the write with EFBIG, reported
   * and cleaned up like a full disk, not kill the process with its
   * temporary files left behind. */
  signal(SIGXFSZ, SIG_IGN);
  int rc = finish(dispatch(ctx, argc, argv));
  job_ctx = NULL;
  strata_ctx_free(ctx);
  strata_comm_finish(comm);
  return rc;
}
