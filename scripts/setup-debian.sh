#!/usr/bin/env bash
# Installs the Debian packages tracetopo needs to build, run and test, when they are missing:
# fontconfig headers (system font lookup), the libraries the window loads at run time (the
# binary links none of them: winit, wgpu and the font lookup dlopen them, so a missing one only
# shows when a window opens; docs/window-libraries.md lists who loads which, and
# scripts/check-window-libs.sh proves each is needed), CJK fonts (Chinese service and span
# names), Xvfb (screenshots of the real window without a display), graphviz (tests check
# that exported DOT files are valid), time (tests measure peak memory with /usr/bin/time) and
# Go with the OpenTelemetry Go SDK (a test builds a Go program that prints its spans).
set -euo pipefail

pkgs=(gcc pkg-config libfontconfig1-dev
      # winit on X11: Xlib, Xlib-xcb, Xcursor, XInput2, xcb, xkbcommon
      libx11-6 libx11-xcb1 libxcursor1 libxi6 libxcb1 libxkbcommon-x11-0 libxkbcommon0
      # winit and wgpu on Wayland
      libwayland-client0 libwayland-egl1
      # wgpu: Vulkan with Mesa's CPU driver (lavapipe), else GL through EGL (Mesa's swrast)
      libvulkan1 mesa-vulkan-drivers libegl1 libegl-mesa0 libgl1-mesa-dri
      # system fonts (fontique dlopens fontconfig), CJK and fallback fonts
      libfontconfig1 fonts-noto-cjk fonts-dejavu-core
      xvfb xauth graphviz
      # tests: the peak memory of a command (/usr/bin/time -v)
      time
      # tests/console.rs: a Go program traced with the Go SDK's stdout exporter, built offline
      golang-go golang-opentelemetry-otel-dev)
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
