"""What the tests share: the repository, the `scoreline` binary for reference runs, and
turning scored tables into `scoreline run`'s CSV text."""

import csv
import io
import os
import pathlib
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def binary() -> str:
    """The `scoreline` command the results are compared with (`SCORELINE_BIN`, else the
    debug build of this checkout, else one on the PATH)."""
    candidates = [os.environ.get("SCORELINE_BIN"), str(REPO / "target/debug/scoreline"), shutil.which("scoreline")]
    for c in candidates:
        if c and os.path.exists(c):
            return c
    pytest.fail("no `scoreline` binary to compare with: build it (`cargo build --bin scoreline`) or set SCORELINE_BIN")


def run_csv(project: str, tmp_path) -> list:
    """The rows `scoreline run` writes for an example project, as text."""
    out = tmp_path / "scores.csv"
    done = subprocess.run(
        [binary(), "run", "--project", str(REPO / "rulesets" / project), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    with open(out, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def cell(value) -> str:
    """A cell as `run` writes it: numbers with at most two decimals, no trailing zeros."""
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:
            return ""
        cents = round(value * 100)
        sign = "-" if cents < 0 else ""
        whole, frac = divmod(abs(cents), 100)
        text = f"{sign}{whole}"
        if frac:
            text += "." + f"{frac:02d}".rstrip("0")
        return text
    return str(value)


def table_csv(table) -> list:
    """A pyarrow table as the rows of a CSV file (header first)."""
    rows = [table.column_names]
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    for r in range(table.num_rows):
        rows.append([cell(c[r]) for c in columns])
    return rows
