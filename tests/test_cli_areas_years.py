"""Issue 8, item 13: area codes and years mean the same in every command, or fail helpfully.

Codes are normalised (case, ISO alpha-2, English names) or rejected with the nearest known ones;
lists are comma-separated or repeated alike; years outside those held are an error naming the
held range; a query that matches nothing says so and exits 1, as ``grep`` does.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.cli.params import AreaList, YearRange
from tests.cli_store import built_store, store_home  # noqa: F401

pytestmark = pytest.mark.usefixtures("store_home")


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _indicators(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["indicators", *args, "--format", "csv"])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("spelling", ["kaz", "KZ", "Kazakhstan", " KAZ "])
def test_indicators_normalise_a_country_code(spelling: str) -> None:
    code, out, err = _indicators("--country", spelling, "--years", "2019:2021")
    assert code == 0, err
    rows = _csv(out)
    assert {r["ref_area"] for r in rows} == {"KAZ"}
    assert [r["year"] for r in rows] == ["2019", "2020", "2021"]
    assert all(r["inflow"] for r in rows)  # real values, not an all-empty row


def test_a_comma_list_and_a_repeated_option_are_the_same() -> None:
    a = _indicators("--country", "KAZ,UZB", "--years", "2020")
    b = _indicators("--country", "kaz", "--country", "uzb", "--years", "2020")
    assert a[0] == 0 and a[1] == b[1]
    assert {r["ref_area"] for r in _csv(a[1])} == {"KAZ", "UZB"}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("KZ-75", "'KZ-75' is a region (Almaty city), not a country or aggregate"),
        ("kazakstan", "did you mean KAZ (Kazakhstan)"),
        ("XYZ1", "unknown area 'XYZ1'"),
    ],
)
def test_a_code_that_is_not_a_country_is_rejected_in_one_line(code: str, expected: str) -> None:
    exit_code, out, err = _indicators("--country", code)
    assert exit_code == 2 and out == ""
    assert err.startswith("keruen: error: --country: ") and err.count("\n") == 1
    assert expected in err and "Traceback" not in err


def test_a_group_name_stands_for_its_members() -> None:
    exit_code, out, err = _indicators("--country", "central_asia", "--years", "2020")
    assert exit_code == 0, err
    assert {r["ref_area"] for r in _csv(out)} == {"KAZ", "KGZ", "TJK", "TKM", "UZB"}


def test_years_outside_those_held_name_the_held_range() -> None:
    result = CliRunner().invoke(main, ["indicators", "--years", "1800:1805"])
    assert result.exit_code == 2 and result.stdout == ""
    assert re.search(r"--years 1800:1805: outside the years held \(\d{4}:\d{4}\)", result.stderr)


def test_an_open_year_range_ends_at_the_newest_year_held() -> None:
    code, out, err = _indicators("--years", "2020:")
    assert code == 0, err
    years = [int(r["year"]) for r in _csv(out)]
    assert years[0] == 2020 and years == list(range(2020, years[-1] + 1)) and years[-1] >= 2023


def test_query_normalises_areas_against_the_dataset() -> None:
    result = CliRunner().invoke(
        main,
        [
            "query",
            "WB_WDI",
            "--measure",
            "SP.POP.TOTL",
            "--area",
            "kz,Uzbekistan",
            "--period",
            "2020",
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(r["ref_area"] for r in _csv(result.stdout)) == ["KAZ", "UZB"]


def test_query_of_an_area_the_dataset_lacks_suggests_a_held_one() -> None:
    result = CliRunner().invoke(main, ["query", "WB_WDI", "--area", "KAZZ"])
    assert result.exit_code != 0 and "did you mean KAZ" in result.stderr


def test_query_years_outside_those_held_name_the_held_range() -> None:
    result = CliRunner().invoke(main, ["query", "WB_WDI", "--period", "1800:1805"])
    assert result.exit_code == 2
    assert re.search(r"outside the years held \(\d{4}:\d{4}\)", result.stderr)


def test_a_query_with_no_rows_says_so_and_exits_1() -> None:
    # KAZ is held and 2017 is held, but the bilateral remittance matrix has no KAZ→KAZ corridor
    result = CliRunner().invoke(
        main, ["query", "WB_BILATERAL_REMITTANCES", "--area", "KAZ", "--counterpart", "KAZ"]
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no rows of WB_BILATERAL_REMITTANCES match" in result.stderr


def test_every_command_uses_the_same_list_and_year_types() -> None:
    from keruen.cli import indicators, store_cmds, update

    def option(command: object, name: str) -> object:
        return next(p for p in command.params if p.name == name).type  # type: ignore[attr-defined]

    assert isinstance(option(indicators.indicators, "countries"), AreaList)
    assert isinstance(option(update.update, "countries"), AreaList)
    assert isinstance(option(store_cmds.query, "areas"), AreaList)
    assert isinstance(option(indicators.indicators, "years"), YearRange)
    assert isinstance(option(store_cmds.query, "periods"), YearRange)


def test_update_countries_are_checked_before_any_request() -> None:
    result = CliRunner().invoke(main, ["update", "worldbank", "-c", "KAZ,UZBB"])
    assert result.exit_code == 2
    assert "--countries: unknown area 'UZBB'" in result.stderr and "UZB" in result.stderr
