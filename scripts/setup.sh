#!/usr/bin/env bash
# Installs what Codeloom needs on Debian/Ubuntu to build, test and show its window.
# Safe to run more than once. Uses sudo when not root.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Build: a C compiler for SQLite and zstd. Window: X11/Wayland client libraries, Vulkan
# or GL (software renderers included), and fonts. Tests: xmllint checks REFI-QDA exports against the XSD.
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential pkg-config ca-certificates curl \
  libx11-6 libxcursor1 libxrandr2 libxi6 libxkbcommon0 libxkbcommon-x11-0 libwayland-client0 \
  libegl1 libgl1 libgl1-mesa-dri mesa-vulkan-drivers libvulkan1 fonts-dejavu-core libxml2-utils >/dev/null
if ! command -v cargo >/dev/null 2>&1; then
  echo "Rust is not installed: installing it with rustup" >&2
  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
echo "setup done"
