#!/usr/bin/env bash
# Login rate limit with several gunicorn workers: 30 rapid failed logins (POST /login, wrong
# password, one client address, a new connection each: curl with "Connection: close") against
# gunicorn with LIMITS_WORKERS (2) workers, first with the limits counted in each worker's memory
# (memory://), then in a shared Redis (REDIS_URL). Prints how many got through before the
# 429s and which worker (pid) answered each.
#
# The app runs in the development configuration (the production one refuses memory:// with
# several workers, which is the point), with the production limit LOGIN_RATE_LIMIT=10 per
# minute, on a throwaway SQLite database with the demo data (flask demo-data --no-history) and
# a throwaway redis-server, both in a temporary folder removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib.sh
source bench/lib.sh

ATTEMPTS="${LIMITS_ATTEMPTS:-30}"
WORKERS="${LIMITS_WORKERS:-2}"
EMAIL="${LIMITS_EMAIL:-nobody@example.org}"

command -v curl >/dev/null || { echo "curl is missing" >&2; exit 1; }
[ -x .venv/bin/gunicorn ] || make -s install
make -s translations

TMP="$(mktemp -d /tmp/mnc-limits.XXXXXX)"
PID=""
stop_gunicorn() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  PID=""
}
cleanup() {
  stop_gunicorn
  bench_stop_redis
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export MNC_CONFIG=development FLASK_DEBUG=0
SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
export SECRET_KEY
export INSTANCE_PATH="$TMP/instance" UPLOAD_FOLDER="$TMP/uploads"
export LOGIN_RATE_LIMIT="10 per minute" MAIL_SERVER=""
unset DATABASE_URL RATELIMIT_STORAGE_URI REDIS_URL WEB_CONCURRENCY
mkdir -p "$INSTANCE_PATH" "$UPLOAD_FOLDER"

bench_log "Machine: $(bench_machine)"
bench_log "SQLite demo database ($TMP)"
.venv/bin/flask --app app db upgrade >"$TMP/upgrade.log" 2>&1 || { cat "$TMP/upgrade.log" >&2; exit 1; }
.venv/bin/flask --app app demo-data --no-history >"$TMP/demo.log" 2>&1 || { cat "$TMP/demo.log" >&2; exit 1; }
bench_start_redis "$TMP/redis"
SHARED_REDIS_URL="$REDIS_URL"
unset REDIS_URL

# One run: gunicorn with the given storage, ATTEMPTS failed logins, the tally.
run() {
  local label="$1" storage="$2" port url jar token codes="" pids=""
  port="$(bench_free_port)"
  url="http://127.0.0.1:$port"
  RATELIMIT_STORAGE_URI="$storage" .venv/bin/gunicorn --workers "$WORKERS" \
    --bind "127.0.0.1:$port" --access-logfile "$TMP/access-$label.log" \
    --access-logformat '%(p)s %(m)s %(U)s %(s)s' app:app >"$TMP/gunicorn-$label.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$url/ping" 2>/dev/null && break
    sleep 0.2
  done
  jar="$TMP/cookies-$label"
  token="$(curl -fsS -c "$jar" "$url/login" | sed -n 's/.*name="csrf_token" type="hidden" value="\([^"]*\)".*/\1/p' | head -n 1)"
  [ -n "$token" ] || { echo "no CSRF token on /login" >&2; exit 1; }
  for i in $(seq 1 "$ATTEMPTS"); do
    codes+="$(curl -sS -o /dev/null -w '%{http_code}' -b "$jar" -H 'Connection: close' \
      --data-urlencode "csrf_token=$token" --data-urlencode "email=$EMAIL" \
      --data-urlencode "password=wrong-password-$i" "$url/login") "
  done
  stop_gunicorn
  pids="$(awk '$2 == "POST" && $3 == "/login" {gsub(/[<>]/, "", $1); print $1}' "$TMP/access-$label.log" | sort | uniq -c | awk '{printf "%s requests by pid %s; ", $1, $2}')"
  printf '%-8s %2d of %d passed (200), %2d refused (429); %s\n  codes: %s\n' "$label" \
    "$(grep -o '200' <<<"$codes" | wc -l)" "$ATTEMPTS" "$(grep -o '429' <<<"$codes" | wc -l)" \
    "$pids" "$codes"
}

bench_log "gunicorn --workers $WORKERS, $ATTEMPTS failed logins, limit $LOGIN_RATE_LIMIT"
run memory "memory://"
run redis "$SHARED_REDIS_URL"
