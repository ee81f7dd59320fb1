#!/usr/bin/env bash
# Installs the Debian packages Strata builds and tests with, when missing.
# Idempotent and quiet when everything is there already.
set -euo pipefail

PKGS=(build-essential cmake pkg-config
      libhdf5-dev hdf5-tools libopenblas-dev libcjson-dev libbenchmark-dev
      python3 python3-venv
      clang libclang-rt-14-dev   # the CSV parser's fuzz run (tests/fuzz/run.sh)
      ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo  # the OpenCL backend; PoCL runs its tests on the CPU
      liblapacke-dev             # PCA's eigen-decomposition (LAPACK dsyevr)
      dpkg-dev file              # cpack -G DEB: dpkg-shlibdeps and file list the package's dependencies
      libopenmpi-dev openmpi-bin # the MPI build (-DSTRATA_MPI=ON) and its mpirun tests
      chromium)                  # renders the HTML report in its browser test

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "strata: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
