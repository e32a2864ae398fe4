"""Scoreline in Python: score contacts with a Scoreline rule file.

The engine is the one of the ``scoreline`` command: the same rule files and plugins give the
same scores and segments. Data crosses into the engine as Arrow (no per-row Python): pyarrow
tables, pandas and Polars data frames, or any object with ``__arrow_c_stream__``.

    >>> import scoreline
    >>> scores = scoreline.score("rulesets/b2b-leads/leads.score", contacts, events,
    ...                          as_of="2026-11-01")

``scoreline.spark.score`` scores Spark DataFrames partition by partition.
"""

from __future__ import annotations

import datetime as _dt
import json as _json
import os as _os
from dataclasses import dataclass as _dataclass
from typing import Any, List, Optional

import pyarrow as _pa

from . import _scoreline

__all__ = ["score", "check", "Diagnostic", "ScorelineError", "Ruleset"]


@_dataclass(frozen=True)
class Diagnostic:
    """One problem of a rule file or plugin, as ``scoreline check --format json`` gives it."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    severity: str
    code: str
    message: str
    help: Optional[str]

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: {self.severity}[{self.code}]: {self.message}"
        return text + (f"\n  help: {self.help}" if self.help else "")


class ScorelineError(Exception):
    """Scoring failed. ``kind`` is ``"rules"`` (the rule file or a plugin has errors; they
    are in ``diagnostics``), ``"data"`` (the data does not fit the schema: the message names
    the record's id and the column), ``"plugins"`` (a plugin function failed while scoring)
    or ``"other"``. The message is the text the command line prints."""

    def __init__(self, kind: str, message: str, diagnostics: List[Diagnostic]):
        super().__init__(message)
        self.kind = kind
        self.diagnostics = diagnostics


def _diagnostics(text: str) -> List[Diagnostic]:
    return [Diagnostic(**d) for d in _json.loads(text)]


def _call(function, *args):
    try:
        return function(*args)
    except _scoreline.EngineError as e:
        kind, message, diagnostics = e.args
        raise ScorelineError(kind, message, _diagnostics(diagnostics)) from None


class Ruleset:
    """A rule file and its plugin scripts, read once; picklable, so that it can be sent to
    Spark executors, which then need no file of their own."""

    def __init__(self, path: "str | os.PathLike[str]"):
        path = _os.fspath(path)
        if not _os.path.exists(path):
            raise FileNotFoundError(f"no rule file at `{path}`")
        self.source = _call(_scoreline.read_ruleset, path)

    @classmethod
    def _from_source(cls, source: str) -> "Ruleset":
        ruleset = cls.__new__(cls)
        ruleset.source = source
        return ruleset

    def __getstate__(self):
        return {"source": self.source}

    def __setstate__(self, state):
        self.source = state["source"]

    def check(self) -> List[Diagnostic]:
        return _diagnostics(_call(_scoreline.check, self.source))

    def has_schema(self) -> bool:
        return _call(_scoreline.has_schema, self.source)

    def needs_statistics(self) -> bool:
        """Whether scoring needs the population's statistics: the rule file has population
        functions (``percent_rank``, ``quintile``, …). Without them every partition is scored
        alone, with no first pass."""
        return _call(_scoreline.needs_statistics, self.source)

    def output_schema(self, id_column: str = "id") -> _pa.Schema:
        return _pa.schema(_call(_scoreline.output_schema, self.source, id_column))


def _ruleset(ruleset) -> Ruleset:
    return ruleset if isinstance(ruleset, Ruleset) else Ruleset(ruleset)


def check(path: "str | os.PathLike[str]") -> List[Diagnostic]:
    """The errors and warnings of ``scoreline check`` for the rule file at ``path``."""
    return _ruleset(path).check()


def as_of_millis(as_of: Any) -> int:
    """An as-of instant in milliseconds since 1970 (UTC): an ISO date or RFC 3339 text, a
    ``datetime.date``, a ``datetime.datetime`` (naive means UTC) or a pandas ``Timestamp``."""
    if as_of is None:
        raise TypeError("`as_of` is required: the instant to score at (for example \"2026-11-01\")")
    if hasattr(as_of, "to_pydatetime"):
        as_of = as_of.to_pydatetime()
    if isinstance(as_of, str):
        text = as_of.strip()
        try:
            if len(text) == 10:
                as_of = _dt.date.fromisoformat(text)
            else:
                as_of = _dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"`as_of` must be an ISO date (`2026-11-01`) or an RFC 3339 instant, not `{text}`"
            ) from None
    if isinstance(as_of, _dt.datetime):
        if as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=_dt.timezone.utc)
        return int(round(as_of.timestamp() * 1000))
    if isinstance(as_of, _dt.date):
        return int(_dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=_dt.timezone.utc).timestamp() * 1000)
    raise TypeError(
        f"`as_of` must be a date, a datetime or an ISO text, not {type(as_of).__name__}"
    )


def _table(data: Any, what: str):
    """Any supported data as an object the engine reads (the Arrow C stream interface)."""
    if data is None:
        return None
    if isinstance(data, (_pa.Table, _pa.RecordBatch)):
        return data
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        return _pa.Table.from_pandas(data, preserve_index=False)
    if module == "polars":
        return data.to_arrow()
    if hasattr(data, "__arrow_c_stream__"):
        return data
    raise TypeError(
        f"`{what}` must be a pyarrow Table, a pandas or Polars DataFrame, or an Arrow stream, "
        f"not {type(data).__name__}"
    )


def score(
    ruleset,
    contacts,
    events=None,
    *,
    as_of,
    id_column: str = "id",
    threads: int = 0,
) -> _pa.Table:
    """Scores every contact of ``contacts`` (one row each, an ``id`` column) with the events
    in ``events`` (``contact_id``, ``type``, ``at`` and properties) as of ``as_of``. Gives a
    pyarrow Table with ``scoreline run``'s columns, rows in the contacts' order: the id, each
    score (rounded to cents as ``run`` writes it), each segment and its action. ``threads``
    is how many threads score (0, the default: one per core); the result is the same."""
    ruleset = _ruleset(ruleset)
    millis = as_of_millis(as_of)
    return _call(
        _scoreline.score,
        ruleset.source,
        _table(contacts, "contacts"),
        _table(events, "events"),
        millis,
        id_column,
        None,
        threads,
    )
