#!/usr/bin/env bash
# Measures load + analyse of a large OTLP JSON-lines dump against the naive baseline
# (serde_json into the opentelemetry-proto types, one line at a time, one thread), as
# docs/PERFORMANCE.md reports it: wall time and peak RSS of each whole process, best of N runs,
# file in the page cache. Usage: scripts/measure-load.sh [RUNS] [TRACES] [SPANS_PER_TRACE]
# [GENERATE_OPTION...] (e.g. --random-timings: the many-breaks dump, a 360 MB report).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-3}"; traces="${2:-10000}"; spans="${3:-100}"
shift $(( $# < 3 ? $# : 3 ))
suffix="$(printf '%s' "$*" | tr -c 'a-z0-9' '-' | sed 's/^-*//')"
dump="${TMPDIR:-/tmp}/tracetopo-${traces}x${spans}${suffix:+-$suffix}.jsonl"

cargo build --release --locked --manifest-path "$root/Cargo.toml" --bin tracetopo --example naive_load >&2
bin="$root/target/release"
[ -f "$dump" ] || "$bin/tracetopo" generate large -o "$dump" --traces "$traces" --spans-per-trace "$spans" "$@" >&2
cat "$dump" > /dev/null
echo "file: $dump ($(stat -L -c %s "$dump") bytes); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"

best() { # label, command...: prints the best wall time and its peak RSS over $runs runs
    local label="$1"; shift
    local out
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1
    done | sort -n | head -1 | { read -r secs kb; echo "$label: ${secs} s, peak RSS $((kb / 1024)) MiB"; }
}
best "naive serde_json -> opentelemetry-proto" "$bin/examples/naive_load" "$dump"
best "tracetopo analyze --format json" "$bin/tracetopo" analyze "$dump" --format json
