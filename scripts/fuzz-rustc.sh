#!/usr/bin/env bash
# RUSTC_WRAPPER for scripts/fuzz.sh: adds AFL++'s coverage instrumentation (what `cargo afl
# build` adds) to tracetopo's own crate and the fuzz targets only. `cargo afl build` puts it in
# RUSTFLAGS, which rebuilds every dependency (eframe, wgpu, tonic...) at opt-level 3 with one
# codegen unit: far too slow on a shared 2-core machine, and the coverage that guides the
# fuzzer is in our readers, not in the GUI stack. FUZZ_AFL_RT is AFL++'s runtime object.
set -euo pipefail
rustc="$1"
shift
crate=""
prev=""
for a in "$@"; do
    [ "$prev" = "--crate-name" ] && crate="$a"
    prev="$a"
done
case "$crate" in
    tracetopo | fuzz_load | fuzz_live | fuzz_seeds)
        exec "$rustc" "$@" \
            -C opt-level=2 -C codegen-units=1 -C debug-assertions=on -C overflow-checks=on \
            -C passes=sancov-module \
            -C llvm-args=-sanitizer-coverage-level=3 \
            -C llvm-args=-sanitizer-coverage-trace-pc-guard \
            -C llvm-args=-sanitizer-coverage-prune-blocks=0 \
            -C llvm-args=-sanitizer-coverage-trace-compares \
            --cfg fuzzing -C "link-arg=${FUZZ_AFL_RT:?set by scripts/fuzz.sh}"
        ;;
    *) exec "$rustc" "$@" ;;
esac
