/* The HDF5 column writer of the CSV importer (io/csv_writer.h).
 *
 * HDF5 compresses inside H5Dwrite, under its global lock: one core would do
 * all the deflating, which costs more than parsing.  So chunks are shuffled
 * and deflated here, by worker threads, exactly as HDF5's shuffle and
 * deflate filters would (a zlib stream of the byte-transposed chunk), and
 * handed to HDF5 ready-made with H5Dwrite_chunk.  Every chunk goes through
 * both filters, even one that deflate does not shrink: HDF5 1.10 ignores a
 * chunk's filter mask when H5Dset_extent trims the edge chunk (after rows
 * were skipped), and would try to inflate a chunk stored raw. */
#include "csv_writer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "error.h"
#include "h5_util.h"
#include "output_file.h"
#include "table_format.h"

#define DICT_SLICE ((size_t)65536)

typedef enum { JOB_FREE, JOB_QUEUED, JOB_DONE } job_state;

typedef struct {
  size_t col;
  uint64_t index;
  unsigned char *raw, *shuffled, *packed;
  size_t packed_cap;
  size_t bytes;      /* of packed */
  int failed;        /* zlib failed (out of memory) */
  job_state state;
} job;

struct csv_writer {
  strata_output_file out;
  char *group_path;
  int level;
  hid_t file, group, dicts;
  size_t ncols, chunk_rows;
  uint64_t max_rows;
  hid_t *dset;
  size_t *elem;

  /* Compression pool; jobs is a ring: [head, tail) submitted, in order. */
  int nthreads;
  pthread_t *threads;
  int started;
  pthread_mutex_t mu;
  pthread_cond_t work, done;
  job *jobs;
  size_t njobs, head, tail, next; /* next: the first job no worker took */
  int stop;
};

/* ------------------------------------------------------------ compression */

/* HDF5's shuffle: byte b of every element, then byte b+1, ... */
static void shuffle(const unsigned char *in, unsigned char *out, size_t n, size_t elem) {
  for (size_t b = 0; b < elem; b++) {
    unsigned char *o = out + b * n;
    const unsigned char *s = in + b;
    for (size_t k = 0; k < n; k++) o[k] = s[k * elem];
  }
}

static void compress_job(const csv_writer *w, job *j) {
  size_t elem = w->elem[j->col], n = w->chunk_rows, bytes = n * elem;
  const unsigned char *src = j->raw;
  if (elem > 1) {
    shuffle(j->raw, j->shuffled, n, elem);
    src = j->shuffled;
  }
  uLongf packed = (uLongf)j->packed_cap;
  j->failed = compress2(j->packed, &packed, src, (uLong)bytes, w->level) != Z_OK;
  j->bytes = packed;
}

static void *worker(void *arg) {
  csv_writer *w = arg;
  pthread_mutex_lock(&w->mu);
  for (;;) {
    while (!w->stop && w->next == w->tail) pthread_cond_wait(&w->work, &w->mu);
    if (w->next == w->tail) break; /* stopping, nothing left */
    job *j = &w->jobs[w->next++ % w->njobs];
    pthread_mutex_unlock(&w->mu);
    compress_job(w, j);
    pthread_mutex_lock(&w->mu);
    j->state = JOB_DONE;
    pthread_cond_broadcast(&w->done);
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

static void stop_pool(csv_writer *w) {
  if (!w->started) return;
  pthread_mutex_lock(&w->mu);
  w->stop = 1;
  pthread_cond_broadcast(&w->work);
  pthread_mutex_unlock(&w->mu);
  for (int i = 0; i < w->nthreads; i++) pthread_join(w->threads[i], NULL);
  w->started = 0;
}

static strata_status write_failed(const csv_writer *w) {
  char why[512];
  return strata_fail(STRATA_ERR_WRITE, "cannot write '%s': %s", w->out.final_path,
                     strata_h5_error_text(why, sizeof why));
}

/* Waits for the oldest job and writes it. */
static strata_status retire_oldest(csv_writer *w) {
  job *j = &w->jobs[w->head % w->njobs];
  if (w->started) {
    pthread_mutex_lock(&w->mu);
    while (j->state != JOB_DONE) pthread_cond_wait(&w->done, &w->mu);
    pthread_mutex_unlock(&w->mu);
  }
  hsize_t offset = (hsize_t)j->index * w->chunk_rows;
  strata_status st = STRATA_OK;
  if (j->failed) {
    st = strata_fail(STRATA_ERR_NOMEM, "cannot compress a chunk of '%s': out of memory", w->out.final_path);
  } else {
    strata_h5_lock();
    if (H5Dwrite_chunk(w->dset[j->col], H5P_DEFAULT, 0, &offset, j->bytes, j->packed) < 0) st = write_failed(w);
    strata_h5_unlock();
  }
  j->state = JOB_FREE;
  w->head++;
  return st;
}

static strata_status drain(csv_writer *w) {
  while (w->head != w->tail) FORWARD_IF_ERROR(retire_oldest(w));
  return STRATA_OK;
}

static strata_status start_pool(csv_writer *w) {
  size_t raw = w->chunk_rows * sizeof(double);
  w->njobs = (size_t)(w->nthreads > 0 ? 2 * w->nthreads + 2 : 1);
  w->jobs = calloc(w->njobs, sizeof *w->jobs);
  RETURN_IF(!w->jobs, STRATA_ERR_NOMEM, "out of memory writing '%s'", w->out.final_path);
  for (size_t i = 0; i < w->njobs; i++) {
    job *j = &w->jobs[i];
    j->packed_cap = compressBound((uLong)raw);
    j->raw = malloc(raw);
    j->shuffled = malloc(raw);
    j->packed = malloc(j->packed_cap);
    RETURN_IF(!j->raw || !j->shuffled || !j->packed, STRATA_ERR_NOMEM, "out of memory writing '%s'",
              w->out.final_path);
  }
  if (w->nthreads == 0) return STRATA_OK;
  w->threads = calloc((size_t)w->nthreads, sizeof *w->threads);
  RETURN_IF(!w->threads, STRATA_ERR_NOMEM, "out of memory writing '%s'", w->out.final_path);
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->work, NULL);
  pthread_cond_init(&w->done, NULL);
  w->started = 1;
  for (int i = 0; i < w->nthreads; i++)
    if (pthread_create(&w->threads[i], NULL, worker, w) != 0) {
      w->nthreads = i; /* run with the ones that started */
      break;
    }
  if (w->nthreads == 0) w->started = 0;
  return STRATA_OK;
}

static strata_status sink_chunk(void *ctx, size_t col, uint64_t index, const void *data, size_t rows) {
  csv_writer *w = ctx;
  if (w->tail - w->head == w->njobs) FORWARD_IF_ERROR(retire_oldest(w));
  job *j = &w->jobs[w->tail % w->njobs];
  size_t elem = w->elem[col];
  memcpy(j->raw, data, rows * elem);
  /* HDF5 stores edge chunks whole; what lies beyond the extent is unused. */
  memset(j->raw + rows * elem, 0, (w->chunk_rows - rows) * elem);
  j->col = col;
  j->index = index;
  if (!w->started) {
    compress_job(w, j);
    j->state = JOB_DONE;
    w->tail++;
    return retire_oldest(w);
  }
  pthread_mutex_lock(&w->mu);
  j->state = JOB_QUEUED;
  w->tail++;
  pthread_cond_signal(&w->work);
  pthread_mutex_unlock(&w->mu);
  return STRATA_OK;
}

/* ------------------------------------------------------------ layout */

static hid_t storage_type(csv_storage s) {
  switch (s) {
    case CSV_STORE_I8: return H5T_STD_I8LE;
    case CSV_STORE_I16: return H5T_STD_I16LE;
    case CSV_STORE_I32: return H5T_STD_I32LE;
    case CSV_STORE_I64: return H5T_STD_I64LE;
    case CSV_STORE_U8: return H5T_STD_U8LE;
    case CSV_STORE_F32: return H5T_IEEE_F32LE;
    case CSV_STORE_F64: return H5T_IEEE_F64LE;
  }
  return H5T_IEEE_F64LE;
}

/* A group whose links keep their creation order, so columns list in CSV
 * order (io/source_h5.c reads them in that order). */
static hid_t create_group(hid_t loc, const char *path) {
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE), gcpl = H5Pcreate(H5P_GROUP_CREATE), g = -1;
  if (lcpl >= 0 && gcpl >= 0 && H5Pset_create_intermediate_group(lcpl, 1) >= 0 &&
      H5Pset_char_encoding(lcpl, H5T_CSET_UTF8) >= 0 &&
      H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) >= 0)
    g = H5Gcreate2(loc, path, lcpl, gcpl, H5P_DEFAULT);
  strata_h5_close(lcpl);
  strata_h5_close(gcpl);
  return g;
}

static hid_t create_column(const csv_writer *w, const char *name, csv_storage s) {
  hsize_t dims = w->max_rows, maxdims = H5S_UNLIMITED, chunk = w->chunk_rows;
  hid_t space = H5Screate_simple(1, &dims, &maxdims);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), lcpl = H5Pcreate(H5P_LINK_CREATE), d = -1;
  if (space >= 0 && dcpl >= 0 && lcpl >= 0 && H5Pset_chunk(dcpl, 1, &chunk) >= 0 && H5Pset_shuffle(dcpl) >= 0 &&
      H5Pset_deflate(dcpl, (unsigned)w->level) >= 0 && H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) >= 0 &&
      H5Pset_obj_track_times(dcpl, 0) >= 0 && H5Pset_char_encoding(lcpl, H5T_CSET_UTF8) >= 0)
    d = H5Dcreate2(w->group, name, storage_type(s), space, lcpl, dcpl, H5P_DEFAULT);
  strata_h5_close(space);
  strata_h5_close(dcpl);
  strata_h5_close(lcpl);
  return d;
}

strata_status csv_writer_open(const char *path, const char *group, int level, int threads, csv_writer **out) {
  RETURN_IF(!out, STRATA_ERR_USAGE, "csv_writer_open: out is NULL");
  *out = NULL;
  csv_writer *w = calloc(1, sizeof *w);
  RETURN_IF(!w, STRATA_ERR_NOMEM, "out of memory writing '%s'", path ? path : "");
  w->file = w->group = w->dicts = -1;
  w->level = level < 1 ? 1 : level > 9 ? 9 : level;
  if (threads <= 0) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    threads = cores > 0 ? (int)cores : 1;
  }
  w->nthreads = threads > 1 ? threads : 0;
  strata_status st = strata_output_begin(path, &w->out);
  if (st != STRATA_OK) {
    free(w);
    return st;
  }
  if (group && *group && strcmp(group, "/") != 0 && !(w->group_path = strdup(group))) {
    csv_writer_abort(w);
    return strata_fail(STRATA_ERR_NOMEM, "out of memory writing '%s'", path);
  }
  strata_h5_lock();
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  if (fcpl >= 0 && H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) >= 0)
    w->file = H5Fcreate(w->out.tmp_path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  strata_h5_close(fcpl);
  if (w->file >= 0) w->group = w->group_path ? create_group(w->file, w->group_path) : H5Gopen2(w->file, "/", H5P_DEFAULT);
  if (w->group < 0) st = write_failed(w);
  strata_h5_unlock();
  if (st != STRATA_OK) {
    csv_writer_abort(w);
    return st;
  }
  *out = w;
  return STRATA_OK;
}

static strata_status sink_begin(void *ctx, const csv_table *t, uint64_t max_rows, size_t chunk_rows) {
  csv_writer *w = ctx;
  w->max_rows = max_rows;
  w->chunk_rows = chunk_rows;
  w->dset = malloc(t->ncols * sizeof *w->dset);
  w->elem = malloc(t->ncols * sizeof *w->elem);
  RETURN_IF(!w->dset || !w->elem, STRATA_ERR_NOMEM, "out of memory writing '%s'", w->out.final_path);
  for (size_t j = 0; j < t->ncols; j++) {
    w->dset[j] = -1;
    w->elem[j] = csv_storage_size(t->col[j].storage);
    RETURN_IF(strcmp(t->col[j].name, STRATA_DICT_GROUP) == 0, STRATA_ERR_DATA,
              "column name '%s' is reserved for the dictionaries", t->col[j].name);
  }
  w->ncols = t->ncols;
  strata_status st = STRATA_OK;
  int any_categorical = 0;
  strata_h5_lock();
  for (size_t j = 0; j < t->ncols && st == STRATA_OK; j++) {
    const csv_column *c = &t->col[j];
    any_categorical |= c->type == CSV_TYPE_CATEGORICAL;
    w->dset[j] = create_column(w, c->name, c->storage);
    if (w->dset[j] < 0 || strata_h5_write_string(w->dset[j], STRATA_ATTR_TYPE, csv_type_name(c->type)) < 0)
      st = write_failed(w);
  }
  if (st == STRATA_OK && any_categorical && (w->dicts = create_group(w->group, STRATA_DICT_GROUP)) < 0)
    st = write_failed(w);
  strata_h5_unlock();
  if (st == STRATA_OK) st = start_pool(w);
  return st;
}

static strata_status sink_dict(void *ctx, size_t col, const csv_dict *d) {
  csv_writer *w = ctx;
  hsize_t n = d->n;
  const char **slice = malloc((d->n < DICT_SLICE ? d->n : DICT_SLICE) * sizeof *slice + 1);
  RETURN_IF(!slice, STRATA_ERR_NOMEM, "out of memory writing '%s'", w->out.final_path);
  strata_status st = STRATA_OK;
  char name[1024];
  strata_h5_lock();
  hid_t type = strata_h5_utf8_type(), space = H5Screate_simple(1, &n, NULL);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE), dset = -1;
  if (type >= 0 && space >= 0 && lcpl >= 0 && H5Pset_char_encoding(lcpl, H5T_CSET_UTF8) >= 0 &&
      H5Iget_name(w->dset[col], name, sizeof name) > 0) {
    const char *base = strrchr(name, '/');
    dset = H5Dcreate2(w->dicts, base ? base + 1 : name, type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  }
  if (dset < 0) st = write_failed(w);
  for (size_t at = 0; st == STRATA_OK && at < d->n; at += DICT_SLICE) {
    hsize_t start = at, count = d->n - at < DICT_SLICE ? d->n - at : DICT_SLICE;
    for (size_t k = 0; k < count; k++) slice[k] = csv_dict_string(d, at + k);
    hid_t mem = H5Screate_simple(1, &count, NULL);
    if (mem < 0 || H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, NULL, &count, NULL) < 0 ||
        H5Dwrite(dset, type, mem, space, H5P_DEFAULT, slice) < 0)
      st = write_failed(w);
    strata_h5_close(mem);
  }
  strata_h5_close(dset);
  strata_h5_close(lcpl);
  strata_h5_close(space);
  strata_h5_close(type);
  strata_h5_unlock();
  free(slice);
  return st;
}

csv_sink csv_writer_sink(csv_writer *w) {
  csv_sink s = {w, sink_begin, sink_chunk, sink_dict};
  return s;
}

/* ------------------------------------------------------------ finish */

static int write_u64(hid_t obj, const char *name, uint64_t v) {
  return strata_h5_write_scalar(obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v);
}

static int close_all(csv_writer *w) {
  int rc = 0;
  if (w->dset)
    for (size_t j = 0; j < w->ncols; j++) rc |= strata_h5_close(w->dset[j]);
  rc |= strata_h5_close(w->dicts);
  rc |= strata_h5_close(w->group);
  rc |= strata_h5_close(w->file);
  w->dicts = w->group = w->file = -1;
  if (w->dset)
    for (size_t j = 0; j < w->ncols; j++) w->dset[j] = -1;
  return rc;
}

static void free_writer(csv_writer *w) {
  stop_pool(w);
  if (w->jobs)
    for (size_t i = 0; i < w->njobs; i++) {
      free(w->jobs[i].raw);
      free(w->jobs[i].shuffled);
      free(w->jobs[i].packed);
    }
  if (w->threads) {
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->done);
  }
  free(w->jobs);
  free(w->threads);
  free(w->dset);
  free(w->elem);
  free(w->group_path);
  free(w);
}

static strata_status finish_file(csv_writer *w, const csv_table *t, const char *source) {
  FORWARD_IF_ERROR(drain(w));
  strata_status st = STRATA_OK;
  hsize_t rows = t->rows;
  const char *base = source ? strrchr(source, '/') : NULL;
  strata_h5_lock();
  for (size_t j = 0; j < t->ncols && st == STRATA_OK; j++) {
    const csv_column *c = &t->col[j];
    if ((rows != w->max_rows && H5Dset_extent(w->dset[j], &rows) < 0) ||
        write_u64(w->dset[j], STRATA_ATTR_MISSING, c->missing) < 0 ||
        (c->is_id && strata_h5_write_string(w->dset[j], STRATA_ATTR_ROLE, STRATA_ROLE_ID) < 0))
      st = write_failed(w);
  }
  unsigned version = STRATA_FORMAT_VERSION;
  if (st == STRATA_OK &&
      (strata_h5_write_string(w->group, STRATA_ATTR_FORMAT, STRATA_FORMAT_NAME) < 0 ||
       strata_h5_write_scalar(w->group, STRATA_ATTR_FORMAT_VERSION, H5T_STD_U32LE, H5T_NATIVE_UINT, &version) < 0 ||
       write_u64(w->group, STRATA_ATTR_ROWS, t->rows) < 0 ||
       strata_h5_write_string(w->group, STRATA_ATTR_SOURCE, base ? base + 1 : source) < 0))
    st = write_failed(w);
  if (close_all(w) < 0 && st == STRATA_OK) st = write_failed(w);
  strata_h5_unlock();
  return st;
}

strata_status csv_writer_commit(csv_writer *w, const csv_table *t, const char *source) {
  RETURN_IF(!w || !t, STRATA_ERR_USAGE, "csv_writer_commit: NULL argument");
  strata_status st = finish_file(w, t, source);
  if (st != STRATA_OK) {
    csv_writer_abort(w);
    return st;
  }
  st = strata_output_commit(&w->out);
  free_writer(w);
  return st;
}

void csv_writer_abort(csv_writer *w) {
  if (!w) return;
  stop_pool(w);
  strata_h5_lock();
  close_all(w);
  H5Eclear2(H5E_DEFAULT);
  strata_h5_unlock();
  strata_output_abort(&w->out);
  free_writer(w);
}
