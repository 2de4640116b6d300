#!/usr/bin/env bash
# Proves that a build without the `testing` feature (what `cargo build --release` ships) holds
# no test code: it lints that build, builds it, and looks in the binary for strings that only
# the test code has (the mock's fault replies, the foreign signing key, the in-memory keyring's
# failure message, the bench probe's variable). A string the product must keep is the control.
# Uses the debug profile, so it reuses CI's build cache; run it after `cargo test` (it leaves
# a featureless target/debug/actoken behind).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo clippy --lib --bins -- -D warnings
cargo build --bin actoken
bin=target/debug/actoken

grep -aqF "Mock AC server listening on" "$bin" \
    || { echo "check-product-build: control string missing: wrong binary?" >&2; exit 1; }
found=0
for marker in "mock: injected" "someone-else-signed-this-token" \
    "memory backend set to fail every write" "ACTOKEN_BENCH_EXIT_AFTER_LOAD" "actoken-bench rows="; do
    if grep -aqF "$marker" "$bin"; then
        echo "check-product-build: test-only code in the product binary: \"$marker\"" >&2
        found=1
    fi
done
((found == 0)) || exit 1
echo "product build has no test switches (mock faults, foreign key, keyring sabotage, bench probe)"
