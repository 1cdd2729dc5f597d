#!/usr/bin/env bash
# ./mp3converter bench PART [args]: benchmarks against what a user would pick instead, measured in the same run
# (see docs/benchmarks.md). They need the stack up (./mp3converter up) and write benchmarks/results/latest.json.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/jdk.sh"
cd "$ROOT"
exec "$(find_jdk)/bin/java" -Xmx1g --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Drepo.root="$ROOT" -cp "benchmarks/target/classes:benchmarks/target/libs/*" com.mp3converter.benchmarks.Bench "$@"
