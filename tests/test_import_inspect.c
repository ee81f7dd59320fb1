/* strata_csv_import and strata_inspect through the public API: what a
 * binding sees (types, counts, skipped records, statistics), against
 * values computed here from the CSV text. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "strata.h"

enum { ROWS = 1000 };

static const char *write_csv(int with_bad_line) {
  const char *csv = fixture_path("import_inspect.csv");
  FILE *f = fopen(csv, "w");
  CHECK(f != NULL);
  if (!f) return csv;
  static const char *const regions[] = {"north", "south", "east", ""};
  fprintf(f, "customer_id,spend,visits,region\n");
  for (int i = 0; i < ROWS; i++) {
    if (with_bad_line && i == 500) fprintf(f, "oops,1,2\n"); /* a field short */
    if (i % 10 == 3) fprintf(f, "%d,,%d,%s\n", 1000 + i, i % 7, regions[i % 4]);
    else fprintf(f, "%d,%d.25,%d,%s\n", 1000 + i, i % 50, i % 7, regions[i % 4]);
  }
  fclose(f);
  return csv;
}

static const strata_csv_import_column *column(const strata_csv_import_result *r, const char *name) {
  for (size_t j = 0; j < r->ncols; j++)
    if (strcmp(r->columns[j].name, name) == 0) return &r->columns[j];
  return NULL;
}

static void test_import(const char *h5) {
  strata_csv_import_params p;
  strata_csv_import_params_init(&p);
  CHECK(p.size == sizeof p && p.level == 1);
  p.input = write_csv(1);
  p.output = h5;
  unlink(h5);
  strata_csv_import_result *r = NULL;
  /* A bad record fails the import, naming its line, and leaves no file. */
  CHECK(strata_csv_import(NULL, &p, &r) != STRATA_OK && r == NULL);
  CHECK_MSG(strstr(strata_last_error(), "502") != NULL, "error: %s", strata_last_error());
  CHECK(access(h5, F_OK) != 0);
  p.skip_bad_rows = 1;
  CHECK_OK(strata_csv_import(NULL, &p, &r));
  if (!r) return;
  CHECK(r->rows == ROWS && r->ncols == 4 && r->skipped == 1 && r->nlisted == 1);
  CHECK(r->listed[0].line == 502 && r->listed[0].reason && *r->listed[0].reason);
  CHECK(r->delimiter == ',' && r->lines == ROWS + 2 && r->bytes > 0 && r->seconds >= 0.0);
  const strata_csv_import_column *id = column(r, "customer_id"), *spend = column(r, "spend"),
                                 *region = column(r, "region");
  CHECK(id && id->is_id && strcmp(id->type, "int") == 0);
  CHECK(spend && strcmp(spend->type, "float") == 0 && spend->missing == ROWS / 10 && spend->count == ROWS - ROWS / 10);
  CHECK(region && strcmp(region->type, "categorical") == 0 && region->categories == 3 &&
        region->missing == ROWS / 4);
  strata_csv_import_result_free(r);
  strata_csv_import_result_free(NULL);
  /* Parameters the library refuses. */
  p.level = 12;
  CHECK(strata_csv_import(NULL, &p, &r) == STRATA_ERR_USAGE && r == NULL);
  p.level = 1;
  p.size = 8;
  CHECK(strata_csv_import(NULL, &p, &r) == STRATA_ERR_USAGE && r == NULL);
}

static void test_inspect(const char *h5) {
  strata_inspection *r = NULL;
  CHECK_OK(strata_inspect(NULL, h5, NULL, NULL, 0, 0, &r));
  if (!r) return;
  CHECK(r->rows == ROWS && r->ncols == 4 && strcmp(r->path, h5) == 0);
  double sum = 0.0, lo = INFINITY, hi = -INFINITY;
  size_t cnt = 0;
  for (int i = 0; i < ROWS; i++)
    if (i % 10 != 3) {
      double v = i % 50 + 0.25;
      sum += v, cnt++;
      lo = fmin(lo, v), hi = fmax(hi, v);
    }
  double mean = sum / (double)cnt, m2 = 0.0;
  for (int i = 0; i < ROWS; i++)
    if (i % 10 != 3) m2 += (i % 50 + 0.25 - mean) * (i % 50 + 0.25 - mean);
  for (size_t j = 0; j < r->ncols; j++) {
    const strata_inspect_column *c = &r->columns[j];
    CHECK(c->name && c->storage && c->stats.name == c->name);
    if (strcmp(c->name, "spend") == 0) {
      CHECK(!c->categorical && c->stype && strcmp(c->stype, "float") == 0);
      CHECK(c->stats.count == cnt && c->stats.missing == ROWS / 10 && c->stats.infinite == 0);
      CHECK_NEAR(c->stats.mean, mean, 1e-12);
      CHECK_NEAR(c->stats.var, m2 / (double)cnt, 1e-12);
      CHECK(c->stats.min == lo && c->stats.max == hi);
    } else if (strcmp(c->name, "region") == 0) {
      CHECK(c->categorical && c->categories == 3 && c->stats.missing == ROWS / 4 &&
            c->stats.count == ROWS - ROWS / 4);
    } else if (strcmp(c->name, "customer_id") == 0) {
      CHECK(c->is_id);
    }
  }
  strata_inspection_free(r);

  /* Named columns come in the order named; an unknown one is an error. */
  const char *two[] = {"visits", "spend"};
  r = NULL;
  CHECK_OK(strata_inspect(NULL, h5, NULL, two, 2, 4096, &r));
  if (r) CHECK(r->ncols == 2 && strcmp(r->columns[0].name, "visits") == 0 && strcmp(r->columns[1].name, "spend") == 0);
  strata_inspection_free(r);
  const char *bad[] = {"spend", "nope"};
  r = NULL;
  CHECK(strata_inspect(NULL, h5, NULL, bad, 2, 0, &r) == STRATA_ERR_COLUMN && r == NULL);
  CHECK(strstr(strata_last_error(), "nope") != NULL);
  CHECK(strata_inspect(NULL, fixture_path("no_such_file.h5"), NULL, NULL, 0, 0, &r) == STRATA_ERR_NOT_FOUND &&
        r == NULL);
}

int main(void) {
  const char *h5 = fixture_path("import_inspect.h5");
  test_import(h5);
  test_inspect(h5);
  return check_report();
}
