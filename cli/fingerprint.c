/* Data fingerprints in JSON results (cli/fingerprint.h). */
#include "fingerprint.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

strata_status cli_fingerprint_of(strata_dataset *ds, cli_fingerprint *fp) {
  memset(fp, 0, sizeof *fp);
  uint64_t h;
  strata_status st = strata_dataset_fingerprint(ds, &h);
  if (st != STRATA_OK) return st;
  snprintf(fp->hash, sizeof fp->hash, "%016" PRIx64, h);
  fp->rows = strata_dataset_rows(ds);
  fp->d = strata_dataset_cols(ds);
  fp->features = cli_xcalloc(fp->d, sizeof *fp->features);
  for (size_t j = 0; j < fp->d; j++) fp->features[j] = cli_xstrdup(strata_dataset_col_name(ds, j));
  return STRATA_OK;
}

void cli_fingerprint_free(cli_fingerprint *fp) {
  for (size_t j = 0; fp->features && j < fp->d; j++) free(fp->features[j]);
  free(fp->features);
  memset(fp, 0, sizeof *fp);
}

cJSON *cli_fingerprint_json(const cli_fingerprint *fp) {
  cJSON *o = cJSON_CreateObject();
  char rows[32];
  snprintf(rows, sizeof rows, "%" PRIu64, fp->rows);
  cJSON *names = cJSON_CreateStringArray((const char *const *)fp->features, (int)fp->d);
  if (!o || !names || !cJSON_AddStringToObject(o, "hash", fp->hash) || !cJSON_AddRawToObject(o, "rows", rows) ||
      !cJSON_AddItemToObject(o, "features", names)) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

/* "20000 rows of age, income, ..." (the first few names). */
static void describe(char *buf, size_t cap, double rows, const char *const *names, size_t d) {
  size_t o = (size_t)snprintf(buf, cap, "%.0f rows of ", rows);
  for (size_t j = 0; j < d && o < cap; j++) {
    if (j == 4) {
      o += (size_t)snprintf(buf + o, cap - o, ", ... (%zu columns)", d);
      break;
    }
    o += (size_t)snprintf(buf + o, cap - o, "%s%s", j ? ", " : "", names[j]);
  }
}

int cli_fingerprint_check(const cJSON *root, const cli_fingerprint *fp, const char *what, char *err,
                          size_t errlen) {
  const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, "fingerprint");
  const cJSON *hash = cJSON_GetObjectItemCaseSensitive(f, "hash");
  if (!cJSON_IsObject(f) || !cJSON_IsString(hash)) {
    snprintf(err, errlen, "%s has no data fingerprint (written by an older Strata): not checked against the data",
             what);
    return -1;
  }
  if (strcmp(hash->valuestring, fp->hash) == 0) return 1;
  const cJSON *rows = cJSON_GetObjectItemCaseSensitive(f, "rows"), *feats = cJSON_GetObjectItemCaseSensitive(f, "features");
  size_t n = cJSON_IsArray(feats) ? (size_t)cJSON_GetArraySize(feats) : 0;
  const char **names = cli_xcalloc(n, sizeof *names);
  size_t i = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, feats) names[i++] = cJSON_IsString(e) ? e->valuestring : "?";
  char theirs[300], ours[300];
  describe(theirs, sizeof theirs, cJSON_IsNumber(rows) ? rows->valuedouble : 0.0, names, n);
  describe(ours, sizeof ours, (double)fp->rows, (const char *const *)fp->features, fp->d);
  free(names);
  snprintf(err, errlen, "%s was made on other data: %s (fingerprint %s), but the report's data is %s (%s)", what,
           theirs, hash->valuestring, ours, fp->hash);
  return 0;
}
