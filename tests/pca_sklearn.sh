#!/usr/bin/env bash
# Runs tests/pca_sklearn.py (strata pca vs scikit-learn's PCA on the same
# scaled data) with $STRATA_PYTHON; without it prints SKIPPED and exits 0.
# Environment: STRATA, STRATA_GEN (the tools), STRATA_TEST_TMP (scratch).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mods="import numpy, h5py, sklearn"
if [ -z "${STRATA_PYTHON:-}" ]; then
  echo "SKIPPED: STRATA_PYTHON is not set (a Python with numpy, h5py and scikit-learn)"
  echo "pca_sklearn: 0 passed, 0 failed, 1 skipped"
  exit 0
fi
if ! "$STRATA_PYTHON" -c "$mods" >/dev/null 2>&1; then
  echo "pca_sklearn: STRATA_PYTHON=$STRATA_PYTHON cannot import numpy, h5py, scikit-learn"
  echo "pca_sklearn: 0 passed, 1 failed"
  exit 1
fi
exec "$STRATA_PYTHON" "$here/pca_sklearn.py" --strata "${STRATA:-strata}" --gen "${STRATA_GEN:-strata-gen}" \
  --tmp "${STRATA_TEST_TMP:-/tmp}"
