#!/usr/bin/env bash
# `pip install ./python` into a fresh virtual environment, then the
# walk-through of docs/PYTHON.md (its ```python blocks, in order) runs from
# it; and the wheel of scripts/build_wheel.sh, with libstrata bundled, loads
# that copy with STRATA_LIBRARY unset.  The scratch venv sees the oracle
# Python's packages (numpy, pandas, h5py) through a .pth file, so nothing is
# downloaded: pip runs with --no-index --no-build-isolation (setuptools and
# wheel from the oracle venv).  Environment: STRATA, STRATA_LIBRARY,
# STRATA_TEST_TMP.
NAME=python_install
. "$(dirname "$0")/cli_lib.sh"
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${STRATA_LIBRARY:?STRATA_LIBRARY must name libstrata.so of the build}"
. "$src/tests/python_lib.sh"

oracle_python "numpy, pandas, h5py, setuptools, wheel" || finish
site=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
venv=$T/venv
"$PY" -m venv "$venv"
echo "$site" >"$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/oracle.pth"
cp -r "$src/python" "$T/pkg"   # pip builds in place: keep python/ clean
run "$venv/bin/python" -m pip install -q --no-deps --no-build-isolation --no-index "$T/pkg"
if [ "$RC" -eq 0 ]; then ok "pip install ./python"; else bad "pip install ./python" "$(tail -n 5 "$T/err")"; fi

mkdir -p "$T/run"
cd "$T/run"
run env "${PYENV[@]}" "$venv/bin/python" -c 'import strata, sys; print(strata.__file__)'
case $(cat "$T/out") in
  "$venv"/*) ok "strata imports from the venv" ;;
  *) bad "strata imports from the venv" "$(cat "$T/out" "$T/err")" ;;
esac

# The walk-through: every ```python block of docs/PYTHON.md, in order, one script.
awk '/^```python$/ {on=1; next} /^```$/ {on=0} on' "$src/docs/PYTHON.md" >"$T/walk.py"
run env "${PYENV[@]}" STRATA_COMMAND="$STRATA" "$venv/bin/python" "$T/walk.py"
if [ "$RC" -eq 0 ] && [ -s "$T/run/report.html" ] && [ -s "$T/run/model.h5" ] &&
  grep -q "STRATA_ERR_USAGE 2" "$T/out" && grep -q "description" "$T/out"; then
  ok "docs/PYTHON.md runs ($(grep -c '' "$T/walk.py") lines)"
else
  bad "docs/PYTHON.md runs" "$(tail -n 8 "$T/err")"
fi
# The doc's fit_h5 made the model the command makes from the same file.
run "$STRATA" fit "$T/run/customers.h5" -k 4 --seed 0 -o "$T/cli.h5" -q
run env "${PYENV[@]}" "$venv/bin/python" -c "
import strata, sys
a, b = strata.open_model('$T/run/model.h5').info, strata.open_model('$T/cli.h5').info
sys.exit(0 if a['centroids'].tobytes() == b['centroids'].tobytes() and a['inertia'] == b['inertia'] else 1)"
if [ "$RC" -eq 0 ]; then ok "the walk-through's model = strata fit's"; else bad "the walk-through's model = strata fit's" "$(cat "$T/err")"; fi

# A wheel with the library bundled: found with STRATA_LIBRARY unset.
run env PYTHON="$PY" "$src/scripts/build_wheel.sh" "$(dirname "$STRATA_LIBRARY")" "$T/wheels"
whl=$(ls "$T"/wheels/strata-*.whl 2>/dev/null | head -n1)
if [ "$RC" -eq 0 ] && [ -n "$whl" ]; then
  run "$venv/bin/python" -m pip install -q --no-deps --no-index --force-reinstall "$whl"
  run env -u STRATA_LIBRARY "${PYENV[@]}" "$venv/bin/python" -c '
import numpy as np, strata
km = strata.KMeans(2, random_state=0).fit(np.arange(20, dtype=np.float32).reshape(10, 2))
print(strata.library_path, km.labels_.size)'
  case $(cat "$T/out") in
    "$venv"/*/strata/lib/libstrata.so.0" 10") ok "the wheel loads its bundled libstrata" ;;
    *) bad "the wheel loads its bundled libstrata" "$(cat "$T/out" "$T/err")" ;;
  esac
else
  bad "scripts/build_wheel.sh" "$(tail -n 5 "$T/err")"
fi
finish
