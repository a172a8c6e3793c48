#!/usr/bin/env bash
# cargo fuzz (libFuzzer, nightly toolchain) over every parser that takes bytes from the
# network, and the configuration files (fuzz/, targets listed in docs/security.md "Fuzzing").
# Each target runs FERRY_FUZZ_SECS seconds (default 60, a minute each as issue #19 asks) from
# its seed corpus in fuzz/corpus/<target>, FERRY_FUZZ_JOBS (default 2, one per core) at a
# time; a crash (a panic, a failed property, a sanitizer report, a timeout of 10 s on one
# input) fails the step and leaves the input in fuzz/artifacts/<target>/.
#
# Cost: a fresh clone's sources are newer than any cached build, so cargo rebuilds the path
# crates every run. The seven network parsers need only ferry-core (optimized, about a
# minute); `config` needs ferry-app, which an optimized sanitizer build takes 11 minutes to
# rebuild, so it is built in the dev profile. Then 8 targets x 60 s, two at a time: 4 minutes.
# The build cache is $FERRY_CI_CACHE/fuzz-target (dependencies are built once per cache).
# cargo-fuzz is installed once and cached as a binary, like s3s-fs in .ci/run.
# Usage: bash .ci/fuzz.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

CACHE="${FERRY_CI_CACHE:-$HOME/.cache/ferry-ci}"
CARGO_FUZZ_VERSION=0.13.2
CARGO_FUZZ_ROOT="$CACHE/cargo-fuzz-$CARGO_FUZZ_VERSION"
TARGET_DIR="$CACHE/fuzz-target"
SECS="${FERRY_FUZZ_SECS:-60}"
JOBS="${FERRY_FUZZ_JOBS:-2}"

if [ ! -x "$CARGO_FUZZ_ROOT/bin/cargo-fuzz" ]; then
    CARGO_FUZZ_BUILD="$(mktemp -d)"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked \
        --root "$CARGO_FUZZ_ROOT" --target-dir "$CARGO_FUZZ_BUILD"
    rm -rf "$CARGO_FUZZ_BUILD"
fi
export PATH="$CARGO_FUZZ_ROOT/bin:$PATH"

cd fuzz
# The seven network parsers depend on ferry-core only: an optimized build, which a fresh clone
# rebuilds in about a minute. `config` needs ferry-app (the whole application), which an
# optimized sanitizer build takes 11 minutes to rebuild on every fresh clone; it is built in
# the dev profile instead (debug assertions on, a slower fuzzer, a much faster build).
cargo +nightly fuzz build --target-dir "$TARGET_DIR"
cargo +nightly fuzz build --dev --features config --target-dir "$TARGET_DIR" config

# New inputs libFuzzer finds go to a scratch corpus, not into the repository's seeds.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# Runs one target for $SECS seconds; on a crash shows its log and fails.
run() {
    local target=$1
    shift
    local log="$scratch/$target.log"
    mkdir -p "$scratch/$target"
    if ! cargo +nightly fuzz run "$@" --target-dir "$TARGET_DIR" "$target" \
        "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$SECS" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
        tail -n 80 "$log" >&2
        echo "fuzz target $target failed: the input is in fuzz/artifacts/$target/" >&2
        return 1
    fi
    # `#N DONE`: N inputs were run.
    printf -- '--> %s (%s s): %s\n' "$target" "$SECS" \
        "$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || tail -n 1 "$log")"
}

# $JOBS fuzzers at a time (each is one process on one core).
failed=0
running=0
for target in $(cargo +nightly fuzz list); do
    if [ "$target" = config ]; then
        run "$target" --dev --features config &
    else
        run "$target" &
    fi
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then
        wait -n || failed=1
        running=$((running - 1))
    fi
done
while [ "$running" -gt 0 ]; do
    wait -n || failed=1
    running=$((running - 1))
done
exit "$failed"
