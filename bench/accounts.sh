#!/usr/bin/env bash
# What account items cost (LANGUAGE.md §13): the same contacts and events scored with the
# contact rules of bench/b2b.score alone, and with the account items of
# bench/b2b_accounts.score (buying group, account tier, a contact segment reading it).
#
#   RUNS=5 bash bench/accounts.sh [N]      default N = 1000000 (150k accounts, ~10M events)
#
# Builds the release binary and the seeded generator, generates the realistic data set
# (bench-data/real-N, as bench/e2e.sh), adds accounts with bench/add_accounts.py, then runs
# the two alternately and prints the median wall time, CPU time and peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
N=${1:-1000000}
cargo build --release --locked --bin scoreline -p scoreline-cli
cargo build --release --locked -p scoreline-data --example generate
BIN=target/release/scoreline
dir=bench-data/real-$N
[ -f "$dir/events.csv" ] || target/release/examples/generate --contacts "$N" --seed 42 --out "$dir" --realistic >/dev/null
[ -f "$dir/accounts.csv" ] || python3 bench/add_accounts.py "$dir"
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
report() { # NAME FILE
  echo "$1 median wall $(awk '{print $1}' "$2" | median)s  median CPU $(awk '{print $2 + $3}' "$2" | median)s  median peak RSS $(( $(awk '{print $4}' "$2" | median | cut -d. -f1) / 1024 )) MiB  (runs: $(awk '{printf "%s ", $1}' "$2"))"
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "== $N contacts in $(($(wc -l < "$dir/accounts.csv") - 1)) accounts, $(($(wc -l < "$dir/events.csv") - 1)) events; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
: > /tmp/accounts-bench-without
: > /tmp/accounts-bench-with
for _ in $(seq "$RUNS"); do
  /usr/bin/time -f "%e %U %S %M" -o /tmp/accounts-bench-one "$BIN" run --ruleset bench/b2b.score \
    --contacts "$dir/contacts_accounts.csv" --events "$dir/events.csv" --as-of 2026-11-01 \
    --out "$dir/scores-without.csv" 2>/dev/null
  cat /tmp/accounts-bench-one >> /tmp/accounts-bench-without
  /usr/bin/time -f "%e %U %S %M" -o /tmp/accounts-bench-one "$BIN" run --ruleset bench/b2b_accounts.score \
    --contacts "$dir/contacts_accounts.csv" --events "$dir/events.csv" --accounts "$dir/accounts.csv" \
    --as-of 2026-11-01 --out "$dir/scores-with.csv" --accounts-out "$dir/accounts-out.csv" 2>/dev/null
  cat /tmp/accounts-bench-one >> /tmp/accounts-bench-with
done
report "contacts only      " /tmp/accounts-bench-without
report "with account items " /tmp/accounts-bench-with
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
