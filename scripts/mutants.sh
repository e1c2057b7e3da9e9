#!/usr/bin/env bash
# Mutation testing with cargo-mutants: which small changes to the code no test notices.
# Slow (every mutant is a build and a test run), so not part of CI or scripts/test.sh.
#
#   scripts/mutants.sh                  # the store, agreement, interop and codebook modules
#   scripts/mutants.sh -f src/agreement/stats.rs -- --test agreement_hand_values
#
# Arguments go to `cargo mutants`; without a --file (-f) of your own, the four module
# folders above are mutated. Arguments after `--` go to `cargo test` (which test targets
# run for every mutant). Each mutant is built and tested in a copy of the tree unless
# you pass --in-place (only in your own worktree: it edits the sources while it runs).
# MUTANTS_TIMEOUT (seconds, default 300) bounds one test run, MUTANTS_BUILD_TIMEOUT
# (default 1200) one build. Results land in mutants.out/: caught.txt, missed.txt,
# timeout.txt, unviable.txt and outcomes.json.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo mutants --version >/dev/null 2>&1; then
  echo "cargo-mutants is not installed: installing it" >&2
  cargo install --locked cargo-mutants
fi

has_file=false
for arg in "$@"; do
  [ "$arg" = "--" ] && break
  case "$arg" in
    -f | --file | --file=*) has_file=true ;;
  esac
done
scope=()
if ! $has_file; then
  scope=(--file 'src/store/**' --file 'src/agreement/**' --file 'src/interop/**' --file 'src/codebook/**')
fi

exec cargo mutants --test-tool cargo \
  --timeout "${MUTANTS_TIMEOUT:-300}" --build-timeout "${MUTANTS_BUILD_TIMEOUT:-1200}" \
  "${scope[@]}" "$@"
