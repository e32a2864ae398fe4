"""Scoring Spark DataFrames with a Scoreline rule file, partition by partition.

    >>> from scoreline import spark as scoreline_spark
    >>> scores = scoreline_spark.score("leads.score", contacts_df, events_df, as_of="2026-11-01")

Contacts and their events are co-grouped into buckets (a hash of the contact id), each bucket
is scored by the engine through Arrow (``cogroup(...).applyInArrow``), and population
functions are exact across buckets: a first Spark pass gives each bucket's statistics, merged
on the driver and broadcast to the second pass. The rule file and its plugins travel with the
job, so executors need no file. The result equals ``scoreline run`` on the same data, whatever
the number of partitions.
"""

from __future__ import annotations

from typing import Optional

import pyarrow as _pa

from . import Ruleset, ScorelineError, _call, _ruleset, _scoreline, as_of_millis

__all__ = ["score"]

_BUCKET = "__scoreline_bucket"

_SPARK_TYPES = {
    _pa.string(): "string",
    _pa.float64(): "double",
}


def _ddl(schema: _pa.Schema) -> str:
    columns = []
    for field in schema:
        spark_type = _SPARK_TYPES.get(field.type)
        if spark_type is None:
            raise ScorelineError("other", f"no Spark type for output column `{field.name}`", [])
        name = field.name.replace("`", "``")
        columns.append(f"`{name}` {spark_type}")
    return ", ".join(columns)


def score(
    ruleset,
    contacts_df,
    events_df=None,
    *,
    as_of,
    id_column: str = "id",
    partitions: Optional[int] = None,
):
    """Scores the contacts of ``contacts_df`` with their events in ``events_df`` as of
    ``as_of``; gives a Spark DataFrame with ``scoreline run``'s columns (in no particular row
    order, as Spark DataFrames are). ``partitions`` is the number of buckets the contacts are
    scored in (default: the session's default parallelism)."""
    from pyspark.sql import functions as F

    ruleset: Ruleset = _ruleset(ruleset)
    for d in ruleset.check():
        if d.severity == "error":
            raise ScorelineError("rules", str(d), ruleset.check())
    if not ruleset.has_schema():
        raise ScorelineError(
            "rules",
            "scoring on Spark needs a `schema` block in the rule file: every partition must "
            "read the columns with the same types\n  help: declare the contact fields and "
            "event types the rules read (`schema { contact { … } event NAME { … } }`)",
            [],
        )
    millis = as_of_millis(as_of)
    source = ruleset.source
    spark = contacts_df.sparkSession
    buckets = partitions or spark.sparkContext.defaultParallelism
    output = ruleset.output_schema(id_column)
    ddl = _ddl(output)

    contacts = contacts_df.withColumn(
        _BUCKET, F.pmod(F.hash(F.col(id_column).cast("string")), F.lit(buckets))
    )
    if events_df is None:
        events_df = spark.createDataFrame(
            [], "contact_id string, type string, at timestamp"
        )
    events = events_df.withColumn(
        _BUCKET, F.pmod(F.hash(F.col("contact_id").cast("string")), F.lit(buckets))
    )
    grouped = contacts.groupBy(_BUCKET).cogroup(events.groupBy(_BUCKET))

    def _strip(table: _pa.Table) -> _pa.Table:
        return table.drop_columns([_BUCKET]) if _BUCKET in table.column_names else table

    def _statistics(left: _pa.Table, right: _pa.Table) -> _pa.Table:
        stats = _call(
            _scoreline.statistics, source, _strip(left), _strip(right), millis, id_column
        )
        return _pa.table({"statistics": [stats]})

    # The first pass (a Spark job of its own, with its own shuffle) only when the rules have
    # population functions; without them each bucket is scored alone.
    if ruleset.needs_statistics():
        parts = grouped.applyInArrow(_statistics, "statistics string").collect()
        merged = _call(_scoreline.merge_statistics, [row["statistics"] for row in parts])
    else:
        merged = None
    population = spark.sparkContext.broadcast(merged)

    def _score(left: _pa.Table, right: _pa.Table) -> _pa.Table:
        if left.num_rows == 0:
            return output.empty_table()
        table = _call(
            _scoreline.score,
            source,
            _strip(left),
            _strip(right),
            millis,
            id_column,
            population.value,
        )
        return table.cast(output)

    return grouped.applyInArrow(_score, ddl)
