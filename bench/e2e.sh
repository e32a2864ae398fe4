#!/usr/bin/env bash
# End-to-end benchmark of `scoreline run` (read CSV, score, write CSV) against DuckDB SQL.
#
#   bash bench/e2e.sh [SIZES…]        default sizes: 100000 1000000
#   KINDS="realistic simple" RUNS=5 bash bench/e2e.sh 1000000
#
# Builds the release binary and the seeded data generator, generates the data once per kind
# and size (seed 42, about 10 events per contact): `realistic` (bench-data/real-N/: a
# CRM-export-like file with extra and sparse columns, long urls, quoted cells holding commas,
# late arrivals; the default) and `simple` (bench-data/N/: the generator's plain files). Then
# runs the two tools alternately, RUNS times each (default 5), and prints the median wall
# time, CPU time and peak memory (max RSS), from /usr/bin/time, with the load average.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
KINDS=${KINDS:-realistic}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100000 1000000)

cargo build --release --locked --bin scoreline -p scoreline-cli
cargo build --release --locked -p scoreline-data --example generate
BIN=target/release/scoreline
GEN=target/release/examples/generate
python3 -c "import duckdb" 2>/dev/null || pip install --quiet duckdb || echo "duckdb not available: skipping the SQL yardstick"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
have_duckdb() { python3 -c "import duckdb" 2>/dev/null; }
report() { # NAME FILE
  local wall cpu rss
  wall=$(awk '{print $1}' "$2" | median)
  cpu=$(awk '{print $2 + $3}' "$2" | median)
  rss=$(awk '{print $4}' "$2" | median)
  echo "$1 median wall ${wall}s  median CPU ${cpu}s  median peak RSS $((${rss%.*} / 1024)) MiB  (runs: $(awk '{printf "%s ", $1}' "$2"))"
}
for kind in $KINDS; do
for n in "${SIZES[@]}"; do
  if [ "$kind" = realistic ]; then dir=bench-data/real-$n; flag=--realistic; else dir=bench-data/$n; flag=; fi
  [ -f "$dir/events.csv" ] || "$GEN" --contacts "$n" --seed 42 --out "$dir" $flag >/dev/null
  events=$(($(wc -l < "$dir/events.csv") - 1))
  echo "== $kind data: $n contacts, $events events ($(du -m "$dir/contacts.csv" | cut -f1) MB + $(du -m "$dir/events.csv" | cut -f1) MB); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  : > /tmp/scoreline-bench-times
  : > /tmp/duckdb-bench-times
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %U %S %M" -o /tmp/scoreline-bench-one "$BIN" run --ruleset bench/b2b.score \
      --contacts "$dir/contacts.csv" --events "$dir/events.csv" --as-of 2026-11-01 \
      --out "$dir/scores.csv" 2>/dev/null
    cat /tmp/scoreline-bench-one >> /tmp/scoreline-bench-times
    if have_duckdb; then
      /usr/bin/time -f "%e %U %S %M" -o /tmp/duckdb-bench-one python3 bench/duckdb_b2b.py "$dir" "$dir/duckdb.csv" "$(nproc)" >/dev/null
      cat /tmp/duckdb-bench-one >> /tmp/duckdb-bench-times
    fi
  done
  report "scoreline " /tmp/scoreline-bench-times
  if have_duckdb; then report "duckdb    " /tmp/duckdb-bench-times; fi
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
done
done
