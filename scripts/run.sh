#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds tracetopo and opens the app on the given trace files,
# or on the bundled sample with one trace per break kind when no file is given. Any tracetopo
# arguments work too: `scripts/run.sh analyze FILE`, `scripts/run.sh listen`, ...
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/setup-debian.sh"
if [ $# -eq 0 ]; then
    set -- "$root/sample-traces/checkout-broken.json"
fi
cargo build --release --locked --manifest-path "$root/Cargo.toml" --bin tracetopo
exec "$root/target/release/tracetopo" "$@"
