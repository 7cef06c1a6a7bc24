# Shared set-up of the server benchmarks (bench/load/run.sh, bench/throughput.sh); source it.
#
#   bench_setup            throwaway PostgreSQL 15 cluster on a free loopback port, database
#                          mnc_load, migrations, demo data (BENCH_SCALE=N: N times the demo);
#                          exports the app's environment
#   bench_start_gunicorn   gunicorn (BENCH_WORKERS x BENCH_THREADS) on a free loopback port;
#                          sets BENCH_URL
#   bench_start_redis DIR  throwaway redis-server on a free loopback port, files in DIR;
#                          exports REDIS_URL (bench_setup calls it: the production
#                          configuration refuses per-worker rate limits with several workers)
#   bench_teardown         stops gunicorn, Redis and the cluster, removes the temporary folder
#                          (installed as an EXIT trap by bench_setup)
#
# The app runs in the production configuration (MNC_CONFIG=production: scrypt hashes, no
# debug, HSTS...) with two deliberate differences, both because the benchmark talks plain HTTP
# to 127.0.0.1 without the TLS reverse proxy of a real deployment:
# - the session cookie is not marked Secure (SESSION_COOKIE_SECURE / REMEMBER_COOKIE_SECURE
#   off, passed to create_app by gunicorn), otherwise an HTTP client never sends it back and
#   every logged-in page would redirect to the login page;
# - the login rate limit is raised (LOGIN_RATE_LIMIT), since every simulated user logs in from
#   the same address and the production limit is 10 attempts per minute per address.
# Nothing else is changed; the cluster is a fresh one (the PostgreSQL defaults), never the
# developer's server.

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_PGBIN="${BENCH_PGBIN:-/usr/lib/postgresql/15/bin}"
BENCH_WORKERS="${BENCH_WORKERS:-4}"
BENCH_THREADS="${BENCH_THREADS:-2}"
# Seconds gunicorn keeps an idle connection open (its default is 2). The simulated users pause
# 1-3 s between two pages on a kept-alive connection: with 2 s the server closes connections
# just as clients reuse them ("connection reset by peer", measured: 2 per 1,000 requests with
# 2 s pauses). 5 s is above every pause. Behind a reverse proxy that keeps upstream connections
# alive, the proxy's upstream idle timeout must likewise stay below gunicorn's.
BENCH_KEEPALIVE="${BENCH_KEEPALIVE:-5}"
BENCH_TMP=""
BENCH_PGDATA=""
BENCH_GUNICORN_PID=""
BENCH_REDIS_PIDFILE=""

bench_log() { printf '\n=== %s ===\n' "$*"; }

# The machine and its load (other processes skew the timings: say so next to the numbers).
bench_machine() {
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

bench_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Run a PostgreSQL binary as the postgres user when we are root (initdb refuses root).
bench_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

bench_teardown() {
  if [ -n "$BENCH_GUNICORN_PID" ] && kill -0 "$BENCH_GUNICORN_PID" 2>/dev/null; then
    kill -TERM "$BENCH_GUNICORN_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$BENCH_GUNICORN_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$BENCH_GUNICORN_PID" 2>/dev/null || true
  fi
  BENCH_GUNICORN_PID=""
  bench_stop_redis
  if [ -n "$BENCH_PGDATA" ] && [ -f "$BENCH_PGDATA/postmaster.pid" ]; then
    bench_pg "$BENCH_PGBIN/pg_ctl" -D "$BENCH_PGDATA" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [ -n "$BENCH_TMP" ] && [ -z "${BENCH_KEEP:-}" ]; then rm -rf "$BENCH_TMP"; fi
}

bench_start_redis() {
  local dir="$1" port
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "redis-server is missing: apt-get install redis-server" >&2
    return 1
  fi
  mkdir -p "$dir"
  port="$(bench_free_port)"
  BENCH_REDIS_PIDFILE="$dir/redis.pid"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --dir "$dir" --pidfile "$BENCH_REDIS_PIDFILE" --logfile "$dir/redis.log"
  for _ in $(seq 1 50); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -p "$port" ping >/dev/null
  export REDIS_URL="redis://127.0.0.1:$port/0"
  bench_log "Redis on 127.0.0.1:$port (rate limits shared by the workers)"
}

bench_stop_redis() {
  local pid
  if [ -n "$BENCH_REDIS_PIDFILE" ] && [ -f "$BENCH_REDIS_PIDFILE" ]; then
    pid="$(cat "$BENCH_REDIS_PIDFILE")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  BENCH_REDIS_PIDFILE=""
}

bench_setup() {
  cd "$BENCH_ROOT"
  if [ ! -x "$BENCH_PGBIN/initdb" ]; then
    echo "PostgreSQL 15 is missing ($BENCH_PGBIN): apt-get install postgresql-15" >&2
    return 1
  fi
  if [ ! -x .venv/bin/gunicorn ]; then
    make -s install
  fi
  make -s translations

  BENCH_TMP="$(mktemp -d /tmp/mnc-bench.XXXXXX)"
  trap bench_teardown EXIT
  trap 'exit 130' INT TERM
  BENCH_PGDATA="$BENCH_TMP/pgdata"
  local pgport
  pgport="$(bench_free_port)"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$BENCH_TMP"; chmod 755 "$BENCH_TMP"; fi

  bench_log "Machine: $(bench_machine)"
  bench_log "PostgreSQL 15 cluster on 127.0.0.1:$pgport ($BENCH_TMP)"
  bench_pg "$BENCH_PGBIN/initdb" -D "$BENCH_PGDATA" -A trust -U postgres -E UTF8 \
    --locale=C.UTF-8 >/dev/null
  bench_pg "$BENCH_PGBIN/pg_ctl" -D "$BENCH_PGDATA" -w -l "$BENCH_TMP/postgresql.log" \
    -o "-p $pgport -c listen_addresses=127.0.0.1 -k $BENCH_TMP" start >/dev/null
  bench_pg "$BENCH_PGBIN/createdb" -h 127.0.0.1 -p "$pgport" -U postgres mnc_load
  bench_start_redis "$BENCH_TMP/redis"

  export MNC_CONFIG=production
  SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
  export SECRET_KEY
  export DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$pgport/mnc_load"
  export INSTANCE_PATH="$BENCH_TMP/instance"
  export UPLOAD_FOLDER="$BENCH_TMP/uploads"
  export LOGIN_RATE_LIMIT="100000 per minute"
  export MAIL_SERVER=""

  # Required by the production configuration (the links of e-mails and PDFs).
  export SERVER_BASE_URL="${SERVER_BASE_URL:-http://127.0.0.1}"
  mkdir -p "$INSTANCE_PATH" "$UPLOAD_FOLDER"

  bench_log "Migrations and demo data${BENCH_SCALE:+ (scale $BENCH_SCALE)}"
  .venv/bin/flask --app app db upgrade >"$BENCH_TMP/upgrade.log" 2>&1 \
    || { cat "$BENCH_TMP/upgrade.log" >&2; return 1; }
  # BENCH_SCALE=N: N times the demo programme (flask demo-data --scale N, mnc_exchange/demo/scale.py).
  .venv/bin/flask --app app demo-data ${BENCH_SCALE:+--scale "$BENCH_SCALE"} | tail -n 3
}

bench_start_gunicorn() {
  local port
  port="$(bench_free_port)"
  BENCH_URL="http://127.0.0.1:$port"
  bench_log "gunicorn: $BENCH_WORKERS workers x $BENCH_THREADS threads (keep-alive ${BENCH_KEEPALIVE} s) on $BENCH_URL"
  .venv/bin/gunicorn --workers "$BENCH_WORKERS" --threads "$BENCH_THREADS" \
    --keep-alive "$BENCH_KEEPALIVE" --bind "127.0.0.1:$port" \
    "mnc_exchange:create_app({'SESSION_COOKIE_SECURE': False, 'REMEMBER_COOKIE_SECURE': False})" \
    >>"$BENCH_TMP/gunicorn.log" 2>&1 &
  BENCH_GUNICORN_PID=$!
  for _ in $(seq 1 100); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
      "$BENCH_URL/ping" 2>/dev/null; then
      return 0
    fi
    kill -0 "$BENCH_GUNICORN_PID" 2>/dev/null || break
    sleep 0.3
  done
  echo "gunicorn did not answer on $BENCH_URL/ping" >&2
  cat "$BENCH_TMP/gunicorn.log" >&2
  return 1
}

# Server-side errors logged by gunicorn/the app during the run (tracebacks), for the report.
bench_server_errors() {
  grep -c "Traceback" "$BENCH_TMP/gunicorn.log" 2>/dev/null || true
}
