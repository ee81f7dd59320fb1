/* The HDF5 reader and the cursor: both layouts, every numeric type,
 * chunked and contiguous storage, chunk sizes that do and do not divide the
 * rows, prefetch on and off giving the same bytes, column selection, and
 * every error the reader reports. */
#include <float.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "check.h"
#include "ctx_pool.h"
#include "cursor.h"
#include "dataset.h"
#include "h5_util.h"
#include "io_fixture.h"
#include "strata.h"

#define N 10007
#define D 4

static float expected[N * D]; /* row-major */

static float value(size_t i, size_t j) { return (float)i * 0.5f + (float)j * 1000.0f - 7.0f; }

static void fill_expected(void) {
  for (size_t i = 0; i < N; i++)
    for (size_t j = 0; j < D; j++) expected[i * D + j] = value(i, j);
}

/* Column j of `expected` as a contiguous array. */
static float *column(size_t j) {
  float *c = malloc(N * sizeof *c);
  for (size_t i = 0; i < N; i++) c[i] = expected[i * D + j];
  return c;
}

static const char *const names_abcd[D] = {"a", "b", "c", "d"};

/* ------------------------------------------------------------ fixtures */

static void write_group_file(const char *path, const char *group, hsize_t chunk, int deflate) {
  hid_t f = fx_create(path);
  hid_t g = group ? H5Gcreate2(f, group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : f;
  hsize_t n = N;
  for (size_t j = 0; j < D; j++) {
    float *c = column(j);
    fx_write(g, names_abcd[j], H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &n, chunk ? &chunk : NULL, deflate, c);
    free(c);
  }
  /* Not numeric: skipped when every column is wanted. */
  const char *labels[3] = {"x", "y", "z"};
  fx_strings(g, "name", labels, 3);
  if (group) H5Gclose(g);
  H5Fclose(f);
}

/* attr_fixed: 0 no "columns" attribute, 1 variable-length, 2 fixed-length. */
static void write_matrix_file(const char *path, const char *name, hsize_t chunk_rows, int deflate,
                              int attr_kind) {
  hid_t f = fx_create(path);
  hsize_t dims[2] = {N, D}, chunk[2] = {chunk_rows, D};
  fx_write(f, name, H5T_IEEE_F64LE, H5T_NATIVE_FLOAT, 2, dims, chunk_rows ? chunk : NULL, deflate, expected);
  if (attr_kind) {
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    fx_string_attr(d, "columns", names_abcd, D, attr_kind == 2 ? 8 : 0);
    H5Dclose(d);
  }
  H5Fclose(f);
}

/* ------------------------------------------------------------ streaming */

/* Streams ds into out (rows×cols), checking the chunk sequence. */
static strata_status stream(strata_dataset *ds, size_t chunk_rows, int prefetch, float *out) {
  strata_cursor *cur = NULL;
  strata_status st = strata_cursor_open(NULL, ds, chunk_rows, prefetch, &cur);
  if (st != STRATA_OK) return st;
  size_t n = strata_dataset_rows(ds), cols = strata_dataset_cols(ds), next = 0;
  strata_chunk ch;
  while ((st = strata_cursor_next(cur, &ch)) == STRATA_OK && ch.rows > 0) {
    size_t want = n - next < chunk_rows ? n - next : chunk_rows;
    CHECK_MSG(ch.row0 == next && ch.rows == want && ch.cols == cols,
              "chunk at %zu of %zu rows, expected %zu of %zu", ch.row0, ch.rows, next, want);
    if (ch.row0 != next || ch.rows != want) break;
    memcpy(out + next * cols, ch.data, ch.rows * cols * sizeof *out);
    next += ch.rows;
  }
  if (st == STRATA_OK) {
    CHECK(next == n);
    /* The end repeats. */
    CHECK(strata_cursor_next(cur, &ch) == STRATA_OK && ch.rows == 0);
  }
  strata_cursor_close(cur);
  return st;
}

/* Every chunk size, prefetch on and off: each stream equals `want`
 * (rows×cols, compared bit for bit). */
static const size_t default_chunks[] = {3, 1000, 1024, 4093, N, N + 5, 0};

static void check_streams_with(strata_dataset *ds, const float *want, const char *what,
                               const size_t *chunks) {
  size_t n = strata_dataset_rows(ds), cols = strata_dataset_cols(ds);
  float *got = malloc(n * cols * sizeof *got + 1);
  for (size_t c = 0; chunks[c]; c++)
    for (int prefetch = 0; prefetch <= 1; prefetch++) {
      memset(got, 0xAB, n * cols * sizeof *got);
      CHECK_OK(stream(ds, chunks[c], prefetch, got));
      CHECK_MSG(memcmp(got, want, n * cols * sizeof *got) == 0, "%s: chunk %zu prefetch %d differs", what,
                chunks[c], prefetch);
    }
  free(got);
}

static void check_streams(strata_dataset *ds, const float *want, const char *what) {
  check_streams_with(ds, want, what, default_chunks);
}

static void check_names(const strata_dataset *ds, const char *const *names, size_t n) {
  CHECK(strata_dataset_cols(ds) == n);
  for (size_t j = 0; j < n && j < strata_dataset_cols(ds); j++)
    CHECK_MSG(strcmp(strata_dataset_col_name(ds, j), names[j]) == 0, "column %zu is '%s', expected '%s'", j,
              strata_dataset_col_name(ds, j), names[j]);
}

/* ------------------------------------------------------------ tests */

static void test_layouts(void) {
  struct {
    const char *file, *location;
    int matrix;
    hsize_t chunk;
    int deflate, attr;
    const char *expect_location;
  } cases[] = {
      {"reader_root_contig.h5", NULL, 0, 0, 0, 0, "/"},
      {"reader_group_chunked.h5", "/grp", 0, 1000, 1, 0, "/grp"},
      {"reader_group_relative.h5", "grp", 0, 4096, 0, 0, "/grp"},
      {"reader_matrix_contig.h5", NULL, 1, 0, 0, 1, "/X"},
      {"reader_matrix_chunked.h5", "/X", 1, 1000, 1, 0, "/X"},
      {"reader_matrix_fixed.h5", NULL, 1, 333, 0, 2, "/X"},
  };
  static const char *const generated[D] = {"c0", "c1", "c2", "c3"};
  for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
    const char *path = fx_path(cases[t].file);
    if (cases[t].matrix)
      write_matrix_file(path, "X", cases[t].chunk, cases[t].deflate, cases[t].attr);
    else
      write_group_file(path, cases[t].location ? "grp" : NULL, cases[t].chunk, cases[t].deflate);

    strata_dataset *ds = NULL;
    CHECK_OK(strata_dataset_open(path, cases[t].location, NULL, 0, &ds));
    if (!ds) continue;
    CHECK(strata_dataset_rows(ds) == N);
    check_names(ds, cases[t].matrix && !cases[t].attr ? generated : names_abcd, D);
    CHECK_MSG(strcmp(strata_dataset_location(ds), cases[t].expect_location) == 0, "location %s",
              strata_dataset_location(ds));
    CHECK(strcmp(strata_dataset_path(ds), path) == 0);
    CHECK(strata_dataset_file_chunk_rows(ds) == cases[t].chunk);
    CHECK(strcmp(strata_dataset_col_type(ds, 0), cases[t].matrix ? "float64" : "float32") == 0);
    check_streams(ds, expected, cases[t].file);
    strata_dataset_free(ds);
  }
}

static void test_selection(void) {
  const char *group_path = fx_path("reader_root_contig.h5");
  const char *matrix_path = fx_path("reader_matrix_contig.h5");
  const char *pick[] = {"d", "a", "c"};
  float *want = malloc(N * 3 * sizeof *want);
  for (size_t i = 0; i < N; i++) {
    want[i * 3 + 0] = expected[i * D + 3];
    want[i * 3 + 1] = expected[i * D + 0];
    want[i * 3 + 2] = expected[i * D + 2];
  }
  const char *paths[2] = {group_path, matrix_path};
  for (int p = 0; p < 2; p++) {
    strata_dataset *ds = NULL;
    CHECK_OK(strata_dataset_open(paths[p], NULL, pick, 3, &ds));
    if (!ds) continue;
    check_names(ds, pick, 3);
    check_streams(ds, want, paths[p]);
    /* Direct reads of an inner range. */
    float got[5 * 3];
    CHECK_OK(strata_dataset_read(ds, 100, 5, got));
    CHECK(memcmp(got, want + 100 * 3, sizeof got) == 0);
    CHECK(strata_dataset_read(ds, N - 2, 5, got) == STRATA_ERR_USAGE);
    strata_dataset_free(ds);
  }
  /* One column: read without interleaving. */
  const char *one[] = {"b"};
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_open(group_path, NULL, one, 1, &ds));
  if (ds) {
    float *b = column(1);
    check_streams(ds, b, "one column");
    free(b);
    strata_dataset_free(ds);
  }
  free(want);
}

/* Every integer and float type converts as a C cast to float would. */
static void test_types(void) {
  enum { ROWS = 300 };
  const char *path = fx_path("reader_types.h5");
  hid_t f = fx_create(path);
  hsize_t n = ROWS, chunk = 64;
  int8_t i8[ROWS];
  uint8_t u8[ROWS];
  int16_t i16[ROWS];
  uint16_t u16[ROWS];
  int32_t i32[ROWS];
  uint32_t u32[ROWS];
  int64_t i64[ROWS];
  uint64_t u64[ROWS];
  float f32[ROWS];
  double f64[ROWS];
  for (int i = 0; i < ROWS; i++) {
    i8[i] = (int8_t)(i % 256 - 128);
    u8[i] = (uint8_t)(i % 256);
    i16[i] = (int16_t)(i * 100 - 15000);
    u16[i] = (uint16_t)(i * 200);
    i32[i] = i * 1000003 - 150000000;
    u32[i] = 4000000000u - (uint32_t)i * 7u;
    i64[i] = -((int64_t)1 << 50) + (int64_t)i * 12345;
    u64[i] = ((uint64_t)1 << 63) + (uint64_t)i * 99999u;
    f32[i] = (float)i * 0.25f - 10.0f;
    f64[i] = i * 1.000001e-3 - 0.1;
  }
  f64[5] = NAN;
  f64[6] = 1e300;
  f64[7] = -1e300;
  f64[8] = 1e-300;
  fx_write(f, "int8", H5T_STD_I8LE, H5T_NATIVE_INT8, 1, &n, NULL, 0, i8);
  fx_write(f, "uint8", H5T_STD_U8LE, H5T_NATIVE_UINT8, 1, &n, &chunk, 0, u8);
  fx_write(f, "int16", H5T_STD_I16BE, H5T_NATIVE_INT16, 1, &n, NULL, 0, i16);
  fx_write(f, "uint16", H5T_STD_U16LE, H5T_NATIVE_UINT16, 1, &n, &chunk, 1, u16);
  fx_write(f, "int32", H5T_STD_I32BE, H5T_NATIVE_INT32, 1, &n, NULL, 0, i32);
  fx_write(f, "uint32", H5T_STD_U32LE, H5T_NATIVE_UINT32, 1, &n, NULL, 0, u32);
  fx_write(f, "int64", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, &n, &chunk, 0, i64);
  fx_write(f, "uint64", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &n, NULL, 0, u64);
  fx_write(f, "float32", H5T_IEEE_F32BE, H5T_NATIVE_FLOAT, 1, &n, NULL, 0, f32);
  fx_write(f, "float64", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, &chunk, 0, f64);
  H5Fclose(f);

  static const char *const order[] = {"int8",   "uint8", "int16",  "uint16",  "int32",
                                      "uint32", "int64", "uint64", "float32", "float64"};
  enum { T = 10 };
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));
  CHECK(ds && strata_dataset_cols(ds) == T); /* every numeric column */
  strata_dataset_free(ds);
  ds = NULL;
  CHECK_OK(strata_dataset_open(path, "/", order, T, &ds));
  if (!ds) return;
  check_names(ds, order, T);
  for (size_t j = 0; j < T; j++)
    CHECK_MSG(strcmp(strata_dataset_col_type(ds, j), order[j]) == 0, "type of %s is %s", order[j],
              strata_dataset_col_type(ds, j));
  static float got[ROWS * T];
  CHECK_OK(strata_dataset_read(ds, 0, ROWS, got));
  int bad = 0;
  for (int i = 0; i < ROWS; i++) {
    const float want[T] = {(float)i8[i],  (float)u8[i],  (float)i16[i], (float)u16[i], (float)i32[i],
                           (float)u32[i], (float)i64[i], (float)u64[i], f32[i],        (float)f64[i]};
    for (int j = 0; j < T; j++) {
      float g = got[i * T + j];
      int same = isnan(want[j]) ? isnan(g) : g == want[j];
      if (!same && bad++ < 5) fprintf(stderr, "row %d %s: got %.9g want %.9g\n", i, order[j], g, want[j]);
    }
  }
  CHECK_MSG(bad == 0, "%d values converted wrongly", bad);
  CHECK(isnan(got[5 * T + 9]));
  CHECK(isinf(got[6 * T + 9]) && got[6 * T + 9] > 0);
  CHECK(isinf(got[7 * T + 9]) && got[7 * T + 9] < 0);
  strata_dataset_free(ds);
}

/* Fewer rows than one file chunk (possible with an extendible dataset) and
 * datasets with no rows at all. */
static void test_small_and_empty(void) {
  const char *path = fx_path("reader_small.h5");
  hid_t f = fx_create(path);
  hsize_t n = 10, maxdims = H5S_UNLIMITED, chunk = 1000;
  hid_t space = H5Screate_simple(1, &n, &maxdims);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 1, &chunk);
  float v[10];
  for (int i = 0; i < 10; i++) v[i] = (float)i;
  hid_t d = H5Dcreate2(f, "x", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
  H5Dclose(d);
  H5Pclose(dcpl);
  H5Sclose(space);
  hid_t g = H5Gcreate2(f, "empty", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  fx_column_f32(g, "a", v, 0, 0);
  fx_column_f32(g, "b", v, 0, 0);
  H5Gclose(g);
  H5Fclose(f);

  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));
  if (ds) {
    CHECK(strata_dataset_rows(ds) == 10 && strata_dataset_file_chunk_rows(ds) == 1000);
    CHECK(strata_dataset_recommend_chunk(ds, 16, 1 << 20) == 16);
    static const size_t chunks[] = {1, 3, 9, 10, 11, 1000, 5000, 0};
    check_streams_with(ds, v, "small", chunks);
    strata_dataset_free(ds);
  }
  ds = NULL;
  CHECK_OK(strata_dataset_open(path, "/empty", NULL, 0, &ds));
  if (ds) {
    CHECK(strata_dataset_rows(ds) == 0 && strata_dataset_cols(ds) == 2);
    for (int prefetch = 0; prefetch <= 1; prefetch++) {
      strata_cursor *cur = NULL;
      strata_chunk ch;
      CHECK_OK(strata_cursor_open(NULL, ds, 100, prefetch, &cur));
      CHECK_OK(strata_cursor_next(cur, &ch));
      CHECK(ch.rows == 0);
      CHECK_OK(strata_cursor_rewind(cur));
      CHECK_OK(strata_cursor_next(cur, &ch));
      CHECK(ch.rows == 0);
      strata_cursor_close(cur);
    }
    strata_dataset_free(ds);
  }
}

/* Columns come in creation order where the group records it (as CSV import
 * writes them), else in name order. */
static void test_column_order(void) {
  const char *path = fx_path("reader_order.h5");
  hid_t f = fx_create(path);
  hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
  H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  hid_t g = H5Gcreate2(f, "tracked", H5P_DEFAULT, gcpl, H5P_DEFAULT);
  hid_t h = H5Gcreate2(f, "plain", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  static const char *const created[] = {"zeta", "alpha", "mid"};
  static const char *const sorted[] = {"alpha", "mid", "zeta"};
  for (int j = 0; j < 3; j++) {
    fx_column_f32(g, created[j], expected, 10, 0);
    fx_column_f32(h, created[j], expected, 10, 0);
  }
  H5Gclose(g);
  H5Gclose(h);
  H5Pclose(gcpl);
  H5Fclose(f);
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_open(path, "/tracked", NULL, 0, &ds));
  if (ds) check_names(ds, created, 3);
  strata_dataset_free(ds);
  ds = NULL;
  CHECK_OK(strata_dataset_open(path, "/plain", NULL, 0, &ds));
  if (ds) check_names(ds, sorted, 3);
  strata_dataset_free(ds);
}

static void test_rewind(void) {
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_open(fx_path("reader_group_chunked.h5"), "/grp", NULL, 0, &ds));
  if (!ds) return;
  float *got = malloc(sizeof expected);
  for (int prefetch = 0; prefetch <= 1; prefetch++) {
    strata_cursor *cur = NULL;
    strata_chunk ch;
    CHECK_OK(strata_cursor_open(NULL, ds, 1500, prefetch, &cur));
    CHECK_OK(strata_cursor_rewind(cur)); /* before anything was read */
    for (int pass = 0; pass < 4; pass++) {
      /* Passes 0 and 2 stop early, as a caller that found what it needed. */
      size_t next = 0, stop_after = pass % 2 == 0 ? 3 : SIZE_MAX, seen = 0;
      while (seen < stop_after && strata_cursor_next(cur, &ch) == STRATA_OK && ch.rows > 0) {
        CHECK(ch.row0 == next);
        memcpy(got + next * D, ch.data, ch.rows * D * sizeof *got);
        next += ch.rows;
        seen++;
      }
      CHECK(memcmp(got, expected, next * D * sizeof *got) == 0);
      if (stop_after == SIZE_MAX) CHECK(next == N);
      CHECK_OK(strata_cursor_rewind(cur));
    }
    strata_cursor_close(cur);
    /* Closed while the reader is still ahead. */
    CHECK_OK(strata_cursor_open(NULL, ds, 1000, prefetch, &cur));
    CHECK_OK(strata_cursor_next(cur, &ch));
    strata_cursor_close(cur);
  }
  free(got);
  strata_dataset_free(ds);
}

/* Rewinds and closes at random points while the reader is mid-read: the
 * chunks after each rewind must still start at row 0 and hold the data. */
static void test_rewind_stress(void) {
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_open(fx_path("reader_group_chunked.h5"), "/grp", NULL, 0, &ds));
  if (!ds) return;
  unsigned seed = 12345;
  size_t bad = 0;
  for (int round = 0; round < 20; round++) {
    strata_cursor *cur = NULL;
    size_t chunk_rows = 1 + (seed = seed * 1103515245u + 12345u) % 3000;
    CHECK_OK(strata_cursor_open(NULL, ds, chunk_rows, 1, &cur));
    for (int pass = 0; pass < 10 && cur; pass++) {
      size_t stop = (seed = seed * 1103515245u + 12345u) % 8, next = 0;
      strata_chunk ch;
      for (size_t c = 0; c < stop && strata_cursor_next(cur, &ch) == STRATA_OK && ch.rows > 0; c++) {
        bad += ch.row0 != next || memcmp(ch.data, expected + ch.row0 * D, ch.rows * D * sizeof(float)) != 0;
        next += ch.rows;
      }
      CHECK_OK(strata_cursor_rewind(cur));
    }
    strata_cursor_close(cur);
  }
  CHECK_MSG(bad == 0, "%zu chunks wrong after rewinds", bad);
  strata_dataset_free(ds);
}

static void test_recommend_chunk(void) {
  /* Columns of zeros, deflated: every chunk is stored (the reader refuses
   * chunks never written) at little cost in disk. */
  const char *path = fx_path("reader_recommend.h5");
  hid_t f = fx_create(path);
  hsize_t n = 2200000, chunk_a = 100000, chunk_b = 999983;
  float *zeros = calloc(n, sizeof *zeros);
  struct {
    const char *name;
    hsize_t chunk;
  } cols[] = {{"a", chunk_a}, {"b", chunk_b}};
  for (int c = 0; c < 2; c++) {
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &cols[c].chunk);
    H5Pset_deflate(dcpl, 1);
    hid_t d = H5Dcreate2(f, cols[c].name, H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    CHECK(zeros && H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros) >= 0);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(space);
  }
  H5Fclose(f);
  free(zeros);

  const char *a[] = {"a"}, *b[] = {"b"};
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, a, 1, &ds));
  if (ds) {
    /* 8 MiB of one float column = 2097152 rows; lcm(64, 100000) = 200000. */
    size_t r = strata_dataset_recommend_chunk(ds, 64, (size_t)8 << 20);
    CHECK_MSG(r == 2000000, "recommended %zu", r);
    /* 130000 rows wanted: the nearest multiple of the 100000-row file chunk. */
    r = strata_dataset_recommend_chunk(ds, 1, 520000);
    CHECK_MSG(r == 100000, "recommended %zu", r);
    /* 250 rows wanted: far below a file chunk, the target wins. */
    r = strata_dataset_recommend_chunk(ds, 1, 1000);
    CHECK_MSG(r == 250, "recommended %zu", r);
    strata_dataset_free(ds);
  }
  ds = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, b, 1, &ds));
  if (ds) {
    /* A prime chunk length is incompatible with 64: the target wins. */
    size_t r = strata_dataset_recommend_chunk(ds, 64, (size_t)8 << 20);
    CHECK_MSG(r == 2097152, "recommended %zu", r);
    strata_dataset_free(ds);
  }
  ds = NULL;
  CHECK_OK(strata_dataset_open(fx_path("reader_root_contig.h5"), NULL, NULL, 0, &ds));
  if (ds) {
    size_t r = strata_dataset_recommend_chunk(ds, 64, (size_t)64 << 20);
    CHECK_MSG(r == (N + 63) / 64 * 64, "recommended %zu", r); /* capped at the data */
    r = strata_dataset_recommend_chunk(ds, 100, 16);
    CHECK_MSG(r == 100, "recommended %zu", r); /* at least the multiple */
    strata_dataset_free(ds);
  }
}

/* Each open twice: as commands open (the probe's child makes the open's
 * calls first, and its error is the open's), then with the child off; the
 * same status and detail both ways, and no child left to its time limit. */
static void expect_error(strata_status want, const char *path, const char *location,
                         const char *const *features, size_t nfeatures, const char *detail_part,
                         const char *detail_part2) {
  char with_child[1024] = "";
  for (int child = 1; child >= 0; child--) {
    if (!child) setenv("STRATA_H5_CHECK", "0", 1);
    const size_t timed_out = strata_h5_probes_timed_out();
    strata_dataset *ds = (strata_dataset *)1;
    strata_status st = strata_dataset_open(path, location, features, nfeatures, &ds);
    const char *detail = strata_last_error();
    CHECK_MSG(st == want, "%s: got %s (%s), want %s", path, strata_status_name(st), detail,
              strata_status_name(want));
    CHECK(ds == NULL);
    CHECK_MSG(strstr(detail, detail_part) != NULL, "detail '%s' lacks '%s'", detail, detail_part);
    if (detail_part2)
      CHECK_MSG(strstr(detail, detail_part2) != NULL, "detail '%s' lacks '%s'", detail, detail_part2);
    CHECK(strchr(detail, '\n') == NULL);
    CHECK_MSG(strata_h5_probes_timed_out() == timed_out, "%s: the child reader ran out of time", path);
    if (ds) strata_dataset_free(ds);
    if (child) {
      snprintf(with_child, sizeof with_child, "%s", detail);
    } else {
      CHECK_MSG(strcmp(with_child, detail) == 0, "%s: '%s' with the child, '%s' without", path, with_child, detail);
      unsetenv("STRATA_H5_CHECK");
    }
  }
}

/* Files that declare more than they store: 2^40 rows in chunks never
 * written, a 10×2^31 matrix likewise, chunks of 2 GiB, a contiguous column
 * never written.  Refused on open, before anything that size is allocated
 * (they used to stream fill values, or grow until killed). */
static void test_hollow(void) {
  const char *hollow = fx_path("reader_hollow.h5");
  hid_t f = fx_create(hollow);
  hsize_t big = (hsize_t)1 << 40, cbig = 65536;
  hid_t sp = H5Screate_simple(1, &big, NULL), pl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(pl, 1, &cbig);
  hid_t d = H5Dcreate2(f, "age", H5T_IEEE_F32LE, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
  H5Dclose(d);
  H5Pclose(pl);
  H5Sclose(sp);
  H5Fclose(f);
  expect_error(STRATA_ERR_FORMAT, hollow, NULL, NULL, 0, "column 'age' declares 1099511627776 values",
               "stores none");

  const char *wide = fx_path("reader_hollow_matrix.h5");
  f = fx_create(wide);
  hsize_t dims[2] = {10, (hsize_t)1 << 31}, chunk[2] = {10, (hsize_t)1 << 20};
  sp = H5Screate_simple(2, dims, NULL);
  pl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(pl, 2, chunk);
  d = H5Dcreate2(f, "X", H5T_IEEE_F32LE, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
  H5Dclose(d);
  H5Pclose(pl);
  H5Sclose(sp);
  H5Fclose(f);
  expect_error(STRATA_ERR_FORMAT, wide, "/X", NULL, 0, "/X declares 21474836480 values", "stores none");

  const char *huge_chunk = fx_path("reader_huge_chunk.h5");
  f = fx_create(huge_chunk);
  hsize_t n1 = (hsize_t)1 << 30, c1 = (hsize_t)1 << 29;
  sp = H5Screate_simple(1, &n1, NULL);
  pl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(pl, 1, &c1);
  d = H5Dcreate2(f, "age", H5T_IEEE_F32LE, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
  H5Dclose(d);
  H5Pclose(pl);
  H5Sclose(sp);
  H5Fclose(f);
  expect_error(STRATA_ERR_FORMAT, huge_chunk, NULL, NULL, 0, "chunks of 2147483648 bytes", NULL);

  const char *unwritten = fx_path("reader_unwritten.h5");
  f = fx_create(unwritten);
  hsize_t n2 = 1000;
  sp = H5Screate_simple(1, &n2, NULL);
  d = H5Dcreate2(f, "age", H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dclose(d);
  H5Sclose(sp);
  H5Fclose(f);
  expect_error(STRATA_ERR_FORMAT, unwritten, NULL, NULL, 0, "column 'age' declares 1000 values but stores none",
               NULL);
}

/* Chunks written in part: the count check, which HDF5 1.10.8 silently
 * skipped (it refuses H5S_ALL as the selection), and a chunk index whose
 * count is right but whose first chunk lies outside the extent (fuzzed:
 * the unwritten chunk read as uninitialised memory, so two passes over the
 * same file disagreed). */
static void test_partial_chunks(void) {
  const char *path = fx_path("reader_partial_chunks.h5");
  hid_t f = fx_create(path);
  hsize_t n = 1000, chunk = 100, one = 100, zero = 0;
  hid_t sp = H5Screate_simple(1, &n, NULL), pl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(pl, 1, &chunk);
  hid_t d = H5Dcreate2(f, "age", H5T_IEEE_F32LE, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
  float v[100];
  for (int i = 0; i < 100; i++) v[i] = (float)i;
  hid_t mem = H5Screate_simple(1, &one, NULL);
  H5Sselect_hyperslab(sp, H5S_SELECT_SET, &zero, NULL, &one, NULL);
  CHECK(H5Dwrite(d, H5T_NATIVE_FLOAT, mem, sp, H5P_DEFAULT, v) >= 0);
  H5Sclose(mem);
  H5Dclose(d);
  H5Pclose(pl);
  H5Sclose(sp);
  H5Fclose(f);
  expect_error(STRATA_ERR_FORMAT, path, NULL, NULL, 0, "column 'age' declares 1000 values but stores 1 of its 10 chunks",
               NULL);

  const char *moved = fx_path("reader_moved_chunk.h5");
  f = fx_create(moved);
  hsize_t dims[2] = {12, 6}, c2[2] = {5, 6};
  float x[72];
  for (int i = 0; i < 72; i++) x[i] = (float)i;
  fx_write(f, "X", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dims, c2, 0, x);
  H5Fclose(f);
  /* The v1 B-tree node ("TREE", then type, level, entries, two sibling
   * addresses) holds first the key of chunk (0, 0): its size, its filter
   * mask, then its offsets; the column offset becomes 6, out of the extent. */
  FILE *fp = fopen(moved, "r+b");
  CHECK(fp != NULL);
  if (!fp) return;
  char buf[65536];
  size_t got = fread(buf, 1, sizeof buf, fp);
  const char *tree = NULL;
  for (size_t i = 0; !tree && i + 64 < got; i++)
    if (memcmp(buf + i, "TREE", 4) == 0 && buf[i + 4] == 1) tree = buf + i; /* type 0 indexes the group */
  CHECK(tree != NULL);
  if (tree) {
    long at = (long)(tree - buf) + 8 + 16 + 8 + 8;
    unsigned char six[8] = {6, 0, 0, 0, 0, 0, 0, 0};
    CHECK(fseek(fp, at, SEEK_SET) == 0 && fwrite(six, 1, 8, fp) == 8);
  }
  fclose(fp);
  expect_error(STRATA_ERR_FORMAT, moved, "/X", NULL, 0, "/X declares 72 values but its chunk at row 0 is not written",
               NULL);
}

/* The same check for a categorical column (read by io/categorical.c). */
/* A float of 64 KiB per element (fuzzed: HDF5 1.10 takes any size and
 * sizes its conversion buffers by it) is not a numeric column. */
static void test_huge_element(void) {
  const char *path = fx_path("reader_huge_element.h5");
  hid_t f = fx_create(path);
  hsize_t n = 2, chunk = 2;
  float age[2] = {1, 2};
  fx_write(f, "age", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &n, &chunk, 0, age);
  hid_t t = H5Tcopy(H5T_IEEE_F64LE);
  CHECK(H5Tset_size(t, (size_t)1 << 16) >= 0);
  hid_t sp = H5Screate_simple(1, &n, NULL), pl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_alloc_time(pl, H5D_ALLOC_TIME_EARLY);
  hid_t d = H5Dcreate2(f, "big", t, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
  CHECK(d >= 0);
  H5Dclose(d);
  H5Pclose(pl);
  H5Sclose(sp);
  H5Tclose(t);
  H5Fclose(f);
  static const char *const big[] = {"big"};
  expect_error(STRATA_ERR_COLUMN, path, NULL, big, 1, "'big'", "is not numeric");
}

static void test_hollow_categorical(void) {
  const char *path = fx_path("reader_hollow_cat.h5");
  hid_t f = fx_create(path);
  hsize_t n = 1000, chunk = 100;
  float spend[1000];
  for (int i = 0; i < 1000; i++) spend[i] = (float)i;
  fx_write(f, "spend", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, &n, &chunk, 0, spend);
  hid_t sp = H5Screate_simple(1, &n, NULL), pl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(pl, 1, &chunk);
  hid_t d = H5Dcreate2(f, "region", H5T_STD_I32LE, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
  static const char *const cat[] = {"categorical"};
  fx_string_attr(d, "strata_type", cat, 1, 0);
  H5Dclose(d);
  H5Pclose(pl);
  H5Sclose(sp);
  H5Fclose(f);
  strata_dataset *ds = NULL;
  const char *num[] = {"spend"}, *cats[] = {"region"};
  CHECK_OK(strata_dataset_open(path, NULL, num, 1, &ds));
  if (!ds) return;
  CHECK(strata_dataset_add_categorical(ds, cats, 1, NULL, NULL) == STRATA_ERR_FORMAT);
  CHECK_MSG(strstr(strata_last_error(), "column 'region' declares 1000 values but stores none") != NULL, "%s",
            strata_last_error());
  strata_dataset_free(ds);
}

static void test_errors(void) {
  const char *group = fx_path("reader_root_contig.h5");

  expect_error(STRATA_ERR_NOT_FOUND, fx_path("no_such_file.h5"), NULL, NULL, 0, "cannot open '",
               "no_such_file.h5': No such file or directory");

  const char *text = fx_path("reader_text.h5");
  fx_text_file(text, "age,income\n41,52000\n");
  expect_error(STRATA_ERR_FORMAT, text, NULL, NULL, 0, "reader_text.h5' is not an HDF5 file", NULL);

  const char *empty = fx_path("reader_empty_file.h5");
  fx_text_file(empty, "");
  expect_error(STRATA_ERR_FORMAT, empty, NULL, NULL, 0, "is not an HDF5 file", NULL);

  /* A complete file cut in half, as by a full disk or a killed copy. */
  const char *cut = fx_path("reader_truncated.h5");
  write_group_file(cut, NULL, 0, 0);
  FILE *fp = fopen(cut, "rb");
  fseek(fp, 0, SEEK_END);
  long size = ftell(fp);
  fclose(fp);
  CHECK(truncate(cut, size / 2) == 0);
  expect_error(STRATA_ERR_FORMAT, cut, NULL, NULL, 0, "reader_truncated.h5' is truncated or corrupt", NULL);

  /* A "columns" attribute that names one column twice (it used to fit,
   * then leave a model no data could be matched to). */
  const char *twice_path = fx_path("reader_matrix_twice.h5");
  {
    static const char *const twice[D] = {"a", "b", "a", "d"};
    hid_t f = fx_create(twice_path);
    hsize_t dims[2] = {N, D};
    fx_write(f, "X", H5T_IEEE_F64LE, H5T_NATIVE_FLOAT, 2, dims, NULL, 0, expected);
    hid_t dx = H5Dopen2(f, "X", H5P_DEFAULT);
    fx_string_attr(dx, "columns", twice, D, 0);
    H5Dclose(dx);
    H5Fclose(f);
  }
  expect_error(STRATA_ERR_FORMAT, twice_path, "/X", NULL, 0, "attribute 'columns' of ", "names 'a' more than once");

  const char *typo[] = {"a", "incme"};
  expect_error(STRATA_ERR_COLUMN, group, NULL, typo, 2, "column 'incme' not found in ",
               ":/ (have: a, b, c, d)");
  expect_error(STRATA_ERR_COLUMN, fx_path("reader_matrix_contig.h5"), NULL, typo, 2,
               "column 'incme' not found", ":/X (have: a, b, c, d)");

  const char *text_col[] = {"name"};
  expect_error(STRATA_ERR_COLUMN, group, NULL, text_col, 1, "column 'name' in ", ":/ is not numeric");

  const char *twice[] = {"a", "b", "a"};
  expect_error(STRATA_ERR_USAGE, group, NULL, twice, 3, "'a'", "twice");

  expect_error(STRATA_ERR_NOT_FOUND, group, "/nope", NULL, 0, "'/nope' not found in", NULL);
  expect_error(STRATA_ERR_FORMAT, group, "/a", NULL, 0, "is a 1-D dataset", NULL);

  /* Columns of unequal length. */
  const char *uneven = fx_path("reader_uneven.h5");
  hid_t f = fx_create(uneven);
  fx_column_f32(f, "a", expected, 100, 0);
  fx_column_f32(f, "b", expected, 99, 0);
  H5Fclose(f);
  expect_error(STRATA_ERR_FORMAT, uneven, NULL, NULL, 0, "unequal length", "'b' has 99");

  /* Root with two matrices: the location must say which. */
  const char *two = fx_path("reader_two_matrices.h5");
  f = fx_create(two);
  hsize_t dims[2] = {10, 2};
  fx_write(f, "X", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dims, NULL, 0, expected);
  fx_write(f, "Y", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, dims, NULL, 0, expected);
  H5Fclose(f);
  expect_error(STRATA_ERR_FORMAT, two, NULL, NULL, 0, "2 2-D datasets", NULL);
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_open(two, "Y", NULL, 0, &ds));
  CHECK(ds && strata_dataset_rows(ds) == 10 && strata_dataset_cols(ds) == 2);
  strata_dataset_free(ds);

  /* Nothing numeric at all. */
  const char *strings = fx_path("reader_strings_only.h5");
  f = fx_create(strings);
  const char *s[2] = {"p", "q"};
  fx_strings(f, "name", s, 2);
  H5Fclose(f);
  expect_error(STRATA_ERR_FORMAT, strings, NULL, NULL, 0, "no numeric 1-D columns", NULL);

  expect_error(STRATA_ERR_NOT_FOUND, getenv("STRATA_TEST_TMP") ? getenv("STRATA_TEST_TMP") : "/tmp", NULL,
               NULL, 0, "Is a directory", NULL);
}

/* A file another process holds open for writing is locked, not damaged. */
static void test_locked(void) {
  const char *path = fx_path("reader_locked.h5");
  write_group_file(path, NULL, 0, 0);
  int ready[2], done[2];
  if (pipe(ready) != 0 || pipe(done) != 0) return;
  pid_t child = fork();
  if (child == 0) {
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    char c = f >= 0 ? 'y' : 'n';
    if (write(ready[1], &c, 1) != 1 || read(done[0], &c, 1) != 1) _exit(1);
    H5Fclose(f);
    _exit(0);
  }
  char c = 0;
  if (child > 0 && read(ready[0], &c, 1) == 1 && c == 'y') {
    const char *env = getenv("HDF5_USE_FILE_LOCKING");
    if (!env || strcmp(env, "FALSE") != 0)
      expect_error(STRATA_ERR_IO, path, NULL, NULL, 0, "another process has it open for writing", NULL);
  }
  if (write(done[1], "x", 1) != 1) perror("pipe");
  if (child > 0) waitpid(child, NULL, 0);
  close(ready[0]), close(ready[1]), close(done[0]), close(done[1]);
}

/* A chunk whose compressed bytes are garbage: the open succeeds and the
 * error comes out of strata_cursor_next, from the prefetch thread too. */
static void test_read_error(void) {
  const char *path = fx_path("reader_corrupt_chunk.h5");
  write_group_file(path, NULL, 1000, 1);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, "b", H5P_DEFAULT);
  haddr_t addr = 0;
  hsize_t size = 0;
  hid_t space = H5Dget_space(d);
  CHECK(H5Dget_chunk_info(d, space, 5, NULL, NULL, &addr, &size) >= 0);
  H5Sclose(space);
  H5Dclose(d);
  H5Fclose(f);
  FILE *fp = fopen(path, "r+b");
  fseek(fp, (long)addr, SEEK_SET);
  for (hsize_t i = 0; i < size; i++) fputc(0xA5, fp);
  fclose(fp);

  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &ds));
  if (!ds) return;
  for (int prefetch = 0; prefetch <= 1; prefetch++) {
    strata_cursor *cur = NULL;
    strata_chunk ch;
    CHECK_OK(strata_cursor_open(NULL, ds, 1000, prefetch, &cur));
    for (int pass = 0; pass < 2; pass++) {
      strata_status st;
      size_t good = 0;
      while ((st = strata_cursor_next(cur, &ch)) == STRATA_OK && ch.rows > 0) {
        CHECK(memcmp(ch.data, expected + ch.row0 * D, ch.rows * D * sizeof(float)) == 0);
        good++;
      }
      /* A chunk HDF5 cannot decode is bad input (exit 2), not a runtime fault. */
      CHECK_MSG(st == STRATA_ERR_FORMAT && good == 5, "%s after %zu chunks", strata_status_name(st), good);
      const char *detail = strata_last_error();
      CHECK_MSG(strstr(detail, "rows 5000-5999") && strstr(detail, "'b'") &&
                    strstr(detail, "reader_corrupt_chunk.h5"),
                "detail: %s", detail);
      /* The error stays until a rewind. */
      CHECK(strata_cursor_next(cur, &ch) == STRATA_ERR_FORMAT);
      CHECK_OK(strata_cursor_rewind(cur));
    }
    strata_cursor_close(cur);
  }
  strata_dataset_free(ds);
}

/* The child reader (io/h5_probe.c) skips files it read safely before only
 * when they are unchanged and their times older than 2 s: a file rewritten
 * in place with the same size within the timestamps' granularity looks
 * unchanged, and the fuzzer, rewriting one path, got a file that crashes
 * HDF5 past the child that way.  Here a fresh file is read by a child at
 * every open, its crashing rewrite (same size) is refused every time, and
 * an old file is read by a child once. */
static void copy_file(const char *from, const char *to, long pad_to) {
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
  CHECK_MSG(in && out, "cannot copy %s to %s", from, to);
  if (!in || !out) { if (in) fclose(in); if (out) fclose(out); return; }
  char buf[8192];
  size_t n;
  long total = 0;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0) { fwrite(buf, 1, n, out); total += (long)n; }
  for (; total < pad_to; total++) fputc(0, out); /* past HDF5's end of file: ignored */
  fclose(in);
  fclose(out);
}

static long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void test_probe_rewritten(void) {
  const char *bad = STRATA_TEST_SOURCE_DIR "/tests/fuzz/regressions_h5/compact_link_free_abort.h5";
  const char *good = STRATA_TEST_SOURCE_DIR "/tests/fuzz/corpus_h5/cust.h5";
  const long size = file_size(bad) > file_size(good) ? file_size(bad) : file_size(good);
  CHECK(size > 0);
  const char *path = fx_path("rewritten.h5");
  copy_file(good, path, size);
  size_t before = strata_h5_probes_run();
  CHECK_OK(strata_h5_probe(path));
  CHECK_OK(strata_h5_probe(path));
  CHECK_MSG(strata_h5_probes_run() - before == 2, "a file written just now was read by %zu children, not 2",
            strata_h5_probes_run() - before);
  for (int i = 0; i < 10; i++) {
    copy_file(bad, path, size);
    CHECK_MSG(file_size(path) == size, "rewrite %d changed the size", i);
    CHECK_MSG(strata_h5_probe(path) == STRATA_ERR_FORMAT, "rewrite %d: the crashing file was not refused", i);
    copy_file(good, path, size);
    CHECK_OK(strata_h5_probe(path));
  }
  unlink(path);
  /* A file of the source tree is older than 2 s: one child, then the list. */
  if (file_size(good) > 0) {
    CHECK_OK(strata_h5_probe(good));
    before = strata_h5_probes_run();
    CHECK_OK(strata_h5_probe(good));
    CHECK_MSG(strata_h5_probes_run() == before, "an old file read safely was read again");
  }
}

/* A 2-D dataset of `cols` float32 columns and `rows` rows, compressed
 * chunks of fill values written at creation: every chunk stored, a few
 * hundred bytes of file per 64 MiB of values. */
static void write_wide(const char *path, hsize_t rows, hsize_t cols, hsize_t chunk_cols) {
  hid_t f = fx_create(path);
  hsize_t dims[2] = {rows, cols}, chunk[2] = {rows, chunk_cols};
  hid_t sp = H5Screate_simple(2, dims, NULL), pl = H5Pcreate(H5P_DATASET_CREATE);
  float fill = 1.5f;
  H5Pset_chunk(pl, 2, chunk);
  H5Pset_deflate(pl, 1);
  H5Pset_fill_value(pl, H5T_NATIVE_FLOAT, &fill);
  H5Pset_alloc_time(pl, H5D_ALLOC_TIME_EARLY);
  H5Pset_fill_time(pl, H5D_FILL_TIME_ALLOC);
  hid_t d = H5Dcreate2(f, "X", H5T_IEEE_F32LE, sp, H5P_DEFAULT, pl, H5P_DEFAULT);
  CHECK(d >= 0);
  H5Dclose(d);
  H5Pclose(pl);
  H5Sclose(sp);
  H5Fclose(f);
}

/* Wide tables: 2^30 columns, all stored, are refused on open by what their
 * columns would take (they grew until the OOM killer ended the command);
 * features named in any order among many columns are found by name (the
 * lookup was pairwise: hours for 2^21 named columns). */
static void test_wide(void) {
  const char *huge = fx_path("reader_wide_huge.h5");
  write_wide(huge, 1, (hsize_t)1 << 30, (hsize_t)1 << 24);
  expect_error(STRATA_ERR_NOMEM, huge, NULL, NULL, 0, "has 1073741824 columns: reading them takes about 2048.0 GiB",
               "of memory available");
  unlink(huge);

  const size_t d = 5000;
  const char *wide = fx_path("reader_wide.h5");
  write_wide(wide, 3, d, 1024);
  char **names = malloc(d * sizeof *names);
  const char **want = malloc(d * sizeof *want);
  CHECK(names && want);
  if (!names || !want) return;
  for (size_t j = 0; j < d; j++) {
    char buf[32];
    snprintf(buf, sizeof buf, "c%zu", j);
    names[j] = strdup(buf);
  }
  /* Every third column, last first. */
  size_t n = 0;
  for (size_t j = d; j-- > 0;)
    if (j % 3 == 1) want[n++] = names[j];
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_open(wide, NULL, want, n, &ds));
  if (ds) {
    CHECK(strata_dataset_cols(ds) == n);
    for (size_t j = 0; j < n && j < strata_dataset_cols(ds); j++)
      CHECK_MSG(strcmp(strata_dataset_col_name(ds, j), want[j]) == 0, "column %zu is %s, not %s", j,
                strata_dataset_col_name(ds, j), want[j]);
    strata_dataset_free(ds);
  }
  /* One repeated far apart, one missing: the same errors as a short list. */
  const char *twice[] = {"c10", "c4999", "c7", "c10"};
  expect_error(STRATA_ERR_USAGE, wide, NULL, twice, 4, "feature 'c10' is given twice", NULL);
  const char *missing[] = {"c4999", "c5000"};
  expect_error(STRATA_ERR_COLUMN, wide, NULL, missing, 2, "column 'c5000' not found in ", NULL);
  for (size_t j = 0; j < d; j++) free(names[j]);
  free(names);
  free(want);
  unlink(wide);
}

int main(void) {
  fill_expected();
  test_layouts();
  test_selection();
  test_types();
  test_small_and_empty();
  test_column_order();
  test_rewind();
  test_rewind_stress();
  test_recommend_chunk();
  test_errors();
  test_hollow();
  test_wide();
  test_partial_chunks();
  test_huge_element();
  test_hollow_categorical();
  test_locked();
  test_read_error();
  test_probe_rewritten();
  return check_report();
}
