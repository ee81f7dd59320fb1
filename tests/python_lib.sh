# Sourced by the python_*.sh tests after cli_lib.sh: with a sanitizer build
# of libstrata, an uninstrumented Python must load the sanitizer runtimes
# first (LD_PRELOAD), and the interpreter's own allocations are not ours to
# report (detect_leaks=0).  Sets PYENV for `env "${PYENV[@]}" python ...`.
# ldd's output is read whole: `ldd | grep -q` under pipefail fails when grep
# exits first and ldd gets SIGPIPE.
PYENV=()
py_ldd=$(ldd "$STRATA_LIBRARY" 2>/dev/null || true)
if grep -q libasan <<<"$py_ldd"; then
  PYENV=("LD_PRELOAD=$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
         "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
fi
