#!/usr/bin/env bash
# ./mp3converter fuzz [MINUTES] [NAME]: real fuzzing (Jazzer, JAZZER_FUZZ=1) of each @FuzzTest for MINUTES (10 by
# default), or only those whose class or method contains NAME. `./mvnw verify` runs the same tests over their seed
# corpus only (the *FuzzTestInputs folders of the test resources); here the fuzzer mutates inputs, keeps what reaches
# new code in MODULE/.cifuzz-corpus/ (not committed) and writes each finding next to the seeds, where the next
# `verify` replays it. Each target runs in its own JVM with a 512 MiB heap (unbounded memory is a finding) and 10 s
# per input (unbounded work is too); FUZZ_JOBS (1) targets at a time, of different modules. Logs: .local/fuzz/; the
# summary ends the output.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
MINUTES=${1:-10}
NAME=${2:-}
JOBS=${FUZZ_JOBS:-1}
LOGS="$ROOT/.local/fuzz"
[[ "$MINUTES" =~ ^[0-9]+$ ]] && [ "$MINUTES" -gt 0 ] || { echo "usage: ./mp3converter fuzz [MINUTES] [NAME]" >&2; exit 2; }
mkdir -p "$LOGS"

targets=() # module class method
while IFS= read -r file; do
  module=${file%%/src/test/java/*}
  class=$(basename "$file" .java)
  for method in $(grep -A1 '@FuzzTest' "$file" | sed -n 's/^ *void \([A-Za-z0-9_]*\)(.*/\1/p'); do
    [ -z "$NAME" ] || [[ "$class.$method" == *"$NAME"* ]] && targets+=("$module $class $method")
  done
done < <(grep -rl --include='*FuzzTest.java' '@FuzzTest' -- */src/test/java common/*/src/test/java | sort)
[ ${#targets[@]} -gt 0 ] || { echo "no fuzz test matches '$NAME'" >&2; exit 2; }
modules=$(printf '%s\n' "${targets[@]}" | cut -d' ' -f1 | sort -u | paste -sd,)

echo "[fuzz] building $modules"
./mvnw -B -q install -DskipTests -pl "$modules" -am
echo "[fuzz] ${#targets[@]} targets, $MINUTES min each, $JOBS at a time"

fuzz_one() { # module class method
  local log="$LOGS/$2.$3.log"
  JAZZER_FUZZ=1 JAZZER_MAX_DURATION="${MINUTES}m" JAZZER_KEEP_GOING=50 ./mvnw -B -pl "$1" surefire:test \
    -Dtest="$2#$3" -Dsurefire.failIfNoSpecifiedTests=false \
    -Dtest.jvm.extra-args=-Xmx512m \
    -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-timeout=10 >"$log" 2>&1
}
# lanes run side by side, each its targets one after the other; a module's targets share one lane (two surefire
# runs in one module would delete each other's files under target/)
lanes=()
for module in $(printf '%s\n' "${targets[@]}" | cut -d' ' -f1 | sort | uniq -c | sort -rn | awk '{print $2}'); do
  shortest=0
  for ((i = 0; i < JOBS; i++)); do
    [ "$(wc -w <<<"${lanes[i]:-}")" -lt "$(wc -w <<<"${lanes[shortest]:-}")" ] && shortest=$i
  done
  for target in "${targets[@]}"; do
    [ "${target%% *}" = "$module" ] && lanes[shortest]+="${target// /:} "
  done
done
for lane in "${lanes[@]}"; do
  (
    for target in $lane; do
      IFS=: read -r module class method <<<"$target"
      echo "[fuzz] $class.$method ($module)"
      fuzz_one "$module" "$class" "$method" || true
    done
  ) &
done
wait

failed=0
printf '\n%-80s %8s %12s %8s %s\n' "target" "seconds" "executions" "findings" "result"
for target in "${targets[@]}"; do
  read -r module class method <<<"$target"
  log="$LOGS/$class.$method.log"
  done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 || true)
  findings=$(grep -cE '^== Java Exception|FuzzTestFindingException' "$log" || true)
  result=passed
  if [ "$findings" != 0 ] || ! grep -q 'BUILD SUCCESS' "$log" || [ -z "$done_line" ]; then
    result="FAILED (see $log)"; failed=1
  fi
  printf '%-80s %8s %12s %8s %s\n' "$class.$method" "$(echo "$done_line" | awk '{print $5}')" \
    "$(echo "$done_line" | awk '{print $2}')" "$findings" "$result"
done
exit $failed
