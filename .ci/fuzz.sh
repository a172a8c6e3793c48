#!/usr/bin/env bash
# cargo fuzz (libFuzzer, nightly toolchain) over every parser that takes bytes from the
# network (fuzz/, targets listed in docs/security.md "Fuzzing"). Each target runs
# FERRY_FUZZ_SECS seconds (default 20) from its seed corpus in fuzz/corpus/<target>; a crash
# (a panic, a failed property, a sanitizer report, a timeout of 10 s on one input) fails the
# step and leaves the input in fuzz/artifacts/<target>/.
#
# Budget on a warm cache: at most 6 minutes for build and runs. The build is incremental in
# $FERRY_CI_CACHE/fuzz-target (the cold build is about NN min, once); 8 targets x 20 s = 160 s
# of fuzzing plus about 5 s of start-up each. A minute per target (FERRY_FUZZ_SECS=60, as
# issue #19 asks) is 8+ minutes: the lead decides which figure CI uses.
# cargo-fuzz is installed once and cached as a binary, like s3s-fs in .ci/run.
# Usage: bash .ci/fuzz.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

CACHE="${FERRY_CI_CACHE:-$HOME/.cache/ferry-ci}"
CARGO_FUZZ_VERSION=0.13.2
CARGO_FUZZ_ROOT="$CACHE/cargo-fuzz-$CARGO_FUZZ_VERSION"
TARGET_DIR="$CACHE/fuzz-target"
SECS="${FERRY_FUZZ_SECS:-20}"

if [ ! -x "$CARGO_FUZZ_ROOT/bin/cargo-fuzz" ]; then
    CARGO_FUZZ_BUILD="$(mktemp -d)"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked \
        --root "$CARGO_FUZZ_ROOT" --target-dir "$CARGO_FUZZ_BUILD"
    rm -rf "$CARGO_FUZZ_BUILD"
fi
export PATH="$CARGO_FUZZ_ROOT/bin:$PATH"

cd fuzz
# One build for every target: `config` is the only one that needs ferry-app (its feature).
cargo +nightly fuzz build --features config --target-dir "$TARGET_DIR"

# New inputs libFuzzer finds go to a scratch corpus, not into the repository's seeds.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in $(cargo +nightly fuzz list); do
    printf -- '--> %s (%s s)\n' "$target" "$SECS"
    mkdir -p "$scratch/$target"
    log="$scratch/$target.log"
    if ! cargo +nightly fuzz run "$target" --features config --target-dir "$TARGET_DIR" \
        "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$SECS" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
        tail -n 80 "$log" >&2
        echo "fuzz target $target failed: the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    # `#N DONE`: N inputs were run.
    grep -E '^#[0-9]+ +DONE' "$log" || tail -n 5 "$log"
done
