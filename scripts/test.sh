#!/usr/bin/env bash
# The project's test command: the same locally and in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
