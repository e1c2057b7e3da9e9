#!/usr/bin/env bash
# The project's test command: the same locally and in CI. On a machine that lacks Rust or
# the tools the tests drive, it runs `scripts/setup.sh --test` first (with sudo when not
# root); tests whose tool or `../shared` folder is still missing print SKIPPED, and fail
# instead when the CI variable is set.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f "$HOME/.cargo/env" ]; then
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
missing=0
for tool in cargo xmllint Xvfb openbox xdotool soffice; do
  command -v "$tool" >/dev/null 2>&1 || missing=1
done
# The recordings' build needs ALSA's headers (cpal) and libclang (signalsmith-stretch).
pkg-config --exists alsa 2>/dev/null || missing=1
compgen -G "/usr/lib/llvm-*/lib/libclang.so*" >/dev/null || compgen -G "/usr/lib/*/libclang*.so*" >/dev/null || missing=1
if [ "$missing" = 1 ] && [ "${CODELOOM_NO_SETUP:-}" = "" ] && command -v apt-get >/dev/null 2>&1; then
  bash scripts/setup.sh --test || echo "setup failed; tests that need the missing tools will say SKIPPED" >&2
  if [ -f "$HOME/.cargo/env" ]; then
    # shellcheck disable=SC1091
    . "$HOME/.cargo/env"
  fi
fi
cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
# The library alone, without the window and the command line: the compiler proves it
# needs none of their crates.
cargo check --locked --lib --no-default-features
