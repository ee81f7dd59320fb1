#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` in the build directory, unpacked into a
# scratch root with dpkg-deb -x; the quick start (scripts/quickstart.sh:
# inspect, then fit with --missing median --seed 1) runs from that root with
# LD_LIBRARY_PATH into it and gives the build's labels; the man pages, the
# bash completion and the header are there; the Python package finds the
# root's libstrata through the system loader.
# Environment: STRATA, STRATA_GEN, STRATA_BUILD_DIR, STRATA_LABELS_EQUAL,
# STRATA_TEST_TMP; optional STRATA_PYTHON (oracle_python).
NAME=deb
. "$(dirname "$0")/cli_lib.sh"
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${STRATA_BUILD_DIR:?}"

if ! command -v cpack >/dev/null || ! command -v dpkg-deb >/dev/null; then
  unavailable "cpack and dpkg-deb are needed to build and unpack the Debian package"
  finish
fi
run bash -c "cd '$STRATA_BUILD_DIR' && cpack -G DEB -B '$T/pkg'"
deb=$(ls "$T"/pkg/strata_*.deb 2>/dev/null | head -n1)
if [ "$RC" -ne 0 ] || [ -z "$deb" ]; then
  bad "cpack -G DEB" "$(tail -n 5 "$T/out" "$T/err")"
  finish
fi
ok "cpack -G DEB made $(basename "$deb")"
run dpkg-deb -f "$deb" Package Depends
if grep -q "^Package: strata" "$T/out" && grep -q "libhdf5" "$T/out"; then ok "control: package strata, depends on HDF5"
else bad "control fields" "$(cat "$T/out" "$T/err")"; fi
root=$T/root
dpkg-deb -x "$deb" "$root"
for f in usr/bin/strata usr/lib/libstrata.so.0 usr/include/strata/strata.h usr/lib/pkgconfig/strata.pc \
         usr/share/bash-completion/completions/strata usr/share/man/man1/strata.1.gz; do
  if [ -e "$root/$f" ]; then ok "/$f"; else bad "/$f is in the package"; fi
done
# a man page for every command, made from its --help
for cmd in $("$STRATA" --help | awk '/^commands:/ {on=1; next} /^$/ {on=0} on {print $1}'); do
  page=$root/usr/share/man/man1/strata-$cmd.1.gz
  upper=$(echo "$cmd" | tr '[:lower:]' '[:upper:]')
  if [ -f "$page" ] && zcat "$page" | grep -q "^\.TH STRATA-$upper 1" &&
    zcat "$page" | grep -qF -- "$("$STRATA" "$cmd" --help | sed -n 3p | cut -c1-40)"; then
    ok "man page strata-$cmd"
  else
    bad "man page strata-$cmd"
  fi
done

# The quick start, from the root.
export LD_LIBRARY_PATH=$root/usr/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
S=$root/usr/bin/strata
"$STRATA_GEN" --rows 20000 --seed 1 -o "$T/customers.h5" >/dev/null
run "$S" inspect "$T/customers.h5"
if [ "$RC" -eq 0 ] && grep -q "20000" "$T/out"; then ok "inspect from the package"; else bad "inspect from the package" "$(cat "$T/err")"; fi
run "$S" fit "$T/customers.h5" -k 5 --missing median --seed 1 -o "$T/model.h5" --labels "$T/labels.h5"
if [ "$RC" -eq 0 ]; then ok "the quick start's fit from the package"; else bad "the quick start's fit from the package" "$(cat "$T/err")"; fi
run "$STRATA" fit "$T/customers.h5" -k 5 --missing median --seed 1 -o "$T/model_build.h5" --labels "$T/labels_build.h5"
if labels_equal "$T/labels.h5" "$T/labels_build.h5"; then ok "the package's labels = the build's"
else bad "the package's labels = the build's"; fi
run ldd "$S"
if grep -q "not found" "$T/out"; then bad "every library of the command resolves" "$(grep 'not found' "$T/out")"; else ok "the command's libraries resolve"; fi

# Completion: commands, options, and the values of an a|b|c option.
complete_words() {  # WORDS...: COMPREPLY for the last word
  PATH="$root/usr/bin:$PATH" bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _strata; echo "${COMPREPLY[*]}"' \
    _ "$root/usr/share/bash-completion/completions/strata" "$@"
}
[ "$(complete_words strata fi)" = "fit" ] && ok "completion: strata fi -> fit" || bad "completion of a command" "$(complete_words strata fi)"
[ "$(complete_words strata fit --sc)" = "--scale" ] && ok "completion: an option" || bad "completion of an option" "$(complete_words strata fit --sc)"
[ "$(complete_words strata fit --scale "")" = "zscore minmax none" ] && ok "completion: an option's values" ||
  bad "completion of an option's values" "$(complete_words strata fit --scale "")"

# Python over the packaged library, found by the system loader.
if oracle_python "numpy"; then
  STRATA_LIBRARY=$root/usr/lib/libstrata.so.0
  . "$src/tests/python_lib.sh"
  run env -u STRATA_LIBRARY "${PYENV[@]}" PYTHONPATH="$src/python" "$PY" -c '
import numpy as np, strata
km = strata.KMeans(3, random_state=0).fit(np.random.default_rng(0).normal(size=(300, 2)))
print(strata.library_path, strata.version(), km.labels_.size)'
  if [ "$RC" -eq 0 ] && [ "$(cat "$T/out")" = "libstrata.so.0 0.1.0 300" ]; then ok "the Python package loads the packaged libstrata"
  else bad "the Python package loads the packaged libstrata" "$(cat "$T/out" "$T/err")"; fi
fi
finish
