#!/usr/bin/env bash
# End-to-end benchmark of `scoreline run` (read CSV, score, write CSV) against DuckDB SQL.
#
#   bash bench/e2e.sh [SIZES…]        default sizes: 100000 1000000
#
# Builds the release binary and the seeded data generator, generates bench-data/N/ once per
# size (seed 42, about 10 events per contact), then runs each tool RUNS times (default 5) and
# prints the median wall time and peak memory (max RSS, from /usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100000 1000000)

cargo build --release --locked --bin scoreline -p scoreline-cli
cargo build --release --locked -p scoreline-data --example generate
BIN=target/release/scoreline
GEN=target/release/examples/generate
python3 -c "import duckdb" 2>/dev/null || pip install --quiet duckdb || echo "duckdb not available: skipping the SQL yardstick"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
for n in "${SIZES[@]}"; do
  dir=bench-data/$n
  [ -f "$dir/events.csv" ] || "$GEN" --contacts "$n" --seed 42 --out "$dir" >/dev/null
  events=$(($(wc -l < "$dir/events.csv") - 1))
  : > /tmp/scoreline-bench-times
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o /tmp/scoreline-bench-one "$BIN" run --ruleset bench/b2b.score \
      --contacts "$dir/contacts.csv" --events "$dir/events.csv" --as-of 2026-11-01 \
      --out "$dir/scores.csv" 2>/dev/null
    cat /tmp/scoreline-bench-one >> /tmp/scoreline-bench-times
  done
  wall=$(awk '{print $1}' /tmp/scoreline-bench-times | median)
  rss=$(awk '{print $2}' /tmp/scoreline-bench-times | median)
  echo "scoreline  contacts=$n events=$events  median wall ${wall}s  median peak RSS $((${rss%.*} / 1024)) MiB  (runs: $(awk '{printf "%s ", $1}' /tmp/scoreline-bench-times))"
  if python3 -c "import duckdb" 2>/dev/null; then
    : > /tmp/scoreline-bench-times
    for _ in $(seq "$RUNS"); do
      /usr/bin/time -f "%e %M" -o /tmp/scoreline-bench-one python3 bench/duckdb_b2b.py "$dir" "$dir/duckdb.csv" "$(nproc)" >/dev/null
      cat /tmp/scoreline-bench-one >> /tmp/scoreline-bench-times
    done
    wall=$(awk '{print $1}' /tmp/scoreline-bench-times | median)
    rss=$(awk '{print $2}' /tmp/scoreline-bench-times | median)
    echo "duckdb     contacts=$n events=$events  median wall ${wall}s  median peak RSS $((${rss%.*} / 1024)) MiB  (runs: $(awk '{printf "%s ", $1}' /tmp/scoreline-bench-times))"
  fi
done
