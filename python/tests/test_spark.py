"""`scoreline.spark.score` in PySpark's local mode against `scoreline run`, in 1 and 4
partitions, for rulesets with population functions (ecommerce-rfm's quintiles) and plugins
(b2b-leads).

Needs PySpark and a Java runtime: without them the tests are skipped, saying why, unless
SCORELINE_REQUIRE_SPARK=1 (as `.ci/run` sets it), which makes their absence a failure."""

import os
import shutil

import pandas as pd
import pytest

import scoreline
from conftest import REPO, cell, run_csv


def _need(reason):
    if os.environ.get("SCORELINE_REQUIRE_SPARK") == "1":
        pytest.fail(f"{reason}, and SCORELINE_REQUIRE_SPARK=1")
    pytest.skip(
        f"{reason}: the Spark tests are skipped (install pyspark and a Java runtime)",
        allow_module_level=True,
    )


try:
    from pyspark.sql import SparkSession

    from scoreline import spark as scoreline_spark
except ImportError:
    SparkSession = None

if SparkSession is None:
    _need("PySpark is not installed")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    _need("no Java runtime")


@pytest.fixture(scope="module")
def spark():
    session = (
        SparkSession.builder.master("local[4]")
        .appName("scoreline-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    yield session
    session.stop()


def frames(spark, project):
    # Read as text, as a CSV export lands in Spark with an explicit all-string schema.
    as_text = dict(dtype=str, keep_default_na=False)
    data = REPO / "rulesets" / project / "data"
    contacts = spark.createDataFrame(pd.read_csv(data / "contacts.csv", **as_text))
    events = spark.createDataFrame(pd.read_csv(data / "events.csv", **as_text))
    return contacts, events


@pytest.mark.parametrize("project,rule_file", [("ecommerce-rfm", "rfm.score"), ("b2b-leads", "leads.score")])
@pytest.mark.parametrize("partitions", [1, 4])
def test_spark_scores_as_run_does(spark, project, rule_file, partitions, tmp_path):
    contacts, events = frames(spark, project)
    scored = scoreline_spark.score(
        REPO / "rulesets" / project / rule_file,
        contacts.repartition(partitions),
        events.repartition(partitions),
        as_of="2026-11-01",
        partitions=partitions,
    )
    want = run_csv(project, tmp_path)
    assert scored.columns == want[0]
    rows = sorted([cell(v) for v in row] for row in scored.collect())
    assert rows == sorted(want[1:])


def test_spark_refuses_a_rule_file_without_schema(spark, tmp_path):
    rules = tmp_path / "r.score"
    rules.write_text("score fit { rule when employees > 10 => +5 }\n", encoding="utf-8")
    contacts = spark.createDataFrame(pd.DataFrame({"id": ["a"], "employees": ["12"]}))
    with pytest.raises(scoreline.ScorelineError, match="schema"):
        scoreline_spark.score(rules, contacts, as_of="2026-11-01")


def test_spark_data_errors_name_the_record(spark, tmp_path):
    rules = tmp_path / "r.score"
    rules.write_text(
        "schema { contact { id: text, employees: number } }\nscore fit { rule when employees > 10 => +5 }\n",
        encoding="utf-8",
    )
    contacts = spark.createDataFrame(pd.DataFrame({"id": ["a", "b"], "employees": ["12", "many"]}))
    with pytest.raises(Exception, match="many"):
        scoreline_spark.score(rules, contacts, as_of="2026-11-01", partitions=2).collect()
