/* strata_dataset_from_memory: the rows are copied, read back as given, and
 * statistics, fit and assign on it give what they give on the same rows in
 * an HDF5 file. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "ctx_pool.h"
#include "dataset.h"
#include "fixture.h"
#include "rng.h"

enum { N = 5000, D = 3 };
static const char *const names[D] = {"x0", "x1", "x2"};

static void make_data(float *x) {
  strata_rng rng;
  strata_rng_seed(&rng, 11, 0);
  for (size_t i = 0; i < N; i++)
    for (size_t j = 0; j < D; j++)
      x[i * D + j] = (float)(10.0 * (double)(i % 3) * (j == i % D) + strata_rng_uniform(&rng));
}

static void basics(const float *x) {
  float *copy = malloc(N * D * sizeof *copy);
  memcpy(copy, x, N * D * sizeof *copy);
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_from_memory(copy, N, D, names, &ds));
  if (!ds) return;
  copy[0] = -1234.0f; /* copied: the caller's buffer does not matter any more */
  free(copy);
  CHECK(strata_dataset_rows(ds) == N);
  CHECK(strata_dataset_cols(ds) == D);
  CHECK(strcmp(strata_dataset_col_name(ds, 2), "x2") == 0);
  CHECK(strcmp(strata_dataset_path(ds), "(memory)") == 0);
  float block[10 * D];
  CHECK_OK(strata_dataset_read(ds, 100, 10, block));
  CHECK(memcmp(block, x + 100 * D, sizeof block) == 0);
  CHECK_OK(strata_dataset_read(ds, 0, 1, block));
  CHECK(block[0] == x[0]);
  CHECK(strata_dataset_read(ds, N - 1, 2, block) == STRATA_ERR_USAGE);

  strata_column_stats st[D];
  CHECK_OK(strata_dataset_stats(NULL, ds, 0, st));
  for (size_t j = 0; j < D; j++) {
    double sum = 0, sq = 0, lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < N; i++) {
      double v = x[i * D + j];
      sum += v;
      lo = fmin(lo, v);
      hi = fmax(hi, v);
    }
    for (size_t i = 0; i < N; i++) sq += (x[i * D + j] - sum / N) * (x[i * D + j] - sum / N);
    CHECK(st[j].count == N && st[j].missing == 0);
    CHECK_NEAR(st[j].mean, sum / N, 1e-12);
    CHECK_NEAR(st[j].var, sq / N, 1e-10);
    CHECK(st[j].min == lo && st[j].max == hi);
  }
  CHECK(strata_dataset_add_categorical(ds, names, 1, NULL, NULL) == STRATA_ERR_USAGE);
  strata_dataset_free(ds);

  /* Generated names; refusals. */
  CHECK_OK(strata_dataset_from_memory(x, 4, D, NULL, &ds));
  if (ds) CHECK(strcmp(strata_dataset_col_name(ds, 1), "c1") == 0);
  strata_dataset_free(ds);
  const char *dup[D] = {"a", "b", "a"};
  CHECK(strata_dataset_from_memory(x, 4, D, dup, &ds) == STRATA_ERR_USAGE && ds == NULL);
  CHECK(strata_dataset_from_memory(x, 4, 0, NULL, &ds) == STRATA_ERR_USAGE);
  CHECK(strata_dataset_from_memory(NULL, 4, D, NULL, &ds) == STRATA_ERR_USAGE);
}

/* The same rows from a file and from memory: bit-identical fits, and
 * assign on the memory dataset reproduces the fit's sizes and inertia. */
static void fit_and_assign(const float *x) {
  const char *path = fixture_path("mem_dataset.h5"), *labels = fixture_path("mem_dataset_labels.h5");
  CHECK(fixture_write_columns(path, names, N, D, x, 1000) == 0);
  strata_dataset *file = NULL, *mem = NULL;
  CHECK_OK(strata_dataset_open(path, NULL, NULL, 0, &file));
  CHECK_OK(strata_dataset_from_memory(x, N, D, names, &mem));
  if (!file || !mem) return;
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = 3;
  p.seed = 5;
  strata_model *mf = NULL, *mm = NULL;
  CHECK_OK(strata_fit(test_ctx(2, NULL), file, &p, &mf));
  CHECK_OK(strata_fit(test_ctx(2, NULL), mem, &p, &mm));
  if (mf && mm) {
    const strata_model_info *a = strata_model_get_info(mf), *b = strata_model_get_info(mm);
    CHECK(memcmp(a->centroids, b->centroids, 3 * D * sizeof(double)) == 0);
    CHECK(memcmp(a->sizes, b->sizes, 3 * sizeof(int64_t)) == 0);
    CHECK(a->inertia == b->inertia);
    CHECK(strcmp(b->input_file, "(memory)") == 0);
    double inertia = 0;
    int64_t sizes[3];
    CHECK_OK(strata_assign(test_ctx(2, NULL), mm, mem, labels, 0, &inertia, sizes));
    CHECK(memcmp(sizes, b->sizes, sizeof sizes) == 0);
    CHECK_NEAR(inertia, b->inertia, 1e-9);
  }
  strata_model_free(mf);
  strata_model_free(mm);
  strata_dataset_free(file);
  strata_dataset_free(mem);
  remove(path);
  remove(labels);
}

/* One-hot columns read from an imported table, held in memory with the
 * table's groups (strata_dataset_copy_groups): a fit weights them as the
 * fit on the file does, bit for bit (stability refits this way). */
static void categorical_groups(void) {
  const char *csv = fixture_path("mem_dataset_cat.csv"), *h5 = fixture_path("mem_dataset_cat.h5");
  FILE *f = fopen(csv, "w");
  CHECK(f != NULL);
  if (!f) return;
  fprintf(f, "age,spend,region\n");
  strata_rng rng;
  strata_rng_seed(&rng, 5, 0);
  static const char *const regions[] = {"north", "south", "east"};
  for (int i = 0; i < 2000; i++) {
    int r = i % 3;
    fprintf(f, "%.3f,%.2f,%s\n", 20.0 + 15.0 * r + 5.0 * strata_rng_uniform(&rng),
            100.0 * strata_rng_uniform(&rng) + 50.0 * (r == 1), regions[(i * 7 + r) % 3 == 0 ? (r + 1) % 3 : r]);
  }
  fclose(f);
  CHECK_OK(fixture_import_csv(csv, h5));
  strata_dataset *file = NULL, *mem = NULL, *plain = NULL;
  const char *cat[] = {"region"};
  CHECK_OK(strata_dataset_open(h5, NULL, NULL, 0, &file));
  if (file) CHECK_OK(strata_dataset_add_categorical(file, cat, 1, NULL, NULL));
  size_t n = file ? strata_dataset_rows(file) : 0, d = file ? strata_dataset_cols(file) : 0;
  CHECK_MSG(n == 2000 && d >= 4 && d <= 5 && file && strata_dataset_groups(file) == 1, "n=%zu d=%zu groups=%zu", n, d,
            file ? strata_dataset_groups(file) : 0);
  float *x = malloc((n ? n : 1) * (d ? d : 1) * sizeof *x);
  const int ok = file && d >= 4 && d <= 5;
  if (ok) CHECK_OK(strata_dataset_read(file, 0, n, x));
  const char *cn[5];
  for (size_t j = 0; ok && j < d; j++) cn[j] = strata_dataset_col_name(file, j);
  if (ok) {
    CHECK_OK(strata_dataset_from_memory(x, n, d, cn, &mem));
    CHECK_OK(strata_dataset_from_memory(x, n, d, cn, &plain));
  }
  if (mem) {
    CHECK(strata_dataset_copy_groups(mem, file) == STRATA_OK);
    CHECK(strata_dataset_groups(mem) == 1 && strcmp(strata_dataset_group_name(mem, 0), "region") == 0);
    for (size_t j = 0; j < d; j++) {
      CHECK(strata_dataset_col_group(mem, j) == strata_dataset_col_group(file, j));
      const char *a = strata_dataset_col_category(mem, j), *b = strata_dataset_col_category(file, j);
      CHECK((a == NULL) == (b == NULL) && (!a || strcmp(a, b) == 0));
    }
    CHECK(strata_dataset_copy_groups(mem, file) == STRATA_ERR_INTERNAL); /* once */
  }
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = 3;
  p.seed = 9;
  strata_model *mf = NULL, *mm = NULL, *mp = NULL;
  if (file && mem && plain) {
    CHECK_OK(strata_fit(NULL, file, &p, &mf));
    CHECK_OK(strata_fit(NULL, mem, &p, &mm));
    CHECK_OK(strata_fit(NULL, plain, &p, &mp));
  }
  if (mf && mm && mp) {
    const strata_model_info *a = strata_model_get_info(mf), *b = strata_model_get_info(mm),
                            *c = strata_model_get_info(mp);
    CHECK(memcmp(a->scale_factor, b->scale_factor, d * sizeof(double)) == 0);
    CHECK(memcmp(a->centroids_original, b->centroids_original, 3 * d * sizeof(double)) == 0);
    CHECK(a->inertia == b->inertia && b->n_categorical == 1);
    /* Without the groups the one-hot columns would be z-scored instead. */
    CHECK(memcmp(a->scale_factor, c->scale_factor, d * sizeof(double)) != 0);
  }
  strata_model_free(mf); strata_model_free(mm); strata_model_free(mp);
  strata_dataset_free(file); strata_dataset_free(mem); strata_dataset_free(plain);
  free(x);
  remove(csv);
  remove(h5);
}

/* A column with no value at all: mean or median imputation has nothing to
 * impute from (it used to become a constant 0 with exit 0). */
static void all_missing_column(void) {
  enum { R = 200 };
  float x[R * 3];
  for (int i = 0; i < R; i++) {
    x[i * 3] = (float)(i % 7);
    x[i * 3 + 1] = NAN;
    x[i * 3 + 2] = (float)(i % 5);
  }
  const char *cols[] = {"a", "empty", "c"};
  strata_dataset *ds = NULL;
  CHECK_OK(strata_dataset_from_memory(x, R, 3, cols, &ds));
  if (!ds) return;
  for (int rule = 0; rule < 2; rule++) {
    strata_fit_params p;
    strata_fit_params_init(&p);
    p.k = 2;
    p.missing = rule == 0 ? STRATA_MISSING_MEAN : STRATA_MISSING_MEDIAN;
    strata_model *m = NULL;
    CHECK(strata_fit(NULL, ds, &p, &m) == STRATA_ERR_DATA && m == NULL);
    CHECK_MSG(strstr(strata_last_error(), "'empty'") && strstr(strata_last_error(), "all missing"), "%s",
              strata_last_error());
  }
  strata_dataset_free(ds);
}

int main(void) {
  all_missing_column();
  float *x = malloc(N * D * sizeof *x);
  make_data(x);
  categorical_groups();
  basics(x);
  fit_and_assign(x);
  free(x);
  return check_report();
}
