#!/bin/bash
# `cmake --install` into a scratch prefix, then: the installed citysim runs a scenario on
# the installed data with no source or build path compiled into it, and another project
# builds against find_package(citysim) and gets the same run.
set -euo pipefail
BUILD=$1
SRC=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cmake --install "$BUILD" --prefix "$TMP/prefix" >/dev/null
[ -f "$TMP/prefix/share/citysim/data/tokyo_municipalities.csv" ] || { echo "FAIL: data not installed"; exit 1; }
[ -f "$TMP/prefix/lib/cmake/citysim/citysimConfig.cmake" ] || { echo "FAIL: no citysimConfig.cmake"; exit 1; }
if grep -c -a -F "$SRC/" "$TMP/prefix/bin/citysim" >/dev/null; then
  echo "FAIL: the installed citysim holds the source path $SRC:"; grep -a -o -F "$SRC/" "$TMP/prefix/bin/citysim" | head -3
  exit 1
fi
if grep -c -a -F "$BUILD/" "$TMP/prefix/bin/citysim" >/dev/null; then echo "FAIL: the installed citysim holds the build path $BUILD"; exit 1; fi
printf '[run]\nduration_hours = 2\n[city]\npopulation_scale = 0.002\nmunicipalities = ["Chiyoda", "Chuo"]\n' > "$TMP/small.toml"
# the installed program finds its data beside it, from any folder, with the source tree out of reach
cd "$TMP"
CLI=$(env -u CITYSIM_DATA_DIR "$TMP/prefix/bin/citysim" run small.toml -o small.h5 --threads 1 2>/dev/null |
      sed -n 's/.*ticks of [0-9]* min, \([0-9]*\) residents simulated.*/\1/p')
[ -n "$CLI" ] || { echo "FAIL: the installed citysim did not run"; exit 1; }
cmake -S "$SRC/tests/install/consumer" -B "$TMP/consumer" -DCMAKE_PREFIX_PATH="$TMP/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$TMP/consumer" -j 2 >/dev/null
OUT=$(CITYSIM_DATA_DIR="$TMP/prefix/share/citysim/data" "$TMP/consumer/consumer" small.toml)
echo "consumer: $OUT; citysim run: $CLI residents"
[ "$OUT" = "$CLI residents, 120 ticks" ] || { echo "FAIL: the consumer's run differs from citysim run"; exit 1; }
echo ok
