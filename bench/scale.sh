#!/usr/bin/env bash
# The figures at scale (`make bench-scale`): a throwaway PostgreSQL 15 cluster and Redis
# (bench/lib.sh), the demo then `flask demo-data --scale N` (BENCH_SCALE, default 100: about
# 113,000 applications, 3,000 interns), gunicorn (4 workers x 2 threads), then:
#   1. bench/scale_figures.py: the rows, each cohort's reports dashboard (first view, then
#      median and maximum of 10 views), the cohort report PDF of the largest cohort;
#   2. locust, LOAD_USERS (50) officials on the reports dashboard for LOAD_DURATION (60s)
#      (bench/load/reports_locustfile.py);
#   3. locust, the load test's mix of every role (bench/load/locustfile.py), same settings;
#   4. bench/bench_agreements.py --cohort 300 (BENCH_AGREEMENTS): a 300-intern cohort's
#      agreements issued in one batch as `flask agreements issue` does, the PDFs laid out in
#      one process per CPU (temporary SQLite database, as `make bench`).
# Output: bench/out/scale/ (locust CSV files, the server log). About 10 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib.sh
source bench/lib.sh

export BENCH_SCALE="${BENCH_SCALE:-100}"
USERS="${LOAD_USERS:-50}"
DURATION="${LOAD_DURATION:-60s}"
SPAWN_RATE="${LOAD_SPAWN_RATE:-10}"
OUT=bench/out/scale

if ! .venv/bin/locust --version >/dev/null 2>&1; then
  bench_log "Installing bench/requirements.txt (locust)"
  make -s install
  .venv/bin/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
fi

started=$(date +%s)
bench_setup
bench_log "Data loaded in $(($(date +%s) - started)) s"
bench_start_gunicorn
mkdir -p "$OUT"
status=0

bench_log "1. The data and the reports, one user"
.venv/bin/python bench/scale_figures.py --base-url "$BENCH_URL" || status=$?

locust_run() {  # locust_run NAME LOCUSTFILE
  local name="$1" file="$2"
  rm -f "$OUT/${name}"_*.csv
  export LOAD_STEADY_CSV="$OUT/${name}_steady.csv"
  .venv/bin/locust -f "$file" --host "$BENCH_URL" --headless --users "$USERS" \
    --spawn-rate "$SPAWN_RATE" --run-time "$DURATION" --stop-timeout 10 \
    --csv "$OUT/$name" --only-summary --loglevel WARNING >"$OUT/$name.log" 2>&1 || status=$?
  .venv/bin/python bench/load/summary.py "$OUT/$name"
}

bench_log "2. locust: $USERS officials on the reports dashboard for $DURATION"
locust_run reports bench/load/reports_locustfile.py
bench_log "3. locust: $USERS users of every role (the load test's mix) for $DURATION"
locust_run mix bench/load/locustfile.py

bench_log "4. The agreements of a ${BENCH_AGREEMENTS:-300}-intern cohort"
.venv/bin/python bench/bench_agreements.py --cohort "${BENCH_AGREEMENTS:-300}" --runs 3 || status=$?

echo "after the run: $(bench_machine)"
tracebacks="$(bench_server_errors)"
echo "tracebacks in the server log: $tracebacks"
cp "$BENCH_TMP/gunicorn.log" "$OUT/gunicorn.log"
if [ "$tracebacks" != "0" ]; then status=1; fi
exit "$status"
