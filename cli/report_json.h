/* The JSON inputs of `strata report` (the results of strata sweep,
 * strata stability and strata assign --json), read with cJSON and checked
 * against the fields the report uses, so that a malformed file fails up
 * front with one message naming it rather than half-way through. */
#ifndef STRATA_CLI_REPORT_JSON_H
#define STRATA_CLI_REPORT_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

typedef enum { CLI_REPORT_SWEEP, CLI_REPORT_STABILITY, CLI_REPORT_DRIFT } cli_report_input;

/* Reads and checks path; returns the tree (cJSON_Delete it) or NULL with a
 * one-line message in err ("sweep file 'x.json': ..."). For DRIFT the tree
 * returned is the "drift" object of the assign result (owned by the root,
 * which *root receives; delete the root). */
cJSON *cli_report_read(const char *path, cli_report_input kind, cJSON **root, char *err, size_t errlen);

/* A number member, NaN when it is null or absent. */
double cli_json_num(const cJSON *o, const char *key);

#endif
