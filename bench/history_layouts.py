"""What SQLite itself costs to append a run of N contacts to a score history, by layout.

    python3 bench/history_layouts.py [N] [RUNS]      defaults: 1000000 contacts, 3 runs appended

Each layout gets a fresh file and RUNS runs of N entries appended, each run in one
transaction, the rows made by SQLite itself (a recursive CTE: no Python per row, no binding),
so the times are SQLite's own B-tree work, a floor under any client. The entries are those of
`bench/b2b.score` (ids in order, the scores and segments as JSON texts, as layout 1 stores
them). Compare with `scoreline run`'s CSV write of the same N contacts (`bench/databases.sh`).

Layouts:
- layout 1 (the score history's: docs/databases.md): WITHOUT ROWID, keyed (run_id, entity, id),
  and an index (entity, id, run_id) for the trend;
- a rowid table with the trend index only;
- a rowid table with no index (no trend query but a full scan);
- the run as one blob of the same size as the entries' text (the floor for a packed layout).
"""

import os
import sqlite3
import sys
import tempfile
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 3

COLUMNS = "run_id BIGINT NOT NULL, entity TEXT NOT NULL, id TEXT NOT NULL, scores TEXT NOT NULL, segments TEXT NOT NULL"
LAYOUTS = [
    ("layout 1", f"CREATE TABLE e ({COLUMNS}, PRIMARY KEY (run_id, entity, id)) WITHOUT ROWID; "
                 "CREATE INDEX e_by_id ON e (entity, id, run_id);"),
    ("rowid + trend index", f"CREATE TABLE e ({COLUMNS}); CREATE INDEX e_by_id ON e (entity, id, run_id);"),
    ("rowid, no index", f"CREATE TABLE e ({COLUMNS});"),
    ("one blob per run", "CREATE TABLE e (run_id BIGINT, entries BLOB);"),
]
ENTRIES = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) "
    "INSERT INTO e SELECT {run}, 'contact', printf('c%07d', i), "
    "'{{\"fit\":25,\"engagement\":51.2,\"total\":76.2}}', "
    "'{{\"tier\":\"hot\",\"tier_action\":\"call\",\"grade\":\"A\"}}' FROM n"
)
# The bytes of one run's entries as layout 1 stores them (id, and the two JSON texts).
ENTRY_BYTES = len("c0000001") + len('{"fit":25,"engagement":51.2,"total":76.2}') + len(
    '{"tier":"hot","tier_action":"call","grade":"A"}'
)

print(f"{N} entries a run, {RUNS} runs appended; load average before: {os.getloadavg()[0]:.2f}")
with tempfile.TemporaryDirectory() as tmp:
    for name, ddl in LAYOUTS:
        path = os.path.join(tmp, "history.db")
        db = sqlite3.connect(path)
        db.executescript(ddl)
        times = []
        for run in range(1, RUNS + 1):
            start = time.perf_counter()
            if name == "one blob per run":
                db.execute("INSERT INTO e VALUES (?, zeroblob(?))", (run, N * ENTRY_BYTES))
            else:
                db.execute(ENTRIES.format(n=N, run=run))
            db.commit()
            times.append(time.perf_counter() - start)
        db.close()
        size = os.path.getsize(path) / 1e6
        os.remove(path)
        print(f"{name}: " + " ".join(f"{t:.2f}" for t in times) + f" s ({size:.0f} MB)")
print(f"load average after: {os.getloadavg()[0]:.2f}")
