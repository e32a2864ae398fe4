"""The Python package and the PySpark entry point on a generated data set, timed.

Usage: python3 bench/python_spark.py DATA_DIR [RUNS] [python|spark|both]

1. `scoreline.score` on pyarrow tables already in memory (every column read as text, as a CSV
   export lands), against the scoring step `scoreline run` reports for the same files
   (`(scoring N ms)` in its summary): the target is at most 1.2x.
2. `scoreline.spark.score` in PySpark local mode (every core), against the same scoring
   written in Spark SQL (bench/b2b.score's rules, as bench/duckdb_b2b.py writes them for
   DuckDB), both from the same cached DataFrames to a CSV folder, alternated.

Prints the median of RUNS (default 3) for each, with the load average. Needs the release
binary (target/release/scoreline), the package installed (`pip install ./python`) and PySpark.
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import pyarrow as pa
import pyarrow.csv as pacsv

import scoreline

data = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
parts = sys.argv[3] if len(sys.argv) > 3 else "both"
RULES = "bench/b2b.score"
AS_OF = "2026-11-01"


def load() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def as_text(path):
    # Every column as text, empty cells as empty texts: what `run` reads from the file.
    names = pacsv.read_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 20)).column_names
    return pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False
        ),
    )


def median(xs):
    return statistics.median(xs)


print(f"machine: {os.cpu_count()} cores; data: {data}; load before: {load()}")

# 1. The CLI's scoring step.
cli = []
if parts == "spark":
    runs_python = 0
else:
    runs_python = runs
for _ in range(runs_python):
    out = subprocess.run(
        ["target/release/scoreline", "run", "--ruleset", RULES, "--contacts", f"{data}/contacts.csv",
         "--events", f"{data}/events.csv", "--as-of", AS_OF, "--out", f"{data}/scores.csv"],
        capture_output=True, text=True, check=True,
    )
    found = re.search(r"\(scoring ([0-9.]+) (ms|s)\)", out.stderr)
    cli.append(float(found.group(1)) / (1000 if found.group(2) == "ms" else 1))
if runs_python:
    contacts = as_text(f"{data}/contacts.csv")
    events = as_text(f"{data}/events.csv")
    python = []
    for _ in range(runs):
        start = time.perf_counter()
        scored = scoreline.score(RULES, contacts, events, as_of=AS_OF)
        python.append(time.perf_counter() - start)
    print(f"cli scoring step: median {median(cli):.2f}s (runs {', '.join(f'{x:.2f}' for x in cli)})")
    print(f"scoreline.score:  median {median(python):.2f}s (runs {', '.join(f'{x:.2f}' for x in python)}) "
          f"= {median(python) / median(cli):.2f}x; {scored.num_rows} rows; load after: {load()}")
    del contacts, events, scored
if parts == "python":
    sys.exit(0)

# 2. Spark.
try:
    from pyspark.sql import SparkSession
except ImportError:
    print("pyspark is not installed: the Spark part is skipped")
    sys.exit(0)
from scoreline import spark as scoreline_spark

spark = (
    SparkSession.builder.master(f"local[{os.cpu_count()}]")
    .config("spark.ui.enabled", "false")
    .config("spark.driver.memory", "8g")
    .config("spark.sql.shuffle.partitions", str(os.cpu_count() * 2))
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")
read = lambda name: spark.read.option("header", True).csv(f"{data}/{name}").na.fill("")  # noqa: E731
contacts_df = read("contacts.csv").cache()
events_df = read("events.csv").cache()
contacts_df.count(), events_df.count()
contacts_df.createOrReplaceTempView("contacts")
events_df.createOrReplaceTempView("events")

SQL = f"""
WITH live AS (
  SELECT contact_id, type, url, form,
         (unix_timestamp(timestamp '{AS_OF} 00:00:00') - unix_timestamp(to_timestamp(`at`))) / 86400.0 AS age
  FROM events
),
agg AS (
  SELECT contact_id,
    least(coalesce(sum(CASE WHEN type = 'page_view' AND startswith(url, '/pricing') THEN 10 * pow(0.5, age / 30) END), 0), 30)
    + least(coalesce(sum(CASE WHEN type = 'page_view' THEN pow(0.5, age / 14) END), 0), 10)
    + least(coalesce(sum(CASE WHEN type = 'email_click' THEN 5 * pow(0.5, age / 30) END), 0), 20)
    + coalesce(sum(CASE WHEN type = 'form_submit' AND form = 'whitepaper' AND age <= 180 THEN 10 END), 0)
    + CASE WHEN count_if(type = 'demo_request' AND age <= 60) > 0 THEN 40 ELSE 0 END
    + CASE WHEN min(age) > 90 THEN -20 ELSE 0 END
    + CASE WHEN count_if(type = 'unsubscribe') > 0 THEN -50 ELSE 0 END AS raw
  FROM live WHERE age >= 0 GROUP BY contact_id
),
scored AS (
  SELECT c.id,
    round(least(greatest(
        CASE WHEN c.industry IN ('SaaS', 'Retail', 'Fintech') THEN 15 ELSE 0 END
      + CASE WHEN lower(c.role) rlike '(ceo|cmo|head|director|vp)' THEN 20 ELSE 0 END
      + CASE WHEN try_cast(c.employees AS DOUBLE) BETWEEN 50 AND 1000 THEN 10 ELSE 0 END
      + CASE WHEN try_cast(c.employees AS DOUBLE) < 10 THEN -10 ELSE 0 END
      + CASE WHEN c.country = 'FR' THEN 5 ELSE 0 END, 0), 50), 2) AS fit,
    round(least(greatest(coalesce(a.raw, 0), 0), 60), 2) AS engagement
  FROM contacts c LEFT JOIN agg a ON a.contact_id = c.id
)
SELECT id, fit, engagement, round(least(greatest(fit + engagement, 0), 100), 2) AS total,
  CASE WHEN fit + engagement >= 70 THEN 'hot' WHEN fit + engagement >= 40 THEN 'warm' ELSE 'cold' END AS tier
FROM scored
"""

out = tempfile.mkdtemp(prefix="scoreline-spark-bench-")
ours, theirs = [], []
for _ in range(runs):
    start = time.perf_counter()
    scoreline_spark.score(RULES, contacts_df, events_df, as_of=AS_OF).write.mode("overwrite").csv(f"{out}/ours")
    ours.append(time.perf_counter() - start)
    start = time.perf_counter()
    spark.sql(SQL).write.mode("overwrite").csv(f"{out}/sql")
    theirs.append(time.perf_counter() - start)
print(f"spark scoreline:  median {median(ours):.2f}s (runs {', '.join(f'{x:.2f}' for x in ours)})")
print(f"spark SQL:        median {median(theirs):.2f}s (runs {', '.join(f'{x:.2f}' for x in theirs)}) "
      f"= scoreline {median(ours) / median(theirs):.2f}x; load after: {load()}")
spark.stop()
shutil.rmtree(out, ignore_errors=True)
