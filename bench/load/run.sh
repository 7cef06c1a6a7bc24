#!/usr/bin/env bash
# Load test: 50 concurrent users for 60 s on the main pages of every role, against gunicorn
# (4 workers x 2 threads) and a throwaway PostgreSQL 15 cluster loaded with the demo data.
# Prints per-page request counts, failures, p50/p95/p99 (whole run, then the steady state after
# LOAD_STEADY_AFTER = 15 s); exits 1 on any failure, 5xx or traceback in the server log.
#
# Environment: LOAD_USERS (50), LOAD_DURATION (60s), LOAD_SPAWN_RATE (10 users/s),
# LOAD_WAIT_MIN / LOAD_WAIT_MAX (1 / 3 s between two pages of a user), BENCH_WORKERS (4),
# BENCH_THREADS (2), BENCH_KEEP=1 keeps the temporary folder (database, logs).
# Output: bench/out/load/ (locust CSV files and HTML report, the gunicorn log).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=../lib.sh
source bench/lib.sh

USERS="${LOAD_USERS:-50}"
DURATION="${LOAD_DURATION:-60s}"
SPAWN_RATE="${LOAD_SPAWN_RATE:-10}"
OUT=bench/out/load

if ! .venv/bin/locust --version >/dev/null 2>&1; then
  bench_log "Installing bench/requirements.txt (locust)"
  make -s install
  .venv/bin/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
fi

bench_setup
bench_start_gunicorn

mkdir -p "$OUT"
rm -f "$OUT"/load_*.csv
export LOAD_STEADY_CSV="$OUT/load_steady.csv"
bench_log "locust: $USERS users (spawn rate $SPAWN_RATE/s) for $DURATION against $BENCH_URL"
status=0
.venv/bin/locust -f bench/load/locustfile.py --host "$BENCH_URL" --headless \
  --users "$USERS" --spawn-rate "$SPAWN_RATE" --run-time "$DURATION" --stop-timeout 10 \
  --csv "$OUT/load" --html "$OUT/load.html" --only-summary --loglevel WARNING || status=$?

bench_log "Summary"
.venv/bin/python bench/load/summary.py "$OUT/load"
echo "after the run: $(bench_machine)"
tracebacks="$(bench_server_errors)"
echo "tracebacks in the server log: $tracebacks"
cp "$BENCH_TMP/gunicorn.log" "$OUT/gunicorn.log"
if [ "$tracebacks" != "0" ]; then
  echo "see $OUT/gunicorn.log" >&2
  status=1
fi
exit "$status"
