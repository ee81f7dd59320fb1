#!/usr/bin/env bash
# Runs tests/sklearn_agreement.py (the stability command's ARI and Jaccard
# against scikit-learn) with $STRATA_PYTHON; SKIPPED when it is unset.
# Environment: STRATA_AGREEMENT_TOOL (the tests/agreement_tool helper).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${STRATA_PYTHON:-}" ]; then
  echo "SKIPPED: STRATA_PYTHON is not set (a Python with numpy and scikit-learn)"
  echo "sklearn_agreement: 0 passed, 0 failed, 1 skipped"
  exit 0
fi
if ! "$STRATA_PYTHON" -c "import numpy, sklearn" >/dev/null 2>&1; then
  echo "sklearn_agreement: STRATA_PYTHON=$STRATA_PYTHON cannot import numpy and scikit-learn"
  exit 1
fi
exec "$STRATA_PYTHON" "$here/sklearn_agreement.py" "${STRATA_AGREEMENT_TOOL:?}"
