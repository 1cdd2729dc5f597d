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

say() { printf '%s %s\n' "[mp3converter]" "$*"; }
die() { printf '%s %s\n' "[mp3converter] error:" "$*" >&2; exit 1; }

pid_alive() { local f="$RUN/$1.pid"; [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; }
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
stop_daemon() { # name [seconds]
  local f="$RUN/$1.pid" pid i
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < ${2:-30} * 4; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true
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
apt_install() { # packages...: install the Debian packages that are missing
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# --- MariaDB -------------------------------------------------------------------------------------
mariadb_cli() { mariadb --no-defaults --socket="$RUN/mariadb.sock" -uroot "$@"; }
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
rabbit() { "${RABBIT[@]}" "$@"; } # run a command inside the chroot with the node's environment
rabbitmq_provision() {
  [ -x "$ROOTFS/usr/lib/rabbitmq/bin/rabbitmq-server" ] && return
  apt_install debootstrap
  say "RabbitMQ: building a Debian 13 chroot in $ROOTFS (once, about a minute)"
  rm -rf "$ROOTFS" && mkdir -p "$ROOTFS"
  debootstrap --variant=minbase "$RABBITMQ_SUITE" "$ROOTFS" "$DEBIAN_MIRROR" >"$LOGS/rabbitmq-install.log" 2>&1 \
    || die "debootstrap failed; see $LOGS/rabbitmq-install.log"
  printf '127.0.0.1 localhost\n' >"$ROOTFS/etc/hosts"
  printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d" && chmod +x "$ROOTFS/usr/sbin/policy-rc.d"
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
  local pw; pw=$(secret rabbitmq-password)
  cat >"$ROOTFS/etc/rabbitmq/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$RABBITMQ_PORT
stream.listeners.tcp.1 = 127.0.0.1:$RABBITMQ_STREAM_PORT
stream.advertised_host = localhost
stream.advertised_port = $RABBITMQ_STREAM_PORT
distribution.listener.interface = 127.0.0.1
default_user = mp3
default_pass = $pw
loopback_users = none
log.console = true
log.file = false
CONF
  if ! port_open 4369; then daemon epmd "${RABBIT[@]}" epmd; fi
  daemon rabbitmq "${RABBIT[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server
  wait_port rabbitmq "$RABBITMQ_STREAM_PORT" 120
  # the definition above only applies to a fresh node: keep the password in step with the secret
  rabbit rabbitmqctl -q change_password mp3 "$pw" >/dev/null 2>&1 || rabbit rabbitmqctl -q add_user mp3 "$pw" >/dev/null
  rabbit rabbitmqctl -q set_permissions -p / mp3 '.*' '.*' '.*' >/dev/null
  say "RabbitMQ: streams 127.0.0.1:$RABBITMQ_STREAM_PORT, AMQP 127.0.0.1:$RABBITMQ_PORT"
}
rabbitmq_down() {
  if pid_alive rabbitmq; then rabbit rabbitmqctl -q stop >/dev/null 2>&1 || true; fi
  stop_daemon rabbitmq 30
  stop_daemon epmd 5
}

# --- MongoDB endpoint and SMTP: Java stand-ins from devstack/ -----------------------------------------
java_bin() { echo "$(find_jdk)/bin/java"; }
devstack_cp() { echo "$ROOT/devstack/target/classes:$ROOT/devstack/target/libs/*"; }
mongo_up() {
  if [ -n "${MONGO_URI:-}" ]; then say "MongoDB: using MONGO_URI (a real server)"; return; fi
  pid_alive mongodb && return
  require_free MongoDB "$MONGO_PORT" MONGO_PORT
  mkdir -p "$STATE/mongodb"
  daemon mongodb "$(java_bin)" -Xmx1g -cp "$(devstack_cp)" com.mp3converter.devstack.MongoStandIn \
    --port "$MONGO_PORT" --file "$STATE/mongodb/data.mv"
  wait_port mongodb "$MONGO_PORT" 60
  say "MongoDB: STAND-IN (mongo-java-server, wire-compatible, not a real MongoDB) on 127.0.0.1:$MONGO_PORT; set MONGO_URI to use a real server"
}
smtp_up() {
  if [ -n "${SMTP_HOST:-}" ]; then say "SMTP: using SMTP_HOST=$SMTP_HOST"; return; fi
  pid_alive greenmail && return
  require_free GreenMail "$SMTP_PORT" SMTP_PORT
  daemon greenmail "$(java_bin)" -Dgreenmail.smtp.port="$SMTP_PORT" -Dgreenmail.smtp.hostname=127.0.0.1 \
    -Dgreenmail.hostname=127.0.0.1 -Dgreenmail.auth.disabled -Dgreenmail.api.hostname=127.0.0.1 \
    -Dgreenmail.api.port="$GREENMAIL_API_PORT" -Dgreenmail.verbose=false \
    -cp "$(devstack_cp)" com.icegreen.greenmail.standalone.GreenMailStandaloneRunner
  wait_port greenmail "$SMTP_PORT" 60
  wait_port greenmail "$GREENMAIL_API_PORT" 30
  say "SMTP: GreenMail on 127.0.0.1:$SMTP_PORT, inbox API http://127.0.0.1:$GREENMAIL_API_PORT/api"
}

# --- the four services ----------------------------------------------------------------------------------
write_env() { # the settings the services and tests read, one place
  mkdir -p "$STATE"
  (umask 077 && cat >"$STATE/env" <<ENV
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
AUTH_KEYS_DASH_DIR=$STATE/auth/keys
AUTH_ADMIN_EMAIL=${AUTH_ADMIN_EMAIL:-admin@mp3converter.local}
AUTH_ADMIN_PASSWORD=${AUTH_ADMIN_PASSWORD:-$(secret admin-password)}
ENV
  )
}
build_jars() {
  say "building the service jars"
  (cd "$ROOT" && ./mvnw -B -q -DskipTests install) || die "the build failed"
}
service_up() { # name port
  pid_alive "$1" && return
  require_free "$1" "$2" "$(echo "$1" | tr a-z A-Z)_PORT"
  [ -f "$ROOT/$1/target/$1.jar" ] || die "$1/target/$1.jar is missing: run ./mp3converter build"
  daemon "$1" "$ROOT/scripts/with-env" "$STATE/env" SERVER_PORT="$2" \
    "$(java_bin)" -Xmx512m -XX:+ExitOnOutOfMemoryError --sun-misc-unsafe-memory-access=allow \
    -Djava.io.tmpdir="$STATE/tmp" -jar "$ROOT/$1/target/$1.jar"
}
wait_ready() { # name port
  local i
  for ((i = 0; i < 240; i++)); do
    curl -fs "http://127.0.0.1:$2/health/ready" >/dev/null 2>&1 && return 0
    pid_alive "$1" || die "$1 exited while starting; see $LOGS/$1.log: $(tail -n 5 "$LOGS/$1.log")"
    sleep 0.5
  done
  die "$1 is not ready after 120 s; see $LOGS/$1.log"
}

stack_up() {
  mkdir -p "$RUN" "$LOGS" "$STATE/tmp"
  command -v curl >/dev/null || apt_install curl
  find_jdk >/dev/null || exit 1
  # rebuild only while no service runs: replacing a jar under a running JVM breaks its class loading
  local running=0 s
  for s in $SERVICES; do pid_alive "$s" && running=1; done
  if [ ! -d "$ROOT/devstack/target/libs" ] || { [ "${1:-}" != "--infra" ] && [ -z "${MP3_NO_BUILD:-}" ] && [ $running = 0 ]; }; then
    build_jars
  elif [ $running = 1 ] && [ "${1:-}" != "--infra" ]; then
    say "services already running: not rebuilding (./mp3converter down, then up, to run changed code)"
  fi
  mariadb_up
  rabbitmq_up
  mongo_up
  smtp_up
  write_env
  [ "${1:-}" = "--infra" ] && return 0
  apt_install libpulse0 # the bytedeco FFmpeg build links libavdevice against PulseAudio
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
  for s in mariadb rabbitmq mongodb greenmail $SERVICES; do pid_alive "$s" && n=$((n + 1)); done
  echo $n
}
version_of() { # part: the version that runs (or would run)
  case "$1" in
    mariadb) mariadbd --version 2>/dev/null | awk '{print $3}' ;;
    rabbitmq) chroot "$ROOTFS" dpkg-query -W -f '${Version}' rabbitmq-server 2>/dev/null ;;
    mongodb) echo "mongo-java-server (STAND-IN)" ;;
    greenmail) ls "$ROOT/devstack/target/libs" 2>/dev/null | sed -n 's/^greenmail-standalone-\(.*\)\.jar$/GreenMail \1/p' ;;
    *) echo "0.1.0-SNAPSHOT" ;;
  esac
}
stack_status() {
  local s port
  for s in mariadb:$MARIADB_PORT rabbitmq:$RABBITMQ_STREAM_PORT mongodb:$MONGO_PORT greenmail:$SMTP_PORT \
    auth:$AUTH_PORT gateway:$GATEWAY_PORT transcoder:$TRANSCODER_PORT mailer:$MAILER_PORT; do
    port=${s#*:}; s=${s%%:*}
    if pid_alive "$s"; then
      printf '%-11s up    pid %-8s port %-6s %s\n' "$s" "$(cat "$RUN/$s.pid")" "$port" "$(version_of "$s")"
    else
      printf '%-11s down\n' "$s"
    fi
  done
}
