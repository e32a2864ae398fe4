"""`scoreline.score` and `scoreline.check` against the command line, for every kind of input."""

import datetime as dt
import json
import subprocess

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

import scoreline
from conftest import REPO, binary, run_csv, table_csv

EXAMPLES = [
    ("b2b-leads", "leads.score"),
    ("ecommerce-rfm", "rfm.score"),
    ("subscription-churn", "churn.score"),
]


def read(project, name):
    return pacsv.read_csv(REPO / "rulesets" / project / "data" / name)


@pytest.mark.parametrize("project,rule_file", EXAMPLES)
def test_pyarrow_tables_score_as_run_does(project, rule_file, tmp_path):
    scored = scoreline.score(
        REPO / "rulesets" / project / rule_file,
        read(project, "contacts.csv"),
        read(project, "events.csv"),
        as_of="2026-11-01",
    )
    assert isinstance(scored, pa.Table)
    assert table_csv(scored) == run_csv(project, tmp_path)


def test_pandas_and_polars_frames_score_alike(tmp_path):
    project, rule_file = "ecommerce-rfm", "rfm.score"
    want = run_csv(project, tmp_path)
    contacts = read(project, "contacts.csv")
    events = read(project, "events.csv")
    path = REPO / "rulesets" / project / rule_file
    from_pandas = scoreline.score(path, contacts.to_pandas(), events.to_pandas(), as_of=dt.date(2026, 11, 1))
    from_polars = scoreline.score(path, pl.from_arrow(contacts), pl.from_arrow(events), as_of=dt.datetime(2026, 11, 1))
    # Everything read as text, as a CSV export lands in a data frame.
    as_text = dict(dtype=str, keep_default_na=False)
    from_text = scoreline.score(
        path,
        pd.read_csv(REPO / "rulesets" / project / "data/contacts.csv", **as_text),
        pd.read_csv(REPO / "rulesets" / project / "data/events.csv", **as_text),
        as_of="2026-11-01T00:00:00Z",
    )
    for scored in (from_pandas, from_polars, from_text):
        assert table_csv(scored) == want


def test_the_ruleset_object_is_reused_and_pickles():
    import pickle

    ruleset = scoreline.Ruleset(REPO / "rulesets/b2b-leads/leads.score")
    again = pickle.loads(pickle.dumps(ruleset))
    contacts = read("b2b-leads", "contacts.csv")
    events = read("b2b-leads", "events.csv")
    a = scoreline.score(ruleset, contacts, events, as_of="2026-11-01")
    b = scoreline.score(again, contacts, events, as_of="2026-11-01")
    assert a.equals(b)
    assert ruleset.output_schema() == a.schema


def test_only_population_functions_need_the_first_pass(tmp_path):
    # ecommerce-rfm ranks with quintiles; the others score each contact alone.
    needs = {p: scoreline.Ruleset(REPO / "rulesets" / p / f).needs_statistics() for p, f in EXAMPLES}
    assert needs == {"b2b-leads": False, "ecommerce-rfm": True, "subscription-churn": False}
    rules = tmp_path / "ranked.score"
    rules.write_text(
        "schema { contact { id: text, employees: number? } }\n"
        "score size = percent_rank(employees)\n"
    )
    assert scoreline.Ruleset(rules).needs_statistics()


def test_check_gives_the_diagnostics_of_the_command_line(tmp_path):
    bad = tmp_path / "bad.score"
    bad.write_text(
        "schema { contact { id: text, employees: number } }\n"
        "let unused = 1\n"
        "score fit { rule when employes > 10 => +5 }\n",
        encoding="utf-8",
    )
    diagnostics = scoreline.check(bad)
    cli = subprocess.run([binary(), "check", "--format", "json", str(bad)], capture_output=True, text=True)
    want = json.loads(cli.stdout)
    assert [d.__dict__ for d in diagnostics] == want
    assert {d.code for d in diagnostics} == {"E0101", "W0106"}


def test_a_rule_file_with_errors_raises_with_its_diagnostics(tmp_path):
    bad = tmp_path / "bad.score"
    bad.write_text("schema { contact { id: text } }\nscore fit { rule when nope > 1 => +1 }\n", encoding="utf-8")
    with pytest.raises(scoreline.ScorelineError) as caught:
        scoreline.score(bad, pa.table({"id": ["a"]}), as_of="2026-11-01")
    error = caught.value
    assert error.kind == "rules"
    assert "unknown name `nope`" in str(error)
    assert [(d.line, d.column, d.code) for d in error.diagnostics] == [(2, 23, "E0101")]


def test_data_that_does_not_fit_names_the_record_and_column(tmp_path):
    rules = tmp_path / "r.score"
    rules.write_text(
        "schema { contact { id: text, employees: number } }\nscore fit { rule when employees > 10 => +5 }\n",
        encoding="utf-8",
    )
    contacts = pa.table({"id": ["a", "b"], "employees": ["12", "many"]})
    with pytest.raises(scoreline.ScorelineError) as caught:
        scoreline.score(rules, contacts, as_of="2026-11-01")
    assert caught.value.kind == "data"
    message = str(caught.value)
    assert "record 2 (`b`)" in message and "`employees`" in message and "many" in message
    with pytest.raises(scoreline.ScorelineError, match="vip|employees"):
        scoreline.score(rules, pa.table({"id": ["a"]}), as_of="2026-11-01")


def test_a_missing_plugin_is_named_with_its_path(tmp_path):
    rules = tmp_path / "r.score"
    rules.write_text('plugin p = "gone.rhai"\nscore fit { rule when p.f(1) => +1 }\n', encoding="utf-8")
    with pytest.raises(scoreline.ScorelineError) as caught:
        scoreline.score(rules, pa.table({"id": ["a"]}), as_of="2026-11-01")
    assert "gone.rhai" in str(caught.value)
    assert caught.value.diagnostics[0].code == "E0401"


def test_as_of_must_be_an_instant():
    contacts = read("b2b-leads", "contacts.csv")
    path = REPO / "rulesets/b2b-leads/leads.score"
    with pytest.raises(TypeError, match="as_of"):
        scoreline.score(path, contacts, as_of=20261101)
    with pytest.raises(TypeError, match="required"):
        scoreline.score(path, contacts, as_of=None)
    with pytest.raises(ValueError, match="ISO date"):
        scoreline.score(path, contacts, as_of="1st of November")
    with pytest.raises(TypeError, match="pyarrow Table"):
        scoreline.score(path, [{"id": "a"}], as_of="2026-11-01")
    with pytest.raises(FileNotFoundError):
        scoreline.score("nowhere.score", contacts, as_of="2026-11-01")


def test_naive_and_aware_datetimes_mean_the_same_instant():
    assert scoreline.as_of_millis(dt.datetime(2026, 11, 1)) == scoreline.as_of_millis("2026-11-01")
    paris = dt.timezone(dt.timedelta(hours=1))
    assert scoreline.as_of_millis(dt.datetime(2026, 11, 1, 1, tzinfo=paris)) == scoreline.as_of_millis("2026-11-01T00:00:00Z")
    assert scoreline.as_of_millis(pd.Timestamp("2026-11-01", tz="UTC")) == scoreline.as_of_millis("2026-11-01")


def test_a_rule_file_that_scores_accounts_is_refused(tmp_path):
    # Accounts need every contact of an account together: batches and partitions may split them.
    rules = tmp_path / "accounts.score"
    rules.write_text(
        "schema { contact { id: text, account_id: text? } }\n"
        "account score team = count(contacts)\n"
    )
    contacts = pa.table({"id": ["a"], "account_id": ["acme"]})
    with pytest.raises(scoreline.ScorelineError, match="scores accounts.*scoreline run"):
        scoreline.score(str(rules), contacts, as_of="2026-11-01")
