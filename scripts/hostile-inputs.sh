#!/usr/bin/env bash
# Writes the hostile inputs of docs/PERFORMANCE.md ("Hostile inputs") into DIR (default
# /tmp/tracetopo-hostile): 1M copies of one span id, 100k Jaeger processes, a 100k-span parent
# ring and chain, and 1 GiB of zeros as zstd. Then measure each with
#   /usr/bin/time -v target/release/tracetopo analyze DIR/FILE --format json > /dev/null
set -euo pipefail
dir=${1:-/tmp/tracetopo-hostile}
mkdir -p "$dir"
python3 - "$dir" <<'PY'
import sys
d = sys.argv[1]
T0 = 1_700_000_000_000_000_000
res = '{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":[{"spans":['

def otlp(path, spans):
    with open(path, "w") as f:
        f.write('{"resourceSpans":[' + res)
        for k, (sid, parent, start, end, name) in enumerate(spans):
            p = f"{parent:016x}" if parent else ""
            f.write(("," if k else "") + f'{{"traceId":"{7:032x}","spanId":"{sid:016x}","parentSpanId":"{p}",'
                    f'"name":"{name}","startTimeUnixNano":"{start}","endTimeUnixNano":"{end}"}}')
        f.write("]}]}]}\n")

# 1M copies of span id 1 at one time, 500k different contents (each twice).
otlp(f"{d}/dups-1m.json", ((1, 0, T0, T0 + 10, f"op{k // 2}") for k in range(1_000_000)))
n = 100_000
otlp(f"{d}/ring-100k.json", ((k, k % n + 1, T0 + k, T0 + k + 10, "work") for k in range(1, n + 1)))
otlp(f"{d}/chain-100k.json", ((k, k - 1, T0 + k, T0 + 2 * n - k, "work") for k in range(1, n + 1)))

# One Jaeger trace of 100k spans, each in its own process.
with open(f"{d}/jaeger-100k-procs.json", "w") as f:
    f.write('{"data":[{"traceID":"1","spans":[')
    f.write(",".join(f'{{"traceID":"1","spanID":"{k + 1:x}","operationName":"op","startTime":1,"duration":1,"processID":"p{k}"}}' for k in range(n)))
    f.write('],"processes":{')
    f.write(",".join(f'"p{k}":{{"serviceName":"svc{k}"}}' for k in range(n)))
    f.write("}}]}\n")
PY
head -c $((1 << 30)) /dev/zero | zstd -q -19 -f -o "$dir/zeros-1g.zst"
ls -la "$dir"
