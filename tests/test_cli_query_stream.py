"""Issue 20, item 3: `keruen query --format csv` streams its answer from DuckDB.

The rows go from DuckDB's CSV writer to stdout — no Python object per cell — and the bytes are
those the row-by-row writer (`rows_to_csv`) gives the same answer, formula neutralisation
included (done in SQL, `neutralise_sql`, checked against `neutralise_cell`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import example, given
from hypothesis import strategies as st

from keruen.cli import main
from keruen.cli.output import neutralise_cell, neutralise_sql, rows_to_csv
from keruen.cli.store_cmds import QUERY_COLUMNS
from keruen.store import Provenance, Store
from keruen.store.rows import Rows
from tests.cli_store import built_store, store_home  # noqa: F401

HOSTILE = pd.DataFrame(
    {
        "dataset": ["HOSTILE"] * 6,
        "measure": ["=1+1", "@SUM(A1:A2)", "-5", "m,with,commas", 'q"uote', "\rCR"],
        "ref_area": ["KAZ"] * 6,
        "counterpart_area": [None, None, None, None, None, None],
        "breakdown": [None, None, "-sex=f", None, None, None],
        "period": ["2020", "2021", "2020", "2020", "2020", "2020"],
        "value": [-5.0, 3.5, 1e16, 0.1, -0.0, 123456789.125],
        "unit": ["+persons", "persons", "", "a\nb", "٣", None],
        "obs_status": ["A"] * 6,
    }
)


def _hostile(store_path: Path) -> None:
    prov = Provenance(
        dataset="HOSTILE",
        vintage="-v1",
        release="2024-01-01",
        publisher="=cmd|' /C calc'!A0",
        file_name="hostile.csv",
        sha256="e" * 64,
        licence="\tTAB",
        url="\rCR",
    )
    with Store(store_path) as store:
        store.ingest(HOSTILE, prov)


def _expected(store_path: Path, dataset: str, breakdown: str | None = None) -> str:
    """The answer through the row-by-row path: fetched rows, the Rows CSV writer."""
    with Store(store_path, read_only=True) as store:
        table = store.observation_rows(dataset, breakdown="*" if breakdown is None else breakdown)
    if breakdown is None and None in table.column("breakdown"):
        table = table.where(lambda r: r["breakdown"] is None)
    return rows_to_csv(table.select(QUERY_COLUMNS))


@pytest.mark.parametrize("stream_from", [0, None])
@pytest.mark.parametrize(
    "dataset",
    ["WB_WDI", "UNDESA_IMS", "UN_WPP", "HOSTILE"],
)  # fmt: skip
def test_query_csv_is_written_by_duckdb_byte_for_byte_as_the_row_writer(
    store_home: Path,  # noqa: F811
    dataset: str,
    stream_from: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every answer streams with ``stream_from=0``; by default, answers above
    ``STREAM_FROM_ROWS`` rows stream and smaller ones go through Python: the same bytes."""
    from keruen.cli import store_cmds

    _hostile(store_home)
    expected = _expected(store_home, dataset)
    limit = store_cmds.STREAM_FROM_ROWS if stream_from is None else stream_from
    fetch = Rows.fetch.__func__  # type: ignore[attr-defined]

    def few_rows(cls: type[Rows], cursor: object) -> Rows:
        rows = fetch(cls, cursor)
        assert len(rows) <= max(limit, 100), "a large answer was fetched into Python"
        return rows

    monkeypatch.setattr(store_cmds, "STREAM_FROM_ROWS", limit)
    monkeypatch.setattr(Rows, "fetch", classmethod(few_rows))
    result = CliRunner().invoke(main, ["query", dataset, "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert result.output == expected
    assert expected.count("\n") > 1


def test_query_csv_to_a_pipe_is_the_same_bytes(store_home: Path) -> None:  # noqa: F811
    _hostile(store_home)
    env = dict(os.environ, KERUEN_HOME=str(store_home.parent))
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-m", "keruen", "query", "HOSTILE", "--breakdown", "*", "--format", "csv"],
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    expected = _expected(store_home, "HOSTILE", "*")
    assert proc.stdout.decode("utf-8") == expected
    assert "'=1+1" in expected and "'=cmd" in expected and ",-5," in expected


_CON = duckdb.connect()


@given(st.text(alphabet=st.sampled_from("=+-@\t\r 0123456789.eE_x'\",٣\n"), max_size=8))
@example("")
@example("-٣")
@example("+1_000")
@example("-1e5x")
def test_neutralise_sql_agrees_with_neutralise_cell(text: str) -> None:
    got = _CON.execute(f"SELECT {neutralise_sql('s')} FROM (SELECT ? AS s)", [text]).fetchall()
    assert (got[0][0] or "") == (neutralise_cell(text) or "")
