#!/usr/bin/env bash
# Coverage-guided fuzzing of every reader and the live receiver's decoders with AFL++
# (docs/fuzzing.md). Not part of CI: it runs for as long as you give it.
#
#   scripts/fuzz.sh build                  build the targets (target/fuzz/debug/examples/)
#   scripts/fuzz.sh run load|live SECONDS  fuzz one target, niced, on one core; resumes
#   scripts/fuzz.sh stats load|live        run time, execs, coverage, crashes and hangs so far
#   scripts/fuzz.sh replay load|live FILE  run one input through the target outside AFL++
#
# Needs cargo-afl, which brings AFL++ (afl-fuzz and its runtime), built for this rustc:
#   cargo install cargo-afl && cargo afl config --build
# The targets are examples behind the `fuzz` feature (fuzz/*.rs), built into target/fuzz with
# scripts/fuzz-rustc.sh instrumenting only our crate, so normal builds neither see the `afl`
# dependency nor lose their cache.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/target/fuzz"
export CARGO_TARGET_DIR="$out"
# One core: the machine is shared, and rayon would otherwise start a thread per core.
export RAYON_NUM_THREADS=1

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# AFL++ as cargo-afl built it for this rustc: the runtime object, or with `bin` afl-fuzz.
afl_file() {
    local v
    v="$(rustc -vV | sed -n 's/^release: //p')-$(rustc -vV | sed -n 's/^commit-hash: //p' | cut -c1-7)"
    local dir="${XDG_DATA_HOME:-$HOME/.local/share}/afl.rs/rustc-$v"
    local base
    base="$(ls -d "$dir"/afl.rs-* 2>/dev/null | sort -V | tail -n 1)"
    local f="$base/afl-llvm/afl-compiler-rt.o"
    [ "${1:-}" = bin ] && f="$base/afl/bin/afl-fuzz"
    if [ -z "$base" ] || [ ! -e "$f" ]; then
        echo "fuzz: AFL++ for rustc $v not found: run cargo install cargo-afl && cargo afl config --build" >&2
        exit 2
    fi
    echo "$f"
}

build() {
    FUZZ_AFL_RT="$(afl_file)"
    export FUZZ_AFL_RT
    # The dependencies are built as in a dev build: start from that build's cache if there is
    # one (a copy, so the two never share a file).
    if [ ! -d "$out/debug" ] && [ -d "$root/target/debug/deps" ]; then
        mkdir -p "$out"
        echo "fuzz: seeding $out/debug from target/debug" >&2
        cp -a "$root/target/debug" "$out/debug"
    fi
    RUSTC_WRAPPER="$root/scripts/fuzz-rustc.sh" nice -n 19 cargo build \
        --manifest-path "$root/Cargo.toml" --features fuzz \
        --example fuzz_load --example fuzz_live --example fuzz_seeds
}

seeds() {
    local dir="$out/seeds"
    [ -d "$dir/load" ] && return
    # AFL++ works best from small inputs: every sample and corpus file up to 64 KiB.
    local files=()
    while IFS= read -r -d '' f; do files+=("$f"); done < <(
        find "$root/sample-traces" "$root/../shared/corpus" -type f \
            \( -name '*.json' -o -name '*.jsonl' -o -name '*.pb' -o -name '*.gz' -o -name '*.zst' \) \
            -size -65k -print0 2>/dev/null | sort -z)
    "$out/debug/examples/fuzz_seeds" "$dir" "${files[@]}"
    echo "fuzz: $(ls "$dir/load" | wc -l) load seeds, $(ls "$dir/live" | wc -l) live seeds from ${#files[@]} files" >&2
}

stats() {
    local f="$out/findings/$1/default/fuzzer_stats"
    [ -f "$f" ] || { echo "fuzz: $1 has not run yet" >&2; exit 2; }
    grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|bitmap_cvg|edges_found|total_edges|saved_crashes|saved_hangs|stability) ' "$f"
}

target() {
    case "${1:-}" in
        load | live) echo "$1" ;;
        *) usage ;;
    esac
}

case "${1:-}" in
    build) build ;;
    run)
        t="$(target "${2:-}")"
        secs="${3:?seconds}"
        [ -x "$out/debug/examples/fuzz_$t" ] || build
        seeds
        input="$out/seeds/$t"
        # An earlier run's queue is the better start: resume it.
        [ -f "$out/findings/$t/default/fuzzer_stats" ] && input=-
        mkdir -p "$out/findings/$t"
        # afl-fuzz itself, not `cargo afl fuzz`: that adds -c0 (CmpLog), which needs the LLVM
        # plugins and so a nightly rustc.
        AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
            nice -n 19 "$(afl_file bin)" -i "$input" -o "$out/findings/$t" \
            -x "$root/fuzz/trace.dict" -t 2000 -V "$secs" -- "$out/debug/examples/fuzz_$t" >"$out/findings/$t.log" 2>&1 || {
            tail -n 30 "$out/findings/$t.log" >&2
            exit 1
        }
        stats "$t"
        ls "$out/findings/$t/default/crashes" "$out/findings/$t/default/hangs" 2>/dev/null | grep -v README || true
        ;;
    stats) stats "$(target "${2:-}")" ;;
    replay)
        t="$(target "${2:-}")"
        "$out/debug/examples/fuzz_$t" <"${3:?file}"
        ;;
    *) usage ;;
esac
