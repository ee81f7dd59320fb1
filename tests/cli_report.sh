#!/usr/bin/env bash
# `strata report`: a model on generated data, the page written with
# hand-made sweep, stability and drift results, then rendered by headless
# Chromium: it must load with no console errors, the whole DOM must be
# there, and the screenshot must not be blank.  The HTML must be
# self-contained (no http:// or https://, no script) and escape every
# string from the data, the model and the JSON inputs.  Error cases leave
# nothing behind.  Without Chromium the rendering checks are skipped (the
# rest still runs; the test reports skipped, or fails with CI=true).
NAME=cli_report
. "$(dirname "$0")/cli_lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

O="$T/outputs"
mkdir "$O"
"$STRATA_GEN" --rows 6000 --seed 12 -o "$T/c.h5"
"$STRATA" fit "$T/c.h5" -k 4 -o "$T/m.h5" --missing mean --seed 2 -q

cat >"$T/sweep.json" <<'JSON'
{"command":"sweep","data":"c.h5","rows":6000,"features":["age","income"],"k_min":2,"k_max":6,"seed":0,
 "silhouette_sample":2000,"results":[
 {"k":2,"inertia":21000.5,"iterations":8,"converged":true,"silhouette":0.31,"calinski_harabasz":2100.2,"davies_bouldin":1.21},
 {"k":3,"inertia":16000.1,"iterations":9,"converged":true,"silhouette":0.35,"calinski_harabasz":2500.8,"davies_bouldin":1.05},
 {"k":4,"inertia":12000.7,"iterations":11,"converged":true,"silhouette":0.41,"calinski_harabasz":2900.1,"davies_bouldin":0.91},
 {"k":5,"inertia":11000.2,"iterations":12,"converged":true,"silhouette":0.37,"calinski_harabasz":2700.3,"davies_bouldin":0.99},
 {"k":6,"inertia":10500.9,"iterations":14,"converged":true,"silhouette":null,"calinski_harabasz":null,"davies_bouldin":null}],
 "knee_k":4,"recommended_k":4,"reason":"best silhouette <script>alert(1)</script> & elbow"}
JSON
cat >"$T/stability.json" <<'JSON'
{"command":"stability","data":"c.h5","k":4,"runs":10,"method":"bootstrap","sample_rows":3000,"seed":1,
 "ari":{"mean":0.87,"std":0.05,"min":0.78,"max":0.95},
 "segments":[{"segment":0,"size":1500,"jaccard_mean":0.91,"jaccard_std":0.03,"dissolved":0,"verdict":"stable"},
  {"segment":1,"size":2500,"jaccard_mean":0.82,"jaccard_std":0.06,"dissolved":0,"verdict":"stable"},
  {"segment":2,"size":700,"jaccard_mean":0.64,"jaccard_std":0.12,"dissolved":1,"verdict":"unstable"},
  {"segment":3,"size":1300,"jaccard_mean":0.45,"jaccard_std":0.2,"dissolved":4,"verdict":"dissolving"}],
 "thresholds":{"stable":0.75,"unstable":0.6,"dissolved":0.5},"verdict":"mostly stable"}
JSON
cat >"$T/assign.json" <<'JSON'
{"n":6000,"k":4,"drift":{"reference":"m.h5 <training>",
 "segments":[{"segment":0,"share_train":0.25,"share_now":0.31,"share_change":0.06,"mean_distance_train":1.2,"mean_distance_now":1.3,"distance_change":0.08,"flag":true},
  {"segment":1,"share_train":0.4,"share_now":0.38,"share_change":-0.02,"mean_distance_train":1.0,"mean_distance_now":1.0,"distance_change":0.0,"flag":false},
  {"segment":2,"share_train":0.15,"share_now":0.13,"share_change":-0.02,"mean_distance_train":1.5,"mean_distance_now":null,"distance_change":null,"flag":false},
  {"segment":3,"share_train":0.2,"share_now":0.18,"share_change":-0.02,"mean_distance_train":0.9,"mean_distance_now":0.95,"distance_change":0.05,"flag":false}],
 "features":[{"feature":"age","mean_train":38.4,"mean_now":41.0,"std_train":9.0,"shift":0.29,"flag":true},
  {"feature":"income","mean_train":63000,"mean_now":62000,"std_train":21000,"shift":-0.05,"flag":false}],
 "thresholds":{"share":0.05,"distance":0.25,"shift":0.25},"warnings":["segment 0 grew by 6 points & age shifted"]}}
JSON

R="$O/report.html"
run "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$R" --sweep "$T/sweep.json" --stability "$T/stability.json" \
  --drift "$T/assign.json" --sample 1500 --title 'Customers <Q3> & "co"'
if [ "$RC" -eq 0 ] && [ -s "$R" ]; then ok "report written"; else bad "report written" "rc $RC" "$(cat "$T/err")"; fi

# Self-contained: nothing to fetch, no script at all.
if grep -Eqi 'https?://|<script|src=|url\(|@import' "$R"; then
  bad "self-contained" "$(grep -Eoi '.{30}(https?://|<script|src=|url\(|@import).{30}' "$R" | head -3)"
else
  ok "self-contained: no URL, no script, no src"
fi
# Escaping: the title and the JSON's strings arrive as text.
if grep -q 'Customers &lt;Q3&gt; &amp; &quot;co&quot;' "$R" && grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$R" &&
   grep -q 'm.h5 &lt;training&gt;' "$R" && grep -q 'grew by 6 points &amp; age' "$R"; then
  ok "strings from the inputs are escaped"
else
  bad "escaping"
fi
# Every section and chart, with accessible names.
nsvg=$(grep -o '<svg ' "$R" | wc -l)
nrole=$(grep -o 'role="img" aria-labelledby=' "$R" | wc -l)
if [ "$nsvg" -eq 8 ] && [ "$nrole" -eq "$nsvg" ] && grep -q 'id="sweep"' "$R" && grep -q 'id="stability"' "$R" &&
   grep -q 'id="drift"' "$R" && grep -q 'id="run"' "$R" && grep -q '<table>' "$R"; then
  ok "sizes, heat map, PCA, 4 sweep curves, stability charts and the drift and run sections, all labelled"
else
  bad "sections and charts" "svg $nsvg, labelled $nrole"
fi
if grep -q '<dt>Seed</dt><dd>2</dd>' "$R" && grep -q '<dt>Backend</dt>' "$R" && grep -q '<dt>Model created</dt>' "$R"; then
  ok "run metadata"
else
  bad "run metadata"
fi
# The same inputs give the same page (no clock in it), for any thread count.
"$STRATA" report "$T/m.h5" "$T/c.h5" -o "$O/again.html" --sweep "$T/sweep.json" --stability "$T/stability.json" \
  --drift "$T/assign.json" --sample 1500 --title 'Customers <Q3> & "co"' --threads 1 --chunk-rows 4096 -q
if cmp -s "$R" "$O/again.html"; then ok "deterministic page"; else bad "deterministic page"; fi
rm -f "$O/again.html"

# Feature names with markup in them (a CSV header) are escaped too.
printf 'a<b>,c&d\n' >"$T/odd.csv"
for i in $(seq 1 300); do printf '%d,%d\n' $((i % 17)) $(((i * 7) % 23)) >>"$T/odd.csv"; done
"$STRATA" import "$T/odd.csv" -o "$T/odd.h5" -q
"$STRATA" fit "$T/odd.h5" -k 2 -o "$T/odd_m.h5" -q
"$STRATA" report "$T/odd_m.h5" "$T/odd.h5" -o "$O/odd.html" -q
if grep -q 'a&lt;b&gt;' "$O/odd.html" && grep -q 'c&amp;d' "$O/odd.html" && ! grep -q 'a<b>' "$O/odd.html"; then
  ok "feature names are escaped"
else
  bad "feature names are escaped"
fi
rm -f "$O/odd.html"

# Rendering in a real browser.
chrome=""
for c in "${CHROMIUM:-}" chromium chromium-browser google-chrome; do
  if [ -n "$c" ] && command -v "$c" >/dev/null 2>&1; then chrome=$(command -v "$c"); break; fi
done
if [ -z "$chrome" ]; then
  unavailable "Chromium not found (set CHROMIUM): the rendering checks did not run"
else
  flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-extensions
         --user-data-dir="$T/profile" --enable-logging=stderr --v=0)
  timeout 120 "$chrome" "${flags[@]}" --window-size=1200,3000 --screenshot="$T/page.png" "file://$R" \
    >"$T/shot.out" 2>"$T/shot.err" || true
  timeout 120 "$chrome" "${flags[@]}" --dump-dom "file://$R" >"$T/dom.html" 2>"$T/dom.err" || true
  if grep -Eq 'Uncaught|CONSOLE|ERR_FILE_NOT_FOUND|net::ERR' "$T/shot.err" "$T/dom.err"; then
    bad "no console errors" "$(grep -Eh 'Uncaught|CONSOLE|net::ERR' "$T/shot.err" "$T/dom.err" | head -3)"
  else
    ok "no console errors"
  fi
  if [ "$(grep -o '<svg ' "$T/dom.html" | wc -l)" -eq 8 ] && grep -q 'id="run"' "$T/dom.html" &&
     grep -q '</html>' "$T/dom.html"; then
    ok "the DOM loaded completely"
  else
    bad "the DOM loaded completely" "$(head -c 300 "$T/dom.err")"
  fi
  if [ -s "$T/page.png" ]; then
    read -r w h nonwhite distinct < <(python3 "$here/png_stats.py" "$T/page.png")
    # Bars, heat map cells, a scatter in 4 colours and text: thousands of
    # non-white samples and many colours; a blank page has 1.
    if [ "$w" -eq 1200 ] && [ "$h" -eq 3000 ] && [ "$nonwhite" -gt 20000 ] && [ "$distinct" -gt 200 ]; then
      ok "screenshot is not blank ($nonwhite non-white samples, $distinct colours)"
    else
      bad "screenshot is not blank" "$w x $h, $nonwhite non-white, $distinct colours"
    fi
    [ -n "${STRATA_REPORT_KEEP:-}" ] && cp "$R" "$T/page.png" "$STRATA_REPORT_KEEP"/
  else
    bad "screenshot written" "$(tail -n 3 "$T/shot.err")"
  fi
fi

# Errors: one line, exit 2 for bad input, nothing left in the output directory.
rm -f "$R"
printf '{"command":"sweep","results":[{"k":2,"inertia":1.0' >"$T/broken.json"
printf '{"command":"sweep","results":[{"k":"two","inertia":1}],"recommended_k":2}' >"$T/wrongtype.json"
expect_error_clean "missing model" 2 "cannot open" "$O" "$STRATA" report "$T/nope.h5" "$T/c.h5" -o "$R"
expect_error_clean "malformed sweep JSON" 2 "sweep file '.*broken.json' is not valid JSON" "$O" \
  "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$R" --sweep "$T/broken.json"
expect_error_clean "sweep JSON of the wrong shape" 2 "sweep file .*results\[0\] \"k\" must be a whole number" "$O" \
  "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$R" --sweep "$T/wrongtype.json"
expect_error_clean "stability file given a sweep" 2 "stability file .*\"k\" must be a whole number" "$O" \
  "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$R" --stability "$T/sweep.json"
expect_error_clean "drift file without a drift object" 2 "drift file .*\"drift\" must be an object" "$O" \
  "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$R" --drift "$T/sweep.json"
# Values the report would cast to int or draw: a segment past int (a cast
# of 1e300 is undefined; it showed "Segment -2147483648" with exit 0), an
# infinite k (cJSON reads 1e999 as inf), a vanished segment without the
# reference's number.
printf '{"k":4,"runs":5,"ari":{"mean":0.9,"std":0.01,"min":0.8,"max":1},"segments":[{"segment":1e300,"size":10,"jaccard_mean":0.9,"jaccard_std":0.1,"dissolved":0,"verdict":"stable"}],"verdict":"stable"}' >"$T/bigseg.json"
printf '{"results":[{"k":1e999,"inertia":1,"silhouette":null,"calinski_harabasz":null,"davies_bouldin":null}],"recommended_k":2,"knee_k":null}' >"$T/infk.json"
printf '{"drift":{"segments":[{"segment":null,"share_train":0.1,"share_now":0,"share_change":-0.1,"mean_distance_train":null,"mean_distance_now":null,"distance_change":null,"flag":true}],"features":[]}}' >"$T/noref.json"
expect_error_clean "stability segment past int" 2 "stability file .*segments\[0\] \"segment\" must be a whole number from 0" "$O" \
  "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$R" --stability "$T/bigseg.json"
expect_error_clean "sweep k infinite" 2 "sweep file .*results\[0\] \"k\" must be a whole number" "$O" \
  "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$R" --sweep "$T/infk.json"
expect_error_clean "drift vanished segment without its reference" 2 \
  "drift file .*segments\[0\] \"reference_segment\" must be a whole number" "$O" \
  "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$R" --drift "$T/noref.json"
# A value whose plain digits pass the cell's buffer is shown with an
# exponent, not cut (1e100 showed as its first 63 digits).
printf '{"drift":{"segments":[{"segment":0,"share_train":0.5,"share_now":0.5,"share_change":0,"mean_distance_train":1,"mean_distance_now":1,"distance_change":0,"flag":false}],"features":[{"feature":"income","mean_train":1e100,"mean_now":2,"std_train":1,"shift":0,"flag":false}]}}' >"$T/hugemean.json"
run "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$O/huge.html" --drift "$T/hugemean.json" -q
if [ "$RC" -eq 0 ] && grep -q '<td>1e+100</td>' "$O/huge.html"; then ok "a mean of 1e100 shown as 1e+100"
else bad "a mean of 1e100 shown as 1e+100" "rc $RC" "$(grep -o '<td>1[0-9,.e+]*</td>' "$O/huge.html" | head -2)" "$(cat "$T/err")"; fi
rm -f "$O/huge.html"
expect_error_clean "missing JSON file" 2 "cannot open drift file" "$O" \
  "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$R" --drift "$T/nope.json"
expect_error_clean "missing data" 2 "cannot open" "$O" "$STRATA" report "$T/m.h5" "$T/nope.h5" -o "$R"
expect_error "missing -o" 2 "missing required option -o" "$STRATA" report "$T/m.h5" "$T/c.h5"
expect_error "output directory missing" 1 "report" "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$T/no/dir/r.html"
expect_error "output is the model" 2 "input file" "$STRATA" report "$T/m.h5" "$T/c.h5" -o "$T/m.h5"

# The Run section names the method and the parameters that made the
# segments (issue 15), and the fitted transforms.
"$STRATA_GEN" --kind blobs --rows 1500 --dims 3 --centers 3 --seed 4 -o "$T/mb.h5"
"$STRATA" fit "$T/mb.h5" -k 3 --algorithm gmm --covariance-type diag -o "$T/mg.h5" -q
"$STRATA" fit "$T/mb.h5" -k 3 --algorithm ward -o "$T/mw.h5" -q
"$STRATA" fit "$T/mb.h5" --algorithm dbscan --eps 0.3 --min-samples 6 -o "$T/md.h5" -q
"$STRATA" fit "$T/mb.h5" -k 3 --n-init 2 --transform x0:clip\(p1,p99\) -o "$T/mk.h5" -q
method_of() { "$STRATA" report "$1" "$T/mb.h5" -o - 2>/dev/null | grep -o '<dt>Method</dt><dd>[^<]*' | sed 's/.*<dd>//'; }
m=$(method_of "$T/mg.h5")
case $m in "Gaussian mixture (EM): diag covariances, reg_covar 1e-06; mean log-likelihood "*) ok "report: gmm's method row" ;;
  *) bad "report: gmm's method row" "$m" ;; esac
m=$(method_of "$T/mw.h5")
[ "$m" = "Ward (exact, on all 1500 rows)" ] && ok "report: ward's method row" || bad "report: ward's method row" "$m"
m=$(method_of "$T/md.h5")
[ "$m" = "DBSCAN: eps 0.3 (scaled units), min_samples 6" ] && ok "report: dbscan's method row" || bad "report: dbscan's method row" "$m"
m=$(method_of "$T/mk.h5")
t=$("$STRATA" report "$T/mk.h5" "$T/mb.h5" -o - 2>/dev/null | grep -o '<dt>Transforms</dt><dd>[^/]*')
case "$m|$t" in "k-means (Lloyd): 2 restarts, tol 0.0001, refinement "*"|<dt>Transforms</dt><dd>x0: clipped to "*)
  ok "report: k-means' method row and its transforms" ;;
  *) bad "report: k-means' method row and transforms" "$m" "$t" ;; esac

finish
