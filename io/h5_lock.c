/* The HDF5 glue: one process-wide lock, HDF5's error printing turned off,
 * and the few helpers every io/ file needs (see h5_util.h).
 *
 * HDF5 is built thread-safe here, but its global lock only makes single
 * calls atomic; a select-then-read sequence on shared ids still needs ours.
 * The lock is recursive so that helpers can take it inside callers that
 * already hold it. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "h5_util.h"
#include "meminfo.h"

static pthread_mutex_t h5_mutex;
static pthread_once_t h5_once = PTHREAD_ONCE_INIT;

/* In a thread-safe HDF5 build every thread has its own error stack, and the
 * automatic printing is a property of that stack: silencing it once per
 * process is not enough, so each thread does it on its first lock. */
static _Thread_local int h5_thread_silenced;

static void make_lock(void) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&h5_mutex, &attr);
  pthread_mutexattr_destroy(&attr);
}

static void h5_init_once(void) {
  /* No H5close at exit: HDF5 1.10 keeps a file whose close failed (a full
   * disk, a file size limit) in its tables and crashes on it in its exit
   * handler, after the one-line error was printed.  Every file is closed
   * explicitly, so the exit handler has nothing to do for us.  Effective
   * only before HDF5's first call, which is why this is the first thing
   * the lock does. */
  H5dont_atexit();
  strata_h5_vlen_register();
  make_lock();
}

void strata_h5_lock(void) {
  pthread_once(&h5_once, h5_init_once);
  pthread_mutex_lock(&h5_mutex);
  if (!h5_thread_silenced) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    h5_thread_silenced = 1;
  }
}

void strata_h5_unlock(void) { pthread_mutex_unlock(&h5_mutex); }

void strata_h5_lock_reset_in_child(void) {
  pthread_once(&h5_once, h5_init_once);
  make_lock();
}

int strata_h5_close(hid_t id) {
  if (id < 0) return 0;
  switch (H5Iget_type(id)) {
    case H5I_FILE: return H5Fclose(id) < 0 ? -1 : 0;
    case H5I_GROUP: return H5Gclose(id) < 0 ? -1 : 0;
    case H5I_DATASET: return H5Dclose(id) < 0 ? -1 : 0;
    case H5I_DATASPACE: return H5Sclose(id) < 0 ? -1 : 0;
    case H5I_DATATYPE: return H5Tclose(id) < 0 ? -1 : 0;
    case H5I_ATTR: return H5Aclose(id) < 0 ? -1 : 0;
    case H5I_GENPROP_LST: return H5Pclose(id) < 0 ? -1 : 0;
    default: return -1;
  }
}

typedef struct {
  char *buf;
  size_t size;
  int found;
} error_walk;

/* The POSIX driver reports "file write failed: time = ..., filename = ...,
 * errno = 28, error message = 'No space left on device', ..."; what it
 * failed to do and the quoted system message are the parts worth a one-line
 * detail: "file write failed: No space left on device". */
static int system_message(const char *desc, char *buf, size_t size) {
  static const char key[] = "error message = '";
  const char *at = strstr(desc, key);
  if (!at) return 0;
  at += sizeof key - 1;
  const char *end = strchr(at, '\'');
  if (!end) return 0;
  size_t what = strcspn(desc, ",:");
  snprintf(buf, size, "%.*s: %.*s", (int)what, desc, (int)(end - at), at);
  return 1;
}

static herr_t take_innermost(unsigned n, const H5E_error2_t *err, void *data) {
  error_walk *w = data;
  (void)n;
  if (w->found || !err->desc || !err->desc[0]) return 0;
  if (!system_message(err->desc, w->buf, w->size)) snprintf(w->buf, w->size, "%s", err->desc);
  w->found = 1;
  return 0;
}

/* The innermost frame (the first of an upward walk) says what went wrong:
 * outer frames label even a failed decompression "Low-level I/O". */
static herr_t find_system_fault(unsigned n, const H5E_error2_t *err, void *data) {
  if (n == 0 && err->maj_num == H5E_IO) *(int *)data = 1;
  return 0;
}

int strata_h5_error_is_system(void) {
  int system = 0;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, find_system_fault, &system);
  return system;
}

/* HDF5's own allocation failed (its chunk buffers under a memory limit):
 * out of memory, not a corrupt file. */
static herr_t find_nomem(unsigned n, const H5E_error2_t *err, void *data) {
  if (n == 0 && err->maj_num == H5E_RESOURCE && (err->min_num == H5E_NOSPACE || err->min_num == H5E_CANTALLOC))
    *(int *)data = 1;
  return 0;
}

int strata_h5_error_is_nomem(void) {
  int nomem = 0;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, find_nomem, &nomem);
  return nomem;
}

const char *strata_h5_error_text(char *buf, size_t size) {
  error_walk w = {buf, size, 0};
  /* Upward starts at the function that detected the problem, which says
   * the most ("truncated file: eof = 1024, ..."); the outer frames only say
   * "unable to open file". */
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_innermost, &w);
  H5Eclear2(H5E_DEFAULT);
  if (!w.found) snprintf(buf, size, "no error detail");
  size_t len = strlen(buf);
  while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\n')) buf[--len] = '\0';
  return buf;
}

/* Shared HPC file systems often refuse flock(); reading must still work. */
static hid_t read_access_plist(void) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
#if H5_VERSION_GE(1, 12, 1) || (H5_VERS_MAJOR == 1 && H5_VERS_MINOR == 10 && H5_VERS_RELEASE >= 7)
  if (fapl >= 0) H5Pset_file_locking(fapl, 1, 1);
#endif
  return fapl;
}

/* HDF5 1.10 does not check every allocation it makes while opening a file
 * (a failed malloc in its metadata cache's creation is dereferenced: a
 * SIGSEGV seen under `ulimit -v` in an MPI rank).  Opening needs a few MB;
 * when not even OPEN_HEADROOM can be had, say "out of memory" before HDF5
 * is asked to. */
#define OPEN_HEADROOM ((size_t)16 << 20)

hid_t strata_h5_open_plain(const char *path) {
  hid_t fapl = read_access_plist();
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, fapl >= 0 ? fapl : H5P_DEFAULT);
  /* Closing the list would clear the error stack that says why the open
   * failed (a writer's lock, a corrupt superblock): kept aside meanwhile. */
  hid_t why = file < 0 ? H5Eget_current_stack() : -1;
  if (fapl >= 0) H5Pclose(fapl);
  if (why >= 0) H5Eset_current_stack(why);
  return file;
}

strata_status strata_h5_open_failed(const char *path) {
  char why[512];
  strata_h5_error_text(why, sizeof why);
  /* A writer (h5py, another tool) holds the file: not a damaged file. */
  if (strstr(why, "unable to lock file"))
    return strata_fail(STRATA_ERR_IO,
                       "cannot open '%s': another process has it open for writing (%s); "
                       "HDF5_USE_FILE_LOCKING=FALSE reads it anyway",
                       path, why);
  return strata_fail(STRATA_ERR_FORMAT, "'%s' is truncated or corrupt: %s", path, why);
}

strata_status strata_h5_open_read(const char *path, hid_t *file) {
  return strata_h5_open_read_checked(path, file, NULL);
}

strata_status strata_h5_open_read_checked(const char *path, hid_t *file, const strata_h5_check *check) {
  *file = -1;
  RETURN_IF(!strata_address_space_free(OPEN_HEADROOM), STRATA_ERR_NOMEM,
            "out of memory opening '%s': less than %zu MB left for the HDF5 library (memory limit reached)", path,
            OPEN_HEADROOM >> 20);
  /* errno from the system, before HDF5, so the message names the real cause. */
  struct stat sb;
  RETURN_IF(stat(path, &sb) != 0, STRATA_ERR_NOT_FOUND, "cannot open '%s': %s", path, strerror(errno));
  RETURN_IF(S_ISDIR(sb.st_mode), STRATA_ERR_NOT_FOUND, "cannot open '%s': %s", path, strerror(EISDIR));
  RETURN_IF(access(path, R_OK) != 0, STRATA_ERR_NOT_FOUND, "cannot open '%s': %s", path, strerror(errno));

  strata_status st = STRATA_OK;
  strata_h5_lock();
#if H5_VERSION_GE(1, 12, 0)
  htri_t is_h5 = H5Fis_accessible(path, H5P_DEFAULT);
#else
  htri_t is_h5 = H5Fis_hdf5(path);
#endif
  if (is_h5 <= 0) {
    H5Eclear2(H5E_DEFAULT);
    st = strata_fail(STRATA_ERR_FORMAT, "'%s' is not an HDF5 file", path);
  } else if ((st = strata_h5_probe_with(path, check)) == STRATA_OK) {
    *file = strata_h5_open_plain(path);
    if (*file < 0) st = strata_h5_open_failed(path);
  }
  strata_h5_unlock();
  return st;
}

static void free_strings(char **out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(out[i]);
    out[i] = NULL;
  }
}

/* Fixed-length strings: n slots of `size` bytes, not always terminated. */
static int read_fixed_strings(hid_t obj, int is_attribute, hid_t ftype, hid_t mtype, size_t n, char **out) {
  size_t size = H5Tget_size(ftype);
  if (size == 0 || H5Tset_size(mtype, size) < 0) return -1;
  int space_padded = H5Tget_strpad(ftype) == H5T_STR_SPACEPAD;
  char *raw = malloc(n * size + 1);
  if (!raw) return -2;
  herr_t rd =
      is_attribute ? H5Aread(obj, mtype, raw) : strata_h5_read(obj, mtype, H5S_ALL, H5S_ALL, raw);
  int rc = rd < 0 ? -1 : 0;
  for (size_t i = 0; rc == 0 && i < n; i++) {
    const char *s = raw + i * size;
    size_t len = strnlen(s, size);
    while (space_padded && len > 0 && s[len - 1] == ' ') len--;
    if (!(out[i] = strndup(s, len))) rc = -2;
  }
  free(raw);
  return rc;
}

int strata_h5_read_strings(hid_t obj, int is_attribute, size_t n, char **out) {
  for (size_t i = 0; i < n; i++) out[i] = NULL;
  hid_t ftype = is_attribute ? H5Aget_type(obj) : H5Dget_type(obj);
  hid_t space = is_attribute ? H5Aget_space(obj) : H5Dget_space(obj);
  hid_t mtype = -1;
  int rc = -1;
  if (ftype < 0 || space < 0 || H5Tget_class(ftype) != H5T_STRING) goto done;
  hssize_t npoints = H5Sget_simple_extent_npoints(space);
  if (npoints < 0 || (size_t)npoints != n) goto done;
  htri_t variable = H5Tis_variable_str(ftype);
  /* A fresh memory type: a copy of the file's type would keep its on-disk
   * location, which HDF5 refuses for variable-length reads into memory. */
  if (variable < 0 || (mtype = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_cset(mtype, H5Tget_cset(ftype)) < 0 ||
      H5Tset_strpad(mtype, H5Tget_strpad(ftype)) < 0)
    goto done;
  rc = variable ? strata_h5_read_vlen_strings(obj, is_attribute, n, out)
                : read_fixed_strings(obj, is_attribute, ftype, mtype, n, out);
done:
  if (rc != 0) free_strings(out, n);
  strata_h5_close(mtype);
  strata_h5_close(space);
  strata_h5_close(ftype);
  return rc;
}

H5T_class_t strata_h5_numeric_class(hid_t type) {
  H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
  size_t size = type >= 0 ? H5Tget_size(type) : 0;
  if (cls == H5T_INTEGER) {
    /* Its bits inside its bytes, in a byte order HDF5 knows: HDF5 1.10
     * converts an integer declaring 32 bits at offset 63 of 4 bytes by
     * writing past a stack buffer (H5T__bit_get_d under H5T__conv_i_f,
     * "stack smashing detected", found by the table fuzzer). */
    size_t precision = H5Tget_precision(type);
    int offset = H5Tget_offset(type);
    H5T_order_t order = H5Tget_order(type);
    int fits = size >= 1 && size <= 8 && precision >= 1 && offset >= 0 && (size_t)offset + precision <= 8 * size;
    return fits && (order == H5T_ORDER_LE || order == H5T_ORDER_BE) ? cls : H5T_NO_CLASS;
  }
  /* Floats: the IEEE layouts every writer uses.  HDF5 1.10 converts a
   * float whose declared fields overlap (fuzzed) into values no check can
   * trust. */
  if (cls == H5T_FLOAT && (H5Tequal(type, H5T_IEEE_F32LE) > 0 || H5Tequal(type, H5T_IEEE_F32BE) > 0 ||
                           H5Tequal(type, H5T_IEEE_F64LE) > 0 || H5Tequal(type, H5T_IEEE_F64BE) > 0))
    return cls;
  return H5T_NO_CLASS;
}

hid_t strata_h5_utf8_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

int strata_h5_write_scalar(hid_t obj, const char *name, hid_t file_type, hid_t mem_type, const void *value) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attr = space >= 0 ? H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT) : -1;
  int rc = attr >= 0 && H5Awrite(attr, mem_type, value) >= 0 ? 0 : -1;
  if (strata_h5_close(attr) < 0) rc = -1;
  strata_h5_close(space);
  return rc;
}

int strata_h5_write_string(hid_t obj, const char *name, const char *value) {
  hid_t type = strata_h5_utf8_type();
  const char *v = value ? value : "";
  int rc = type >= 0 ? strata_h5_write_scalar(obj, name, type, type, &v) : -1;
  strata_h5_close(type);
  return rc;
}

/* A dataset must store what it declares (h5_util.h). */
#define MAX_CHUNK_BYTES ((uint64_t)1 << 30)

/* 1 when a chunk of the extent has no storage, its first row in *row:
 * enough chunks stored is not enough, a corrupt index can place them outside
 * the extent.  One lookup per chunk, run only once the count matched, so
 * bounded by what the file holds. */
static int unwritten_chunk(hid_t dset, int rank, const hsize_t *dims, const hsize_t *chunk, hsize_t *row) {
  hsize_t at[H5S_MAX_RANK] = {0};
  for (;;) {
    hsize_t bytes = 0;
    /* A B-tree lookup (H5Dget_chunk_info_by_coord walks every chunk). */
    if (H5Dget_chunk_storage_size(dset, at, &bytes) < 0 || bytes == 0) {
      *row = at[0];
      return 1;
    }
    int r = rank - 1;
    while (r >= 0 && (at[r] += chunk[r]) >= dims[r]) at[r--] = 0;
    if (r < 0) return 0;
  }
}

strata_status strata_h5_check_stored(const char *path, const char *what, hid_t dset, hid_t space) {
  hsize_t dims[H5S_MAX_RANK], maxdims[H5S_MAX_RANK];
  int rank = H5Sget_simple_extent_dims(space, dims, maxdims);
  /* HDF5 1.10 opens a dataspace larger than its own maximum (1.12 refuses it). */
  for (int r = 0; r < rank; r++)
    RETURN_IF(maxdims[r] != H5S_UNLIMITED && dims[r] > maxdims[r], STRATA_ERR_FORMAT,
              "'%s': %s has %llu entries in dimension %d, more than its maximum %llu", path, what,
              (unsigned long long)dims[r], r + 1, (unsigned long long)maxdims[r]);
  uint64_t values = 1;
  for (int r = 0; r < rank; r++) values = dims[r] && values > UINT64_MAX / dims[r] ? UINT64_MAX : values * dims[r];
  if (rank < 1 || values == 0) return STRATA_OK;
  hid_t dcpl = H5Dget_create_plist(dset), type = H5Dget_type(dset);
  const uint64_t elem = type >= 0 ? (uint64_t)H5Tget_size(type) : 4;
  strata_status st = STRATA_OK;
  H5D_layout_t layout = dcpl >= 0 ? H5Pget_layout(dcpl) : H5D_LAYOUT_ERROR;
  const hsize_t storage = H5Dget_storage_size(dset);
  hsize_t chunk[H5S_MAX_RANK], stored = 0, file_size = 0;
  hid_t file = H5Iget_file_id(dset);
  if (file < 0 || H5Fget_filesize(file, &file_size) < 0) file_size = 0;
  strata_h5_close(file);
  uint64_t expect = 1, bytes = elem;
  int crank = layout == H5D_CHUNKED ? H5Pget_chunk(dcpl, H5S_MAX_RANK, chunk) : 0;
  for (int r = 0; r < crank && r < rank; r++) {
    expect *= (dims[r] + chunk[r] - 1) / (chunk[r] ? chunk[r] : 1);
    bytes *= chunk[r];
  }
  int bad_shape = layout == H5D_CHUNKED && crank != rank;
  for (int r = 0; layout == H5D_CHUNKED && r < crank && r < rank; r++) bad_shape |= chunk[r] == 0;
  if (bad_shape) {
    /* The chunk walk below steps by the chunk's sides: a zero or missing
     * side would never end it (a fuzzed file ran for minutes). */
    st = strata_fail(STRATA_ERR_FORMAT, "'%s': %s has a chunk shape of rank %d for a rank-%d dataspace, or a side of "
                     "0", path, what, crank, rank);
  } else if (layout == H5D_CHUNKED && bytes > MAX_CHUNK_BYTES) {
    st = strata_fail(STRATA_ERR_FORMAT, "'%s': %s is stored in chunks of %llu bytes, more than the %llu this "
                     "reader takes", path, what, (unsigned long long)bytes, (unsigned long long)MAX_CHUNK_BYTES);
  } else if (file_size > 0 && storage > file_size) {
    /* A corrupt chunk index: HDF5 1.10 would allocate each chunk's claimed
     * size (4 GiB, fuzzed) before noticing the file has no such bytes. */
    st = strata_fail(STRATA_ERR_FORMAT, "'%s': %s claims %llu bytes of storage in a file of %llu bytes", path, what,
                     (unsigned long long)storage, (unsigned long long)file_size);
  } else if (layout != H5D_COMPACT && storage == 0) {
    st = strata_fail(STRATA_ERR_FORMAT, "'%s': %s declares %llu values but stores none", path, what,
                     (unsigned long long)values);
  } else if (layout == H5D_CHUNKED) {
    hsize_t row = 0;
    /* Numbers and fixed-length strings: variable-length elements and
     * references are stored in another size than their type's. */
    const H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    const int unfiltered_fixed = H5Pget_nfilters(dcpl) == 0 && (cls == H5T_INTEGER || cls == H5T_FLOAT ||
                                                                (cls == H5T_STRING && H5Tis_variable_str(type) == 0));
    /* The dataset's own dataspace: HDF5 1.10.8 refuses H5S_ALL here (which
     * left this check silently off). */
    if (H5Dget_num_chunks(dset, space, &stored) < 0)
      st = strata_fail(STRATA_ERR_FORMAT, "'%s': the chunk index of %s is unreadable", path, what);
    else if (expect > storage)
      /* Every written chunk stores at least a byte, and the storage is
       * bounded by the file (above): so are the lookups below. */
      st = strata_fail(STRATA_ERR_FORMAT, "'%s': %s declares %llu chunks but stores %llu bytes", path, what,
                       (unsigned long long)expect, (unsigned long long)storage);
    else if (stored < expect)
      st = strata_fail(STRATA_ERR_FORMAT, "'%s': %s declares %llu values but stores %llu of its %llu chunks "
                       "(unwritten chunks would read as fill values)", path, what, (unsigned long long)values,
                       (unsigned long long)stored, (unsigned long long)expect);
    else if (unfiltered_fixed && storage != stored * bytes)
      /* HDF5 1.10 reads an unfiltered chunk as its shape's bytes from its
       * address whatever size the index records (and its per-chunk size
       * lookup reports the shape's): a fuzzed chunk shape read the
       * neighbouring chunks and metadata as values, different ones for each
       * hyperslab (inspect and stats disagreed, exit 0).  The index's
       * total is the sum of what it records. */
      st = strata_fail(STRATA_ERR_FORMAT, "'%s': %s has %llu unfiltered chunks of %llu bytes but stores %llu bytes "
                       "(a corrupt chunk shape or index)", path, what, (unsigned long long)stored,
                       (unsigned long long)bytes, (unsigned long long)storage);
    else if (unwritten_chunk(dset, rank, dims, chunk, &row))
      st = strata_fail(STRATA_ERR_FORMAT, "'%s': %s declares %llu values but its chunk at row %llu is not "
                       "written (its index holds chunks outside the extent)", path, what,
                       (unsigned long long)values, (unsigned long long)row);
  } else if (layout == H5D_CONTIGUOUS && storage < values * elem) {
    st = strata_fail(STRATA_ERR_FORMAT, "'%s': %s declares %llu values but stores %llu bytes", path, what,
                     (unsigned long long)values, (unsigned long long)storage);
  }
  strata_h5_close(dcpl);
  strata_h5_close(type);
  H5Eclear2(H5E_DEFAULT);
  return st;
}
