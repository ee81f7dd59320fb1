/* Streaming holds chunks, not files: a file several times larger than the
 * cursor's buffers is read with a small chunk while the peak resident set
 * grows by far less than the file, and every row arrives intact.
 *
 * Measured at two sizes, the second four times the first: memory that grows
 * with the rows (a per-row array, a copy of a column) shows as growth that
 * rises between the two, even where it stays below the bound at one size.
 * Each size is streamed in a fresh process (this binary run as
 * `test_cursor_memory measure FILE ROWS`), so that the first run's freed
 * memory, which the allocator keeps, cannot hide what the second allocates. */
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ctx_pool.h"
#include "cursor.h"
#include "io_fixture.h"
#include "strata.h"

#define ROWS_SMALL ((size_t)750000)
#define ROWS_LARGE ((size_t)3000000)
#define COLS 8
#define FILE_CHUNK ((hsize_t)65536)
#define CURSOR_CHUNK ((size_t)16384)
#define MAX_GROWTH_KB (32 * 1024)
/* Between the two sizes the files differ by 2.25M rows (69 MiB); a cursor
 * that kept 1 byte per row would grow by 2.1 MiB more on the larger. */
#define MAX_GROWTH_RISE_KB 1024

/* Integers below 2^24, exact in float32. */
static float value(size_t i, size_t j) { return (float)((i * 131 + j * 7919) % 1000003); }

/* Written block by block so that making the file does not itself raise the
 * peak we are about to measure. */
static void write_file(const char *path, size_t rows) {
  static float block[FILE_CHUNK];
  hid_t f = fx_create(path);
  hsize_t n = rows;
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

/* The child: streams PATH (ROWS rows), checks every value, prints the
 * growth of the peak resident set as "growth_kb N". */
static int measure(const char *path, size_t want_rows) {
  reset_peak();
  long before = peak_rss_kb();
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);

  strata_dataset *ds = NULL;
  strata_cursor *cur = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));
  if (ds) CHECK_OK(strata_cursor_open(NULL, ds, CURSOR_CHUNK, 1, &cur));
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
  fprintf(stderr, "streamed %zu rows x %d (%.0f MiB) in %.3f s; peak RSS grew by %ld KiB\n", rows, COLS,
          (double)(want_rows * COLS * sizeof(float)) / (1 << 20), seconds, growth);
  CHECK(rows == want_rows);
  CHECK_MSG(wrong == 0, "%zu wrong values", wrong);
  CHECK(sum == want_sum);
  printf("growth_kb %ld\n", growth);
  return check_report();
}

/* Runs `SELF measure PATH ROWS` and returns its growth in KiB, -1 when the
 * child failed. */
static long measure_in_child(const char *self, const char *path, size_t rows) {
  char cmd[3200];
  snprintf(cmd, sizeof cmd, "'%s' measure '%s' %zu", self, path, rows);
  fflush(NULL);
  FILE *p = popen(cmd, "r");
  long growth = -1;
  char line[256];
  while (p && fgets(line, sizeof line, p)) {
    fputs(line, stdout);
    sscanf(line, "growth_kb %ld", &growth);
  }
  int status = p ? pclose(p) : -1;
  CHECK_MSG(status == 0, "the child streaming %zu rows failed (status %d)", rows, status);
  return status == 0 ? growth : -1;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "measure") == 0) return measure(argv[2], (size_t)strtoull(argv[3], NULL, 10));

  char self[1024];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) {
    fprintf(stderr, "cannot read /proc/self/exe\n");
    return 1;
  }
  self[len] = '\0';
  const char *small = fx_path("cursor_memory_small.h5"), *large = fx_path("cursor_memory_large.h5");
  write_file(small, ROWS_SMALL);
  write_file(large, ROWS_LARGE);
  long growth_small = measure_in_child(self, small, ROWS_SMALL);
  long growth_large = measure_in_child(self, large, ROWS_LARGE);
  double file_mb = (double)(ROWS_LARGE * COLS * sizeof(float)) / (1 << 20);
  printf("peak RSS grew by %ld KiB for %zu rows, %ld KiB for %zu rows\n", growth_small, ROWS_SMALL, growth_large,
         ROWS_LARGE);

  CHECK_MSG(growth_large >= 0 && growth_large < MAX_GROWTH_KB, "peak RSS grew by %ld KiB for a %.0f MiB file",
            growth_large, file_mb);
  CHECK_MSG(growth_small >= 0 && growth_large - growth_small < MAX_GROWTH_RISE_KB,
            "peak RSS grew by %ld KiB more for %zu rows than for %zu: memory that grows with the rows",
            growth_large - growth_small, ROWS_LARGE, ROWS_SMALL);
  unlink(small);
  unlink(large);
  return check_report();
}
