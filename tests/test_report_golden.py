"""The numbers of four reports equal those recorded before the analysis layer moved (issue #17).

``tests/data/report_golden`` holds ``numbers.json`` and every table's CSV of the English
reports of Kazakhstan, Uzbekistan, Turkmenistan and Germany as keruen wrote them before its
computations moved from ``keruen.report`` into ``keruen.analysis`` (see its README). A change
meant to change no number must leave them equal: texts exactly, numbers to 1e-9 relative (so a
last-bit difference of floating point on another machine is not taken for a change; on the
machine they were recorded on the files are byte-identical). ``source_id`` is skipped: it is the
store's row number of a source file, which depends on the order files were loaded in (a dataset
added to the snapshot shifts it), not a number the report states.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "data" / "report_golden"
COUNTRIES = ("KAZ", "UZB", "TKM", "DEU")


def _same(a: object, b: object, where: str) -> list[str]:
    """Where ``a`` and ``b`` differ (numbers to 1e-9 relative, everything else exactly)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{where}: keys {sorted(set(a) ^ set(b))}"]
        return [d for k in a if k != "source_id" for d in _same(a[k], b[k], f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items against {len(b)}"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _same(x, y, f"{where}[{i}]")
        ]
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) else [f"{where}: {a} != {b}"]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def _cells(text: str) -> list[list[object]]:
    def parse(cell: str) -> object:
        try:
            return float(cell)
        except ValueError:
            return cell

    return [[parse(c) for c in row] for row in csv.reader(io.StringIO(text))]


@pytest.mark.parametrize("country", COUNTRIES)
def test_numbers_json_equals_the_recorded_one(
    built_report: Callable[[str, str], Path], country: str
) -> None:
    now = json.loads((built_report(country, "en") / "numbers.json").read_text("utf-8"))
    then = json.loads((GOLDEN / country / "numbers.json").read_text("utf-8"))
    assert _same(now, then, country) == []


@pytest.mark.parametrize("country", COUNTRIES)
def test_every_table_csv_equals_the_recorded_one(
    built_report: Callable[[str, str], Path], country: str
) -> None:
    folder = built_report(country, "en") / "tables"
    recorded = sorted(p.name for p in (GOLDEN / country / "tables").glob("*.csv"))
    assert sorted(p.name for p in folder.glob("*.csv")) == recorded
    for name in recorded:
        now = _cells((folder / name).read_text("utf-8"))
        then = _cells((GOLDEN / country / "tables" / name).read_text("utf-8"))
        assert _same(now, then, f"{country}/{name}") == []


def test_the_comparison_bites() -> None:
    """A changed number, a changed text and a missing key are each reported."""
    then = {"a": [1.0, "x"], "b": 2}
    assert _same({"a": [1.0 + 1e-6, "x"], "b": 2}, then, "r")
    assert _same({"a": [1.0, "y"], "b": 2}, then, "r")
    assert _same({"a": [1.0, "x"]}, then, "r")
    assert _same({"a": [1.0 + 1e-13, "x"], "b": 2}, then, "r") == []
