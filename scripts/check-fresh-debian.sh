#!/usr/bin/env bash
# The window on a fresh Debian 12 (docs/window-libraries.md): debootstraps a minimal bookworm
# into DIR, copies in the built tracetopo binary and a sample, and takes a --screenshot of the
# real window under Xvfb twice: first with only Xvfb installed (it must fail: the libraries the
# window dlopens are missing), then after scripts/setup-debian.sh (it must succeed).
#
#   scripts/check-fresh-debian.sh [DIR]   (default /tmp/tracetopo-fresh-debian; reused if there)
#
# Needs root, debootstrap and the Debian mirror; downloads about 400 MB and takes several
# minutes. Not run in CI. Exits 0 only when the first run failed and the second succeeded.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-/tmp/tracetopo-fresh-debian}"
bin="$root/target/debug/tracetopo"
[ -x "$bin" ] || cargo build --manifest-path "$root/Cargo.toml" --bin tracetopo
[ "$(id -u)" = 0 ] || { echo "check-fresh-debian: needs root (debootstrap, chroot)" >&2; exit 2; }

if [ ! -x "$dir/usr/bin/apt-get" ]; then
    echo "check-fresh-debian: debootstrap bookworm into $dir" >&2
    debootstrap --variant=minbase bookworm "$dir" http://deb.debian.org/debian >/dev/null
fi
mounts=()
cleanup() {
    local m
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
for m in proc dev dev/pts; do
    mountpoint -q "$dir/$m" || { mount --bind "/$m" "$dir/$m"; mounts+=("$dir/$m"); }
done
cp /etc/resolv.conf "$dir/etc/resolv.conf"
mkdir -p "$dir/opt/tracetopo/scripts" "$dir/opt/tracetopo/sample-traces"
cp "$bin" "$dir/opt/tracetopo/tracetopo"
cp "$root/scripts/setup-debian.sh" "$dir/opt/tracetopo/scripts/"
cp "$root/sample-traces/checkout-broken.json" "$dir/opt/tracetopo/sample-traces/"

in_chroot() {
    chroot "$dir" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DEBIAN_FRONTEND=noninteractive "$@"
}
shot() {
    in_chroot rm -f /tmp/shot.png
    in_chroot sh -c 'timeout 180 xvfb-run -a -s "-screen 0 1600x1000x24" \
        /opt/tracetopo/tracetopo /opt/tracetopo/sample-traces/checkout-broken.json \
        --screenshot /tmp/shot.png 2>&1 | grep -v XDG_RUNTIME_DIR | head -n 3; test -s /tmp/shot.png'
}

echo "== only Xvfb installed (what a fresh machine has once it can run a display)" >&2
in_chroot apt-get update -qq
in_chroot apt-get install -y -qq --no-install-recommends xvfb xauth >/dev/null
if shot; then
    echo "check-fresh-debian: the window opened before setup-debian.sh: this check proves nothing" >&2
    exit 1
fi
echo "-> no screenshot, as expected" >&2

echo "== after scripts/setup-debian.sh" >&2
# It ends asking for cargo, which the chroot has no need of.
in_chroot bash /opt/tracetopo/scripts/setup-debian.sh || true
if ! shot; then
    echo "check-fresh-debian: the window still does not open after setup-debian.sh" >&2
    exit 1
fi
echo "-> screenshot taken: $dir/tmp/shot.png" >&2
