#!/usr/bin/env bash
# A resumable upload (tus 1.0 at /files/) with curl: creates the upload, sends the bytes, and after a cut asks the
# gateway where it stopped (HEAD) and sends the rest, until the file is in; then prints the job it became.
# Usage: TOKEN=... ./mp3converter upload FILE [bitrate KBPS | quality 0-9]
#   GATEWAY_URL (default http://127.0.0.1:$GATEWAY_PORT) points it elsewhere, e.g. https://mp3converter.com
set -euo pipefail
FILE=${1:?usage: TOKEN=... ./mp3converter upload FILE [bitrate KBPS | quality 0-9]}
[ -f "$FILE" ] && [ -r "$FILE" ] || { echo "upload: no readable file '$FILE'" >&2; exit 2; }
BASE=${GATEWAY_URL:-http://127.0.0.1:${GATEWAY_PORT:-8080}}
[ -n "${TOKEN:-}" ] || { echo "upload: set TOKEN first: export TOKEN=\$(curl -fsS -X POST -u EMAIL $BASE/login)" >&2; exit 2; }
SIZE=$(stat -c %s "$FILE")
b64() { printf '%s' "$1" | base64 -w0; }
METADATA="filename $(b64 "$(basename "$FILE")")"
if [ $# -ge 3 ]; then METADATA="$METADATA,$2 $(b64 "$3")"; fi

# the token goes to curl in a file, not on its command line where other users' `ps` would see it
HEADERS=$(mktemp); ANSWER=$(mktemp); trap 'rm -f "$HEADERS" "$ANSWER"' EXIT
chmod 600 "$HEADERS"
printf 'Authorization: Bearer %s\nTus-Resumable: 1.0.0\n' "$TOKEN" >"$HEADERS"
header() { tr -d '\r' | awk -v name="$1" -F': ' 'tolower($1) == tolower(name) { print $2 }'; }

answer=$(curl -sS -D - -o /dev/null -X POST -H @"$HEADERS" -H "Upload-Length: $SIZE" -H "Upload-Metadata: $METADATA" \
  "$BASE/files/")
LOCATION=$(printf '%s' "$answer" | header Location)
if [ -z "$LOCATION" ]; then
  echo "upload: the gateway refused to create the upload:" >&2
  curl -sS -X POST -H @"$HEADERS" -H "Upload-Length: $SIZE" -H "Upload-Metadata: $METADATA" "$BASE/files/" -o /dev/stderr || true
  exit 1
fi
echo "upload: $SIZE bytes to $BASE$LOCATION"
delay=1
for attempt in $(seq 1 20); do
  head=$(curl -sS -I -H @"$HEADERS" "$BASE$LOCATION") || { sleep "$delay"; delay=$((delay < 30 ? delay * 2 : 30)); continue; }
  OFFSET=$(printf '%s' "$head" | header Upload-Offset)
  if [ "$OFFSET" = "$SIZE" ]; then
    JOB=$(printf '%s' "$head" | header Link | sed -n 's|^</jobs/\([^>]*\)>.*|\1|p')
    echo "upload: done; job $JOB (GET $BASE/jobs/$JOB, or follow $BASE/jobs/$JOB/events)"
    exit 0
  fi
  [ -n "$OFFSET" ] || { echo "upload: the upload is gone: $(printf '%s' "$head" | head -1) $(cat "$ANSWER")" >&2; exit 1; }
  [ "$attempt" = 1 ] || echo "upload: resuming at byte $OFFSET (attempt $attempt)"
  # -T - streams the rest of the file (chunked); --data-binary would read it all into memory first
  code=$(tail -c +$((OFFSET + 1)) "$FILE" | curl -sS -o "$ANSWER" -w '%{http_code}' -X PATCH -H @"$HEADERS" -T - \
    -H 'Content-Type: application/offset+octet-stream' -H "Upload-Offset: $OFFSET" "$BASE$LOCATION") || true
  case "$code" in
    204) ;;
    4??) [ "$code" = 409 ] || [ "$code" = 423 ] || { echo "upload: refused ($code): $(cat "$ANSWER")" >&2; exit 1; } ;&
    *) sleep "$delay"; delay=$((delay < 30 ? delay * 2 : 30)) ;;
  esac
done
echo "upload: gave up after 20 attempts; the bytes sent stay at $BASE$LOCATION for 24 h (HEAD tells how many)" >&2
exit 1
