"""`scoreline.score` on pyarrow tables against the CLI on the same files, alternated.

Usage: python3 bench/python_vs_cli.py DATA_DIR RUNS [SCORELINE_BINARY]

DATA_DIR holds contacts.csv and events.csv (the generator's, `--realistic`). Each run is a
Python process of its own that reads both files as text tables (every column `string`, as a
CSV export lands; read before timing) and times one `scoreline.score` of bench/b2b.score; then
one `scoreline run` of the same files with `SCORELINE_TIMINGS=1` (default binary:
target/release/scoreline). The package is the one Python imports (`pip install ./python`, or
`PYTHONPATH` set to a folder a wheel was installed into). Prints every run, the load average,
and the medians: `scoreline.score`, the CLI's scoring step, and the CLI's reading and scoring.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile

data, runs = sys.argv[1], int(sys.argv[2])
binary = sys.argv[3] if len(sys.argv) > 3 else "target/release/scoreline"
code = """
import sys, time, pyarrow as pa, pyarrow.csv as pacsv, scoreline
def as_text(path):
    names = pacsv.read_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 20)).column_names
    types = {n: pa.string() for n in names}
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False))
c = as_text(sys.argv[1] + "/contacts.csv"); e = as_text(sys.argv[1] + "/events.csv")
t = time.perf_counter(); scoreline.score("bench/b2b.score", c, e, as_of="2026-11-01"); print(time.perf_counter() - t)
"""
# A file of its own for the scores (a binary from before the fix would replace `/dev/null`).
scores = os.path.join(tempfile.mkdtemp(), "scores.csv")
python, scoring, job = [], [], []
print(f"load average before: {os.getloadavg()[0]:.2f}")
for _ in range(runs):
    out = subprocess.run([sys.executable, "-c", code, data], capture_output=True, text=True, check=True)
    python.append(float(out.stdout.strip().splitlines()[-1]))
    cli = subprocess.run(
        [binary, "run", "--ruleset", "bench/b2b.score", "--contacts", f"{data}/contacts.csv",
         "--events", f"{data}/events.csv", "--as-of", "2026-11-01", "--out", scores],
        env={**os.environ, "SCORELINE_TIMINGS": "1"}, capture_output=True, text=True, check=True,
    )
    m = re.search(r"timings: reading (\d+) ms, scoring (\d+) ms", cli.stderr)
    reading, score = int(m.group(1)) / 1000, int(m.group(2)) / 1000
    scoring.append(score)
    job.append(reading + score)
    print(f"scoreline.score {python[-1]:.2f} s; CLI scoring {score:.3f} s, reading and scoring {job[-1]:.2f} s; "
          f"load {os.getloadavg()[0]:.2f}", flush=True)
p, s, j = statistics.median(python), statistics.median(scoring), statistics.median(job)
print(f"medians: scoreline.score {p:.2f} s, CLI scoring step {s:.3f} s ({p / s:.1f}x), "
      f"CLI reading and scoring {j:.2f} s ({p / j:.2f}x)")
