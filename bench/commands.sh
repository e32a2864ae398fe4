#!/usr/bin/env bash
# `scoreline evaluate` (and its `--baseline-as-of`), `scoreline diff`, `scoreline fit` and
# `scoreline check --data` against `scoreline run` on the same data, alternated in one session:
# the cost of each over one scoring. `check --data` loads the data as `run` does and counts it in
# one pass, without scoring: its target is 1.5x the loading time (run's total minus the
# `scoring` it prints, or `cargo run --release -p scoreline-data --example load_bench -- bench-data/real-N`).
#
#   RUNS=5 bash bench/commands.sh [N]        default N: 1000000 (realistic data, seed 42)
#
# Uses the release binary and the data of bench/e2e.sh (it generates bench-data/real-N if
# missing). Prints the median wall time, CPU time and peak memory of each command, with the
# load average before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
N=${1:-1000000}
cargo build --release --locked --bin scoreline -p scoreline-cli
cargo build --release --locked -p scoreline-data --example generate
BIN=target/release/scoreline
dir=bench-data/real-$N
[ -f "$dir/events.csv" ] || target/release/examples/generate --contacts "$N" --seed 42 --out "$dir" --realistic >/dev/null
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
data=(--ruleset bench/b2b.score --contacts "$dir/contacts.csv" --events "$dir/events.csv")
# The rule change that diff shows: a decision maker is worth 30 points instead of 20.
sed 's/=> +20/=> +30/' bench/b2b.score > "$dir/b2b-new.score"
declare -A cmd
cmd[run]="$BIN run ${data[*]} --as-of 2026-08-01 --out $dir/scores-aug.csv"
cmd[evaluate]="$BIN evaluate ${data[*]} --as-of 2026-08-01 --outcome demo_request --horizon 90d --format json"
cmd[evaluate_baseline]="$BIN evaluate ${data[*]} --as-of 2026-08-01 --baseline-as-of 2026-05-01 --outcome demo_request --horizon 90d --format json"
cmd[diff]="$BIN diff bench/b2b.score $dir/b2b-new.score --contacts $dir/contacts.csv --events $dir/events.csv --as-of 2026-08-01 --format json"
cmd[check_data]="$BIN check --data ${data[*]} --as-of 2026-08-01 --format json"
# fit relearns the points of `total` (every clause of `fit` and `engagement`); target: at most 3x run.
cmd[fit]="$BIN fit ${data[*]} --as-of 2026-08-01 --outcome demo_request --horizon 90d --score total --out $dir/b2b-fitted.score --format json"
names=(run evaluate evaluate_baseline diff fit check_data)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for name in "${names[@]}"; do : > "/tmp/scoreline-cmd-$name"; done
for _ in $(seq "$RUNS"); do
  for name in "${names[@]}"; do
    /usr/bin/time -f "%e %U %S %M" -o /tmp/scoreline-cmd-one ${cmd[$name]} >/dev/null 2>&1
    cat /tmp/scoreline-cmd-one >> "/tmp/scoreline-cmd-$name"
  done
done
for name in "${names[@]}"; do
  f=/tmp/scoreline-cmd-$name
  echo "$name: median wall $(awk '{print $1}' "$f" | median)s, CPU $(awk '{print $2 + $3}' "$f" | median)s, peak $(( $(awk '{print $4}' "$f" | median | cut -d. -f1) / 1024 )) MiB (runs: $(awk '{printf "%s ", $1}' "$f"))"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
