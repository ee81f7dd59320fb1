/* Streaming holds chunks, not files: a file several times larger than the
 * cursor's buffers is read with a small chunk while the peak resident set
 * grows by far less than the file, and every row arrives intact. */
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "check.h"
#include "cursor.h"
#include "io_fixture.h"
#include "strata.h"

#define ROWS ((size_t)3000000)
#define COLS 8
#define FILE_CHUNK ((hsize_t)65536)
#define CURSOR_CHUNK ((size_t)16384)
#define MAX_GROWTH_KB (32 * 1024)

/* Integers below 2^24, exact in float32. */
static float value(size_t i, size_t j) { return (float)((i * 131 + j * 7919) % 1000003); }

/* Written block by block so that making the file does not itself raise the
 * peak we are about to measure. */
static void write_file(const char *path) {
  static float block[FILE_CHUNK];
  hid_t f = fx_create(path);
  hsize_t n = ROWS;
  for (size_t j = 0; j < COLS; j++) {
    char name[8];
    snprintf(name, sizeof name, "f%zu", j);
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hsize_t chunk = FILE_CHUNK;
    H5Pset_chunk(dcpl, 1, &chunk);
    hid_t d = H5Dcreate2(f, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    for (hsize_t row0 = 0; row0 < n; row0 += FILE_CHUNK) {
      hsize_t count = n - row0 < FILE_CHUNK ? n - row0 : FILE_CHUNK;
      for (hsize_t i = 0; i < count; i++) block[i] = value((size_t)(row0 + i), j);
      hid_t mem = H5Screate_simple(1, &count, NULL);
      H5Sselect_hyperslab(space, H5S_SELECT_SET, &row0, NULL, &count, NULL);
      if (H5Dwrite(d, H5T_NATIVE_FLOAT, mem, space, H5P_DEFAULT, block) < 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
      }
      H5Sclose(mem);
    }
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(space);
  }
  H5Fclose(f);
}

/* Peak resident set in KiB.  Writing "5" to clear_refs resets the peak to
 * the current size (Linux >= 4.0), which isolates the streaming phase. */
static long peak_rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
  if (f) fclose(f);
  if (kb < 0) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    kb = ru.ru_maxrss;
  }
  return kb;
}

static void reset_peak(void) {
  FILE *f = fopen("/proc/self/clear_refs", "w");
  if (f) {
    fputs("5", f);
    fclose(f);
  }
}

int main(void) {
  const char *path = fx_path("cursor_memory.h5");
  write_file(path);

  reset_peak();
  long before = peak_rss_kb();
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);

  strata_dataset *ds = NULL;
  strata_cursor *cur = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));
  if (ds) CHECK_OK(strata_cursor_open(ds, CURSOR_CHUNK, 1, &cur));
  size_t rows = 0, wrong = 0;
  double sum = 0, want_sum = 0;
  strata_chunk ch;
  while (cur && strata_cursor_next(cur, &ch) == STRATA_OK && ch.rows > 0) {
    CHECK(ch.row0 == rows && ch.cols == COLS);
    for (size_t i = 0; i < ch.rows; i++)
      for (size_t j = 0; j < COLS; j++) {
        float want = value(ch.row0 + i, j);
        wrong += ch.data[i * COLS + j] != want;
        sum += ch.data[i * COLS + j];
        want_sum += want;
      }
    rows += ch.rows;
  }
  strata_cursor_close(cur);
  strata_dataset_free(ds);

  clock_gettime(CLOCK_MONOTONIC, &t1);
  long growth = peak_rss_kb() - before;
  double seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  double file_mb = (double)(ROWS * COLS * sizeof(float)) / (1 << 20);
  printf("streamed %zu rows x %d (%.0f MiB) in %.3f s; peak RSS grew by %ld KiB\n", rows, COLS, file_mb,
         seconds, growth);

  CHECK(rows == ROWS);
  CHECK_MSG(wrong == 0, "%zu wrong values", wrong);
  CHECK(sum == want_sum);
  CHECK_MSG(growth < MAX_GROWTH_KB, "peak RSS grew by %ld KiB for a %.0f MiB file", growth, file_mb);
  unlink(path);
  return check_report();
}
