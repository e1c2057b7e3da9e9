#!/usr/bin/env bash
# Mutation testing with cargo-mutants: which small changes to the code no test notices.
# Slow (every mutant is a build and a test run), so not part of CI or scripts/test.sh.
#
#   scripts/mutants.sh                  # the store, agreement, interop and codebook modules
#   scripts/mutants.sh -f src/agreement/stats.rs -- --test agreement_hand_values
#   scripts/mutants.sh --iterate        # again, skipping what the last run caught
#
# Arguments go to `cargo mutants`; without a --file (-f) of your own, the four module
# folders above are mutated. Arguments after `--` go to `cargo test` when the tests run
# (every test target is still built for each mutant).
#
# The mutants are built in a private copy of the tree made with `cp -a`, which keeps file
# times, so the copy's target/ stays warm and only this crate is rebuilt (cargo-mutants'
# own copy loses them and rebuilds every dependency first). The copy needs as much free
# disk as target/ takes and is removed at the end. With --in-place, the mutants are made
# in this tree instead: only in your own worktree, and do not edit it while it runs.
#
# MUTANTS_TIMEOUT (seconds, default 300) bounds one test run, MUTANTS_BUILD_TIMEOUT
# (default 1200) one build. Results land in mutants.out/ here: caught.txt, missed.txt,
# timeout.txt, unviable.txt and outcomes.json.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

if ! cargo mutants --version >/dev/null 2>&1; then
  echo "cargo-mutants is not installed: installing it" >&2
  cargo install --locked cargo-mutants
fi

has_file=false
in_place=false
for arg in "$@"; do
  [ "$arg" = "--" ] && break
  case "$arg" in
    -f | --file | --file=*) has_file=true ;;
    --in-place) in_place=true ;;
  esac
done
scope=()
if ! $has_file; then
  scope=(--file 'src/store/**' --file 'src/agreement/**' --file 'src/interop/**' --file 'src/codebook/**')
fi

place=()
if ! $in_place; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/codeloom-mutants.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "copying the tree to $work (keeping file times)" >&2
  shopt -s dotglob nullglob
  for entry in *; do
    case "$entry" in
      .git | mutants.out | mutants.out.old) continue ;;
    esac
    cp -a "$entry" "$work/"
  done
  cd "$work"
  place=(--in-place --output "$repo")
fi

cargo mutants --test-tool cargo \
  --timeout "${MUTANTS_TIMEOUT:-300}" --build-timeout "${MUTANTS_BUILD_TIMEOUT:-1200}" \
  "${place[@]}" "${scope[@]}" "$@"
