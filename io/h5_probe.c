/* A corrupt HDF5 file can crash HDF5 1.10 itself: it trusts the sizes and
 * offsets in a file's object headers, link tables and chunk indexes (the
 * fuzzers found SIGSEGVs in H5MM_xfree, H5F__accum_read and
 * H5G__link_release_table, heap overflows in H5O__msg_iterate_real).  No
 * check of strata's can stop that from inside the process, so before an
 * input is opened a child process reads it the way the commands will:
 * every group's links, every object's header and attributes, every
 * dataset's layout and filters, and its data up to a budget.  A child that
 * dies of a crash signal (or, under a sanitizer, exits with its report)
 * means HDF5 cannot read that file safely, and the command stops with exit
 * 2 naming the file instead of crashing on it.  The child opens the file
 * as the parent will; an open that fails there is the command's error.
 * Errors HDF5 reports cleanly in the walk are left to the real reads,
 * which name them.
 *
 * A reader that knows what it will read has the child make its own calls
 * first (strata_h5_probe_with): the model loader all of them, the table
 * reader those of its open, then the walk.  HDF5 1.10 also crashes in
 * calls the walk does not make (H5Dclose after H5Dopen, a name looked up
 * rather than iterated: the model fuzzer's double free, SIGSEGV in
 * H5RS_decr and unbounded allocation), or only from the state HDF5's free
 * lists are in (a long-lived process that read other files before); from
 * the parent's state, the parent's calls do what they will do in the
 * parent.  An error the child's reader meets is the command's error: the
 * parent does not repeat a read that failed within the child's memory
 * bound, which could grow without one.
 *
 * The child is best effort, never a verdict on a good file: a failed fork,
 * or a child still busy after PROBE_SECONDS (a slow network file system),
 * lets the open go on as before.  It may take PROBE_MEMORY beyond what it
 * inherits: a file whose metadata makes HDF5 allocate past that is as
 * corrupt as one that crashes it.  STRATA_H5_CHECK=0 turns it off. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "h5_util.h"

#define PROBE_SECONDS 20
/* Memory the child may take beyond what it inherits: HDF5 1.10 follows a
 * corrupt local heap's free list for ever, allocating as it goes (a fuzzed
 * model: 19 GB in 60 s, in a group the model reader never lists). */
#define PROBE_MEMORY ((rlim_t)256 << 20)
/* Data read per file: every chunk of the small files the fuzzers make,
 * the first chunks of each column of a large one, a few milliseconds. */
#define DATA_BUDGET ((size_t)4 << 20)
/* The child's exit status when it read the whole file (errors included). */
#define PROBE_DONE 0

typedef struct {
  const char *path;
  hid_t file;
  size_t data_left;
  size_t objects;
} scrub;

/* Strings, through the reader strata uses for them (its own global-heap
 * walk: HDF5 1.10's loops for ever on some corrupt heaps). */
static void read_strings(hid_t obj, int is_attribute, hssize_t n) {
  if (n <= 0 || (size_t)n > DATA_BUDGET / sizeof(char *)) return;
  char **v = calloc((size_t)n, sizeof *v);
  if (!v) return;
  if (strata_h5_read_strings(obj, is_attribute, (size_t)n, v) == 0)
    for (hssize_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

/* A value as the readers read it: strings, and the numeric types they
 * accept, converted to float64 as far as the budget goes; other types
 * (compounds, references, variable-length sequences) are never read by
 * strata, so neither here. */
static void read_value(hid_t obj, int is_attribute, scrub *s) {
  hid_t ftype = is_attribute ? H5Aget_type(obj) : H5Dget_type(obj);
  hid_t space = is_attribute ? H5Aget_space(obj) : H5Dget_space(obj);
  hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
  if (ftype >= 0 && H5Tget_class(ftype) == H5T_STRING) {
    read_strings(obj, is_attribute, n);
  } else if (ftype >= 0 && strata_h5_numeric_class(ftype) != H5T_NO_CLASS && n > 0 && rank >= 0 &&
             rank <= H5S_MAX_RANK) {
    const size_t size = sizeof(double);
    hid_t mem = H5S_ALL, file_space = H5S_ALL;
    uint64_t total = (uint64_t)n * size;
    if (total > s->data_left && !is_attribute && rank >= 1) {
      /* The leading rows that fit the budget. */
      hsize_t dims[H5S_MAX_RANK], start[H5S_MAX_RANK] = {0}, count[H5S_MAX_RANK];
      H5Sget_simple_extent_dims(space, dims, NULL);
      uint64_t row = size;
      for (int i = 1; i < rank; i++) row = dims[i] && row <= s->data_left ? row * dims[i] : UINT64_MAX;
      uint64_t rows = row && row <= s->data_left ? s->data_left / row : 0;
      total = UINT64_MAX;
      if (rows > 0) {
        memcpy(count, dims, sizeof count);
        count[0] = rows < dims[0] ? rows : dims[0];
        file_space = H5Scopy(space);
        mem = H5Screate_simple(rank, count, NULL);
        if (file_space >= 0 && mem >= 0 &&
            H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL) >= 0)
          total = count[0] * row;
      }
    }
    void *buf = total <= s->data_left || (is_attribute && total <= DATA_BUDGET) ? malloc(total) : NULL;
    if (buf) {
      if (is_attribute)
        H5Aread(obj, H5T_NATIVE_DOUBLE, buf);
      else
        strata_h5_read(obj, H5T_NATIVE_DOUBLE, mem, file_space, buf);
      free(buf);
      if (!is_attribute) s->data_left -= total;
    }
    if (mem != H5S_ALL && mem >= 0) H5Sclose(mem);
    if (file_space != H5S_ALL && file_space >= 0) H5Sclose(file_space);
  }
  if (space >= 0) H5Sclose(space);
  if (ftype >= 0) H5Tclose(ftype);
}

/* The chunk index walked whole (H5Dget_num_chunks), and the first chunks
 * looked up by position (each lookup by index walks the index again);
 * strata_h5_check_stored has looked every chunk up by its coordinates. */
#define MAX_CHUNKS 16
static void walk_chunks(hid_t dset) {
#if H5_VERSION_GE(1, 10, 5)
  hid_t space = H5Dget_space(dset);
  hsize_t n = 0;
  if (space >= 0 && H5Dget_num_chunks(dset, space, &n) >= 0) {
    for (hsize_t i = 0; i < n && i < MAX_CHUNKS; i++) {
      hsize_t offset[H5S_MAX_RANK];
      unsigned mask = 0;
      haddr_t addr = 0;
      hsize_t size = 0;
      if (H5Dget_chunk_info(dset, space, i, offset, &mask, &addr, &size) < 0) break;
      hsize_t stored = 0;
      H5Dget_chunk_storage_size(dset, offset, &stored);
    }
  }
  if (space >= 0) H5Sclose(space);
#else
  (void)dset;
#endif
}

static herr_t on_attribute(hid_t obj, const char *name, const H5A_info_t *info, void *data) {
  (void)info;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  if (a >= 0) {
    H5Aexists(obj, name); /* the lookup by name the readers make */
    read_value(a, 1, data);
    H5Aclose(a);
  }
  return 0;
}

#define MAX_DEPTH 32
#define MAX_OBJECTS 100000

typedef struct {
  char **names;
  size_t n, cap;
} name_list;

static herr_t collect(hid_t group, const char *name, const H5L_info_t *info, void *data) {
  (void)group;
  (void)info;
  name_list *l = data;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    char **v = cap <= MAX_OBJECTS ? realloc(l->names, cap * sizeof *v) : NULL;
    if (!v) return 1;
    l->names = v;
    l->cap = cap;
  }
  if (!(l->names[l->n] = strdup(name))) return 1;
  l->n++;
  return 0;
}

/* Every object is opened and read on its own, an error in one never ends
 * the walk (H5Ovisit stops at the first object it cannot describe, which
 * is where the crashes are).  Hard links to a group already walked are
 * followed at most to MAX_DEPTH, and the walk stops after MAX_OBJECTS. */
static void walk(hid_t loc, const char *name, int depth, scrub *s) {
  if (depth > MAX_DEPTH || s->objects++ > MAX_OBJECTS) return;
  H5O_info_t oi;
  H5Oget_info_by_name(loc, name, &oi, H5P_DEFAULT);
  hid_t obj = H5Oopen(loc, name, H5P_DEFAULT);
  if (obj < 0) return;
  hsize_t at = 0;
  H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &at, on_attribute, s);
  H5I_type_t type = H5Iget_type(obj);
  if (type == H5I_GROUP) {
    hid_t gcpl = H5Gget_create_plist(obj);
    if (gcpl >= 0) {
      unsigned order = 0;
      H5Pget_link_creation_order(gcpl, &order);
      H5Pclose(gcpl);
    }
    H5G_info_t gi;
    H5Gget_info(obj, &gi);
    /* The link tables the readers walk, in both orders they may ask for. */
    name_list by_order = {0};
    at = 0;
    H5Literate(obj, H5_INDEX_CRT_ORDER, H5_ITER_INC, &at, collect, &by_order);
    for (size_t i = 0; i < by_order.n; i++) free(by_order.names[i]);
    free(by_order.names);
    name_list l = {0};
    at = 0;
    H5Literate(obj, H5_INDEX_NAME, H5_ITER_INC, &at, collect, &l);
    for (size_t i = 0; i < l.n; i++) {
      H5Lexists(obj, l.names[i], H5P_DEFAULT);
      H5L_info_t li;
      if (H5Lget_info(obj, l.names[i], &li, H5P_DEFAULT) >= 0 && li.type == H5L_TYPE_HARD) walk(obj, l.names[i], depth + 1, s);
      free(l.names[i]);
    }
    free(l.names);
  } else if (type == H5I_DATASET) {
    hid_t dcpl = H5Dget_create_plist(obj);
    if (dcpl >= 0) {
      int filters = H5Pget_nfilters(dcpl);
      for (int i = 0; i < filters; i++) {
        unsigned flags = 0, config = 0;
        size_t nvalues = 8;
        unsigned values[8];
        char fname[64];
        H5Pget_filter2(dcpl, (unsigned)i, &flags, &nvalues, values, sizeof fname, fname, &config);
      }
      if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
        hsize_t chunk[H5S_MAX_RANK];
        H5Pget_chunk(dcpl, H5S_MAX_RANK, chunk);
      }
      H5Pclose(dcpl);
    }
    H5Dget_storage_size(obj);
    /* Data only where the readers would read it: a dataset that stores
     * what it declares (a tiny file can declare terabytes of fill). */
    hid_t space = H5Dget_space(obj);
    if (space >= 0 && strata_h5_check_stored(s->path, name, obj, space) == STRATA_OK) {
      walk_chunks(obj);
      read_value(obj, 0, s);
    }
    if (space >= 0) H5Sclose(space);
  }
  H5Oclose(obj);
}

/* The address space the child inherited, plus PROBE_MEMORY, within any
 * limit already set. */
static void limit_memory(rlim_t extra) {
  unsigned long long pages = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return;
  int got = fscanf(f, "%llu", &pages);
  fclose(f);
  long page = sysconf(_SC_PAGESIZE);
  struct rlimit as;
  if (got != 1 || page <= 0 || getrlimit(RLIMIT_AS, &as) != 0) return;
  rlim_t want = (rlim_t)pages * (rlim_t)page + PROBE_MEMORY + extra;
  if (as.rlim_cur == RLIM_INFINITY || want < as.rlim_cur) {
    as.rlim_cur = want;
    setrlimit(RLIMIT_AS, &as);
  }
}

/* What a reader's child sends up the pipe when its reader fails. */
typedef struct {
  int status;
  char detail[1020];
} reader_verdict;

/* The child's error, up the pipe: the parent makes it the command's. */
static void send_verdict(strata_status st, int verdict_fd) {
  reader_verdict v = {(int)st, {0}};
  snprintf(v.detail, sizeof v.detail, "%s", strata_last_error());
  ssize_t left = (ssize_t)sizeof v;
  const char *at = (const char *)&v;
  while (left > 0) {
    ssize_t w = write(verdict_fd, at, (size_t)left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    at += w;
    left -= w;
  }
}

/* The open fails here as it would in the parent: a 13 KB file whose
 * metadata makes HDF5 1.10 grow an image to 4 GB before it gives up
 * fails within the child's bound, and the parent does not repeat it. */
static hid_t child_opens(const char *path, int verdict_fd) {
  hid_t file = strata_h5_open_plain(path);
  if (file < 0) send_verdict(strata_h5_open_failed(path), verdict_fd);
  return file;
}

static int child_runs_reader(hid_t file, const char *path, const strata_h5_check *check, int verdict_fd) {
  strata_status st = check->read(file, path, check->ctx);
  if (st == STRATA_OK) return 1;
  send_verdict(st, verdict_fd);
  return 0;
}

static void child_reads(const char *path, pid_t parent, const strata_h5_check *check, int verdict_fd) {
  strata_h5_lock_reset_in_child();
  /* A crash here is the finding, not a core file to keep. */
  struct rlimit none = {0, 0}, cpu = {PROBE_SECONDS, PROBE_SECONDS + 1};
  setrlimit(RLIMIT_CORE, &none);
  setrlimit(RLIMIT_CPU, &cpu);
  /* A reader of the whole file allocates what it holds, a few times over
   * (the model loader: centroids, their originals, the scaler), beyond
   * HDF5's own; a table's open reads metadata only. */
  struct stat sb;
  rlim_t extra = check && !check->then_walk && stat(path, &sb) == 0 && sb.st_size > 0 ? (rlim_t)sb.st_size * 8 : 0;
  limit_memory(extra);
  /* Never outlives the command (a parent killed while the child loops). */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(PROBE_DONE);
  /* The command's one error line is the parent's: what the C library or
   * a sanitizer says as the child dies ("stack smashing detected", seen
   * on a byte-mutated model) goes nowhere, the terminal included. */
  int null = open("/dev/null", O_WRONLY);
  if (null >= 0) {
    dup2(null, STDERR_FILENO);
    dup2(null, STDOUT_FILENO);
    close(null);
  }
  setenv("LIBC_FATAL_STDERR_", "1", 1);
  /* The parent's handlers are not the child's: a crash ends it with the
   * signal, and a signal meant for the job ends it at once. */
  static const int reset[] = {SIGINT, SIGTERM, SIGUSR1, SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
  for (size_t i = 0; i < sizeof reset / sizeof *reset; i++) signal(reset[i], SIG_DFL);
  /* Memory HDF5 allocates and then reads or frees without setting it (a
   * corrupt compact group's link table) holds a pattern, not whatever the
   * heap held: such a file crashes here every time, not only sometimes in
   * the command. */
  mallopt(M_PERTURB, 0xa5);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  scrub s = {path, child_opens(path, verdict_fd), DATA_BUDGET, 0};
  if (s.file >= 0 && check && (!child_runs_reader(s.file, path, check, verdict_fd) || !check->then_walk)) {
    H5Fclose(s.file);
    _exit(PROBE_DONE);
  }
  if (s.file >= 0) {
    hid_t fcpl = H5Fget_create_plist(s.file);
    if (fcpl >= 0) {
      hsize_t block = 0;
      H5Pget_userblock(fcpl, &block);
      H5Pclose(fcpl);
    }
    hsize_t bytes = 0;
    H5Fget_filesize(s.file, &bytes);
    walk(s.file, "/", 0, &s);
    H5Fclose(s.file);
  }
  _exit(PROBE_DONE);
}

static int crash_signal(int sig) {
  return sig == SIGSEGV || sig == SIGBUS || sig == SIGABRT || sig == SIGFPE || sig == SIGILL || sig == SIGSYS ||
         sig == SIGTRAP;
}

/* Files read safely before, as they were then: a command opens its input
 * more than once (inspection, the table, its categorical columns).  A file
 * changed within the timestamps' granularity of the read (the kernel's
 * coarse clock, a few ms; whole seconds on some file systems) could be
 * rewritten with the same size and times, so only files whose times are
 * older than the read by KNOWN_AGE_S are kept (git's "racy clean" rule;
 * the fuzzer, rewriting one file in place, found a crash the list hid). */
#define KNOWN_AGE_S 2
#define KNOWN_FILES 8
static struct stat known[KNOWN_FILES];
static size_t known_next;

static int older_than(const struct timespec *t, const struct timespec *limit) {
  return t->tv_sec < limit->tv_sec || (t->tv_sec == limit->tv_sec && t->tv_nsec < limit->tv_nsec);
}

static int same_file(const struct stat *a, const struct stat *b) {
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
         a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
         a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* 1 when the file is as it was when a child read it safely; *now is what
 * stat says of it, *seen whether stat could. */
static int known_safe(const char *path, struct stat *now, int *seen) {
  *seen = stat(path, now) == 0;
  if (!*seen) return 0;
  for (size_t i = 0; i < KNOWN_FILES && i < known_next; i++)
    if (same_file(&known[i], now)) return 1;
  return 0;
}

static strata_status probe(const char *path, const strata_h5_check *check);

strata_status strata_h5_probe(const char *path) { return strata_h5_probe_with(path, NULL); }

/* A reader of the whole file is never taken as known safe: it is one call
 * per load, and its error is not a safe file. */
strata_status strata_h5_probe_with(const char *path, const strata_h5_check *check) {
  const char *env = getenv("STRATA_H5_CHECK");
  if (env && strcmp(env, "0") == 0) return STRATA_OK;
  if (check && !check->then_walk) return probe(path, check);
  struct stat before;
  int seen = 0;
  strata_h5_lock();
  int skip = known_safe(path, &before, &seen);
  strata_h5_unlock();
  if (skip) return STRATA_OK;
  struct timespec settled;
  const int timed = clock_gettime(CLOCK_REALTIME, &settled) == 0;
  settled.tv_sec -= KNOWN_AGE_S;
  strata_status st = probe(path, check);
  struct stat after;
  if (st == STRATA_OK && seen && timed && stat(path, &after) == 0 && same_file(&before, &after) &&
      older_than(&after.st_mtim, &settled) && older_than(&after.st_ctim, &settled)) {
    strata_h5_lock();
    known[known_next++ % KNOWN_FILES] = after;
    strata_h5_unlock();
  }
  return st;
}

static size_t probes_run, probes_timed_out;

size_t strata_h5_probes_run(void) { return __atomic_load_n(&probes_run, __ATOMIC_RELAXED); }
size_t strata_h5_probes_timed_out(void) { return __atomic_load_n(&probes_timed_out, __ATOMIC_RELAXED); }

static strata_status probe(const char *path, const strata_h5_check *check) {
  __atomic_add_fetch(&probes_run, 1, __ATOMIC_RELAXED);
  /* The child holds the pipe's write end: it closes when the child ends,
   * however it ends, which poll() sees without a polling loop. */
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) return STRATA_OK;
  pid_t parent = getpid();
  /* Holding the lock, no thread of ours is inside HDF5 while the child is
   * made: its copy of HDF5's state is consistent. */
  strata_h5_lock();
  pid_t pid = fork();
  if (pid == 0) {
    close(ends[0]);
    child_reads(path, parent, check, ends[1]);
  }
  strata_h5_unlock();
  close(ends[1]);
  if (pid < 0) {
    close(ends[0]);
    return STRATA_OK;
  }
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  int ended = 0;
  reader_verdict verdict;
  size_t got = 0;
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    long left_ms = PROBE_SECONDS * 1000L - ((now.tv_sec - start.tv_sec) * 1000L + (now.tv_nsec - start.tv_nsec) / 1000000L);
    if (left_ms <= 0) break;
    struct pollfd pfd = {ends[0], POLLIN, 0};
    int r = poll(&pfd, 1, (int)left_ms);
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    /* A verdict first, if any; the end of the pipe is the child's end. */
    char scratch[64];
    ssize_t n = got < sizeof verdict ? read(ends[0], (char *)&verdict + got, sizeof verdict - got)
                                     : read(ends[0], scratch, sizeof scratch);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ended = 1;
      break;
    }
    if (got < sizeof verdict) got += (size_t)n;
  }
  close(ends[0]);
  if (!ended) {
    kill(pid, SIGKILL);
    __atomic_add_fetch(&probes_timed_out, 1, __ATOMIC_RELAXED);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!ended) return STRATA_OK;
  if (WIFEXITED(status) && WEXITSTATUS(status) == PROBE_DONE) {
    if (got != sizeof verdict) return STRATA_OK;
    verdict.detail[sizeof verdict.detail - 1] = '\0';
    /* A table's open may need more than the child's bound for a wide
     * file (a name and a record per column): the parent decides, within
     * its own bounds on what an open allocates. */
    if (verdict.status == STRATA_ERR_NOMEM && (!check || check->then_walk)) return STRATA_OK;
    /* A model's reader: out of memory within the child's bound, which
     * allows the file's size several times over: the file asks for it. */
    if (verdict.status == STRATA_ERR_NOMEM)
      return strata_fail(STRATA_ERR_FORMAT, "'%s' is truncated or corrupt: reading it takes more than %llu MB (%s)",
                         path, (unsigned long long)(PROBE_MEMORY >> 20), verdict.detail);
    return strata_fail((strata_status)verdict.status, "%s", verdict.detail);
  }
  if (WIFSIGNALED(status) && !crash_signal(WTERMSIG(status))) {
    /* Killed from outside (the OOM killer, a signal to the process
     * group): nothing learned about the file. */
    return STRATA_OK;
  }
  /* HDF5 1.10 does not check every allocation: under an address-space
   * limit a crash may be a failed malloc, not the file.  Without one,
   * memory runs out as the OOM killer's SIGKILL, never as a crash. */
  struct rlimit as;
  if (WIFSIGNALED(status) && getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY)
    return strata_fail(STRATA_ERR_NOMEM,
                       "reading '%s' crashes the HDF5 library (%s) under an address-space limit of %llu MB: "
                       "a corrupt file, or too little memory for HDF5",
                       path, strsignal(WTERMSIG(status)), (unsigned long long)(as.rlim_cur >> 20));
  if (WIFSIGNALED(status))
    return strata_fail(STRATA_ERR_FORMAT, "'%s' is truncated or corrupt: reading it crashes the HDF5 library (%s)",
                       path, strsignal(WTERMSIG(status)));
  return strata_fail(STRATA_ERR_FORMAT,
                     "'%s' is truncated or corrupt: reading it fails a memory check in the HDF5 library (exit %d)", path,
                     WEXITSTATUS(status));
}
