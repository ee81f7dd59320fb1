/* The registry of estimators: the names strata_fit_params.algorithm and a
 * model file's `estimator` attribute take.  A new method adds its ops here
 * (and its kind to io/model.c's list, which tests/test_estimator.c checks). */
#include <string.h>

#include "estimator.h"

static const strata_estimator_ops *const registry[] = {&strata_estimator_kmeans, &strata_estimator_gmm,
                                                         &strata_estimator_ward, &strata_estimator_dbscan,
                                                         &strata_estimator_minibatch};
#define NREGISTRY (sizeof registry / sizeof registry[0])

const strata_estimator_ops *strata_estimator_find(const char *name) {
  for (size_t i = 0; i < NREGISTRY; i++)
    if (name && strcmp(name, registry[i]->name) == 0) return registry[i];
  return NULL;
}

/* The registry's names in its order (a constant: an ops' name is not an
 * address constant; tests/test_estimator.c checks the two lists agree). */
static const char *const names[] = {"kmeans", "gmm", "ward", "dbscan", "minibatch", NULL};
_Static_assert(sizeof names / sizeof names[0] == NREGISTRY + 1, "one name per registered estimator");

const char *const *strata_algorithms(void) { return names; }
