#!/usr/bin/env bash
# ./mp3converter bench transcoder|auth|gateway [args]: benchmarks that print ratios against a reference run
# beside them. auth and gateway need the stack up (./mp3converter up).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/jdk.sh"
cd "$ROOT"
[ -d benchmarks/target/libs ] || ./mvnw -B -q -DskipTests install
which=${1:-}; shift || true
case "$which" in
  transcoder) main=TranscodeBench ;;
  auth) main=AuthBench ;;
  gateway) main=GatewayBench ;;
  *) echo "usage: ./mp3converter bench transcoder|auth|gateway [args]" >&2; exit 2 ;;
esac
exec "$(find_jdk)/bin/java" -Xmx1g --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Drepo.root="$ROOT" -cp "benchmarks/target/classes:benchmarks/target/libs/*" "com.mp3converter.benchmarks.$main" "$@"
