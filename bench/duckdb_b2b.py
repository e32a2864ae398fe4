"""The same B2B scoring as bench/b2b.score, written as SQL in DuckDB: the yardstick.

Usage: python3 bench/duckdb_b2b.py DATA_DIR OUT.csv [THREADS]
Reads DATA_DIR/contacts.csv and DATA_DIR/events.csv, writes OUT.csv, prints the seconds taken.
"""
import sys
import time

import duckdb

data, out = sys.argv[1], sys.argv[2]
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
AS_OF = "2026-11-01 00:00:00"

SQL = f"""
COPY (
WITH contacts AS (
  SELECT * FROM read_csv('{data}/contacts.csv', header = true, all_varchar = true)
),
events AS (
  SELECT contact_id, type, url, form,
         epoch(TIMESTAMP '{AS_OF}' - CAST("at" AS TIMESTAMPTZ)::TIMESTAMP) / 86400.0 AS age
  FROM read_csv('{data}/events.csv', header = true, all_varchar = true)
),
live AS (SELECT * FROM events WHERE age >= 0),
agg AS (
  SELECT contact_id,
    least(coalesce(sum(CASE WHEN type = 'page_view' AND starts_with(url, '/pricing') THEN 10 * pow(0.5, age / 30) END), 0), 30)
    + least(coalesce(sum(CASE WHEN type = 'page_view' THEN pow(0.5, age / 14) END), 0), 10)
    + least(coalesce(sum(CASE WHEN type = 'email_click' THEN 5 * pow(0.5, age / 30) END), 0), 20)
    + coalesce(sum(CASE WHEN type = 'form_submit' AND form = 'whitepaper' AND age <= 180 THEN 10 END), 0)
    + CASE WHEN count(*) FILTER (WHERE type = 'demo_request' AND age <= 60) > 0 THEN 40 ELSE 0 END
    + CASE WHEN min(age) > 90 THEN -20 ELSE 0 END
    + CASE WHEN count(*) FILTER (WHERE type = 'unsubscribe') > 0 THEN -50 ELSE 0 END AS raw
  FROM live GROUP BY contact_id
),
scored AS (
  SELECT c.id,
    round(least(greatest(
        CASE WHEN c.industry IN ('SaaS', 'Retail', 'Fintech') THEN 15 ELSE 0 END
      + CASE WHEN regexp_matches(lower(c.role), '(ceo|cmo|head|director|vp)') THEN 20 ELSE 0 END
      + CASE WHEN TRY_CAST(c.employees AS DOUBLE) BETWEEN 50 AND 1000 THEN 10 ELSE 0 END
      + CASE WHEN TRY_CAST(c.employees AS DOUBLE) < 10 THEN -10 ELSE 0 END
      + CASE WHEN c.country = 'FR' THEN 5 ELSE 0 END, 0), 50), 2) AS fit,
    round(least(greatest(coalesce(a.raw, 0), 0), 60), 2) AS engagement,
    row_number() OVER () AS n
  FROM contacts c LEFT JOIN agg a ON a.contact_id = c.id
)
SELECT id, fit, engagement, round(least(greatest(fit + engagement, 0), 100), 2) AS total,
  CASE WHEN fit + engagement >= 70 THEN 'hot' WHEN fit + engagement >= 40 THEN 'warm' ELSE 'cold' END AS tier
FROM scored ORDER BY n
) TO '{out}' (HEADER, DELIMITER ',');
"""

con = duckdb.connect()
con.execute(f"SET threads = {threads}")
start = time.perf_counter()
con.execute(SQL)
print(f"{time.perf_counter() - start:.3f}")
