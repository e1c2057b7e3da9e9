#!/usr/bin/env bash
# Installs Codeloom's desktop entry and icon for the current user (~/.local/share), so that
# the application menu lists it. Run after `cargo build --release`.
set -euo pipefail
cd "$(dirname "$0")/.."
share=${XDG_DATA_HOME:-$HOME/.local/share}
bin=${1:-$PWD/target/release/codeloom}
[ -x "$bin" ] || { echo "build Codeloom first (cargo build --release), or pass the path of the codeloom binary" >&2; exit 2; }
for s in 32 64 128 256; do
  install -D -m 0644 "assets/codeloom-$s.png" "$share/icons/hicolor/${s}x${s}/apps/codeloom.png"
done
install -D -m 0644 assets/codeloom.svg "$share/icons/hicolor/scalable/apps/codeloom.svg"
mkdir -p "$share/applications"
sed "s|^Exec=codeloom|Exec=$bin|" assets/codeloom.desktop > "$share/applications/codeloom.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database "$share/applications" || true
echo "installed $share/applications/codeloom.desktop"
