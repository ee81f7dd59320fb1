/* strata_h5_read (io/h5_filtered.c) against H5Dread, its oracle: the same
 * bytes for every element type, memory type, filter pipeline, chunk shape
 * and row range; and a chunk that does not inflate to its shape's bytes
 * (the fuzzed file on which HDF5 1.10 read past its buffer) is a read
 * error on every path, naming the chunk. */
#include <hdf5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "h5_util.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static char path[512];

/* The values: integers of every size and sign, floats with NaN, huge
 * ones (a float64 past float32's range), denormals. */
static void fill(unsigned char *buf, size_t n, hid_t type) {
  const size_t size = H5Tget_size(type);
  const int is_float = H5Tget_class(type) == H5T_FLOAT;
  for (size_t i = 0; i < n; i++) {
    unsigned char *at = buf + i * size;
    uint64_t r = next();
    if (is_float && size == 8) {
      double v = (double)(int64_t)(r >> 11) * 1e-6;
      if (i % 97 == 3) v = 1e300;
      if (i % 89 == 5) v = 0.0 / 0.0;
      if (i % 83 == 7) v = 4.9e-324;
      memcpy(at, &v, 8);
    } else if (is_float) {
      float v = (float)(int32_t)(r >> 32) * 1e-3f;
      if (i % 89 == 5) v = 0.0f / 0.0f;
      memcpy(at, &v, 4);
    } else {
      memcpy(at, &r, size);
    }
  }
}

typedef struct {
  const char *name;
  int shuffle, deflate, fletcher;
} pipeline;

/* A dataset of `rank` (1 or 2: rows x cols) written in the file type, with
 * the pipeline; returns it open, or -1. */
static hid_t make(hid_t file, const char *name, hid_t ftype, int rank, hsize_t rows, hsize_t cols,
                  const hsize_t *chunk, const pipeline *p) {
  /* Unlimited rows: a chunk may be longer than the extent. */
  hsize_t dims[2] = {rows, cols}, maxdims[2] = {H5S_UNLIMITED, cols};
  hid_t space = H5Screate_simple(rank, dims, maxdims), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, rank, chunk);
  if (p->shuffle) H5Pset_shuffle(dcpl);
  if (p->deflate) H5Pset_deflate(dcpl, 4);
  if (p->fletcher) H5Pset_fletcher32(dcpl);
  hid_t d = H5Dcreate2(file, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  size_t n = (size_t)(rows * (rank == 2 ? cols : 1));
  unsigned char *buf = malloc(n * H5Tget_size(ftype) + 1);
  fill(buf, n, ftype);
  CHECK(d >= 0 && H5Dwrite(d, ftype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
  free(buf);
  H5Pclose(dcpl);
  H5Sclose(space);
  return d;
}

/* Rows [first, first + count) of d in mem_type by both readers: the same
 * bytes (NaNs included: both convert the same way). */
static void compare(hid_t d, int rank, hsize_t cols, hid_t mem_type, hsize_t first, hsize_t count, const char *what) {
  hid_t fspace = H5Dget_space(d);
  hsize_t start[2] = {first, 0}, n[2] = {count, cols};
  H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, n, NULL);
  hid_t mspace = H5Screate_simple(rank, n, NULL);
  size_t bytes = (size_t)(count * (rank == 2 ? cols : 1)) * H5Tget_size(mem_type);
  unsigned char *a = malloc(bytes + 1), *b = malloc(bytes + 1);
  memset(a, 0xA5, bytes);
  memset(b, 0x5A, bytes);
  herr_t ra = H5Dread(d, mem_type, mspace, fspace, H5P_DEFAULT, a);
  herr_t rb = strata_h5_read(d, mem_type, mspace, fspace, b);
  CHECK_MSG(ra >= 0 && rb >= 0, "%s: rows %llu+%llu: H5Dread %d, strata_h5_read %d", what, (unsigned long long)first,
            (unsigned long long)count, (int)ra, (int)rb);
  CHECK_MSG(memcmp(a, b, bytes) == 0, "%s: rows %llu+%llu differ", what, (unsigned long long)first,
            (unsigned long long)count);
  free(a);
  free(b);
  H5Sclose(mspace);
  H5Sclose(fspace);
}

static void test_agrees_with_h5dread(void) {
  const hid_t ftypes[] = {H5T_STD_I8LE,  H5T_STD_U8LE,  H5T_STD_I16BE, H5T_STD_U16LE, H5T_STD_I32LE,
                          H5T_STD_U32BE, H5T_STD_I64LE, H5T_STD_U64LE, H5T_IEEE_F32LE, H5T_IEEE_F32BE,
                          H5T_IEEE_F64LE, H5T_IEEE_F64BE};
  const hid_t mtypes[] = {H5T_NATIVE_FLOAT, H5T_NATIVE_DOUBLE, H5T_NATIVE_INT32, H5T_NATIVE_INT64};
  const pipeline pipes[] = {{"deflate", 0, 1, 0},
                            {"shuffle+deflate", 1, 1, 0},
                            {"shuffle+deflate+fletcher32", 1, 1, 1},
                            {"fletcher32+deflate", 0, 1, 1},
                            {"shuffle", 1, 0, 0},
                            {"none", 0, 0, 0}};
  hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  CHECK(file >= 0);
  int made = 0;
  for (size_t t = 0; t < sizeof ftypes / sizeof ftypes[0]; t++)
    for (size_t p = 0; p < sizeof pipes / sizeof pipes[0]; p++)
      for (int shape = 0; shape < 4; shape++) {
        /* 1-D; 2-D in chunks of whole rows; 2-D in chunks of part of a row
         * (the checked H5Dread path); a chunk longer than the extent. */
        const int rank = shape == 0 || shape == 3 ? 1 : 2;
        const hsize_t rows = 1 + next() % 700, cols = rank == 2 ? 1 + next() % 9 : 1;
        hsize_t chunk[2] = {1 + next() % 97, cols};
        if (shape == 2) chunk[1] = cols > 1 ? cols - 1 : 1;
        if (shape == 3) chunk[0] = rows + 1 + next() % 50;
        char name[64];
        snprintf(name, sizeof name, "d%d", made++);
        strata_h5_lock();
        hid_t d = make(file, name, ftypes[t], rank, rows, cols, chunk, &pipes[p]);
        char what[160];
        for (size_t m = 0; m < sizeof mtypes / sizeof mtypes[0]; m++) {
          snprintf(what, sizeof what, "%s type %zu rank %d %llux%llu chunk %llux%llu mem %zu", pipes[p].name, t, rank,
                   (unsigned long long)rows, (unsigned long long)cols, (unsigned long long)chunk[0],
                   (unsigned long long)chunk[1], m);
          compare(d, rank, cols, mtypes[m], 0, rows, what);
          /* Row ranges inside one chunk, across chunks, the last rows: a
           * chunk is taken in parts (the cache). */
          for (int k = 0; k < 3; k++) {
            hsize_t first = next() % rows, count = 1 + next() % (rows - first);
            compare(d, rank, cols, mtypes[m], first, count, what);
          }
          compare(d, rank, cols, mtypes[m], rows - 1, 1, what);
        }
        /* H5S_ALL on both sides. */
        size_t bytes = (size_t)(rows * cols) * sizeof(double);
        double *a = malloc(bytes), *b = malloc(bytes);
        CHECK(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a) >= 0);
        CHECK(strata_h5_read(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, b) >= 0);
        CHECK_MSG(memcmp(a, b, bytes) == 0, "%s: H5S_ALL differs", what);
        free(a);
        free(b);
        H5Dclose(d);
        strata_h5_unlock();
      }
  /* No rows at all, through the decoding path (float32 in a shuffled,
   * deflated chunk) and H5S_ALL. */
  strata_h5_lock();
  hsize_t chunk[2] = {8, 1};
  hid_t d = make(file, "empty", H5T_IEEE_F32LE, 1, 0, 1, chunk, &pipes[1]);
  double none[1];
  CHECK(strata_h5_read(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, none) >= 0);
  CHECK(strata_h5_read(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, none) >= 0);
  H5Dclose(d);
  strata_h5_unlock();
  H5Fclose(file);
}

/* A deflated dataset whose chunk at `bad_row` is replaced by a zlib stream
 * of `bytes` bytes (its shape holds chunk x cols x 4): fewer is the fuzzed
 * file; more and a cut stream are refused too. */
static void corrupt_case(int shuffle, int fletcher, int rank, hsize_t cols, hsize_t chunk_cols, size_t bytes,
                         int cut, const char *expect) {
  const hsize_t rows = 40, chunk_rows = 16, bad_row = 16;
  hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  pipeline p = {"corrupt", shuffle, 1, fletcher};
  hsize_t chunk[2] = {chunk_rows, chunk_cols};
  strata_h5_lock();
  hid_t d = make(file, "x", H5T_IEEE_F32LE, rank, rows, cols, chunk, &p);
  /* Written raw, as the fuzzer's mutation left it. */
  unsigned char *plain = calloc(bytes + 1, 1), *packed = malloc(compressBound((uLong)bytes) + 8);
  uLongf n = compressBound((uLong)bytes);
  CHECK(compress2(packed, &n, plain, (uLong)bytes, 4) == Z_OK);
  if (cut) n /= 2;
  if (fletcher) {
    memset(packed + n, 0, 4); /* never verified: the size is refused first */
    n += 4;
  }
  hsize_t at[2] = {bad_row, 0};
  CHECK(H5Dwrite_chunk(d, H5P_DEFAULT, 0, at, n, packed) >= 0);
  hid_t fspace = H5Dget_space(d);
  hsize_t start[2] = {0, 0}, count[2] = {rows, cols};
  H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL);
  hid_t mspace = H5Screate_simple(rank, count, NULL);
  float *out = malloc(sizeof(float) * rows * cols);
  CHECK(strata_h5_read(d, H5T_NATIVE_FLOAT, mspace, fspace, out) < 0);
  char why[512];
  strata_h5_error_text(why, sizeof why);
  CHECK_MSG(strstr(why, expect) != NULL, "shuffle %d fletcher %d rank %d: '%s' lacks '%s'", shuffle, fletcher, rank,
            why, expect);
  /* Rows before the bad chunk read fine. */
  hsize_t ok_count[2] = {bad_row, cols};
  H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, ok_count, NULL);
  hid_t ok_space = H5Screate_simple(rank, ok_count, NULL);
  CHECK(strata_h5_read(d, H5T_NATIVE_FLOAT, ok_space, fspace, out) >= 0);
  free(out);
  free(plain);
  free(packed);
  H5Sclose(ok_space);
  H5Sclose(mspace);
  H5Sclose(fspace);
  H5Dclose(d);
  H5Fclose(file);
  strata_h5_unlock();
}

static void test_chunk_of_another_size(void) {
  const size_t shape = 16 * 3 * 4;
  /* The strata path: chunks of whole rows, deflate after an optional shuffle. */
  corrupt_case(0, 0, 2, 3, 3, 20, 0, "the chunk at row 16 holds fewer than the 192 bytes of its shape");
  corrupt_case(1, 0, 2, 3, 3, 20, 0, "the chunk at row 16 holds fewer than the 192 bytes of its shape");
  corrupt_case(1, 0, 2, 3, 3, shape + 8, 0, "the chunk at row 16 holds more than the 192 bytes of its shape");
  corrupt_case(1, 0, 2, 3, 3, shape, 1, "the chunk at row 16 has a corrupt or cut deflate stream");
  corrupt_case(0, 0, 1, 1, 1, 20, 0, "the chunk at row 16 holds fewer than the 64 bytes of its shape");
  /* The checked H5Dread path: a checksum, chunks of part of a row. */
  corrupt_case(1, 1, 2, 3, 3, 20, 0, "the chunk at row 16 does not inflate to the 192 bytes of its shape");
  corrupt_case(0, 0, 2, 3, 2, 20, 0, "the chunk at row 16 does not inflate to the 128 bytes of its shape");
  corrupt_case(0, 0, 2, 3, 2, 16 * 2 * 4, 1, "the chunk at row 16 does not inflate to the 128 bytes of its shape");
}

int main(void) {
  const char *tmp = getenv("STRATA_TEST_TMP");
  snprintf(path, sizeof path, "%s/h5_read_%d.h5", tmp ? tmp : "/tmp", (int)getpid());
  test_agrees_with_h5dread();
  test_chunk_of_another_size();
  remove(path);
  return check_report();
}
