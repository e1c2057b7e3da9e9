#!/usr/bin/env bash
# Installs what Codeloom needs on Debian/Ubuntu to build, test and show its window.
# `--test` also installs the tools the test suite drives: Xvfb, openbox and xdotool (the
# real-window tests), ImageMagick (their screenshots on failure), LibreOffice Writer
# (reading the DOCX exports back) and xmllint (validating REFI-QDA exports). `--media`
# installs ffmpeg, which `fixtures/media/make.sh` and the 2-hour M4A of `codeloom bench`
# use (the tests read committed fixtures and need no encoder).
# Safe to run more than once. Uses sudo when not root.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
packages=(
  # Build: a C compiler for SQLite and zstd.
  build-essential pkg-config ca-certificates curl
  # The window: X11/Wayland client libraries, Vulkan or GL (software renderers included), fonts.
  libx11-6 libxcursor1 libxrandr2 libxi6 libxkbcommon0 libxkbcommon-x11-0 libwayland-client0
  libegl1 libgl1 libgl1-mesa-dri mesa-vulkan-drivers libvulkan1 fonts-dejavu-core
  # Tests: xmllint checks REFI-QDA exports against the XSD.
  libxml2-utils
  # Recordings: ALSA for the sound device (cpal), libclang for the time stretcher's
  # bindings (signalsmith-stretch, C++ built with the compiler above).
  libasound2-dev libclang-dev
)
if [ "${1:-}" = "--test" ]; then
  packages+=(xvfb openbox xdotool imagemagick libreoffice-writer-nogui)
fi
if [ "${1:-}" = "--media" ] || [ "${2:-}" = "--media" ]; then
  packages+=(ffmpeg)
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
if ! command -v cargo >/dev/null 2>&1; then
  echo "Rust is not installed: installing it with rustup" >&2
  curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true
echo "setup done"
