#!/usr/bin/env bash
# The `strata` command on bad input and unwritable outputs: each failure is
# one "strata: error: ..." line naming the problem, exit status 2 for bad
# input and 1 for runtime failures, and no output or temporary file is left.
NAME=cli_errors
. "$(dirname "$0")/cli_lib.sh"
: "${STRATA_GEN:?STRATA_GEN must name strata-gen}"

O="$T/outputs" # where every output of a failing command would go
mkdir "$O"
IN="$T/in"
mkdir "$IN"

# ---- inputs
"$STRATA_GEN" --rows 2000 --seed 3 --missing 0 -o "$IN/good.h5"
"$STRATA_GEN" --rows 500 --seed 4 --missing 0.05 -o "$IN/nan.h5"
"$STRATA_GEN" --rows 100 --seed 5 --missing 0 --inf -o "$IN/inf.h5"
"$STRATA_GEN" --rows 0 -o "$IN/empty.h5"
"$STRATA_GEN" --rows 3 --seed 6 --missing 0 -o "$IN/three.h5"
"$STRATA_GEN" --kind blobs --layout columns --dims 3 --rows 300 -o "$IN/blobs.h5"
head -c $(($(stat -c %s "$IN/good.h5") / 2)) "$IN/good.h5" >"$IN/truncated.h5"
printf 'customer_id,age,income\n1,34,52000\n' >"$IN/text.h5"
: >"$IN/zero_bytes.h5"
echo "not a directory" >"$T/file.txt"
F=age,income,recency_days
G="$IN/good.h5"

# ---- unreadable or invalid input: exit 2
expect_error_clean "missing data file" 2 "no_such\.h5" "$O" \
  "$STRATA" fit "$IN/no_such.h5" -k 3 -o "$O/m.h5" --labels "$O/l.h5"
expect_error_clean "unknown algorithm" 2 "unknown algorithm 'kmedoids' \(this build fits: kmeans" "$O" \
  "$STRATA" fit "$G" -k 3 --algorithm kmedoids -o "$O/m.h5" --labels "$O/l.h5"
expect_error_clean "text file named .h5" 2 "text\.h5.*not an HDF5 file" "$O" \
  "$STRATA" fit "$IN/text.h5" -k 3 -o "$O/m.h5"
expect_error_clean "empty file named .h5" 2 "zero_bytes\.h5" "$O" \
  "$STRATA" fit "$IN/zero_bytes.h5" -k 3 -o "$O/m.h5"
expect_error_clean "truncated HDF5 file" 2 "truncated\.h5.*(truncated|corrupt)" "$O" \
  "$STRATA" fit "$IN/truncated.h5" -k 3 -o "$O/m.h5" --labels "$O/l.h5"
expect_error_clean "directory as data file" 2 "$IN" "$O" \
  "$STRATA" fit "$IN" -k 3 -o "$O/m.h5"
expect_error_clean "unknown column in --features" 2 "column 'spend'.*not found" "$O" \
  "$STRATA" fit "$G" -k 3 -o "$O/m.h5" --features age,spend
expect_error_clean "unknown --dataset" 2 "/segments.*not found" "$O" \
  "$STRATA" fit "$G" -k 3 -o "$O/m.h5" --dataset /segments
expect_error_clean "NaN with --missing error" 2 "missing value|NaN" "$O" \
  "$STRATA" fit "$IN/nan.h5" -k 3 -o "$O/m.h5" --labels "$O/l.h5" --features $F --missing error
expect_error_clean "NaN with the default --missing" 2 "missing value|NaN" "$O" \
  "$STRATA" fit "$IN/nan.h5" -k 3 -o "$O/m.h5" --features $F
expect_error_clean "infinite value" 2 "income.*infinite|infinite.*income" "$O" \
  "$STRATA" fit "$IN/inf.h5" -k 2 -o "$O/m.h5" --features age,income
expect_error_clean "k > rows" 2 "k.*(exceeds|more than|greater).*rows|rows.*k" "$O" \
  "$STRATA" fit "$IN/three.h5" -k 4 -o "$O/m.h5" --labels "$O/l.h5" --features $F
expect_error_clean "empty dataset" 2 "empty|0 rows|no rows" "$O" \
  "$STRATA" fit "$IN/empty.h5" -k 1 -o "$O/m.h5" --labels "$O/l.h5"
expect_error_clean "unknown backend" 2 "backend 'quantum'" "$O" \
  "$STRATA" fit "$G" -k 3 -o "$O/m.h5" --features $F --backend quantum
expect_error "inspect: text file" 2 "text\.h5.*not an HDF5 file" "$STRATA" inspect "$IN/text.h5"
expect_error "inspect: truncated file" 2 "truncated\.h5" "$STRATA" inspect "$IN/truncated.h5"
expect_error "inspect: missing file" 2 "no_such\.h5" "$STRATA" inspect "$IN/no_such.h5"

# ---- --init FILE: bad content names the file, line and column
printf 'age,income,recency_days\n30,40000,10\n50,abc,20\n40,60000,30\n' >"$IN/c_bad_number.csv"
printf 'age,salary,recency_days\n30,40000,10\n50,90000,20\n40,60000,30\n' >"$IN/c_bad_header.csv"
printf '30,40000,10\n50,90000,20\n' >"$IN/c_two_rows.csv"
printf '30,40000,10\n50,90000\n40,60000,30\n' >"$IN/c_short_row.csv"
printf '30,40000,10\n50,90000,inf\n40,60000,30\n' >"$IN/c_inf.csv"
expect_error_clean "--init: not a number" 2 "c_bad_number\.csv', line 3, column 2: 'abc' is not a number" "$O" \
  "$STRATA" fit "$G" -k 3 -o "$O/m.h5" --features $F --init "$IN/c_bad_number.csv"
expect_error_clean "--init: header does not match the features" 2 "line 1, column 2: header names 'salary' but feature 2 is 'income'" "$O" \
  "$STRATA" fit "$G" -k 3 -o "$O/m.h5" --features $F --init "$IN/c_bad_header.csv"
expect_error_clean "--init: fewer rows than k" 2 "found 2 centroid rows, expected k = 3" "$O" \
  "$STRATA" fit "$G" -k 3 -o "$O/m.h5" --features $F --init "$IN/c_two_rows.csv"
expect_error_clean "--init: short row" 2 "line 2: expected 3 values .*found 2" "$O" \
  "$STRATA" fit "$G" -k 3 -o "$O/m.h5" --features $F --init "$IN/c_short_row.csv"
expect_error_clean "--init: non-finite value" 2 "line 2, column 3: 'inf' is not a finite number" "$O" \
  "$STRATA" fit "$G" -k 3 -o "$O/m.h5" --features $F --init "$IN/c_inf.csv"
expect_error_clean "--init: missing file" 2 "cannot open init file .*nope\.csv" "$O" \
  "$STRATA" fit "$G" -k 3 -o "$O/m.h5" --features $F --init "$IN/nope.csv"

# ---- outputs that cannot be written: exit 1, found before any work
expect_error_clean "model in a missing directory" 1 "/nonexistent/dir/m\.h5" "$O" \
  "$STRATA" fit "$G" -k 3 -o /nonexistent/dir/m.h5 --features $F --labels "$O/l.h5"
expect_error_clean "model under a regular file" 1 "file\.txt/m\.h5.*not a directory" "$O" \
  "$STRATA" fit "$G" -k 3 -o "$T/file.txt/m.h5" --features $F --labels "$O/l.h5"
expect_error_clean "labels under a regular file (no model written either)" 1 "file\.txt/l\.h5.*not a directory" "$O" \
  "$STRATA" fit "$G" -k 3 -o "$O/m.h5" --features $F --labels "$T/file.txt/l.h5"
expect_error_clean "bad input is reported before an unwritable output" 2 "no_such\.h5" "$O" \
  "$STRATA" fit "$IN/no_such.h5" -k 3 -o /nonexistent/dir/m.h5
mkdir "$O/adir"
expect_error_clean "model path is a directory" 1 "adir.*directory" "$O" \
  "$STRATA" fit "$G" -k 3 -o "$O/adir" --features $F
expect_error_clean "model path ends with a slash" 1 "directory" "$O" \
  "$STRATA" fit "$G" -k 3 -o "$O/" --features $F

# ---- outputs that would overwrite an input: exit 2, input untouched
cp "$G" "$O/data.h5"
sum_before=$(cksum <"$O/data.h5")
expect_error_clean "model would overwrite the data" 2 "model file .* is the input data file" "$O" \
  "$STRATA" fit "$O/data.h5" -k 3 -o "$O/data.h5" --features $F
expect_error_clean "labels would overwrite the data" 2 "labels file .* is the input data file" "$O" \
  "$STRATA" fit "$O/data.h5" -k 3 -o "$O/m.h5" --labels "$O/./data.h5" --features $F
expect_error_clean "labels and model are one file" 2 "same file" "$O" \
  "$STRATA" fit "$O/data.h5" -k 3 -o "$O/m.h5" --labels "$O/m.h5" --features $F
if [ "$(cksum <"$O/data.h5")" = "$sum_before" ]; then ok "input left untouched"; else bad "input was modified"; fi

# ---- assign
run "$STRATA" fit "$G" -k 3 -o "$IN/model.h5" --features $F --quiet
if [ "$RC" -eq 0 ]; then ok "fit a model for the assign checks"; else bad "fit for assign checks" "$(cat "$T/err")"; fi
expect_error_clean "assign: missing model" 2 "no_model\.h5" "$O" \
  "$STRATA" assign "$IN/no_model.h5" "$G" --labels "$O/l.h5"
expect_error_clean "assign: data file as model" 2 "good\.h5" "$O" \
  "$STRATA" assign "$G" "$G" --labels "$O/l.h5"
expect_error_clean "assign: text file as model" 2 "text\.h5" "$O" \
  "$STRATA" assign "$IN/text.h5" "$G" --labels "$O/l.h5"
expect_error_clean "assign: data without the model's features" 2 "age|income|recency_days" "$O" \
  "$STRATA" assign "$IN/model.h5" "$IN/blobs.h5" --labels "$O/l.h5"
expect_error_clean "assign: truncated data" 2 "truncated\.h5" "$O" \
  "$STRATA" assign "$IN/model.h5" "$IN/truncated.h5" --labels "$O/l.h5"
expect_error_clean "assign: labels under a regular file" 1 "file\.txt/l\.h5" "$O" \
  "$STRATA" assign "$IN/model.h5" "$G" --labels "$T/file.txt/l.h5"
expect_error_clean "assign: labels would overwrite the data" 2 "is the input data file" "$O" \
  "$STRATA" assign "$IN/model.h5" "$O/data.h5" --labels "$O/data.h5"
expect_error_clean "assign: labels would overwrite the model" 2 "is the model file" "$IN" \
  "$STRATA" assign "$IN/model.h5" "$G" --labels "$IN/model.h5"
expect_error_clean "assign: NaN under the model's error rule" 2 "missing value|NaN" "$O" \
  "$STRATA" assign "$IN/model.h5" "$IN/nan.h5" --labels "$O/l.h5"

expect_error_clean "fit: --chunk-rows beyond --mem-limit" 2 "chunk of 2000 rows needs .* memory limit" "$O" \
  "$STRATA" fit "$G" -k 3 --chunk-rows 100000 --mem-limit 100000 -o "$O/m.h5"

# An output that is not a regular file is refused and left as it is (as
# root, -o /dev/null used to replace /dev/null with a file).
mkfifo "$O/pipe"
expect_error_clean "fit: -o names a FIFO" 2 "pipe' is a FIFO" "$O" "$STRATA" fit "$G" -k 3 -o "$O/pipe"
expect_error_clean "assign: --labels names a FIFO" 2 "pipe' is a FIFO" "$O" \
  "$STRATA" assign "$IN/model.h5" "$G" --labels "$O/pipe"
if [ -p "$O/pipe" ]; then ok "the FIFO is still a FIFO"; else bad "the FIFO was replaced"; fi
rm -f "$O/pipe"

# Fuzzer findings (tests/fuzz/regressions_*): a chunk index claiming 4 GiB in
# a 10 KB file (HDF5 allocated it), a model whose global heap is corrupt
# (HDF5 1.10's vlen string reader crashed with SIGSEGV).
FZ="$(dirname "$0")/fuzz"
expect_error "inspect: a chunk index claiming 4 GiB" 2 "claims 4294967295 bytes of storage in a file of" \
  "$STRATA" inspect "$FZ/regressions_h5/chunk_index_4gib.h5"
# A 2-D dataset declaring 9484 rows (at most 12, by its own dataspace) of
# which 3 chunks exist: HDF5 1.10 opened it and handed out uninitialised
# memory for the unwritten chunks, so inspect's and fit's passes disagreed.
expect_error "inspect: a dataspace beyond its own maximum" 2 "/data has 9484 entries in dimension 1, more than its maximum 12" \
  "$STRATA" inspect "$FZ/regressions_h5/dims_over_max_unwritten_chunk.h5"
expect_error "assign: a model with a corrupt global heap" 2 "vlen_heap_mutant_65\.h5" \
  "$STRATA" assign "$FZ/regressions_model/vlen_heap_mutant_65.h5" "$IN/good.h5" --labels "$T/fz_labels.h5"
# A model whose scale factor is 5.65e-175 (positive and finite, so the
# loader took it): every scaled value overflowed float and assign exited 0
# with an inertia of NaN and every row in segment 0 (model fuzzer).
printf 'x0,x1,x2\n1,2,3\n4,5,6\n' >"$T/xyz.csv"
run "$STRATA" import "$T/xyz.csv" -o "$IN/xyz.h5" --quiet
expect_error_clean "assign: a scale factor that takes values out of float range" 2 \
  "column 'x1' at row 0: the value 2 is beyond float range once scaled" "$O" \
  "$STRATA" assign "$FZ/regressions_model/tiny_scale_factor_nan_inertia.h5" "$IN/xyz.h5" --labels "$O/l.h5" --no-drift
# An object header continuation declaring a 2 GiB chunk in a 16 KB model:
# HDF5 1.10 allocates the declared size before it checks the end of the
# file (libFuzzer reported the allocation); the read then fails, exit 2.
# HDF5 leaks 56 bytes on that path: no leak check (the ASan run); and
# ASan, like glibc, returns NULL for an allocation past the child reader's
# memory bound instead of ending the child.  The child's open fails first
# within its bound and its error is the command's; under ASan, whose
# allocator does not feel that bound, the open gets as far as the parent's
# did before: "addr overflow".
expect_error "assign: an object header chunk of 2 GiB" 2 \
  "truncated or corrupt: (memory allocation failed for on disk image buffer|addr overflow)" \
  env ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 "$STRATA" assign "$FZ/regressions_model_hdf5/ohdr_continuation_2gib.h5" \
  "$IN/good.h5" --labels "$T/fz_labels.h5"
# A file on which HDF5 1.10 itself crashes (SIGSEGV in H5F__accum_read
# under H5Gget_create_plist: a fuzzed group's link-info B-tree address):
# read in a child process first (io/h5_probe.c), it is refused with exit 2
# naming the file, and nothing is written; the command used to die with
# SIGSEGV (exit 139).
expect_error "inspect: a file that crashes HDF5" 2 "gcpl_btree_segv\.h5' is truncated or corrupt: reading it .*the HDF5 library" \
  "$STRATA" inspect "$FZ/regressions_h5/gcpl_btree_segv.h5"
expect_error_clean "fit: a file that crashes HDF5" 2 "gcpl_btree_segv\.h5' is truncated or corrupt: reading it .*the HDF5 library" "$O" \
  "$STRATA" fit "$FZ/regressions_h5/gcpl_btree_segv.h5" -k 2 -o "$O/m.h5" --labels "$O/l.h5"
expect_error_clean "assign: a table that crashes HDF5" 2 "gcpl_btree_segv\.h5' is truncated or corrupt: reading it .*the HDF5 library" "$O" \
  "$STRATA" assign "$IN/model.h5" "$FZ/regressions_h5/gcpl_btree_segv.h5" --labels "$O/l.h5"
# A model whose root group's local heap is corrupt: listing that group (the
# child reader does, the model reader does not) makes HDF5 1.10 allocate
# for ever.  The child may take 256 MB beyond what it inherits: exit 2 in
# about a second (it took 60 s and 19 GB before that bound).
expect_error "assign: a model on which HDF5 allocates for ever" 2 "local_heap_runaway\.h5" \
  timeout 30 "$STRATA" assign "$FZ/regressions_model/local_heap_runaway.h5" "$IN/good.h5" --labels "$T/fz_labels.h5"
# Under an address-space limit HDF5's unchecked mallocs can crash too: the
# same crash is then reported as either, exit 1 (runtime), not blamed on
# the file.
if (ulimit -v 4000000 && exec "$STRATA" --version) >/dev/null 2>&1; then
  expect_error "inspect under ulimit -v: a crash of HDF5's is not blamed on the file" 1 \
    "crashes the HDF5 library \(.*\) under an address-space limit of 3906 MB: a corrupt file, or too little memory" \
    bash -c 'ulimit -v 4000000 && exec "$0" inspect "$1"' "$STRATA" "$FZ/regressions_h5/gcpl_btree_segv.h5"
else
  skip "ulimit -v: this build cannot start under an address-space limit (a sanitizer build)"
fi

finish
