#!/usr/bin/env bash
# No mutable state between calls but the context (strata_ctx): every
# writable static of libstrata (.data, .bss, .tdata, .tbss; read-only data
# with relocations aside) is named below with the reason it may exist.  A
# new one fails this test; so does a name below that no longer exists, so
# that the list stays true.  Object files come from the static library;
# what a sanitizer's instrumentation adds (__odr_asan.*, ...) is not ours.
set -euo pipefail
: "${STRATA_STATIC_LIB:?path of libstrata.a}"

# name  why (hardware and environment facts found once, locks, and
# per-thread error detail; none carries one job's settings to another)
allowed='
c_locale            io/csv_number.c: the "C" locale for strtod, created once
c_locale_once       io/csv_number.c: its pthread_once
cpu_list            kernels/dispatch.c: the CPU backends usable on this CPU, listed once
cpu_once            kernels/dispatch.c: its pthread_once
derived             kernels/dispatch.c: tables derived per CPU once (per-ISA variants)
derived_once        kernels/dispatch.c: its pthread_once
devices             kernels/opencl_device.c: the OpenCL devices found once
devices_once        kernels/dispatch.c: the device backends listed once
discover_once       kernels/opencl_device.c: OpenCL discovery runs once per process
discovery_note      kernels/opencl_device.c: why discovery found no device
ndevices            kernels/opencl_device.c: how many it found
full_list           kernels/dispatch.c: CPU and device backends, listed once
n_full              kernels/dispatch.c: their number
table_names         kernels/opencl_table.c: the names of the per-device tables
tables              kernels/opencl_table.c: one kernel table per device, made once
tables_once         kernels/opencl_table.c: its pthread_once
g_info              kernels/cpu_features.c: CPUID, read once
g_once              kernels/cpu_features.c: its pthread_once
g_blas_once         kernels/blas.c: OpenBLAS set to one thread per call, once
env_lock            kernels/opencl_tuning.c: the OpenCL tuning variables are read once
env_read            kernels/opencl_tuning.c: whether they were
env_wg              kernels/opencl_tuning.c: STRATA_OPENCL_WG
env_tile_k          kernels/opencl_tuning.c: STRATA_OPENCL_TILE_K
env_tile_d          kernels/opencl_tuning.c: STRATA_OPENCL_TILE_D
env_scale_rows      kernels/opencl_tuning.c: STRATA_OPENCL_SCALE_ROWS
fault_once          kernels/opencl_error.c: STRATA_OPENCL_FAULT (fault injection for tests) read once
fault_launch_at     kernels/opencl_error.c: the launch that fails
fault_alloc_above   kernels/opencl_error.c: the allocation size that fails
launches            kernels/opencl_error.c: launches counted while a fault is injected
stderr_lock         kernels/opencl_program.c: serialises the OpenCL compiler output on stderr
h5_mutex            io/h5_lock.c: HDF5 is not thread-safe: one lock around every call
h5_once             io/h5_lock.c: its pthread_once
h5_thread_silenced  io/h5_lock.c: per thread: HDF5 error stack printing off
known               io/h5_probe.c: files (device, inode, size, times) read safely by a child already
known_next          io/h5_probe.c: the next slot of that list
probes_run          io/h5_probe.c: children started (atomic; for tests)
probes_timed_out    io/h5_probe.c: children killed at the time limit (atomic; for tests)
buffer_room         kernels/blas.c: per thread: the address space for the OpenBLAS buffer was free once
cache               io/h5_filtered.c: decoded deflated chunks, in place of the HDF5 chunk cache (under the HDF5 lock)
cache_clock         io/h5_filtered.c: the use counter of that cache (under the HDF5 lock)
cache_bytes         io/h5_filtered.c: the bytes that cache holds (under the HDF5 lock)
described           io/h5_filtered.c: datasets described before, by id (under the HDF5 lock)
described_clock     io/h5_filtered.c: the use counter of that list (under the HDF5 lock)
read_error          io/h5_filtered.c: why the last read failed, until pushed on the HDF5 error stack (under the HDF5 lock)
last_error          common/status.c: per thread: the detail of the last failure (errno-like)
tmp_counter         io/output_file.c: makes temporary output names unique in the process
said                core/kmeans.c: the CPU-dispatch note is said once per process
warned              core/scheduler.c: one warning per broken OpenCL device per process
'

objdump -t "$STRATA_STATIC_LIB" |
  awk '($0 ~ / O / || $0 ~ /[ \t]\.t(data|bss)[ \t]/) && $0 !~ /\.rel\.ro/ && $0 ~ /[ \t]\.t?(data|bss)([ \t.])/ {print $NF}' |
  grep -Ev '^(__odr_asan|__asan|__ubsan|__sancov|__llvm|__profc|__profd)' |
  sed 's/\.[0-9]*$//' | sort -u >"${STRATA_TEST_TMP:-/tmp}/globals.$$"
found="${STRATA_TEST_TMP:-/tmp}/globals.$$"
trap 'rm -f "$found"' EXIT
listed=$(printf '%s\n' "$allowed" | awk 'NF {print $1}' | sort -u)

fail=0
if [ ! -s "$found" ]; then
  echo "globals: objdump found no writable symbol at all in $STRATA_STATIC_LIB; the scan is broken" >&2
  fail=1
fi
comm -23 "$found" <(printf '%s\n' "$listed") | sed 's/^/globals: writable static not allowed (put it in strata_ctx or explain it here): /' >&2
comm -13 "$found" <(printf '%s\n' "$listed") | sed 's/^/globals: listed but no longer in the library: /' >&2
[ -z "$(comm -3 "$found" <(printf '%s\n' "$listed"))" ] || fail=1
if [ "$fail" = 0 ]; then echo "globals: $(wc -l <"$found") writable statics, each explained"; fi
exit "$fail"
