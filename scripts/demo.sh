#!/usr/bin/env bash
# One command for a newcomer: install what is needed, build, build the demo study and
# open it in the workbench.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release
./target/release/codeloom demo demo.codeloom --open
