#!/usr/bin/env bash
# Every page reached from a menu, the code before and after side by side, each as a ratio to a
# bare Flask page (bench/bare_app.py: a Jinja template of 50 paragraphs) served the same way in
# the same run: four gunicorn servers with 2 workers each (the bare page; the code before; this
# checkout; this checkout with its kept pages off, PAGE_CACHE=0: every view builds its page),
# the application's on copies of the same SQLite database with the full demo (production
# configuration, rate limits in a throwaway Redis, as bench/lib.sh does), then bench/pages.py
# (wrk -t1 -c8 -d6s per measure).
#
#   BENCH_BEFORE=<commit> bash bench/pages.sh [arguments of bench/pages.py, e.g. --only reports]
#
# BENCH_BEFORE: the code before (default 72e5ecd, main before issue 16), checked out in a
# temporary git worktree that shares this checkout's .venv. The database is built once by this
# checkout (`flask db upgrade` + `flask demo-data`: 1 to 3 minutes); the older code ignores the
# tables it does not know (BENCH_DEMO_DB=file.sqlite: start from a copy of a database that
# already holds the demo). Output: the table, also in bench/out/pages.md. wrk comes from Debian
# (apt-get install wrk); without it the script falls back to a Python loop (less precise).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib.sh
source bench/lib.sh

BEFORE_REF="${BENCH_BEFORE:-72e5ecd}"
WORKERS="${PAGES_WORKERS:-2}"
TMP="$(mktemp -d /tmp/mnc-pages.XXXXXX)"
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  done
  bench_stop_redis
  if [ -d "$TMP/before" ]; then git worktree remove --force "$TMP/before" >/dev/null 2>&1 || true; fi
  if [ -z "${BENCH_KEEP:-}" ]; then rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -x .venv/bin/gunicorn ]; then make -s install; fi
make -s translations
bench_log "Machine: $(bench_machine)"
bench_log "The code before: $BEFORE_REF (worktree $TMP/before)"
git worktree add --detach "$TMP/before" "$BEFORE_REF" >/dev/null
ln -s "$PWD/.venv" "$TMP/before/.venv"
(cd "$TMP/before" && .venv/bin/pybabel -q compile -d mnc_exchange/translations)

export MNC_CONFIG=production
SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
export SECRET_KEY
export LOGIN_RATE_LIMIT="100000 per minute"
export MAIL_SERVER=""
export SERVER_BASE_URL="${SERVER_BASE_URL:-http://127.0.0.1}"  # required by production
mkdir -p "$TMP/instance" "$TMP/uploads"
export INSTANCE_PATH="$TMP/instance" UPLOAD_FOLDER="$TMP/uploads"

bench_start_redis "$TMP/redis"  # the production configuration wants it with several workers

bench_log "The demo data (SQLite, built by this checkout)"
if [ -n "${BENCH_DEMO_DB:-}" ]; then  # a SQLite file with the demo already loaded
  cp "$BENCH_DEMO_DB" "$TMP/demo.sqlite"
fi
DATABASE_URL="sqlite:///$TMP/demo.sqlite" .venv/bin/flask --app app db upgrade >"$TMP/upgrade.log" 2>&1
DATABASE_URL="sqlite:///$TMP/demo.sqlite" .venv/bin/flask --app app demo-data 2>/dev/null | tail -n 2
cp "$TMP/demo.sqlite" "$TMP/before.sqlite"
cp "$TMP/demo.sqlite" "$TMP/after.sqlite"
cp "$TMP/demo.sqlite" "$TMP/built.sqlite"

APP="mnc_exchange:create_app({'SESSION_COOKIE_SECURE': False, 'REMEMBER_COOKIE_SECURE': False})"

SERVED=""
serve() {  # serve NAME FOLDER DATABASE TARGET [PAGE_CACHE]: a gunicorn on a free port; its URL
  local name="$1" folder="$2" database="$3" target="$4" kept="${5:-1}" port  # in SERVED
  port="$(bench_free_port)"
  (cd "$folder" && DATABASE_URL="$database" PAGE_CACHE="$kept" exec .venv/bin/gunicorn \
    --workers "$WORKERS" \
    --bind "127.0.0.1:$port" "$target" >>"$TMP/$name.log" 2>&1) &
  PIDS+=("$!")
  for _ in $(seq 1 100); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
      "http://127.0.0.1:$port/ping" 2>/dev/null; then
      SERVED="http://127.0.0.1:$port"
      return 0
    fi
    sleep 0.3
  done
  echo "$name did not answer on port $port" >&2
  cat "$TMP/$name.log" >&2
  return 1
}

serve bare "$PWD" "sqlite:///$TMP/after.sqlite" 'bench.bare_app:app'
BARE="$SERVED"
serve before "$TMP/before" "sqlite:///$TMP/before.sqlite" "$APP"
BEFORE="$SERVED"
serve after "$PWD" "sqlite:///$TMP/after.sqlite" "$APP"
AFTER="$SERVED"
serve built "$PWD" "sqlite:///$TMP/built.sqlite" "$APP" 0  # the kept pages off
BUILT="$SERVED"
bench_log "gunicorn, $WORKERS workers each: bare $BARE, before $BEFORE, after $AFTER, built $BUILT"

mkdir -p bench/out
status=0
.venv/bin/python bench/pages.py --bare "$BARE/" --before "$BEFORE" --after "$AFTER" --built "$BUILT" \
  --markdown bench/out/pages.md "$@" || status=$?
echo "after the run: $(bench_machine)"
for name in before after built; do
  if grep -q Traceback "$TMP/$name.log"; then
    cp "$TMP/$name.log" "bench/out/pages-$name.log"
    echo "tracebacks in the $name server's log: see bench/out/pages-$name.log" >&2
    status=1
  fi
done
exit "$status"
