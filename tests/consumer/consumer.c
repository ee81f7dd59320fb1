/* A program outside the tree that links the installed library. */
#include <stdio.h>
#include <string.h>

#include <strata/strata.h>

int main(void) {
  strata_fit_params p;
  strata_fit_params_init(&p);
  strata_dataset *ds = NULL;
  strata_status st = strata_dataset_open("/nonexistent/file.h5", NULL, NULL, 0, &ds);
  printf("strata %s, default k %d, open: %s (%s)\n", strata_version(), p.k,
         strata_status_name(st), strata_last_error());
  return st == STRATA_ERR_NOT_FOUND && strcmp(strata_version(), STRATA_VERSION_STRING) == 0 ? 0 : 1;
}
