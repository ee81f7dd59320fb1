#!/usr/bin/env bash
# libstrata.so exports exactly the public API: every dynamic symbol it
# defines is strata_-prefixed and declared STRATA_API in
# include/strata/strata.h, and every STRATA_API function is exported.
set -euo pipefail
: "${STRATA_LIB:?path of libstrata.so}"
here=$(cd "$(dirname "$0")" && pwd)
header=${STRATA_HEADER:-$here/../include/strata/strata.h}
tmp=$(mktemp -d "${STRATA_TEST_TMP:-/tmp}/exports.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Defined dynamic symbols (type A: version nodes, not symbols).
nm -D --defined-only "$STRATA_LIB" | awk '$2 != "A" {print $NF}' | sed 's/@.*//' | sort -u >"$tmp/exported"
# Declared: every function declaration of the header (a line at column 0
# with a strata_ name before its first '('; typedefs and macros aside).
grep -E '^[A-Za-z_][^(#]*[ *]strata_[a-z0-9_]+\(' "$header" | grep -v '^typedef' >"$tmp/decl_lines" || true
sed 's/(.*//; s/.*[ *]//' "$tmp/decl_lines" | sort -u >"$tmp/declared"

fail=0
if [ ! -s "$tmp/declared" ]; then
  echo "exports: no function declaration found in $header" >&2
  fail=1
fi
if grep -v '^STRATA_API ' "$tmp/decl_lines" | sed 's/^/exports: declared without STRATA_API: /' >&2; then
  fail=1
fi
while read -r sym; do
  case $sym in
    strata_*) ;;
    *) echo "exports: '$sym' is exported without the strata_ prefix" >&2; fail=1; continue ;;
  esac
done <"$tmp/exported"
comm -23 "$tmp/exported" "$tmp/declared" | sed 's/^/exports: exported but not declared STRATA_API: /' >&2
comm -13 "$tmp/exported" "$tmp/declared" | sed 's/^/exports: declared STRATA_API but not exported: /' >&2
[ -z "$(comm -3 "$tmp/exported" "$tmp/declared")" ] || fail=1
echo "exports: $(wc -l <"$tmp/exported") exported, $(wc -l <"$tmp/declared") declared"
exit "$fail"
