"""Two builds of the Python package against each other on the same data, alternated.

Usage: python3 bench/python_ab.py DATA_DIR RUNS DIR_A DIR_B

DIR_A and DIR_B each hold one build of the package, installed with
`pip install --no-deps --target DIR wheel.whl` (wheels from `maturin build --release` at
two commits). Each run is a Python process of its own: it reads the data as text tables
(as bench/python_spark.py does), then times one `scoreline.score`. Prints every run with
the load average, then each build's median.
"""
import statistics
import subprocess
import sys

data, runs, a, b = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
code = '''
import sys, time, pyarrow as pa, pyarrow.csv as pacsv, scoreline
def as_text(path):
    names = pacsv.read_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 20)).column_names
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False))
c = as_text(sys.argv[1] + "/contacts.csv"); e = as_text(sys.argv[1] + "/events.csv")
t = time.perf_counter(); s = scoreline.score("bench/b2b.score", c, e, as_of="2026-11-01"); print(time.perf_counter() - t)
'''
res = {a: [], b: []}
for i in range(runs):
    for d in (a, b):
        out = subprocess.run([sys.executable, "-c", code, data], env={"PYTHONPATH": d, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
        res[d].append(float(out.stdout.strip().splitlines()[-1]))
        print(d, res[d][-1], open("/proc/loadavg").read().split()[0], flush=True)
for d in (a, b): print(d, "median", statistics.median(res[d]))
