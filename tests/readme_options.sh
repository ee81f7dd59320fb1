#!/usr/bin/env bash
# The README's command-line reference agrees with the command: every option
# it lists for a command is one that `strata COMMAND --help` documents, and
# where it lists the choices of an option (--on-error fail|skip) the help
# lists the same ones.  (The README is "in short": an option of --help it
# leaves out is no failure.)
NAME=readme_options
. "$(dirname "$0")/cli_lib.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readme="$here/../README.md"

# The reference block: from "## Command-line reference" to the closing fence.
awk '/^## Command-line reference/ { on = 1 } on && /^```/ { n++; if (n == 2) exit; next } on && n == 1' "$readme" >"$T/ref"
if [ ! -s "$T/ref" ]; then bad "README has a command-line reference block"; finish; fi
# One line per command: "strata CMD ..." plus its indented continuation lines.
awk '/^strata [a-z]/ { if (line) print line; line = $0; next } /^ / { sub(/^ +/, ""); line = line " " $0 } END { if (line) print line }' \
  "$T/ref" >"$T/cmds"

checked=0
while read -r _ cmd rest; do
  case $cmd in --*) continue ;; esac
  if ! "$STRATA" "$cmd" --help >"$T/help" 2>"$T/err"; then
    bad "strata $cmd --help" "$(cat "$T/err")"
    continue
  fi
  # Text after a run of blanks is prose ("backends usable here ...").
  opts=$(printf '%s\n' "$rest" | sed 's/   .*//' | grep -oE -- '--[a-z][a-z0-9-]*( [a-z0-9+.,:-]+(\|[a-z0-9+.,:-]+)+)?' || true)
  missing="" choices=""
  while read -r o; do
    [ -n "$o" ] || continue
    name=${o%% *}
    if ! grep -qE -- "(^|[ ,])$name([ =,]|\$)" "$T/help"; then
      missing="$missing $name"
      continue
    fi
    if [ "$name" != "$o" ]; then
      # Each choice is named in the option's help (its line and the next
      # four), as a word: "fail|skip" or "utf-8 or latin-1".
      grep -A4 -E -- "(^|[ ,])$name([ =,]|\$)" "$T/help" >"$T/opthelp"
      IFS='|' read -ra vals <<<"${o#* }"
      for v in "${vals[@]}"; do
        if ! grep -qE -- "(^|[^A-Za-z0-9-])$(printf '%s' "$v" | sed 's/[.+]/\\&/g')([^A-Za-z0-9-]|\$)" "$T/opthelp"; then
          choices="$choices $name $v;"
        fi
      done
    fi
  done <<<"$opts"
  checked=$((checked + 1))
  if [ -z "$missing" ] && [ -z "$choices" ]; then ok "README: strata $cmd options are in its --help"
  else bad "README: strata $cmd" ${missing:+"options not in --help:$missing"} ${choices:+"choices differ from --help:$choices"}; fi
done <"$T/cmds"
if [ "$checked" -lt 8 ]; then bad "README lists the commands" "only $checked found"; fi
finish
