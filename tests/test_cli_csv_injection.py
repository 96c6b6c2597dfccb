"""Issue 8, item 2: CSV output never hands a spreadsheet a formula to run.

Text cells starting with =, +, -, @, tab or CR get a leading single quote (OWASP CSV-injection
guidance); numbers, negative ones included, stay numbers.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.store import Provenance, Store
from keruen.writing import neutralise_cell
from tests.cli_store import built_store, store_home  # noqa: F401

pytestmark = pytest.mark.usefixtures("store_home")

FORMULA_MEASURE = "=1+1"
FORMULA_PUBLISHER = "=cmd|' /C calc'!A0"


def _load_hostile(store_path: Path) -> None:
    """Store two rows whose measure and publisher are formulas (via the store API: the
    command-line loader may refuse such codes, the store must still be safe to export)."""
    frame = pd.DataFrame(
        {
            "dataset": ["HOSTILE", "HOSTILE"],
            "measure": [FORMULA_MEASURE, "@SUM(A1:A2)"],
            "ref_area": ["KAZ", "KAZ"],
            "counterpart_area": [None, None],
            "breakdown": [None, None],
            "period": ["2020", "2021"],
            "value": [-5.0, 3.5],
            "unit": ["+persons", "persons"],
            "obs_status": ["A", "A"],
        }
    )
    prov = Provenance(
        dataset="HOSTILE",
        vintage="-v1",
        release="2024-01-01",
        publisher=FORMULA_PUBLISHER,
        file_name="hostile.csv",
        sha256="f" * 64,
        licence="\tTAB",
        url="\rCR",
    )
    with Store(store_path) as store:
        store.ingest(frame, prov)


def _store_path() -> Path:
    return Path(os.environ["KERUEN_HOME"]) / "keruen.duckdb"


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _assert_inert(rows: list[dict[str, str]]) -> None:
    for row in rows:
        for column, cell in row.items():
            if cell.startswith(("=", "+", "@", "\t", "\r")):
                pytest.fail(f"column {column} carries a live formula: {cell!r}")


def test_query_csv_neutralises_formulas_and_keeps_negative_numbers() -> None:
    _load_hostile(_store_path())
    result = CliRunner().invoke(main, ["query", "HOSTILE", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    assert [r["measure"] for r in rows] == ["'" + FORMULA_MEASURE, "'@SUM(A1:A2)"]
    assert {r["publisher"] for r in rows} == {"'" + FORMULA_PUBLISHER}
    assert rows[0]["unit"] == "'+persons" and rows[0]["vintage"] == "'-v1"
    assert rows[0]["licence"] == "'\tTAB"
    assert [float(r["value"]) for r in rows] == [-5.0, 3.5]  # numbers stay numbers
    _assert_inert(rows)


def test_sources_csv_neutralises_a_formula_publisher() -> None:
    _load_hostile(_store_path())
    result = CliRunner().invoke(main, ["sources", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = _rows(result.stdout)
    hostile = [r for r in rows if r["dataset"] == "HOSTILE"]
    assert hostile and hostile[0]["publisher"] == "'" + FORMULA_PUBLISHER
    assert hostile[0]["n_rows"] == "2"
    _assert_inert(rows)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-5", "-5"),
        ("-1.5e3", "-1.5e3"),
        ("KAZ", "KAZ"),
        (-5.0, -5.0),
        (None, None),
    ],
)
def test_a_cell_is_neutralised_only_when_a_spreadsheet_would_compute_it(
    cell: object, expected: object
) -> None:
    assert neutralise_cell(cell) == expected
