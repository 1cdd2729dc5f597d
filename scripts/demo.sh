#!/usr/bin/env bash
# The main job, end to end against the running stack: sign up and log in a demo user, upload a video,
# follow the job, read the e-mail from the local inbox, download the MP3 and decode it; then the web page's address.
# Usage: ./mp3converter demo [VIDEO]   (default: a short H.264 + AAC sample generated with FFmpeg)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE="$ROOT/.local"
. "$ROOT/scripts/jdk.sh"
JAVA="$(find_jdk)/bin/java"
env_value() { sed -n "s/^$1=//p" "$STATE/env" | head -1; }
GATEWAY="http://127.0.0.1:${GATEWAY_PORT:-8080}"
INBOX="$(env_value GREENMAIL_API)"
if [ $# -gt 0 ]; then
  VIDEO=$1
else
  VIDEO=$("$JAVA" --enable-native-access=ALL-UNNAMED -Drepo.root="$ROOT" -cp "$ROOT/test-media/target/classes:$ROOT/test-media/target/libs/*" \
    com.mp3converter.testmedia.TestMedia mp4-h264-aac-stereo-48k-faststart.mp4)
fi
OUT="$STATE/demo"
mkdir -p "$OUT"
# the password and the token reach curl through its stdin (-K -, --data-binary @-) or a file only it may read
# (-H @file): never on a command line, where any user's ps would read them
AUTH=$(mktemp); trap 'rm -f "$AUTH"' EXIT
chmod 600 "$AUTH"
curl_secret() { printf '%s' "$1" | sed 's/[\\"]/\\&/g'; } # a value inside double quotes of a curl config
step=0
step() { step=$((step + 1)); CURRENT="$*"; printf '[demo] step %d/10: %s\n' "$step" "$*"; }
fail() { printf '[demo] FAILED at step %d (%s): %s\n' "$step" "$CURRENT" "$*" >&2; exit 1; }
trap 'fail "command failed on line $LINENO"' ERR

step "check the video $VIDEO"
[ -s "$VIDEO" ] || fail "no such video file"

step "sign up the demo user (a second run finds it already there)"
EMAIL="demo@mp3converter.local"
[ -s "$STATE/secrets/demo-password" ] || (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$STATE/secrets/demo-password")
PASSWORD=$(cat "$STATE/secrets/demo-password")
code=$(printf '{"email":"%s","password":"%s"}' "$EMAIL" "$PASSWORD" | curl -s -o "$OUT/signup.json" -w '%{http_code}' \
  -X POST -H 'Content-Type: application/json' --data-binary @- "$GATEWAY/signup")
[ "$code" = 201 ] || [ "$code" = 409 ] || fail "sign-up answered $code: $(cat "$OUT/signup.json")"

step "confirm the address with the link the verification mail brings (a second run: confirmed already)"
if [ "$code" = 201 ]; then
  LINK=""
  for _ in $(seq 1 60); do
    curl -sf "$INBOX/api/user/$EMAIL/messages/" -o "$OUT/inbox.json" 2>/dev/null || true
    LINK=$(python3 - "$OUT/inbox.json" <<'PY' 2>/dev/null || true
import json, re, sys, quopri
for m in reversed(json.load(open(sys.argv[1]))):
    raw = m.get("mimeMessage", "")
    if "account.verify" in raw:
        print(re.search(r"#verify=([A-Za-z0-9_-]{43})", quopri.decodestring(raw.encode()).decode("utf-8", "replace")).group(1))
        break
PY
)
    [ -n "$LINK" ] && break
    sleep 1
  done
  [ -n "$LINK" ] || fail "no verification mail arrived within 60 s"
  curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary @- "$GATEWAY/account/verify" \
    <<<"{\"token\":\"$LINK\"}" || fail "the verification link was refused"
  echo "        $EMAIL confirmed"
fi

step "log in: TOKEN=\$(curl -fsS -X POST $GATEWAY/login -u $EMAIL) (curl asks for the password)"
TOKEN=$(printf 'user = "%s:%s"\n' "$EMAIL" "$(curl_secret "$PASSWORD")" | curl -fsS -K - -X POST "$GATEWAY/login") \
  || fail "login refused"
printf 'Authorization: Bearer %s\n' "$TOKEN" >"$AUTH"

step "upload: curl -X POST -F 'file=@$(basename "$VIDEO")' -H @AUTH $GATEWAY/upload (AUTH: a file holding the Authorization header)"
curl -sf -o "$OUT/upload.json" -X POST -F "file=@$VIDEO" -H @"$AUTH" "$GATEWAY/upload" \
  || fail "upload refused: $(cat "$OUT/upload.json" 2>/dev/null)"
JOB=$(sed -n 's/.*"jobId":"\([^"]*\)".*/\1/p' "$OUT/upload.json")
[ -n "$JOB" ] || fail "no job id in $(cat "$OUT/upload.json")"
echo "        job $JOB accepted"

step "follow the job's events until it ends"
curl -sN --max-time 300 -H @"$AUTH" "$GATEWAY/jobs/$JOB/events" | while IFS= read -r line; do
  case "$line" in
    data:*) state=$(echo "$line" | sed -n 's/.*"state":"\([A-Z]*\)".*"progress":\([0-9.]*\).*/\1 \2/p'); echo "        $state" ;;
  esac
done
curl -sf -o "$OUT/job.json" -H @"$AUTH" "$GATEWAY/jobs/$JOB" || fail "cannot read the job"
grep -q '"state":"DONE"' "$OUT/job.json" || fail "the job did not finish: $(cat "$OUT/job.json")"

step "read the e-mail in the local inbox ($INBOX)"
FID=""
for _ in $(seq 1 60); do
  curl -sf "$INBOX/api/user/$EMAIL/messages/" -o "$OUT/inbox.json" 2>/dev/null || true
  FID=$(python3 - "$OUT/inbox.json" "$JOB" <<'PY' 2>/dev/null || true
import json, re, sys, quopri
messages = json.load(open(sys.argv[1]))
for m in messages:
    raw = m.get("mimeMessage", "")
    if sys.argv[2] in raw and "job.done" in raw:
        text = quopri.decodestring(raw.encode()).decode("utf-8", "replace")
        print(re.search(r"MP3 file id:\s*([0-9a-f]{24})", text).group(1))
        break
PY
)
  [ -n "$FID" ] && break
  sleep 1
done
[ -n "$FID" ] || fail "no 'MP3 is ready' mail for job $JOB arrived within 60 s"
echo "        the mail names MP3 file id $FID"

step "download: curl --output out.mp3 -X GET -H @AUTH '$GATEWAY/download?fid=$FID'"
MP3="$OUT/$(basename "${VIDEO%.*}").mp3"
curl -sf --output "$MP3" -X GET -H @"$AUTH" "$GATEWAY/download?fid=$FID" || fail "download refused"

step "decode the MP3 with FFmpeg"
"$JAVA" --enable-native-access=ALL-UNNAMED -cp "$ROOT/transcoder/target/transcoder.jar:$ROOT/transcoder/target/libs/*" \
  com.mp3converter.transcoder.convert.AudioProbe "$MP3" | sed 's/^/        /' || fail "the MP3 does not decode"

step "the web page answers at $GATEWAY/"
PAGE=$(curl -sf "$GATEWAY/") || fail "GET / was refused"
[[ "$PAGE" == *"<title>mp3converter"* ]] || fail "GET / did not answer with the page"
trap - ERR
echo "[demo] done: $MP3"
echo "[demo] the web page: $GATEWAY/ (sign in as $EMAIL with the password in .local/secrets/demo-password, or create an account)"
