#!/usr/bin/env bash
# Proves that scripts/setup-debian.sh installs every library the window loads at run time
# (docs/window-libraries.md). The tracetopo binary links only libc, libm and libgcc_s: winit,
# wgpu and the font lookup dlopen the rest, so a missing one is only found when a window opens.
#
# For each library (or group) below: hides it from one run of the real window under Xvfb, or
# under a headless Weston for the Wayland rows (a private mount namespace with /dev/null bound
# over the file), takes a --screenshot and prints
# whether the screenshot still came out; and checks that the package holding it is installed
# and named in scripts/setup-debian.sh. Exits 1 when a package is missing from the setup script
# or a library that should be fatal to hide was not (the list below is then out of date).
#
#   scripts/check-window-libs.sh [TRACETOPO_BINARY]   (default target/debug/tracetopo)
#
# Needs root (or user namespaces) for unshare, and Xvfb; the Wayland rows need weston (Debian
# package weston, not in setup-debian.sh: only this check uses it) and are skipped without it.
# Takes about a minute; not run in CI.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/target/debug/tracetopo}"
setup="$root/scripts/setup-debian.sh"
sample="$root/sample-traces/checkout-broken.json"
[ -x "$bin" ] || cargo build --manifest-path "$root/Cargo.toml" --bin tracetopo || exit 2
command -v Xvfb >/dev/null || { echo "check-window-libs: Xvfb not found (scripts/setup-debian.sh)" >&2; exit 2; }

# session | library files (space separated) | Debian packages | who loads it | fatal when hidden
rows=(
    "x11|libX11.so.6|libx11-6|winit X11 (x11-dl Xlib)|yes"
    "x11|libX11-xcb.so.1|libx11-xcb1|winit X11 (x11-dl Xlib_xcb)|yes"
    "x11|libXcursor.so.1|libxcursor1|winit X11 (x11-dl Xcursor)|yes"
    "x11|libXi.so.6|libxi6|winit X11 (x11-dl XInput2)|yes"
    "x11|libxcb.so.1|libxcb1|winit X11 (x11rb, dl-libxcb)|yes"
    "x11|libxkbcommon-x11.so.0|libxkbcommon-x11-0|winit X11 (xkbcommon-dl)|yes"
    "x11|libxkbcommon.so.0|libxkbcommon0|winit (xkbcommon-dl; libxkbcommon-x11 needs it)|yes"
    "x11|libvulkan.so.1|libvulkan1|wgpu-hal Vulkan backend (ash)|no"
    "x11|libvulkan_lvp.so|mesa-vulkan-drivers|the Vulkan loader (ICD: lavapipe, Vulkan on the CPU)|no"
    "x11|libVkLayer_MESA_device_select.so|mesa-vulkan-drivers|the Vulkan loader (implicit layer)|no"
    "x11|libEGL.so.1|libegl1|wgpu-hal GL backend (khronos-egl)|no"
    "x11|libEGL_mesa.so.0|libegl-mesa0|libEGL.so.1 (glvnd vendor library)|no"
    "x11|swrast_dri.so|libgl1-mesa-dri|libEGL_mesa.so.0 (GL on the CPU)|no"
    "x11|libvulkan.so.1 libEGL.so.1|libvulkan1 libegl1|wgpu-hal: no Vulkan and no GL|yes"
    "x11|libvulkan_lvp.so swrast_dri.so|mesa-vulkan-drivers libgl1-mesa-dri|no CPU driver for either|yes"
    "x11|libfontconfig.so.1|libfontconfig1|fontique (egui_system_font_provider; yeslogic-fontconfig-sys dlopen)|no"
    "wayland|libwayland-client.so.0|libwayland-client0|winit Wayland (wayland-backend dlopen), wgpu-hal|yes"
    "wayland|libxkbcommon.so.0|libxkbcommon0|winit Wayland (xkbcommon-dl, once a keyboard sends a keymap)|no"
    "wayland|libvulkan.so.1|libvulkan1|wgpu-hal Vulkan backend (ash)|no"
    "wayland|libvulkan.so.1 libwayland-egl.so.1|libvulkan1 libwayland-egl1|wgpu-hal GL on Wayland (wayland-sys egl dlopen)|yes"
)

# The file a library name resolves to (the dynamic linker's cache, then the driver folders).
resolve() {
    local p
    p="$(ldconfig -p | awk -v n="$1" '$1 == n && /x86-64/ {print $NF; exit}')"
    [ -n "$p" ] || p="$(find /usr/lib/x86_64-linux-gnu -name "$1" 2>/dev/null | head -n 1)"
    [ -n "$p" ] && realpath "$p"
}

# The package owning a file (dpkg may have it under /lib or /usr/lib: merged /usr).
owner() {
    local f="$1"
    dpkg-query -S "$f" 2>/dev/null || dpkg-query -S "${f#/usr}" 2>/dev/null
} 

# Whether the setup script names the package (a whole word of its package list).
in_setup() {
    sed 's/#.*//' "$setup" | sed -n '/^pkgs=(/,/)/p' | tr -s ' \t()' '\n' | grep -qx -- "$1"
}

# One X server and one Wayland compositor for every run, outside the namespaces (xvfb-run's
# xauth needs libX11 itself).
display=""
for n in $(seq 90 140); do
    [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || { display=":$n"; break; }
done
tmp="$(mktemp -d)"
Xvfb "$display" -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 &
pids=($!)
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done
wl_dir="$tmp/xdg"
if command -v weston >/dev/null; then
    mkdir -m 700 "$wl_dir"
    XDG_RUNTIME_DIR="$wl_dir" weston --backend=headless-backend.so --socket=wl-check \
        --width=1600 --height=1000 --idle-time=0 >"$tmp/weston.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do [ -e "$wl_dir/wl-check" ] && break; sleep 0.1; done
fi

unshare_cmd=(unshare -m)
[ "$(id -u)" = 0 ] || unshare_cmd=(unshare -r -m)

# Runs the real window in SESSION (x11 or wayland) with FILES hidden; prints "ok" or
# "FAILS: <first error line>".
shot() {
    local session="$1"
    shift
    local out="$tmp/shot.png"
    rm -f "$out"
    local envs=(-u WAYLAND_DISPLAY DISPLAY="$display")
    [ "$session" = wayland ] && envs=(-u DISPLAY WAYLAND_DISPLAY=wl-check XDG_RUNTIME_DIR="$wl_dir")
    local err
    err="$(env "${envs[@]}" timeout 120 "${unshare_cmd[@]}" sh -c '
        bin="$1"; sample="$2"; out="$3"; shift 3
        for f in "$@"; do mount --bind /dev/null "$f" || exit 99; done
        exec "$bin" "$sample" --screenshot "$out"' sh "$bin" "$sample" "$out" "$@" 2>&1 >/dev/null)"
    local rc=$?
    if [ $rc -eq 0 ] && [ -s "$out" ]; then
        echo "ok"
    else
        # The first line that says something, with crate source paths cut to the crate name.
        echo "FAILS: $(printf '%s\n' "$err" | grep -v 'XDG_RUNTIME_DIR' | grep -m1 . |
            sed -E 's#/[^ ]*/registry/src/[^/]*/([^/ ]*)/[^ ]*#\1#g' | cut -c1-160) (exit $rc)"
    fi
}

sessions=(x11)
[ -e "$wl_dir/wl-check" ] && sessions+=(wayland)
for session in "${sessions[@]}"; do
    baseline="$(shot "$session")"
    echo "$session, nothing hidden: $baseline"
    [ "$baseline" = ok ] || exit 2
done
[ -e "$wl_dir/wl-check" ] || echo "weston not found: Wayland rows skipped"

bad=0
printf '| %s | %s | %s | %s | %s | %s |\n' "session" "hidden" "package" "in setup-debian.sh" "loaded by" "screenshot without it"
printf '|---|---|---|---|---|---|\n'
for row in "${rows[@]}"; do
    IFS='|' read -r session libs pkgs who fatal <<<"$row"
    [[ " ${sessions[*]} " == *" $session "* ]] || continue
    files=()
    missing=""
    for l in $libs; do
        f="$(resolve "$l")"
        if [ -z "$f" ]; then missing+=" $l"; else files+=("$f"); fi
    done
    setup_ok="yes"
    for p in $pkgs; do
        in_setup "$p" || { setup_ok="NO ($p)"; bad=1; }
    done
    if [ -n "$missing" ]; then
        result="not on this machine:$missing"
        bad=1
    else
        for f in "${files[@]}"; do
            o="$(owner "$f" | cut -d: -f1 | head -n 1)"
            case " $pkgs " in *" $o "*) ;; *) setup_ok="$setup_ok (file is in $o)"; bad=1 ;; esac
        done
        result="$(shot "$session" "${files[@]}")"
        case "$fatal:$result" in
            yes:ok) result="$result (expected to fail: list out of date?)"; bad=1 ;;
            no:FAILS*) result="$result (expected a fallback)"; bad=1 ;;
        esac
    fi
    printf '| %s | %s | %s | %s | %s | %s |\n' "$session" "$libs" "$pkgs" "$setup_ok" "$who" "$result"
done
exit $bad
