#!/bin/bash
# Re-runs the golden scenario and compares it with the committed expected results at a
# tight tolerance. A difference means behaviour changed: if that was intended, refresh
# the golden file with `make golden` and commit it with the change that explains it.
set -eu
CITYSIM="$1"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
"$CITYSIM" run tests/golden/small.toml -o "$OUT/small.h5" --quiet --threads 2 --fields-every 16
"$CITYSIM" compare "$OUT/small.h5" tests/golden/small.h5 --rtol 1e-12 --atol 1e-9
