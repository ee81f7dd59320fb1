/* The safe default feature set (strata_choose_features): on an imported
 * table with one column of every kind that misleads a segmentation, the
 * default keeps the traits and leaves out each of the others with its
 * reason; the traits that merely look alike (a count dominated by 0, whole
 * numbers that are not a key, a ratio without a dominating 0) stay; a given
 * list overrides, with a date turned into its age in days; --exclude. */
#include <string.h>

#include "check.h"
#include "fixture.h"

static const char *reason_of(const strata_feature_choice *c, const char *name) {
  for (size_t i = 0; i < c->n_left_out; i++)
    if (strcmp(c->left_out[i], name) == 0) return c->reasons[i];
  return NULL;
}

static int chosen(const strata_feature_choice *c, const char *name) {
  for (size_t i = 0; i < c->n; i++)
    if (strcmp(c->features[i], name) == 0) return 1;
  return 0;
}

static void write_table(const char *csv) {
  FILE *f = fopen(csv, "w");
  CHECK(f != NULL);
  if (!f) return;
  fprintf(f, "customer_id,CustomerKey,order_ref,age,spend,income,previous,share,flag,y,signup,day,pdays,"
             "pdays999,ratio,region,note\n");
  uint64_t s = 5;
  for (int i = 0; i < 3000; i++) {
    int dom = fixture_uniform(&s) < 0.8;
    double spend = exp(fixture_normal(&s)) * 30.0;
    fprintf(f, "%d,%d,%d,%d,%.2f,%d,%d,%.3f,%d,%s,2021-%02d-%02d,%d,%d,%d,%.3f,%s,note %d\n",
            i + 1,                                       /* unique, marked by import */
            10000 + (i * 7919) % 1500,                   /* a repeating key by its name */
            500000 + i,                                  /* unique whole numbers, dense: an identifier */
            18 + i % 60,                                 /* a trait */
            spend,                                       /* a trait */
            20000 + (int)(fixture_uniform(&s) * 200000), /* whole numbers, not dense: a trait */
            dom ? 0 : 1 + i % 5,                         /* a count dominated by 0: a trait */
            0.05 + 0.9 * fixture_uniform(&s),            /* a ratio without a dominating 0: a trait */
            i % 3 == 0,                                  /* only 0 and 1 */
            i % 4 == 0 ? "yes" : "no",                   /* import's bool */
            1 + i % 12, 1 + i % 28,                      /* a date */
            1 + i % 31,                                  /* a calendar field */
            dom ? -1 : 1 + i % 300,                      /* the -1 sentinel */
            dom ? 999 : i % 27,                          /* the 999 sentinel */
            dom ? 0.0 : 0.1 + 0.8 * fixture_uniform(&s), /* 0 dominating a ratio */
            i % 2 ? "north" : "south",                   /* text, two categories */
            i);                                          /* text, all distinct */
  }
  fclose(f);
}

int main(void) {
  const char *csv = fixture_path("fc.csv"), *h5 = fixture_path("fc.h5");
  write_table(csv);
  CHECK_OK(fixture_import_csv(csv, h5));
  strata_feature_choice *c = NULL;
  CHECK_OK(strata_choose_features(NULL, h5, NULL, NULL, 0, NULL, 0, &c));
  if (c) {
    const char *traits[] = {"age", "spend", "income", "previous", "share"};
    CHECK_MSG(c->n == 5, "%zu features chosen", c->n);
    for (size_t i = 0; i < 5; i++) CHECK_MSG(chosen(c, traits[i]), "'%s' not chosen", traits[i]);
    const struct {
      const char *name, *why;
    } out[] = {{"customer_id", "identifier by import"},
               {"CustomerKey", "key by its name"},
               {"order_ref", "distinct whole numbers"},
               {"flag", "only 0 and 1"},
               {"y", "boolean"},
               {"signup", "a date"},
               {"day", "calendar field"},
               {"pdays", "sentinel -1"},
               {"pdays999", "sentinel 999"},
               {"ratio", "sentinel 0"},
               {"region", "--categorical region"},
               {"note", "3000 distinct values"}};
    CHECK_MSG(c->n_left_out == sizeof out / sizeof *out, "%zu left out", c->n_left_out);
    for (size_t i = 0; i < sizeof out / sizeof *out; i++) {
      const char *r = reason_of(c, out[i].name);
      CHECK_MSG(r && strstr(r, out[i].why), "'%s': %s", out[i].name, r ? r : "(not left out)");
    }
    CHECK(c->transforms == NULL);
  }
  strata_feature_choice_free(c);

  /* --exclude removes a trait too; an unknown name is a usage error */
  const char *ex[] = {"spend", "income"};
  CHECK_OK(strata_choose_features(NULL, h5, NULL, NULL, 0, ex, 2, &c));
  if (c) {
    CHECK(c->n == 3 && !chosen(c, "spend") && !chosen(c, "income"));
    CHECK(reason_of(c, "spend") && strstr(reason_of(c, "spend"), "--exclude"));
  }
  strata_feature_choice_free(c);
  const char *bad[] = {"spnd"};
  CHECK(strata_choose_features(NULL, h5, NULL, NULL, 0, bad, 1, &c) == STRATA_ERR_USAGE && c == NULL);
  CHECK(strstr(strata_last_error(), "'spnd'"));

  /* a list overrides the rules; a date in it becomes its age in days */
  const char *given[] = {"pdays", "signup", "age", "y"};
  CHECK_OK(strata_choose_features(NULL, h5, NULL, given, 4, ex, 2, &c));
  if (c) {
    CHECK(c->n == 4 && strcmp(c->features[0], "pdays") == 0 && strcmp(c->features[1], "signup") == 0);
    CHECK(c->n_left_out == 0);
    CHECK(c->transforms && strcmp(c->transforms, "signup:age-days") == 0);
  }
  /* ... and a fit with it measures the age at the latest date */
  strata_dataset *ds = NULL;
  strata_model *m = NULL;
  if (c) CHECK_OK(strata_dataset_open(h5, NULL, c->features, c->n, &ds));
  strata_fit_params p;
  strata_fit_params_init(&p);
  p.k = 2;
  p.transforms = c ? c->transforms : NULL;
  if (ds) CHECK_OK(strata_fit(NULL, ds, &p, &m));
  if (m) {
    const strata_model_info *in = strata_model_get_info(m);
    CHECK(in->transform_kind && in->transform_kind[1] == STRATA_TRANSFORM_AGE_DAYS);
    /* 2021-12-28 is day 18989 since 1970-01-01 */
    CHECK_MSG(in->transform_kind && in->transform_param[3 + 1] == 18989.0, "reference day %.17g",
              in->transform_param[4]);
  }
  strata_model_free(m);
  strata_dataset_free(ds);
  strata_feature_choice_free(c);

  /* nothing left is a data error that says what to do */
  const char *all[] = {"age", "spend", "income", "previous", "share"};
  CHECK(strata_choose_features(NULL, h5, NULL, NULL, 0, all, 5, &c) == STRATA_ERR_DATA && c == NULL);
  CHECK(strstr(strata_last_error(), "--features"));
  return check_report();
}
