#!/usr/bin/env bash
# Dashboards' throughput as a ratio to /ping: gunicorn (4 workers x 2 threads) + a throwaway
# PostgreSQL 15 cluster with the demo data (the load test's set-up, bench/lib.sh), then
# bench/bench_throughput.py against it. Arguments go to bench_throughput.py, e.g.
#   bash bench/throughput.sh --threads 8 --seconds 20
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib.sh
source bench/lib.sh

bench_setup
bench_start_gunicorn
bench_log "Throughput"
status=0
.venv/bin/python bench/bench_throughput.py --base-url "$BENCH_URL" "$@" || status=$?
echo "after the run: $(bench_machine)"
tracebacks="$(bench_server_errors)"
echo "tracebacks in the server log: $tracebacks"
if [ "$tracebacks" != "0" ]; then
  mkdir -p bench/out && cp "$BENCH_TMP/gunicorn.log" bench/out/throughput-gunicorn.log
  echo "see bench/out/throughput-gunicorn.log" >&2
  status=1
fi
exit "$status"
