#!/usr/bin/env bash
# Databases against files (the issue "Databases: SQLite and PostgreSQL in and out"): reading N
# contacts and about 10 N events from SQLite (and PostgreSQL, when SCORELINE_BENCH_POSTGRES
# names a server) against reading the same data from CSV, and appending an N-contact run to
# the score history against writing the scores CSV. Targets: reading at most 2x CSV's,
# appending at most 1.5x writing the CSV.
#
#   RUNS=5 bash bench/databases.sh [N]      default N: 1000000 (the generator's data, seed 42)
#   SCORELINE_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres RUNS=5 bash bench/databases.sh
#
# The data comes from the seeded generator (`generate --contacts N --seed 42`, the §1 B2B
# schema) into bench-data/gen-N; it is loaded once into bench-data/gen-N/crm.db (typed
# columns, the way a CRM database holds them) with the sqlite3 shell, or Python's sqlite3
# module when the shell is absent; into PostgreSQL with psql's \copy. Every run is a release
# `scoreline run` of bench/b2b.score; its `SCORELINE_TIMINGS` line splits the wall time into
# reading (rules and data), scoring, writing the scores and appending to the history. Prints
# the median of each, per source, with the load average before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
N=${1:-1000000}
cargo build --release --locked --bin scoreline -p scoreline-cli
cargo build --release --locked -p scoreline-data --example generate
BIN=$PWD/target/release/scoreline
dir=bench-data/gen-$N
[ -f "$dir/events.csv" ] || target/release/examples/generate --contacts "$N" --seed 42 --out "$dir" >/dev/null
db=$dir/crm.db

schema="CREATE TABLE contacts (id TEXT PRIMARY KEY, email TEXT, industry TEXT, role TEXT, employees INTEGER, country TEXT, tags TEXT, created_at DATE);
CREATE TABLE events (contact_id TEXT NOT NULL, type TEXT NOT NULL, at TIMESTAMP NOT NULL, url TEXT, form TEXT, amount REAL);"
if [ ! -f "$db" ]; then
  echo "loading $dir into $db"
  if command -v sqlite3 >/dev/null 2>&1; then
    sqlite3 "$db.tmp" <<EOF
$schema
.mode csv
.import --skip 1 $dir/contacts.csv contacts
.import --skip 1 $dir/events.csv events
-- Empty cells are imported as empty texts: NULL, as a database has them.
UPDATE contacts SET employees = NULL WHERE employees = '';
UPDATE contacts SET role = NULL WHERE role = '';
UPDATE events SET url = NULL WHERE url = '';
UPDATE events SET form = NULL WHERE form = '';
UPDATE events SET amount = NULL WHERE amount = '';
EOF
  else
    python3 - "$db.tmp" "$dir" "$schema" <<'EOF'
import csv, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript(sys.argv[3])
def rows(path, width):
    with open(path, newline="") as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            yield [None if c == "" else c for c in row] + [None] * (width - len(row))
db.executemany("INSERT INTO contacts VALUES (?,?,?,?,?,?,?,?)", rows(sys.argv[2] + "/contacts.csv", 8))
db.executemany("INSERT INTO events VALUES (?,?,?,?,?,?)", rows(sys.argv[2] + "/events.csv", 6))
db.commit()
EOF
  fi
  mv "$db.tmp" "$db"
fi
# Empty tags are the empty list in CSV; in the tables they are empty texts (not NULL), read
# the same way. The tables are written once, in file order, and never updated: a scan gives
# the rows in that order (an UPDATE would move rows, and the contacts with them).

declare -A src
src[csv]="--contacts $dir/contacts.csv --events $dir/events.csv"
src[sqlite]="--contacts sqlite:$db?table=contacts --events sqlite:$db?table=events"
names=(csv sqlite)
if [ -n "${SCORELINE_BENCH_POSTGRES:-}" ]; then
  pg=$SCORELINE_BENCH_POSTGRES
  if ! psql "$pg" -tAc "SELECT count(*) FROM scoreline_bench_events" >/dev/null 2>&1; then
    echo "loading $dir into PostgreSQL"
    psql "$pg" -q -v ON_ERROR_STOP=1 <<EOF
DROP TABLE IF EXISTS scoreline_bench_contacts, scoreline_bench_events;
CREATE TABLE scoreline_bench_contacts (id text PRIMARY KEY, email text, industry text, role text, employees integer, country text, tags text, created_at date);
CREATE TABLE scoreline_bench_events (contact_id text NOT NULL, type text NOT NULL, at timestamptz NOT NULL, url text, form text, amount double precision);
\copy scoreline_bench_contacts FROM '$dir/contacts.csv' WITH (FORMAT csv, HEADER true, FORCE_NOT_NULL (tags))
\copy scoreline_bench_events FROM '$dir/events.csv' WITH (FORMAT csv, HEADER true)
EOF
  fi
  src[postgres]="--contacts $pg?table=scoreline_bench_contacts --events $pg?table=scoreline_bench_events"
  names+=(postgres)
fi

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for name in "${names[@]}"; do : > "$out/$name"; done
: > "$out/history"
for _ in $(seq "$RUNS"); do
  for name in "${names[@]}"; do
    # shellcheck disable=SC2086
    SCORELINE_TIMINGS=1 /usr/bin/time -f "wall %e" "$BIN" run --ruleset bench/b2b.score ${src[$name]} \
      --as-of 2026-11-01 --out "$out/scores-$name.csv" 2> "$out/err" >/dev/null
    echo "$(grep -o 'wall [0-9.]*' "$out/err" | cut -d' ' -f2) $(grep '^timings:' "$out/err" | tr -dc '0-9 ' | xargs)" >> "$out/$name"
  done
  # The history: a fresh SQLite file each time (an N-contact run appended to an empty history).
  rm -f "$out/history.db"
  SCORELINE_TIMINGS=1 "$BIN" run --ruleset bench/b2b.score ${src[csv]} --as-of 2026-11-01 \
    --out "$out/scores-h.csv" --history "sqlite:$out/history.db" 2> "$out/err" >/dev/null
  grep '^timings:' "$out/err" | tr -dc '0-9 ' | xargs >> "$out/history"
done
# Every source scored the same: the same bytes from SQLite (its rows come in rowid order,
# the file's); the same rows from PostgreSQL (a table's rows come in the order the server
# stores them, which COPY does not keep).
for name in "${names[@]}"; do
  if [ "$name" = postgres ]; then
    cmp -s <(sort "$out/scores-csv.csv") <(sort "$out/scores-$name.csv") || echo "warning: $name's scores differ from csv's"
  else
    cmp -s "$out/scores-csv.csv" "$out/scores-$name.csv" || echo "warning: $name's scores differ from csv's"
  fi
done
col() { awk -v c="$1" '{print $c}' "$2" | median; }
echo "source: median wall, median reading (rules and data) [runs: wall]"
for name in "${names[@]}"; do
  f=$out/$name
  echo "$name: wall $(col 1 "$f") s, reading $(col 2 "$f") ms, scoring $(col 3 "$f") ms, writing the CSV $(col 4 "$f") ms [$(awk '{printf "%s ", $1}' "$f")]"
done
csv_read=$(col 2 "$out/csv")
for name in "${names[@]}"; do
  echo "reading $name / reading csv: $(awk -v a="$(col 2 "$out/$name")" -v b="$csv_read" 'BEGIN {printf "%.2f", a / b}') (target at most 2)"
done
f=$out/history
echo "history (SQLite): appending $(col 4 "$f") ms against writing the CSV $(col 3 "$f") ms: $(awk -v a="$(col 4 "$f")" -v b="$(col 3 "$f")" 'BEGIN {printf "%.2f", a / b}')x (target at most 1.5)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
