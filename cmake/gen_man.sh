#!/usr/bin/env bash
# Man pages from the command's own --help (what help2man does, without the
# dependency): strata.1 and strata-CMD.1 for each command `strata --help`
# lists, the help text kept verbatim (.nf) under NAME/SYNOPSIS/DESCRIPTION,
# gzipped reproducibly (-n) as Debian wants them.
# Usage: gen_man.sh STRATA OUT_DIR VERSION
set -euo pipefail
strata=$1 out=$2 version=$3
mkdir -p "$out"
rm -f "$out"/*.1 "$out"/*.1.gz

# roff: a backslash is \e, and a line starting with . or ' would be a request.
escape() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

page() {  # NAME SUMMARY HELP_FILE
  local name=$1 summary=$2 help=$3 upper
  upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
  {
    echo ".TH $upper 1 \"\" \"strata $version\" \"User Commands\""
    echo ".SH NAME"
    echo "$name \\- $summary"
    echo ".SH SYNOPSIS"
    echo ".nf"
    grep -E '^(usage:|       strata)' "$help" | sed 's/^usage: //; s/^       //' | escape
    echo ".fi"
    echo ".SH DESCRIPTION"
    echo ".nf"
    grep -vE '^(usage:|       strata)' "$help" | escape
    echo ".fi"
    if [ "$name" = strata ]; then
      echo ".SH SEE ALSO"
      awk '/^commands:/ {on=1; next} /^$/ {on=0} on {printf "%sstrata-%s(1)", sep, $1; sep=", "} END {print ""}' "$help"
    else
      echo ".SH SEE ALSO"
      echo "strata(1)"
    fi
  } >"$out/$name.1"
  gzip -9n "$out/$name.1"
}

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$strata" --help >"$tmp"
page strata "customer segmentation (k-means) over columnar HDF5" "$tmp"
awk '/^commands:/ {on=1; next} /^$/ {on=0} on {print}' "$tmp" >"$tmp.cmds"
while read -r cmd summary; do
  "$strata" "$cmd" --help >"$tmp.help"
  page "strata-$cmd" "$summary" "$tmp.help"
done <"$tmp.cmds"
rm -f "$tmp.cmds" "$tmp.help"
