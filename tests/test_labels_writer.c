/* The labels file: round trip, chunks in any order, and the output rules:
 * nothing at the final name until commit, no temporary left behind, clear
 * errors for a missing directory or a full disk. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "check.h"
#include "io_fixture.h"
#include "labels_writer.h"
#include "output_file.h"
#include "strata.h"

#define ROWS 200003
#define BLOCK 30000

static int32_t seg_of(size_t i) { return i % 1000 == 0 ? -1 : (int32_t)(i % 7); }
static float dist_of(size_t i) { return i % 1000 == 0 ? NAN : (float)i * 0.5f; }

static void fill(size_t row0, size_t rows, int32_t *seg, float *dist) {
  for (size_t i = 0; i < rows; i++) {
    seg[i] = seg_of(row0 + i);
    dist[i] = dist_of(row0 + i);
  }
}

static hid_t open_column(hid_t f, const char *name, hsize_t rows, hid_t want_type) {
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  CHECK(d >= 0);
  hid_t space = H5Dget_space(d), type = H5Dget_type(d);
  hsize_t dims = 0;
  CHECK(H5Sget_simple_extent_ndims(space) == 1);
  H5Sget_simple_extent_dims(space, &dims, NULL);
  CHECK_MSG(dims == rows, "%s has %llu rows", name, (unsigned long long)dims);
  CHECK(H5Tequal(type, want_type) > 0);
  H5Tclose(type);
  H5Sclose(space);
  return d;
}

static void test_round_trip(void) {
  const char *path = fx_path("labels_round_trip.h5");
  fx_clean_temp_files("labels_round_trip.h5");
  /* An older file at the final name is replaced whole. */
  fx_text_file(path, "previous run");
  strata_labels_writer *w = NULL;
  CHECK_OK(strata_labels_writer_open(path, ROWS, &w));
  if (!w) return;
  CHECK(fx_temp_files("labels_round_trip.h5") == 1);
  static int32_t seg[BLOCK];
  static float dist[BLOCK];
  /* Last block first: chunks may arrive in any order. */
  for (size_t b = (ROWS + BLOCK - 1) / BLOCK; b-- > 0;) {
    size_t row0 = b * BLOCK, rows = ROWS - row0 < BLOCK ? ROWS - row0 : BLOCK;
    fill(row0, rows, seg, dist);
    CHECK_OK(strata_labels_writer_write(w, row0, rows, seg, dist));
  }
  CHECK(strata_labels_writer_write(w, ROWS - 5, 10, seg, dist) == STRATA_ERR_USAGE);
  CHECK_OK(strata_labels_writer_commit(w));
  CHECK(fx_temp_files("labels_round_trip.h5") == 0);

  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  CHECK(f >= 0);
  if (f < 0) return;
  uint64_t rows_attr = 0;
  hid_t a = H5Aopen(f, "rows", H5P_DEFAULT);
  CHECK(a >= 0 && H5Aread(a, H5T_NATIVE_UINT64, &rows_attr) >= 0);
  H5Aclose(a);
  CHECK(rows_attr == ROWS);
  int32_t *all_seg = malloc(ROWS * sizeof *all_seg);
  float *all_dist = malloc(ROWS * sizeof *all_dist);
  hid_t ds = open_column(f, "segment", ROWS, H5T_STD_I32LE);
  hid_t dd = open_column(f, "distance", ROWS, H5T_IEEE_F32LE);
  CHECK(H5Dread(ds, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, all_seg) >= 0);
  CHECK(H5Dread(dd, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, all_dist) >= 0);
  size_t wrong = 0;
  for (size_t i = 0; i < ROWS; i++) {
    float want = dist_of(i);
    wrong += all_seg[i] != seg_of(i) || (isnan(want) ? !isnan(all_dist[i]) : all_dist[i] != want);
  }
  CHECK_MSG(wrong == 0, "%zu rows differ", wrong);
  H5Dclose(ds);
  H5Dclose(dd);
  H5Fclose(f);
  free(all_seg);
  free(all_dist);
}

static void test_empty(void) {
  const char *path = fx_path("labels_empty.h5");
  strata_labels_writer *w = NULL;
  CHECK_OK(strata_labels_writer_open(path, 0, &w));
  CHECK_OK(strata_labels_writer_write(w, 0, 0, NULL, NULL));
  CHECK_OK(strata_labels_writer_commit(w));
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  CHECK(f >= 0);
  if (f >= 0) {
    H5Dclose(open_column(f, "segment", 0, H5T_STD_I32LE));
    H5Fclose(f);
  }
}

static void test_unwritable(void) {
  const char *path = fx_path("no_such_dir/labels.h5");
  strata_labels_writer *w = (strata_labels_writer *)1;
  strata_status st = strata_labels_writer_open(path, 10, &w);
  CHECK(st == STRATA_ERR_WRITE && w == NULL);
  CHECK_MSG(strstr(strata_last_error(), "cannot write '") &&
                strstr(strata_last_error(), "no_such_dir/labels.h5': No such file or directory"),
            "detail: %s", strata_last_error());

  /* The scratch directory itself is a directory, not a file name. */
  strata_output_file out;
  CHECK(strata_output_begin(fx_path(""), &out) == STRATA_ERR_WRITE);
  CHECK(strstr(strata_last_error(), "Is a directory") != NULL);

  /* Root ignores permission bits, so this only means something otherwise. */
  if (geteuid() != 0) {
    const char *dir = fx_path("labels_read_only");
    mkdir(dir, 0755);
    chmod(dir, 0555);
    st = strata_labels_writer_open(fx_path("labels_read_only/x.h5"), 10, &w);
    CHECK(st == STRATA_ERR_WRITE && strstr(strata_last_error(), "Permission denied"));
    chmod(dir, 0755);
    rmdir(dir);
  }
}

static void test_abort(void) {
  const char *path = fx_path("labels_abort.h5");
  unlink(path);
  fx_clean_temp_files("labels_abort.h5");
  strata_labels_writer *w = NULL;
  CHECK_OK(strata_labels_writer_open(path, 1000, &w));
  int32_t seg[100] = {0};
  float dist[100] = {0};
  CHECK_OK(strata_labels_writer_write(w, 0, 100, seg, dist));
  strata_labels_writer_abort(w);
  strata_labels_writer_abort(NULL);
  CHECK(!fx_exists(path));
  CHECK(fx_temp_files("labels_abort.h5") == 0);

  /* Commit refuses a file with rows never written, and leaves nothing. */
  CHECK_OK(strata_labels_writer_open(path, 1000, &w));
  CHECK_OK(strata_labels_writer_write(w, 0, 100, seg, dist));
  CHECK(strata_labels_writer_commit(w) == STRATA_ERR_INTERNAL);
  CHECK(strstr(strata_last_error(), "100 of 1000 rows") != NULL);
  CHECK(!fx_exists(path));
  CHECK(fx_temp_files("labels_abort.h5") == 0);
}

/* finish hands the temporary file over; nothing is in place until commit. */
static void test_finish(void) {
  const char *path = fx_path("labels_finish.h5");
  unlink(path);
  fx_clean_temp_files("labels_finish.h5");
  int32_t seg[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  float dist[10] = {0};
  strata_labels_writer *w = NULL;
  strata_output_file out;
  CHECK_OK(strata_labels_writer_open(path, 10, &w));
  CHECK_OK(strata_labels_writer_write(w, 0, 10, seg, dist));
  CHECK_OK(strata_labels_writer_finish(w, &out));
  CHECK(!fx_exists(path) && fx_temp_files("labels_finish.h5") == 1);
  CHECK_OK(strata_output_commit(&out));
  CHECK(fx_exists(path) && fx_temp_files("labels_finish.h5") == 0);

  /* Incomplete: refused, and the temporary file is gone already. */
  unlink(path);
  CHECK_OK(strata_labels_writer_open(path, 10, &w));
  CHECK(strata_labels_writer_finish(w, &out) == STRATA_ERR_INTERNAL);
  CHECK(out.tmp_path == NULL && out.final_path == NULL);
  CHECK(!fx_exists(path) && fx_temp_files("labels_finish.h5") == 0);
}

/* A file-size limit makes the disk "full" after 256 KiB. */
static void test_disk_full(void) {
  const char *path = fx_path("labels_full.h5");
  unlink(path);
  fx_clean_temp_files("labels_full.h5");
  struct rlimit old;
  getrlimit(RLIMIT_FSIZE, &old);
  struct rlimit small = {256 << 10, old.rlim_max};
  void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
  CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);

  enum { FULL_ROWS = 1 << 20, FULL_BLOCK = 1 << 16 };
  static int32_t seg[FULL_BLOCK];
  static float dist[FULL_BLOCK];
  strata_labels_writer *w = NULL;
  strata_status st = strata_labels_writer_open(path, FULL_ROWS, &w);
  for (size_t row0 = 0; st == STRATA_OK && row0 < FULL_ROWS; row0 += FULL_BLOCK)
    st = strata_labels_writer_write(w, row0, FULL_BLOCK, seg, dist);
  /* HDF5 may only meet the limit when it flushes, at commit. */
  if (st == STRATA_OK)
    st = strata_labels_writer_commit(w);
  else
    strata_labels_writer_abort(w);

  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, old_handler);
  CHECK_MSG(st == STRATA_ERR_WRITE, "%s: %s", strata_status_name(st), strata_last_error());
  CHECK_MSG(strstr(strata_last_error(), "cannot write '") && strstr(strata_last_error(), "labels_full.h5'"),
            "detail: %s", strata_last_error());
  CHECK(strchr(strata_last_error(), '\n') == NULL);
  printf("disk full: %s\n", strata_last_error());
  CHECK(!fx_exists(path));
  CHECK(fx_temp_files("labels_full.h5") == 0);
}

int main(void) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  test_round_trip();
  test_empty();
  test_unwritable();
  test_abort();
  test_finish();
  test_disk_full();
  return check_report();
}
