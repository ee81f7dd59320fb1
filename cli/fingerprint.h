/* The data fingerprint in the JSON results of sweep, stability and assign
 * (strata_dataset_fingerprint), and the report's check that a result was
 * made on the data it is shown with. */
#ifndef STRATA_CLI_FINGERPRINT_H
#define STRATA_CLI_FINGERPRINT_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "strata.h"

typedef struct {
  char hash[17];    /* 16 hex digits */
  uint64_t rows;
  size_t d;
  char **features;  /* d names, owned */
} cli_fingerprint;

/* Of the columns ds presents.  fp OUT: free with cli_fingerprint_free. */
strata_status cli_fingerprint_of(strata_dataset *ds, cli_fingerprint *fp);
void cli_fingerprint_free(cli_fingerprint *fp);

/* {"hash": "...", "rows": N, "features": [...]}, or NULL when out of memory. */
cJSON *cli_fingerprint_json(const cli_fingerprint *fp);

/* Compares root's "fingerprint" with fp.  1: the same data; 0: other data,
 * err says what differs ("sweep file 's.json' was made on ..."); -1: root
 * has none (written before fingerprints), err says so. */
int cli_fingerprint_check(const cJSON *root, const cli_fingerprint *fp, const char *what, char *err,
                          size_t errlen);

#endif
