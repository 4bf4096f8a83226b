#!/usr/bin/env bash
# `make test`'s two passes side by side: the suite on SQLite (with the pages and the browser)
# and on PostgreSQL, each with its own Redis database. The PostgreSQL pass spends most of its
# time waiting on the server (a fresh database per test), so running both at once keeps CI
# well under its time limit on two cores. Each pass's output goes to its own log, shown when
# it ends; the exit status is non-zero when either pass failed.
set -u
logs=$(mktemp -d)
started=$(date +%s)
make --no-print-directory test-sqlite >"$logs/sqlite.log" 2>&1 &
sqlite=$!
make --no-print-directory test-postgres >"$logs/postgres.log" 2>&1 &
postgres=$!
echo "test: SQLite (pid $sqlite) and PostgreSQL (pid $postgres) passes running; logs in $logs"

status=0
report() {  # name, pid
  local name=$1 pid=$2 code=0
  wait "$pid" || code=$?
  echo "=== $name pass: exit $code after $(( $(date +%s) - started )) s"
  if [ "$code" -ne 0 ]; then
    cat "$logs/$name.log"
    status=1
  else
    tail -n 5 "$logs/$name.log"
  fi
}
# Print progress while both run, so a CI log never sits silent for long.
while kill -0 "$sqlite" 2>/dev/null || kill -0 "$postgres" 2>/dev/null; do
  sleep 60
  echo "test: $(( $(date +%s) - started )) s; sqlite $(tail -c 120 "$logs/sqlite.log" | tr -d '\n' | grep -o '\[ *[0-9]*%\]' | tail -n 1); postgres $(tail -c 120 "$logs/postgres.log" | tr -d '\n' | grep -o '\[ *[0-9]*%\]' | tail -n 1)"
done
report sqlite "$sqlite"
report postgres "$postgres"
exit "$status"
