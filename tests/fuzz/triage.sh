#!/usr/bin/env bash
# tests/fuzz/triage.sh FUZZER ARTIFACT...: replays each artifact of an HDF5
# harness and says whose defect it is.  A report whose innermost frame
# (sanitizer runtime and libc aside) lies in libhdf5 is HDF5 1.10's own
# (its object-header decoders trust the file: heap overflows, bad frees);
# So is an allocation over libFuzzer's malloc limit made by HDF5's metadata
# cache (H5C_protect): HDF5 1.10 allocates an object header chunk's declared
# size (up to 4 GiB, fuzzed) before checking it against the end of the
# file, then fails the read; the memory is never touched (strata's release
# build: exit 2, 16 MB peak RSS).  Frames inside the fuzz binary without a
# source line are sanitizer interceptors (strdup, strlen...) and are skipped
# like the runtime's, so HDF5's H5MM_xstrdup overflow is HDF5's.  Anything
# else - a frame of strata, a broken harness invariant, an out-of-memory
# that names no HDF5 allocation, a timeout that still passes 100 s when
# replayed alone - is strata's.  Prints one line per artifact;
# exits 1 if any is strata's, or any at all with FUZZ_STRICT_HDF5=1.
set -uo pipefail
bin=$1
shift
ours=0 theirs=0 gone=0 slow=0
for a in "$@"; do
  # An out-of-memory input is replayed with allocations over 1 GiB refused
  # loudly: ASan's shadow of one huge allocation (21 GiB declared: 2.6 GiB
  # of shadow) can pass the RSS limit before libFuzzer's malloc hook runs,
  # and then the report names no allocation at all.
  asan=detect_leaks=0:allocator_may_return_null=1
  case "$(basename "$a")" in oom-*) asan=detect_leaks=0:allocator_may_return_null=0:max_allocation_size_mb=1024 ;; esac
  # A timeout is replayed alone with 100 s: under ASan the child reader's
  # address-space bound does not hold (ASan reserves its shadow up front),
  # so a file on which HDF5 allocates without end runs each child to its
  # end (stop 34: 42 s under ASan for an input the release harness runs in
  # 0.43 s, child reader on).  One that still passes 100 s is a hang.
  limit=10
  case "$(basename "$a")" in timeout-*) limit=100 ;; esac
  started=$(date +%s)
  out=$(ASAN_OPTIONS=$asan UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    timeout $((limit + 20)) "$bin" -timeout=$limit -rss_limit_mb=2048 -malloc_limit_mb=1024 "$a" 2>&1)
  took=$(($(date +%s) - started))
  top=$(printf '%s\n' "$out" | grep -E '^    #[0-9]+ ' |
    grep -vE ' in ((__asan|__interceptor|__sanitizer|__lsan|__ubsan|fuzzer::)[^ ]*|malloc|calloc|realloc) |libc\.so|ld-linux|/sanitizer_common/|memmove-vec|memset-vec|memcpy' |
    grep -vE ' \(/[^ ]*/fuzz_[a-z0-9_]+\+0x[0-9a-f]+\)' |
    head -n 1 | sed -E 's/^ *#[0-9]+ 0x[0-9a-f]+ (in )?//; s/ \(BuildId.*//')
  kind=$(printf '%s\n' "$out" | grep -oE 'ERROR: [A-Za-z]+: [A-Za-z-]+|invariant broken: .*|internal error: .*|ALARM|out-of-memory' | head -n 1)
  metadata_malloc=0
  if printf '%s\n' "$out" | grep -q 'out-of-memory (malloc(' && [[ "$top" == H5C_protect*libhdf5* ]]; then
    metadata_malloc=1
  fi
  if printf '%s\n' "$out" | grep -q 'allocation-size-too-big' && [[ "$top" == H5C_protect*libhdf5* ]]; then
    metadata_malloc=1
  fi
  case "$(basename "$a")" in oom-*|timeout-*) [ "$metadata_malloc" = 1 ] || top="" ;; esac
  if [ -z "$kind" ] && [ -z "$top" ] && [ "$limit" -gt 10 ]; then
    slow=$((slow + 1))
    echo "fuzz: slow, not a hang: $(basename "$a") ran to its end in ${took} s alone (limit ${limit} s)"
  elif [ -z "$kind" ] && [ -z "$top" ]; then
    # A leak (HDF5's, on its error paths: leaks are not checked here) or a
    # crash that a fresh process does not repeat.
    gone=$((gone + 1))
    echo "fuzz: not reproduced alone: $(basename "$a")"
  elif [ "$metadata_malloc" = 1 ]; then
    theirs=$((theirs + 1))
    echo "fuzz: HDF5 1.10 defect: $(basename "$a"): an object header's declared size allocated in $top"
  elif [ -n "$top" ] && [[ "$top" == *libhdf5* ]] && [[ "$kind" == ERROR:* ]]; then
    theirs=$((theirs + 1))
    echo "fuzz: HDF5 1.10 defect: $(basename "$a"): $kind in $top"
  else
    ours=$((ours + 1))
    echo "fuzz: STRATA defect: $(basename "$a"): ${kind:-no report} in ${top:-?}"
  fi
done
echo "fuzz: $ours artifacts of strata's, $theirs inside libhdf5, $gone not reproduced, $slow slow under the sanitizers"
[ "$ours" -eq 0 ] && { [ -z "${FUZZ_STRICT_HDF5:-}" ] || [ "$theirs" -eq 0 ]; }
