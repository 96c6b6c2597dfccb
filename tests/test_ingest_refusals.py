"""Issue 22, items 4-10: files that used to lose data silently are refused whole.

Each case is a small SYNTHETIC file built here. ``keruen import`` (or ``load``) must end with
exit 3 and one error line naming the file, the data row (where there is one) and the field, and
the store's digest (of its files' bytes, stricter than ``Store.checksum``) must be unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.sources.snapshot import open_store
from tests.cli_store import built_store, store_home  # noqa: F401
from tests.hostile import BNS_MAPPING as MAPPING
from tests.hostile import TIDY_HEADER as TIDY_HEAD

WDI_HEAD = "Country Name,Country Code,Indicator Name,Indicator Code"


def digest() -> str:
    """The store's bytes: its manifest and every segment (immutable once named), hashed.

    Byte-identical files imply an unchanged ``Store.checksum`` and cost a fiftieth of it.
    """
    import hashlib

    from keruen.settings import store_path

    folder = store_path()
    out = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "spill" not in p.parts):
        out.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return out.hexdigest()


def refused(args: list[str], *where: str) -> str:
    """Run the command; assert exit 3, one error line holding each of ``where``, store as before."""
    before = digest()
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 3, (result.exit_code, result.output, result.exception)
    lines = [ln for ln in result.output.splitlines() if ln.startswith("keruen: error:")]
    assert len(lines) == 1, result.output
    for part in where:
        assert part in lines[0], (part, lines[0])
    assert digest() == before
    return lines[0]


def wdi(folder: Path, header: str, row: str) -> list[str]:
    path = folder / "WDIData.csv"
    path.write_bytes(f"{WDI_HEAD},{header}\nKazakhstan,KAZ,Population (people),SP.POP.TOTL,"
                     f"{row}\n".encode())
    return ["import", str(path), "-s", "wdi", "--release", "2024-01-01"]


def bns(folder: Path, text: str, name: str = "bns.csv") -> list[str]:
    path = folder / name
    path.write_bytes(text.encode())
    (folder / "map.toml").write_text(MAPPING, "utf-8")
    return ["import", str(path), "-s", "bns", "-m", str(folder / "map.toml")]


def test_wdi_duplicate_year_column(store_home: Path, tmp_path: Path) -> None:  # 22.4
    refused(wdi(tmp_path, "2020,2020", "1,2"), "WDIData.csv", "field '2020'", "twice")


def test_wdi_nul_byte_in_a_cell(store_home: Path, tmp_path: Path) -> None:  # 22.5
    refused(wdi(tmp_path, "2020,2021", "1\x002,3"), "WDIData.csv", "data row 1",
            "field '2020'", "NUL")


def test_bns_duplicate_header(store_home: Path, tmp_path: Path) -> None:  # 22.6
    refused(bns(tmp_path, "Region,Year,Value,Value\nг. Астана,2023,1 234,5\n"), "bns.csv",
            "field 'Value'", "twice")


def test_bns_nul_byte(store_home: Path, tmp_path: Path) -> None:
    refused(bns(tmp_path, "Region,Year,Value\nг. Астана,2023,1\x002\n"), "data row 1",
            "field 'Value'", "NUL")


@pytest.mark.parametrize("day", ["31.02.2023", "2023-02-30", "29.02.2023"])
def test_bns_impossible_date(store_home: Path, tmp_path: Path, day: str) -> None:  # 22.7
    refused(bns(tmp_path, f"Region,Year,Value\nг. Астана,2020,5\nг. Астана,{day},1 234\n"),
            "bns.csv", "data row 2", "field 'Year'", day)


def test_bns_formula_without_cached_value(store_home: Path, tmp_path: Path) -> None:  # 22.8
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Region", "Year", "Value"])
    sheet.append(["Акмолинская область", 2023, 5])
    sheet.append(["г. Астана", 2023, "=B2*2"])  # openpyxl saves no result: as Excel never ran
    book.save(tmp_path / "bns.xlsx")
    (tmp_path / "map.toml").write_text(MAPPING, "utf-8")
    refused(["import", str(tmp_path / "bns.xlsx"), "-s", "bns", "-m", str(tmp_path / "map.toml")],
            "bns.xlsx", "data row 2", "field 'Value'", "formula")


def test_bns_header_only_is_not_a_release(store_home: Path, tmp_path: Path) -> None:  # 22.9
    refused(bns(tmp_path, "Region,Year,Value\n"), "bns.csv", "empty release")


def test_taldau_empty_answer_is_not_a_release(store_home: Path, tmp_path: Path) -> None:  # 22.9
    path = tmp_path / "migration_arrivals_by_region.json"
    path.write_text("[]", "utf-8")
    refused(["import", str(path), "-s", "taldau", "--release", "2024-01-01"],
            "migration_arrivals_by_region.json", "empty release")


@pytest.mark.parametrize("year", ["0000", "9999", "1899", "2101"])
def test_years_outside_the_store_are_refused(store_home: Path, tmp_path: Path,
                                             year: str) -> None:  # 22.10
    tidy = tmp_path / "tidy.csv"
    tidy.write_text(f"{TIDY_HEAD}\nADV,m1,KAZ,,,2020,5,persons,A\nADV,m1,KAZ,,,{year},5,"
                    "persons,A\n", "utf-8")
    refused(["load", str(tidy), "--dataset", "ADV", "--vintage", "a", "--publisher", "t",
             "--release", "2024-01-01"], "tidy.csv", "data row 2", "field 'period'", year)
    refused(wdi(tmp_path, f"2020,{year}", "1,2"), "WDIData.csv", f"field '{year}'", "1900-2100")
    refused(bns(tmp_path, f"Region,Year,Value\nг. Астана,{year},5\n"), "data row 1",
            "field 'Year'")


def test_load_refuses_an_impossible_date(store_home: Path, tmp_path: Path) -> None:
    tidy = tmp_path / "tidy.csv"
    tidy.write_text(f"{TIDY_HEAD}\nADV,m1,KAZ,,,2023-02-31,5,persons,A\n", "utf-8")
    refused(["load", str(tidy), "--dataset", "ADV", "--vintage", "a", "--publisher", "t",
             "--release", "2024-01-01"], "data row 1", "field 'period'", "2023-02-31")


def test_good_files_still_load(store_home: Path, tmp_path: Path) -> None:
    """The checks refuse only what they name: leap days, 1900 and 2100 are fine."""
    result = CliRunner().invoke(main, bns(tmp_path, "Region,Year,Value\nг. Астана,29.02.2024,"
                                                    "5\nг. Астана,2100,6\n"))
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, wdi(tmp_path, "1900,2100", "1,"))
    assert result.exit_code == 0, result.output
    with open_store(quiet=True) as store:
        got = store.observations("KZ_BNS_MIGRATION", ref_area="KZ-71")
    assert {"2024-02-29", "2100"} <= set(got["period"])


@pytest.mark.parametrize(("dataset", "measure", "value"), [
    ("WB_WDI", "BM.TRF.PWKR.CD.DT", "-1"),  # an outflow of -1 USD
    ("WB_WDI", "BX.TRF.PWKR.CD.DT", "1.7e308"),  # finite, but no economy's remittances
    ("WB_KNOMAD_REMITTANCES", "remittance_outflow", "-5"),  # millions USD: scaled bounds
    ("WB_WDI", "SI.RMT.COST.OB.ZS", "150"),  # a cost share above 100 %
    ("UNDESA_IMS", "migrant_stock", "-3"),
])
def test_values_outside_their_plausible_range_are_refused(
    store_home: Path, tmp_path: Path, dataset: str, measure: str, value: str
) -> None:  # 22.27
    tidy = tmp_path / "tidy.csv"
    tidy.write_text(f"{TIDY_HEAD}\n{dataset},{measure},KAZ,,,2020,5,x,A\n"
                    f"{dataset},{measure},UZB,,,2020,{value},x,A\n", "utf-8")
    line = refused(["load", str(tidy), "--dataset", dataset, "--vintage", "r", "--publisher",
                    "t", "--release", "2030-01-01"], "data row 2", "field 'value'",
                   "plausible range", measure)
    assert "concepts.toml" in line


def test_a_wdi_bulk_value_outside_its_range_names_the_file_row(store_home: Path,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "WDIData.csv"
    path.write_text(f"{WDI_HEAD},2020,2021\n"
                    "Kazakhstan,KAZ,Population (people),SP.POP.TOTL,19000000,19200000\n"
                    "Uzbekistan,UZB,Personal remittances (USD),BX.TRF.PWKR.CD.DT,5,1.7e308\n",
                    "utf-8")
    refused(["import", str(path), "-s", "wdi", "--release", "2030-01-01"], "data row 2",
            "plausible range")


def test_plausible_but_surprising_values_load(store_home: Path, tmp_path: Path) -> None:
    """Remittances of 167 % of GDP (Lesotho in WDI 2023-05-10) are within the bounds."""
    tidy = tmp_path / "tidy.csv"
    tidy.write_text(f"{TIDY_HEAD}\nWB_WDI,BX.TRF.PWKR.DT.GD.ZS,LSO,,,2030,167.4,%,A\n", "utf-8")
    result = CliRunner().invoke(main, ["load", str(tidy), "--dataset", "WB_WDI", "--vintage",
                                       "r", "--publisher", "t", "--release", "2030-01-01"])
    assert result.exit_code == 0, result.output


def test_an_undesa_file_without_a_value_is_not_a_release(store_home: Path,
                                                         tmp_path: Path) -> None:  # 22.9
    path = tmp_path / "ims_tidy.csv"
    path.write_text("year,dest_iso3,origin_iso3,stock\n2020,KAZ,UZB,..\n", "utf-8")
    refused(["import", str(path), "-s", "undesa", "--release", "2024-01-01"], "ims_tidy.csv",
            "empty release")
