/* The labels file (io/labels_writer.h): /segment int32 and /distance
 * float32, one entry per input row, written by hyperslab as chunks arrive,
 * under a temporary name renamed into place on commit. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* fallocate */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "comm.h"
#include "error.h"
#include "h5_util.h"
#include "labels_writer.h"
#include "output_file.h"

/* Layout: contiguous storage allocated when the datasets are created, never
 * filled, and no sieve buffer, so every write goes straight to the file.
 * Uncompressed because speed wins here: writing 20M rows into the page
 * cache ran at 80-150M rows/s plain (contiguous and 64Ki-row chunks alike)
 * against 35-55M rows/s with deflate level 1 on very regular labels and
 * 8-10M rows/s on random ones.  Contiguous because it leaves HDF5 nothing
 * to flush later: with all metadata written at open, a full disk shows up
 * as a failed write, never as a failed H5Fclose.  That matters: HDF5 1.10
 * keeps a file whose close failed in its tables and crashes on it at exit. */

/* Room for the metadata beyond the two columns, for the free-space check. */
#define METADATA_BYTES ((uint64_t)64 << 10)

struct strata_labels_writer {
  strata_output_file out;
  hid_t file, segment, distance, space;
  hid_t probability, pspace; /* rows×k float32, with probabilities (k > 0) */
  size_t rows, k;
  size_t written; /* rows written so far; commit requires every row once */
  /* Memory mode (strata_labels_writer_memory): the caller's arrays instead
   * of a file; file and its ids stay -1 and out stays empty. */
  int32_t *mem_segment;
  float *mem_distance;
  float *mem_probability; /* rows×k, or NULL */
  /* Several ranks: rank 0 holds the file; another rank keeps its rows
   * [first, end) here until finish sends them to rank 0. */
  const strata_comm *comm;
  size_t first, end;
  int32_t *part_seg;
  float *part_dist;
  float *part_prob; /* (end - first)×k, with probabilities */
};

static hid_t create_column(hid_t file, const char *name, hid_t file_type, size_t rows) {
  hsize_t dims = rows;
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hid_t space = H5Screate_simple(1, &dims, NULL);
  hid_t dset = -1;
  if (dcpl >= 0 && space >= 0 && H5Pset_layout(dcpl, H5D_CONTIGUOUS) >= 0 &&
      H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) >= 0 && H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) >= 0)
    dset = H5Dcreate2(file, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  strata_h5_close(space);
  strata_h5_close(dcpl);
  return dset;
}

/* Creates the file, its datasets and attributes, and writes the metadata
 * out at once.  Caller holds the lock. */
static int create_file(strata_labels_writer *w) {
  const uint64_t rows = w->rows;
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0 || H5Pset_sieve_buf_size(fapl, 0) < 0) {
    strata_h5_close(fapl);
    return -1;
  }
  w->file = H5Fcreate(w->out.tmp_path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  if (w->file < 0) return -1;
  if (strata_h5_write_string(w->file, "format", "strata-labels") < 0 ||
      strata_h5_write_scalar(w->file, "rows", H5T_STD_U64LE, H5T_NATIVE_UINT64, &rows) < 0)
    return -1;
  w->segment = create_column(w->file, "segment", H5T_STD_I32LE, w->rows);
  w->distance = create_column(w->file, "distance", H5T_IEEE_F32LE, w->rows);
  if (w->segment < 0 || w->distance < 0 || (w->space = H5Dget_space(w->segment)) < 0) return -1;
  if (w->k > 0) {
    hsize_t dims[2] = {w->rows, w->k};
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    w->pspace = H5Screate_simple(2, dims, NULL);
    if (dcpl >= 0 && w->pspace >= 0 && H5Pset_layout(dcpl, H5D_CONTIGUOUS) >= 0 &&
        H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) >= 0 && H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) >= 0)
      w->probability = H5Dcreate2(w->file, "probability", H5T_IEEE_F32LE, w->pspace, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    strata_h5_close(dcpl);
    if (w->probability < 0) return -1;
  }
  return H5Fflush(w->file, H5F_SCOPE_LOCAL) < 0 ? -1 : 0;
}

/* Checked before HDF5 writes anything, since a file HDF5 fails to flush
 * cannot be closed safely: the process file-size limit, and free space. */
static strata_status check_room(const strata_labels_writer *w, const char *path) {
  uint64_t need = (uint64_t)w->rows * (sizeof(int32_t) + sizeof(float) * (1 + w->k)) + METADATA_BYTES;
  struct rlimit limit;
  if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && need > limit.rlim_cur)
    return strata_fail(STRATA_ERR_WRITE, "cannot write '%s': %s (%llu bytes needed, the limit is %llu)", path,
                       strerror(EFBIG), (unsigned long long)need, (unsigned long long)limit.rlim_cur);
  struct statvfs fs;
  if (statvfs(w->out.tmp_path, &fs) == 0) {
    /* Root may use the blocks reserved for it. */
    uint64_t blocks = geteuid() == 0 ? (uint64_t)fs.f_bfree : (uint64_t)fs.f_bavail;
    uint64_t free_bytes = blocks * (uint64_t)fs.f_frsize;
    RETURN_IF(free_bytes < need, STRATA_ERR_WRITE, "cannot write '%s': %s (%.1f MiB needed, %.1f MiB free)",
              path, strerror(ENOSPC), (double)need / (1 << 20), (double)free_bytes / (1 << 20));
  }
  return STRATA_OK;
}

/* Allocates the file's blocks now, so that a disk filled by someone else
 * during a long fit cannot fail the writes.  File systems without
 * fallocate keep the free-space check only. */
static strata_status reserve_blocks(const strata_labels_writer *w, const char *path) {
  int fd = open(w->out.tmp_path, O_WRONLY | O_CLOEXEC);
  int err = fd < 0 ? errno : 0;
  struct stat sb;
  if (!err && fstat(fd, &sb) != 0) err = errno;
  if (!err && sb.st_size > 0 && fallocate(fd, 0, 0, sb.st_size) != 0 && errno != EOPNOTSUPP &&
      errno != ENOSYS)
    err = errno;
  if (fd >= 0) close(fd);
  RETURN_IF(err, STRATA_ERR_WRITE, "cannot write '%s': %s", path, strerror(err));
  return STRATA_OK;
}

/* Closes every id; returns -1 if any close failed. */
static int close_all(strata_labels_writer *w) {
  int rc = 0;
  rc |= strata_h5_close(w->space);
  rc |= strata_h5_close(w->segment);
  rc |= strata_h5_close(w->distance);
  rc |= strata_h5_close(w->probability);
  rc |= strata_h5_close(w->pspace);
  rc |= strata_h5_close(w->file);
  w->space = w->segment = w->distance = w->probability = w->pspace = w->file = -1;
  return rc;
}

strata_status strata_labels_writer_open(const char *path, size_t rows, strata_labels_writer **out) {
  return strata_labels_writer_open_soft(path, rows, 0, out);
}

strata_status strata_labels_writer_open_soft(const char *path, size_t rows, size_t k, strata_labels_writer **out) {
  RETURN_IF(!out, STRATA_ERR_USAGE, "strata_labels_writer_open: out is NULL");
  *out = NULL;
  strata_labels_writer *w = calloc(1, sizeof *w);
  RETURN_IF(!w, STRATA_ERR_NOMEM, "out of memory opening '%s'", path ? path : "");
  w->file = w->segment = w->distance = w->space = w->probability = w->pspace = -1;
  w->rows = rows;
  w->k = k;
  strata_status st = strata_output_begin(path, &w->out);
  if (st != STRATA_OK) {
    free(w);
    return st;
  }
  char why[512];
  st = check_room(w, path);
  if (st == STRATA_OK) {
    strata_h5_lock();
    if (create_file(w) < 0)
      st =
          strata_fail(STRATA_ERR_WRITE, "cannot write '%s': %s", path, strata_h5_error_text(why, sizeof why));
    strata_h5_unlock();
  }
  if (st == STRATA_OK) st = reserve_blocks(w, path);
  if (st != STRATA_OK) {
    strata_labels_writer_abort(w);
    return st;
  }
  *out = w;
  return STRATA_OK;
}

strata_status strata_labels_writer_memory(size_t rows, int32_t *segment, float *distance,
                                          strata_labels_writer **out) {
  return strata_labels_writer_memory_soft(rows, 0, segment, distance, NULL, out);
}

strata_status strata_labels_writer_memory_soft(size_t rows, size_t k, int32_t *segment, float *distance,
                                               float *probability, strata_labels_writer **out) {
  RETURN_IF(!out || (rows && !segment), STRATA_ERR_USAGE, "strata_labels_writer_memory: NULL argument");
  *out = NULL;
  strata_labels_writer *w = calloc(1, sizeof *w);
  RETURN_IF(!w, STRATA_ERR_NOMEM, "out of memory");
  w->file = w->segment = w->distance = w->space = w->probability = w->pspace = -1;
  w->rows = rows;
  w->mem_segment = segment;
  w->mem_distance = distance;
  w->mem_probability = probability;
  w->k = probability ? k : 0;
  *out = w;
  return STRATA_OK;
}

strata_status strata_labels_writer_open_ranks(const char *path, size_t rows, const strata_comm *comm, size_t first,
                                              size_t end, strata_labels_writer **out) {
  return strata_labels_writer_open_ranks_soft(path, rows, 0, comm, first, end, out);
}

strata_status strata_labels_writer_open_ranks_soft(const char *path, size_t rows, size_t k, const strata_comm *comm,
                                                   size_t first, size_t end, strata_labels_writer **out) {
  RETURN_IF(!out, STRATA_ERR_USAGE, "strata_labels_writer_open_ranks: out is NULL");
  *out = NULL;
  RETURN_IF(first > end || end > rows, STRATA_ERR_USAGE, "rows [%zu, %zu) are not a range of %zu", first, end, rows);
  strata_labels_writer *w = NULL;
  if (strata_comm_rank(comm) == 0) {
    FORWARD_IF_ERROR(strata_labels_writer_open_soft(path, rows, k, &w));
  } else {
    w = calloc(1, sizeof *w);
    RETURN_IF(!w, STRATA_ERR_NOMEM, "out of memory for labels");
    w->file = w->segment = w->distance = w->space = w->probability = w->pspace = -1;
    w->rows = rows;
    w->k = k;
    size_t n = end - first ? end - first : 1;
    w->part_seg = malloc(n * sizeof *w->part_seg);
    w->part_dist = malloc(n * sizeof *w->part_dist);
    if (k) w->part_prob = malloc(n * k * sizeof *w->part_prob);
    if (!w->part_seg || !w->part_dist || (k && !w->part_prob)) {
      strata_labels_writer_abort(w);
      return strata_fail(STRATA_ERR_NOMEM, "out of memory for the labels of %zu rows", end - first);
    }
  }
  w->comm = strata_comm_size(comm) > 1 ? comm : NULL;
  w->first = first;
  w->end = end;
  *out = w;
  return STRATA_OK;
}

static int holds_file(const strata_labels_writer *w) { return strata_comm_rank(w->comm) == 0; }

strata_status strata_labels_writer_write(strata_labels_writer *w, size_t row0, size_t rows,
                                         const int32_t *segment, const float *distance) {
  RETURN_IF(!w || (rows && (!segment || !distance)), STRATA_ERR_USAGE,
            "strata_labels_writer_write: NULL argument");
  if (!holds_file(w)) {
    RETURN_IF(row0 < w->first || row0 > w->end || rows > w->end - row0, STRATA_ERR_INTERNAL,
              "rows %zu-%zu are not this rank's (%zu-%zu)", row0, row0 + rows - 1, w->first, w->end - 1);
    memcpy(w->part_seg + (row0 - w->first), segment, rows * sizeof *segment);
    memcpy(w->part_dist + (row0 - w->first), distance, rows * sizeof *distance);
    w->written += rows;
    return STRATA_OK;
  }
  RETURN_IF(row0 > w->rows || rows > w->rows - row0, STRATA_ERR_USAGE,
            "rows %zu-%zu are outside the labels file '%s' (%zu rows)", row0, row0 + rows - 1,
            w->out.final_path, w->rows);
  if (rows == 0) return STRATA_OK;
  if (w->mem_segment) {
    memcpy(w->mem_segment + row0, segment, rows * sizeof *segment);
    if (w->mem_distance) memcpy(w->mem_distance + row0, distance, rows * sizeof *distance);
    w->written += rows;
    return STRATA_OK;
  }

  hsize_t start = row0, count = rows;
  strata_status st = STRATA_OK;
  char why[512];
  strata_h5_lock();
  hid_t mem = H5Screate_simple(1, &count, NULL);
  if (mem < 0 || H5Sselect_hyperslab(w->space, H5S_SELECT_SET, &start, NULL, &count, NULL) < 0 ||
      H5Dwrite(w->segment, H5T_NATIVE_INT32, mem, w->space, H5P_DEFAULT, segment) < 0 ||
      H5Dwrite(w->distance, H5T_NATIVE_FLOAT, mem, w->space, H5P_DEFAULT, distance) < 0)
    st = strata_fail(STRATA_ERR_WRITE, "cannot write '%s': %s", w->out.final_path,
                     strata_h5_error_text(why, sizeof why));
  strata_h5_close(mem);
  strata_h5_unlock();
  if (st == STRATA_OK) w->written += rows;
  return st;
}

size_t strata_labels_writer_soft(const strata_labels_writer *w) { return w ? w->k : 0; }

strata_status strata_labels_writer_write_probabilities(strata_labels_writer *w, size_t row0, size_t rows,
                                                       const float *prob) {
  RETURN_IF(!w || !w->k || (rows && !prob), STRATA_ERR_USAGE, "strata_labels_writer_write_probabilities: "
            "NULL argument or a file without probabilities");
  RETURN_IF(row0 > w->rows || rows > w->rows - row0, STRATA_ERR_USAGE,
            "rows %zu-%zu are outside the labels file '%s' (%zu rows)", row0, row0 + rows - 1,
            w->out.final_path, w->rows);
  if (rows == 0) return STRATA_OK;
  if (!holds_file(w)) {
    RETURN_IF(row0 < w->first || rows > w->end - row0, STRATA_ERR_INTERNAL,
              "rows %zu-%zu are not this rank's (%zu-%zu)", row0, row0 + rows - 1, w->first, w->end - 1);
    memcpy(w->part_prob + (row0 - w->first) * w->k, prob, rows * w->k * sizeof *prob);
    return STRATA_OK;
  }
  if (w->mem_probability) {
    memcpy(w->mem_probability + row0 * w->k, prob, rows * w->k * sizeof *prob);
    return STRATA_OK;
  }
  hsize_t start[2] = {row0, 0}, count[2] = {rows, w->k};
  strata_status st = STRATA_OK;
  char why[512];
  strata_h5_lock();
  hid_t mem = H5Screate_simple(2, count, NULL);
  if (mem < 0 || H5Sselect_hyperslab(w->pspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
      H5Dwrite(w->probability, H5T_NATIVE_FLOAT, mem, w->pspace, H5P_DEFAULT, prob) < 0)
    st = strata_fail(STRATA_ERR_WRITE, "cannot write '%s': %s", w->out.final_path,
                     strata_h5_error_text(why, sizeof why));
  strata_h5_close(mem);
  strata_h5_unlock();
  return st;
}

/* What a rank sends rank 0 ahead of its rows. */
typedef struct {
  uint64_t ok, first, end;
} part_header;

/* Rows per message: rank 0's receive buffer, whatever a part's size
 * (probabilities: PART_PIECE values, PART_PIECE / k rows). */
#define PART_PIECE ((size_t)1 << 20)

static size_t prob_piece_rows(size_t k) { return PART_PIECE / k ? PART_PIECE / k : 1; }

/* Rank 0: every other rank's rows into the file, in rank order, a piece at
 * a time.  It takes every piece even after a failure, so that no sender
 * waits forever. */
static strata_status gather_parts(strata_labels_writer *w) {
  strata_status st = STRATA_OK;
  int32_t *seg = malloc(PART_PIECE * sizeof *seg);
  float *dist = malloc(PART_PIECE * sizeof *dist);
  float *prob = w->k ? malloc(prob_piece_rows(w->k) * w->k * sizeof *prob) : NULL;
  /* Without the buffer the parts cannot be drained: end the job rather
   * than leave the senders waiting. */
  if (!seg || !dist || (w->k && !prob)) {
    strata_fail(STRATA_ERR_NOMEM, "out of memory for the labels");
    strata_comm_abort(w->comm, 1);
  }
  for (int q = 1; q < strata_comm_size(w->comm); q++) {
    part_header h;
    strata_status rst = strata_comm_recv(w->comm, q, &h, sizeof h);
    for (size_t at = h.first; rst == STRATA_OK && h.ok && at < h.end; at += PART_PIECE) {
      size_t n = h.end - at < PART_PIECE ? h.end - at : PART_PIECE;
      rst = strata_comm_recv(w->comm, q, seg, n * sizeof *seg);
      if (rst == STRATA_OK) rst = strata_comm_recv(w->comm, q, dist, n * sizeof *dist);
      if (rst == STRATA_OK && st == STRATA_OK) st = strata_labels_writer_write(w, at, n, seg, dist);
    }
    for (size_t at = h.first; rst == STRATA_OK && h.ok && w->k && at < h.end; at += prob_piece_rows(w->k)) {
      size_t n = h.end - at < prob_piece_rows(w->k) ? h.end - at : prob_piece_rows(w->k);
      rst = strata_comm_recv(w->comm, q, prob, n * w->k * sizeof *prob);
      if (rst == STRATA_OK && st == STRATA_OK) st = strata_labels_writer_write_probabilities(w, at, n, prob);
    }
    if (rst != STRATA_OK) {
      st = rst;
      break;
    }
  }
  free(seg);
  free(dist);
  free(prob);
  return st;
}

/* Another rank: its rows to rank 0, in the pieces rank 0 receives. */
static strata_status send_part(strata_labels_writer *w) {
  part_header h = {w->written == w->end - w->first, w->first, w->end};
  FORWARD_IF_ERROR(strata_comm_send(w->comm, 0, &h, sizeof h));
  if (!h.ok) return strata_fail(STRATA_ERR_INTERNAL, "labels of rows %zu-%zu incomplete: %zu written", w->first,
                                w->end - 1, w->written);
  for (size_t at = w->first; at < w->end; at += PART_PIECE) {
    size_t n = w->end - at < PART_PIECE ? w->end - at : PART_PIECE;
    FORWARD_IF_ERROR(strata_comm_send(w->comm, 0, w->part_seg + (at - w->first), n * sizeof *w->part_seg));
    FORWARD_IF_ERROR(strata_comm_send(w->comm, 0, w->part_dist + (at - w->first), n * sizeof *w->part_dist));
  }
  for (size_t at = w->first; w->k && at < w->end; at += prob_piece_rows(w->k)) {
    size_t n = w->end - at < prob_piece_rows(w->k) ? w->end - at : prob_piece_rows(w->k);
    FORWARD_IF_ERROR(
        strata_comm_send(w->comm, 0, w->part_prob + (at - w->first) * w->k, n * w->k * sizeof *w->part_prob));
  }
  return STRATA_OK;
}

strata_status strata_labels_writer_finish(strata_labels_writer *w, strata_output_file *out) {
  RETURN_IF(!w || !out, STRATA_ERR_USAGE, "strata_labels_writer_finish: NULL argument");
  out->final_path = out->tmp_path = NULL;
  strata_status st = STRATA_OK;
  char why[512];
  if (w->comm) {
    /* A collective: parts meet at rank 0, then every rank learns whether the
     * file is whole.  Only rank 0 has a file to hand over. */
    const strata_comm *comm = w->comm;
    if (!holds_file(w)) {
      st = strata_comm_agree(comm, send_part(w));
      strata_labels_writer_abort(w);
      return st;
    }
    st = gather_parts(w);
    w->comm = NULL;
    if (st != STRATA_OK) {
      strata_labels_writer_abort(w);
      return strata_comm_agree(comm, st);
    }
    st = strata_labels_writer_finish(w, out);
    return strata_comm_agree(comm, st);
  }
  strata_h5_lock();
  if (close_all(w) < 0)
    st = strata_fail(STRATA_ERR_WRITE, "cannot write '%s': %s", w->out.final_path,
                     strata_h5_error_text(why, sizeof why));
  strata_h5_unlock();
  if (st == STRATA_OK && w->written != w->rows)
    st = strata_fail(STRATA_ERR_INTERNAL, "labels file '%s' is incomplete: %zu of %zu rows written",
                     w->out.final_path, w->written, w->rows);
  if (st == STRATA_OK)
    *out = w->out;
  else
    strata_output_abort(&w->out);
  free(w);
  return st;
}

strata_status strata_labels_writer_commit(strata_labels_writer *w) {
  strata_output_file out;
  FORWARD_IF_ERROR(strata_labels_writer_finish(w, &out));
  if (!out.tmp_path) return STRATA_OK; /* memory mode: nothing to rename */
  return strata_output_commit(&out);
}

void strata_labels_writer_abort(strata_labels_writer *w) {
  if (!w) return;
  free(w->part_seg);
  free(w->part_dist);
  free(w->part_prob);
  if (!holds_file(w)) {
    free(w);
    return;
  }
  strata_h5_lock();
  close_all(w);
  H5Eclear2(H5E_DEFAULT);
  strata_h5_unlock();
  strata_output_abort(&w->out);
  free(w);
}
