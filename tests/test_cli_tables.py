"""Issue 8, item 15: tables for people, CSV and JSON with every provenance column.

Tables: thousands separators, decimals suited to the column, units in the headers, blanks for
missing values; never ``NaN``, ``<NA>``, ``None`` or scientific notation. CSV and JSON keep
source, vintage, unit, publisher, licence and url. ``vintages`` takes ``--format``; a mistyped
command gets the nearest one suggested.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.cli.output import decimals_for, humanise, significant
from tests.cli_store import built_store, store_home  # noqa: F401

pytestmark = pytest.mark.usefixtures("store_home")

RAW_MARKERS = re.compile(r"\bNaN\b|<NA>|\bNone\b|\bnan\b|\d[eE][+-]\d")
PROVENANCE = {"source_id", "vintage", "unit", "publisher", "licence", "url"}


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_indicators_table_reads_like_a_table() -> None:
    # 2023 has no KNOMAD outflow: the missing cells must be blank, not NaN/<NA>
    code, out, err = _run("indicators", "--country", "KAZ", "--years", "2021:2023")
    assert code == 0, err
    table = out.split("\n\n")[0]
    assert not RAW_MARKERS.search(table), table
    header, *rows = table.splitlines()
    assert "inflow (US$)" in header and "share_gdp (% of GDP)" in header
    assert re.search(r"\b\d{1,3}(,\d{3}){2,}\b", rows[0])  # US$ with thousands separators
    assert not re.search(r"\d\.\d{3}\b", rows[0].split()[2])  # no cents on US$ amounts
    assert rows[0].split()[1] == "2021"  # a year is a label, not 2,021


def test_a_query_table_has_units_and_no_scientific_notation() -> None:
    code, out, err = _run(
        "query", "WB_WDI", "--measure", "NY.GDP.MKTP.CD", "--area", "KAZ", "--period", "2020:2022"
    )
    assert code == 0, err
    assert not RAW_MARKERS.search(out), out
    assert "current USD" in out and re.search(r"\d{3},\d{3},\d{3},\d{3}", out)


def test_query_csv_and_json_keep_every_provenance_column() -> None:
    args = ["query", "WB_WDI", "--measure", "SP.POP.TOTL", "--area", "KAZ", "--period", "2020"]
    code, out, _ = _run(*args, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 1
    assert PROVENANCE <= set(rows[0]) and all(rows[0][c] for c in PROVENANCE)
    code, out, _ = _run(*args, "--format", "json")
    record = json.loads(out)[0]
    assert code == 0 and PROVENANCE <= set(record) and record["vintage"] == rows[0]["vintage"]


def test_indicators_csv_names_the_source_of_every_input() -> None:
    code, out, err = _run("indicators", "--country", "KAZ", "--years", "2020", "--format", "csv")
    assert code == 0, err
    row = next(csv.DictReader(io.StringIO(out)))
    for column in ("inflow", "outflow", "gdp", "population"):
        for field in ("source", "vintage", "unit", "publisher", "licence", "url"):
            assert row[f"{column}_{field}"], f"{column}_{field} is empty"


def test_sources_csv_keeps_every_column() -> None:
    code, out, _ = _run("sources", "--format", "csv")
    header = next(csv.reader(io.StringIO(out)))
    assert code == 0
    assert {
        "source_id",
        "dataset",
        "vintage",
        "release",
        "publisher",
        "licence",
        "url",
        "sha256",
        "title",
        "retrieved",
        "origin",
    } <= set(header)


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_vintages_takes_a_format(fmt: str) -> None:
    code, out, err = _run("vintages", "wb_wdi", "--format", fmt)
    assert code == 0, err
    if fmt == "json":
        records = json.loads(out)
        assert {r["dataset"] for r in records} == {"WB_WDI"} and len(records) >= 2
        assert all(r["publisher"] and r["licence"] for r in records)
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert {r["dataset"] for r in rows} == {"WB_WDI"} and "url" in rows[0]
    else:
        assert out.splitlines()[0].split()[:3] == ["dataset", "vintage", "release"]


@pytest.mark.parametrize(
    ("typo", "meant"), [("qeury", "query"), ("vintage", "vintages"), ("indicator", "indicators")]
)
def test_a_mistyped_command_suggests_the_nearest(typo: str, meant: str) -> None:
    code, _, err = _run(typo)
    assert code == 2 and f"Did you mean '{meant}'" in err


def test_decimals_follow_the_magnitude_of_the_column() -> None:
    assert decimals_for(pd.Series([1.5e9, 2.25e9])) == 0
    assert decimals_for(pd.Series([12.34, 56.78])) == 1
    assert decimals_for(pd.Series([1.234, 5.678])) == 2
    assert decimals_for(pd.Series([0.001234, 0.005])) == 5
    assert decimals_for(pd.Series([3.0, 4.0])) == 0
    shown = humanise(pd.DataFrame({"v": [1234567.891, None, float("nan")], "t": ["a", None, "b"]}))
    assert list(shown["v"]) == ["1,234,568", "", ""] and list(shown["t"]) == ["a", "", "b"]


def test_a_mistyped_estimate_command_suggests_the_nearest() -> None:
    code, _, err = _run("estimate", "forcast")
    assert code == 2 and "Did you mean 'forecast'" in err


def test_the_indices_table_has_no_scientific_notation_or_nan(tmp_path: Path) -> None:
    flows, pop = tmp_path / "flows.csv", tmp_path / "pop.csv"
    flows.write_text("orig,dest,flow\nA,B,10\nB,A,5\nA,C,1\nC,A,7\nB,C,3\nC,B,2\n")
    pop.write_text("region,pop\nA,1000000000\nB,2000000000\nC,3000000000\n")  # rates ~1e-7
    code, out, err = _run(
        "indices", "--flows", str(flows), "--population", str(pop), "--format", "table"
    )
    assert code == 0, err
    assert not RAW_MARKERS.search(out), out
    anmr = next(line for line in out.splitlines() if line.startswith("anmr"))
    assert float(anmr.split()[1]) > 0 and "e" not in anmr.split()[1]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (8.33333333e-08, "0.0000000833333"),
        (17.857142857, "17.8571"),
        (1.0, "1"),
        (1234567.0, "1,234,567"),
        (float("nan"), ""),
        (0.0, "0"),
    ],
)
def test_significant_digits_without_exponents(value: float, text: str) -> None:
    assert significant(value) == text
