#!/usr/bin/env bash
# Installs what robotrain needs on Debian 12 (bookworm) beyond Node.js 20: the toolchain for
# the native addon, Debian's libtorch (CPU), OpenBLAS for it, and ffmpeg. Idempotent.
set -euo pipefail

packages=(
  g++ make python3       # node-gyp builds the addon with these
  cmake                  # the native core's standalone build (robotrain-native)
  libtorch-dev           # libtorch 1.13, CPU
  libopenblas0-pthread   # libtorch's matrix products: ~12x faster than the reference BLAS
  ffmpeg                 # video decoding for datasets
  clang-format           # `npm run lint` checks the C++ format
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-debian: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "install-debian: robotrain needs Node.js 20 or newer; found $(node --version 2>/dev/null || echo none)" >&2
  exit 1
fi
echo "install-debian: ready"
