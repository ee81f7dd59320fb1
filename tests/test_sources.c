/* Data sources (io/source.h) against each other on the same table: a
 * columnar HDF5 group, a 2-D HDF5 dataset, and borrowed strided arrays
 * (row-major, column-major, padded, reversed, float32 and float64) give the
 * same values for any chunking, any column choice and any row range; a
 * row view reads only its rows; the borrowed array is never copied; the
 * public handles (strata_dataset_from_strided, strata_dataset_view_rows)
 * fit like a file; the one-hot transform stacks under a row view. */
#include <malloc.h>
#include <math.h>
#include <string.h>

#include "check.h"
#include "ctx_pool.h"
#include "dataset.h"
#include "fixture.h"
#include "io_fixture.h"

enum { N = 10007, D = 5, FILE_CHUNK = 1000 };
static const char *const names[D] = {"a", "b", "c", "d", "e"};
static float ref[N * D]; /* row-major: the table every source presents */

/* Exact in float32 and float64 (multiples of 1/4 below 2^22), NaN where missing. */
static float value(size_t i, size_t j) {
  if ((i * 7 + j) % 1001 == 3) return NAN;
  return (float)((double)(i * D + j) * 0.25 - 1000.0 * (double)j);
}

/* Same value: equal bits, or both NaN (a float64 NaN rounds to some NaN). */
static int same(float a, float b) { return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0; }

static size_t mismatches(const float *got, const float *want, size_t n) {
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) bad += !same(got[i], want[i]);
  return bad;
}

/* "/cols": one float32 column per feature except "c", stored as float64;
 * "/X": the N×D float64 matrix with a "columns" attribute.  Both chunked by
 * FILE_CHUNK rows, so reads cross chunk boundaries. */
static void write_table(const char *path) {
  hid_t f = fx_create(path);
  hid_t g = H5Gcreate2(f, "cols", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t n = N, chunk = FILE_CHUNK, dims[2] = {N, D}, chunk2[2] = {FILE_CHUNK, D};
  double *col64 = malloc(N * sizeof *col64), *all64 = malloc(N * D * sizeof *all64);
  float *col = malloc(N * sizeof *col);
  for (size_t j = 0; j < D; j++) {
    for (size_t i = 0; i < N; i++) col[i] = ref[i * D + j], col64[i] = ref[i * D + j];
    if (j == 2)
      fx_write(g, names[j], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, &chunk, 0, col64);
    else
      fx_column_f32(g, names[j], col, n, chunk);
  }
  for (size_t i = 0; i < N * D; i++) all64[i] = ref[i];
  fx_write(f, "X", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, chunk2, 1, all64);
  hid_t x = H5Dopen2(f, "X", H5P_DEFAULT);
  fx_string_attr(x, "columns", names, D, 0);
  H5Dclose(x);
  H5Gclose(g);
  H5Fclose(f);
  free(col64);
  free(all64);
  free(col);
}

/* ------------------------------------------------------------ the sources */

enum { KINDS = 7 };
typedef struct {
  const char *what;
  strata_source *src;
} source_case;

/* Caller-held arrays of the strided cases (borrowed: they outlive the sources). */
static float colmajor[N * D], revcols[N * D], reversed32[N * D];
static double padded64[N * (D + 3)];

static void open_sources(const char *path, source_case *c) {
  for (size_t i = 0; i < N; i++)
    for (size_t j = 0; j < D; j++) {
      float v = ref[i * D + j];
      colmajor[j * N + i] = v;
      revcols[i * D + (D - 1 - j)] = v;
      reversed32[(N - 1 - i) * D + j] = v;
      padded64[i * (D + 3) + j] = v;
    }
  memset(c, 0, KINDS * sizeof *c);
  c[0].what = "hdf5-columns";
  CHECK_OK(strata_source_h5_open(path, "/cols", NULL, 0, 0, &c[0].src));
  c[1].what = "hdf5-matrix";
  CHECK_OK(strata_source_h5_open(path, "/X", NULL, 0, 0, &c[1].src));
  c[2].what = "f32 row-major";
  CHECK_OK(strata_source_strided(ref, STRATA_ELEM_F32, N, D, D, 1, names, NULL, &c[2].src));
  c[3].what = "f32 column-major";
  CHECK_OK(strata_source_strided(colmajor, STRATA_ELEM_F32, N, D, 1, N, names, NULL, &c[3].src));
  c[4].what = "f32 columns reversed";
  CHECK_OK(strata_source_strided(revcols + D - 1, STRATA_ELEM_F32, N, D, D, -1, names, NULL, &c[4].src));
  c[5].what = "f32 rows reversed";
  CHECK_OK(strata_source_strided(reversed32 + (N - 1) * D, STRATA_ELEM_F32, N, D, -D, 1, names, NULL, &c[5].src));
  c[6].what = "f64 padded rows";
  CHECK_OK(strata_source_strided(padded64, STRATA_ELEM_F64, N, D, D + 3, 1, names, NULL, &c[6].src));
}

/* Reads rows [0, s->rows) of pick in chunks of `chunk` rows into out. */
static strata_status read_chunked(strata_source *s, size_t chunk, const size_t *pick, size_t npick, float *out) {
  size_t w = pick ? npick : s->cols;
  for (size_t r = 0; r < s->rows; r += chunk) {
    size_t m = s->rows - r < chunk ? s->rows - r : chunk;
    strata_status st = strata_source_read(s, r, m, pick, npick, out + r * w);
    if (st != STRATA_OK) return st;
  }
  return STRATA_OK;
}

/* Rows [first, end) of ref at columns pick (NULL: all). */
static void expected_rows(size_t first, size_t end, const size_t *pick, size_t npick, float *out) {
  size_t w = pick ? npick : D;
  for (size_t i = first; i < end; i++)
    for (size_t j = 0; j < w; j++) out[(i - first) * w + j] = ref[i * D + (pick ? pick[j] : j)];
}

static const size_t chunks[] = {1, 7, FILE_CHUNK, FILE_CHUNK + 1, 4096, N};
#define NCHUNKS (sizeof chunks / sizeof chunks[0])

static float got[N * D], want[N * D];

/* Every source, every chunking: the bytes of ref. */
static void test_agree(source_case *c) {
  for (int k = 0; k < KINDS; k++) {
    if (!c[k].src) continue;
    CHECK(c[k].src->rows == N && c[k].src->cols == D);
    for (size_t j = 0; j < D; j++) CHECK(strcmp(c[k].src->col[j].name, names[j]) == 0);
    for (size_t q = 0; q < NCHUNKS; q++) {
      memset(got, 0xab, sizeof got);
      CHECK_OK(read_chunked(c[k].src, chunks[q], NULL, 0, got));
      size_t bad = mismatches(got, ref, N * D);
      CHECK_MSG(bad == 0, "%s, chunks of %zu: %zu values differ", c[k].what, chunks[q], bad);
    }
  }
  CHECK(c[0].src && c[0].src->file_chunk_rows == FILE_CHUNK && c[0].src->layout == STRATA_LAYOUT_COLUMNS);
  CHECK(c[1].src && c[1].src->file_chunk_rows == FILE_CHUNK && c[1].src->layout == STRATA_LAYOUT_MATRIX);
  CHECK(c[2].src && c[2].src->file_chunk_rows == 0 && c[2].src->layout == STRATA_LAYOUT_MEMORY);
  CHECK(c[1].src && strcmp(c[1].src->col[2].type, "float64") == 0);
}

/* A chosen subset of columns, in any order, repeated. */
static void test_pick(source_case *c) {
  static const size_t picks[][3] = {{4, 0, 2}, {3, 3, 1}, {1, 0, 0}};
  static const size_t npicks[] = {3, 3, 1};
  for (int k = 0; k < KINDS; k++)
    for (size_t p = 0; c[k].src && p < 3; p++) {
      expected_rows(0, N, picks[p], npicks[p], want);
      CHECK_OK(read_chunked(c[k].src, 999, picks[p], npicks[p], got));
      size_t bad = mismatches(got, want, N * npicks[p]);
      CHECK_MSG(bad == 0, "%s, pick %zu: %zu values differ", c[k].what, p, bad);
    }
  size_t outside = D;
  if (c[0].src) CHECK(strata_source_read(c[0].src, 0, 1, &outside, 1, got) == STRATA_ERR_USAGE);
}

/* Row ranges: empty ones, one row, ranges that start and end inside file
 * chunks and cross their boundaries, everything; a view of a view. */
static void test_views(source_case *c) {
  static const size_t ranges[][2] = {{0, 0}, {N, N}, {5, 5}, {999, 2001}, {1000, 2000},
                                     {N - 1, N}, {0, N}, {4093, 9001}};
  for (int k = 0; k < KINDS; k++) {
    if (!c[k].src) continue;
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
      size_t a = ranges[r][0], b = ranges[r][1];
      strata_source *v = NULL;
      CHECK_OK(strata_source_rows(c[k].src, a, b, &v));
      if (!v) continue;
      CHECK(v->rows == b - a && v->cols == D && strcmp(v->col[1].name, "b") == 0);
      expected_rows(a, b, NULL, 0, want);
      for (size_t q = 0; q < NCHUNKS; q += 2) {
        memset(got, 0xab, (b - a) * D * sizeof *got);
        CHECK_OK(read_chunked(v, chunks[q], NULL, 0, got));
        size_t bad = mismatches(got, want, (b - a) * D);
        CHECK_MSG(bad == 0, "%s, rows [%zu, %zu), chunks of %zu: %zu values differ", c[k].what, a, b, chunks[q], bad);
      }
      /* Rows of the inner source past the view's end are not the view's. */
      CHECK(strata_source_read(v, b - a, 1, NULL, 0, got) == STRATA_ERR_USAGE);
      size_t rc = strata_source_recommend_chunk(v, 64, 0);
      CHECK(rc >= 64 && rc % 64 == 0 && rc <= (b - a == 0 ? 64 : (b - a + 63) / 64 * 64));
      strata_source_close(v);
    }
    strata_source *outer = NULL, *inner = NULL;
    CHECK_OK(strata_source_rows(c[k].src, 999, 2001, &outer));
    if (outer) CHECK_OK(strata_source_rows(outer, 1, 1001, &inner));
    if (inner) {
      size_t pick[2] = {4, 1};
      expected_rows(1000, 2000, pick, 2, want);
      CHECK_OK(read_chunked(inner, 333, pick, 2, got));
      CHECK_MSG(mismatches(got, want, 1000 * 2) == 0, "%s: a view of a view differs", c[k].what);
    }
    strata_source_close(inner);
    strata_source_close(outer);
    strata_source *bad = NULL;
    CHECK(strata_source_rows(c[k].src, 5, 4, &bad) == STRATA_ERR_USAGE && !bad);
    CHECK(strata_source_rows(c[k].src, 0, N + 1, &bad) == STRATA_ERR_USAGE && !bad);
  }
}

/* ------------------------------------------------------------ a spy */

/* A source over another that records which rows were asked of it: a new
 * kind is one ops table, and the view is held to its rows. */
typedef struct {
  strata_source base;
  strata_source *inner;
  size_t lo, hi; /* rows read: [lo, hi) covers them all */
} spy_source;

static strata_status spy_read(strata_source *s, size_t row0, size_t rows, const size_t *pick, size_t npick,
                              float *out) {
  spy_source *spy = (spy_source *)s;
  if (row0 < spy->lo) spy->lo = row0;
  if (row0 + rows > spy->hi) spy->hi = row0 + rows;
  return strata_source_read(spy->inner, row0, rows, pick, npick, out);
}
static void spy_close(strata_source *s) { (void)s; }
static const strata_source_ops spy_ops = {"spy", spy_read, strata_source_default_chunk, NULL, spy_close};

static void test_view_reads_only_its_rows(strata_source *src) {
  spy_source spy = {.base = *src, .inner = src, .lo = SIZE_MAX, .hi = 0};
  spy.base.ops = &spy_ops;
  strata_source *v = NULL;
  CHECK_OK(strata_source_rows(&spy.base, 999, 2001, &v));
  if (!v) return;
  for (size_t q = 0; q < NCHUNKS; q++) CHECK_OK(read_chunked(v, chunks[q], NULL, 0, got));
  CHECK_MSG(spy.lo == 999 && spy.hi == 2001, "the view read rows [%zu, %zu)", spy.lo, spy.hi);
  strata_source_close(v);
}

/* ------------------------------------------------------------ zero copy */

/* Bytes allocated, in the heap and in mmap-ed blocks (large ones). */
static size_t heap_in_use(void) {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

/* The borrowed array is read where it lies: opening allocates nothing that
 * grows with rows, and a change to the caller's array shows in the next
 * read.  2^40 rows of one repeated row (row stride 0) would need 20 TiB if
 * anything were copied. */
static void test_zero_copy(void) {
  size_t n = (size_t)1 << 20;
  double *x = malloc(n * D * sizeof *x);
  for (size_t i = 0; x && i < n * D; i++) x[i] = (double)i;
  size_t before = heap_in_use();
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_from_strided(x, STRATA_ELEM_F64, n, D, D, 1, names, &ds));
  size_t grew = heap_in_use() - before;
  CHECK_MSG(grew < 4096, "opening a borrowed array of %zu rows allocated %zu bytes", n, grew);
  float row[D];
  if (ds) {
    x[(n - 1) * D + 2] = -7.5;
    CHECK_OK(strata_dataset_read(ds, n - 1, 1, row));
    CHECK(row[2] == -7.5f && row[1] == (float)((n - 1) * D + 1));
  }
  strata_dataset_free(ds);
  free(x);

  const float one[D] = {1, 2, 3, 4, 5};
  size_t huge = (size_t)1 << 40;
  CHECK_OK(strata_dataset_from_strided(one, STRATA_ELEM_F32, huge, D, 0, 1, NULL, &ds));
  if (ds) {
    CHECK(strata_dataset_rows(ds) == huge && strcmp(strata_dataset_col_name(ds, 4), "c4") == 0);
    float tail[3 * D];
    CHECK_OK(strata_dataset_read(ds, huge - 3, 3, tail));
    CHECK(memcmp(tail, one, sizeof one) == 0 && memcmp(tail + 2 * D, one, sizeof one) == 0);
    strata_dataset *v = NULL;
    CHECK_OK(strata_dataset_view_rows(ds, huge - 10, huge, &v));
    CHECK(v && strata_dataset_rows(v) == 10 && strcmp(strata_dataset_path(v), "(memory)") == 0);
    strata_dataset_free(v);
  }
  strata_dataset_free(ds);

  /* Refusals. */
  CHECK(strata_dataset_from_strided(NULL, STRATA_ELEM_F32, 3, D, D, 1, NULL, &ds) == STRATA_ERR_USAGE && !ds);
  CHECK(strata_dataset_from_strided(one, STRATA_ELEM_F32, 3, 0, D, 1, NULL, &ds) == STRATA_ERR_USAGE);
  CHECK(strata_dataset_from_strided(one, (strata_elem_type)9, 1, D, D, 1, NULL, &ds) == STRATA_ERR_USAGE);
  CHECK(strata_dataset_from_strided(one, STRATA_ELEM_F32, huge, D, PTRDIFF_MAX / 2, 1, NULL, &ds) ==
        STRATA_ERR_USAGE);
  const char *dup[D] = {"a", "b", "a", "d", "e"};
  CHECK(strata_dataset_from_strided(one, STRATA_ELEM_F32, 1, D, D, 1, dup, &ds) == STRATA_ERR_USAGE && !ds);
}

/* ------------------------------------------------------------ public handles */

static void fit(strata_dataset *ds, strata_model **m) {
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = 3;
  p.seed = 4;
  p.missing = STRATA_MISSING_DROP;
  *m = NULL;
  if (ds) CHECK_OK(strata_fit(test_ctx(2, NULL), ds, &p, m));
}

/* Rows [a, b) as a view of the file, of a borrowed column-major float64
 * array, and as a copy: the same model, bit for bit. */
static void test_fit_on_views(const char *path) {
  size_t a = 999, b = 7001;
  double *cm = malloc(N * D * sizeof *cm);
  for (size_t i = 0; i < N; i++)
    for (size_t j = 0; j < D; j++) cm[j * N + i] = ref[i * D + j];
  strata_dataset *file = NULL, *fview = NULL, *arr = NULL, *aview = NULL, *copy = NULL;
  CHECK_OK(strata_dataset_open(path, "/cols", NULL, 0, &file));
  if (file) CHECK_OK(strata_dataset_view_rows(file, a, b, &fview));
  CHECK_OK(strata_dataset_from_strided(cm, STRATA_ELEM_F64, N, D, 1, N, names, &arr));
  if (arr) CHECK_OK(strata_dataset_view_rows(arr, a, b, &aview));
  CHECK_OK(strata_dataset_from_memory(ref + a * D, b - a, D, names, &copy));
  CHECK(fview && strcmp(strata_dataset_path(fview), path) == 0 && strata_dataset_rows(fview) == b - a);
  strata_model *mf = NULL, *ma = NULL, *mc = NULL;
  fit(fview, &mf);
  fit(aview, &ma);
  fit(copy, &mc);
  if (mf && ma && mc) {
    const strata_model_info *f = strata_model_get_info(mf), *r = strata_model_get_info(ma),
                            *c = strata_model_get_info(mc);
    CHECK(memcmp(f->centroids, c->centroids, 3 * D * sizeof(double)) == 0);
    CHECK(memcmp(r->centroids, c->centroids, 3 * D * sizeof(double)) == 0);
    CHECK(memcmp(f->sizes, c->sizes, 3 * sizeof(int64_t)) == 0 && f->inertia == c->inertia);
    CHECK(r->inertia == c->inertia);
  }
  strata_model_free(mf);
  strata_model_free(ma);
  strata_model_free(mc);
  strata_dataset *bad = NULL;
  CHECK(strata_dataset_view_rows(file, 10, 5, &bad) == STRATA_ERR_USAGE && !bad);
  strata_dataset_free(copy);
  strata_dataset_free(fview);
  strata_dataset_free(aview);
  strata_dataset_free(file);
  strata_dataset_free(arr);
  free(cm);
}

/* One-hot over a columnar table, then a row view: the view's rows are the
 * full table's rows; the transform refuses to stack on a view. */
static void test_onehot_view(void) {
  const char *csv = fx_path("sources_cat.csv"), *h5 = fx_path("sources_cat.h5");
  FILE *f = fopen(csv, "w");
  CHECK(f != NULL);
  if (!f) return;
  static const char *const regions[] = {"north", "south", "east", ""};
  fprintf(f, "spend,region\n");
  for (int i = 0; i < 3000; i++) fprintf(f, "%d.5,%s\n", i % 97, regions[(i * 7) % 4]);
  fclose(f);
  CHECK_OK(fixture_import_csv(csv, h5));
  const char *cat[] = {"region"};
  strata_dataset *ds = NULL, *v = NULL, *plain = NULL, *pv = NULL;
  CHECK_OK(strata_dataset_open(h5, NULL, NULL, 0, &ds));
  CHECK_OK(strata_dataset_open(h5, NULL, NULL, 0, &plain));
  if (plain) CHECK_OK(strata_dataset_view_rows(plain, 10, 20, &pv));
  if (pv) CHECK(strata_dataset_add_categorical(pv, cat, 1, NULL, NULL) == STRATA_ERR_USAGE);
  if (ds) CHECK_OK(strata_dataset_add_categorical(ds, cat, 1, NULL, NULL));
  size_t d = ds ? strata_dataset_cols(ds) : 0;
  CHECK_MSG(d == 4, "%zu columns", d);
  if (ds && d == 4) {
    CHECK_OK(strata_dataset_read(ds, 0, 3000, want));
    CHECK_OK(strata_dataset_view_rows(ds, 1001, 2500, &v));
  }
  if (v) {
    CHECK(strata_dataset_cols(v) == 4 && strata_dataset_groups(v) == 1 && strata_dataset_col_group(v, 2) == 0);
    CHECK(strcmp(strata_dataset_col_type(v, 3), "one-hot") == 0);
    CHECK_OK(read_chunked(strata_dataset_source(v), 100, NULL, 0, got));
    CHECK(mismatches(got, want + 1001 * 4, 1499 * 4) == 0);
    CHECK(strata_dataset_add_categorical(v, cat, 1, NULL, NULL) == STRATA_ERR_USAGE);
  }
  strata_dataset_free(v);
  strata_dataset_free(ds);
  strata_dataset_free(pv);
  strata_dataset_free(plain);
  remove(csv);
  remove(h5);
}

int main(void) {
  for (size_t i = 0; i < N; i++)
    for (size_t j = 0; j < D; j++) ref[i * D + j] = value(i, j);
  const char *path = fx_path("sources.h5");
  write_table(path);
  source_case c[KINDS];
  open_sources(path, c);
  test_agree(c);
  test_pick(c);
  test_views(c);
  if (c[0].src) test_view_reads_only_its_rows(c[0].src);
  for (int k = 0; k < KINDS; k++) strata_source_close(c[k].src);
  test_zero_copy();
  test_fit_on_views(path);
  test_onehot_view();
  remove(path);
  return check_report();
}
