#!/usr/bin/env bash
# Installs the Debian packages tracetopo needs to build, run and test, when they are missing:
# fontconfig headers (system font lookup), the Vulkan loader and Mesa's CPU driver (the app
# and its rendering tests draw through wgpu, on lavapipe when there is no GPU), CJK fonts
# (Chinese service and span names), Xvfb (screenshots of the real window without a display)
# and graphviz (tests check that exported DOT files are valid).
set -euo pipefail

pkgs=(gcc pkg-config libfontconfig1-dev libxkbcommon-x11-0 libvulkan1 mesa-vulkan-drivers
      fonts-noto-cjk fonts-dejavu-core xvfb xauth graphviz)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    echo "setup: installing ${missing[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
    echo "setup: cargo not found: install Rust 1.95 with rustup first (https://rustup.rs)" >&2
    exit 2
fi
