#!/usr/bin/env bash
# cargo fuzz (libFuzzer, nightly toolchain) over every parser that takes bytes from the
# network (fuzz/, targets listed in docs/security.md "Fuzzing"). Each target runs
# FERRY_FUZZ_SECS seconds (default 20) from its seed corpus in fuzz/corpus/<target>; a crash
# (a panic, a failed property, a sanitizer report, a timeout of 10 s on one input) fails the
# step and leaves the input in fuzz/artifacts/<target>/.
#
# Budget on a warm cache: at most 6 minutes for build and runs. Measured on the 2-core
# development machine: the warm overhead (no-op build, eight start-ups) is about 15 s, so 8
# targets x 20 s take about 3 minutes; a minute per target (FERRY_FUZZ_SECS=60, as issue #19
# asks) about 8.5 minutes, over the budget: the lead decides which figure CI uses. The cold
# build in $FERRY_CI_CACHE/fuzz-target (AddressSanitizer, one job) took 16 minutes, once; 11
# of them for ferry-app, which only the `config` target needs.
# CI leaves the `config` target out: a fresh clone's sources are newer than any cached build,
# so cargo rebuilds every path crate, and ferry-app under AddressSanitizer costs those 11
# minutes on every run. The seven network parsers live in ferry-core and rebuild in about a
# minute. FERRY_FUZZ_CONFIG=1 adds `config` (run locally, see docs/security.md).
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
features=()
if [ "${FERRY_FUZZ_CONFIG:-0}" = 1 ]; then
    features=(--features config)
fi
cargo +nightly fuzz build "${features[@]}" --target-dir "$TARGET_DIR"

# New inputs libFuzzer finds go to a scratch corpus, not into the repository's seeds.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for target in $(cargo +nightly fuzz list); do
    if [ "$target" = config ] && [ ${#features[@]} -eq 0 ]; then
        continue
    fi
    printf -- '--> %s (%s s)\n' "$target" "$SECS"
    mkdir -p "$scratch/$target"
    log="$scratch/$target.log"
    if ! cargo +nightly fuzz run "$target" "${features[@]}" --target-dir "$TARGET_DIR" \
        "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$SECS" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
        tail -n 80 "$log" >&2
        echo "fuzz target $target failed: the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    # `#N DONE`: N inputs were run.
    grep -E '^#[0-9]+[[:space:]]+DONE' "$log" || tail -n 5 "$log"
done
