"""Issue 8, items 4, 5, 6, 10 and 11 on the import paths: each hostile input seen in the issue
ends in one InputError naming file, row and field (or a one-line CLI error), never a silently
changed number or a traceback. Files are SYNTHETIC (tests/hostile.py)."""

from __future__ import annotations

import json
import re
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.errors import ConfigError, InputError, SourceError, shorten
from keruen.sources import bns, sdmx, taldau, undesa, wdi_bulk, worldbank
from keruen.sources.common import finite_number, release_date
from tests.fakeserver import FakeServer, Reply
from tests.hostile import (
    BNS_MAPPING,
    bns_files,
    sdmx_file,
    taldau_file,
    undesa_file,
    wb_page,
    wdi_file,
)
from tests.test_worldbank import POP, recorded, serve_worldbank

INFINITE = ["inf", "-Infinity", "1e309", "1e999", "NaN-not", "+inf"]


# -- item 5: numbers silently changed ---------------------------------------------------------
def test_sdmx_1_500_is_refused_not_read_as_1_5(tmp_path: Path) -> None:
    path = sdmx_file(tmp_path, "1,500")
    with pytest.raises(InputError) as info:
        sdmx.load(path)
    assert (info.value.file, info.value.row, info.value.field) == (str(path), 1, "OBS_VALUE")
    assert "'1,500'" in str(info.value) and "decimal mark" in str(info.value)


@pytest.mark.parametrize("bad", ["1_000", "true", "0x10", "1.5.2", "12 500"])
def test_sdmx_values_that_python_or_pandas_would_bend_are_refused(
    tmp_path: Path, bad: str
) -> None:
    with pytest.raises(InputError) as info:
        sdmx.load(sdmx_file(tmp_path, bad))
    assert (info.value.row, info.value.field) == (1, "OBS_VALUE")


def test_a_plain_sdmx_value_and_the_missing_marker_still_read(tmp_path: Path) -> None:
    frame = sdmx.load(sdmx_file(tmp_path, "1500.25")).frame
    assert 1500.25 in set(frame["value"])
    assert frame["value"].isna().sum() == 1  # the file's own "NaN" observation, status M


def test_taldau_true_is_not_one(tmp_path: Path) -> None:
    path = taldau_file(tmp_path, True)
    with pytest.raises(InputError) as info:
        taldau.load(path, "migration_arrivals_by_region")
    assert (info.value.file, info.value.row, info.value.field) == (
        str(path), 1, "periods[0].value")
    assert "true/false" in str(info.value)


@pytest.mark.parametrize("bad", ["1_000", "1,5e", "true", "--5"])
def test_taldau_text_values_are_read_strictly(tmp_path: Path, bad: str) -> None:
    with pytest.raises(InputError, match="periods\\[0\\].value"):
        taldau.load(taldau_file(tmp_path, bad), "migration_arrivals_by_region")


def test_a_ragged_wdi_row_names_the_row_and_the_extra_column(tmp_path: Path) -> None:
    path = wdi_file(tmp_path, "5100", extra=",777")
    with pytest.raises(InputError) as info:
        wdi_bulk.load_bulk_csv(path, release="2024-01-01")
    assert (info.value.row, info.value.field) == (2, "column 7")
    assert "extra cells" in str(info.value)


@pytest.mark.parametrize("bad", ["1_000", '"1,500"', "true", "abc"])
def test_wdi_values_are_read_strictly(tmp_path: Path, bad: str) -> None:
    path = wdi_file(tmp_path, bad)
    with pytest.raises(InputError) as info:
        wdi_bulk.load_bulk_csv(path, release="2024-01-01")
    assert (info.value.file, info.value.row, info.value.field) == (str(path), 2, "2021")


@pytest.mark.parametrize("bad", ["1_000", "true", "1,500", "1.234,5", "12e"])
def test_bns_values_are_read_strictly(tmp_path: Path, bad: str) -> None:
    table, mapping = bns_files(tmp_path, bad)
    with pytest.raises(InputError) as info:
        bns.load(table, mapping)
    assert (info.value.file, info.value.row, info.value.field) == (str(table), 2, "Value")


def test_bns_keeps_its_documented_format(tmp_path: Path) -> None:
    table, mapping = bns_files(tmp_path, "98 765,5")
    values = sorted(bns.load(table, mapping).frame["value"])
    assert values == [1234.0, 98765.5]


@pytest.mark.parametrize("bad", ["1_000", "true", "1,500", "0x1F"])
def test_undesa_csv_values_are_read_strictly(tmp_path: Path, bad: str) -> None:
    path = undesa_file(tmp_path, bad)
    with pytest.raises(InputError) as info:
        undesa.load(path)
    assert (info.value.row, info.value.field) == (2, "stock")


#: Issue 22, item 30: the ONE rule for digit separators in cells written by people, the same
#: for BNS, Taldau and UN DESA (docs/reliability.md); None: refused as ambiguous or malformed.
ONE_RULE = [
    ("1 500", 1500.0), ("12 345 678", 12345678.0), ("1 234,5", 1234.5), ("1 234.5", 1234.5),
    ("12,345,678", 12345678.0), ("1,234.5", 1234.5), ("1,5", 1.5), ("1500,25", 1500.25),
    ("1.500", 1.5), ("1,500", None), ("-12,345", None), ("1.500,5", None), ("1,23,456", None),
]


@pytest.mark.parametrize(("text", "number"), ONE_RULE)
def test_one_number_rule_for_bns_taldau_and_undesa(tmp_path: Path, text: str,
                                                   number: float | None) -> None:
    readers = {
        "bns": lambda: bns.load(*bns_files(tmp_path, text)).frame,
        "undesa": lambda: undesa.load(undesa_file(tmp_path, text)).frame,
        "taldau": lambda: taldau.load(taldau_file(tmp_path, text), release="2024-01-01").frame,
    }
    for name, read in readers.items():
        if number is None:
            with pytest.raises(InputError) as info:
                read()
            assert info.value.row is not None, name
            if text in {"1,500", "-12,345"}:
                assert "ambiguous" in str(info.value), name
        else:
            assert number in set(read()["value"]), (name, text)


def test_a_boolean_workbook_cell_is_not_a_number(tmp_path: Path) -> None:
    from tests.test_undesa import make_workbook

    path = tmp_path / "ims.xlsx"
    make_workbook(path)
    book = openpyxl.load_workbook(path)
    sheet = book["Table 1"]
    header_row = next(r for r in range(1, 20) if sheet.cell(r, 4).value ==
                      "Location code of destination")
    kazakhstan_world = header_row + 5  # after the four rows of the region "Central Asia"
    assert sheet.cell(kazakhstan_world, 4).value == 398
    sheet.cell(kazakhstan_world, 8).value = True
    book.save(path)
    with pytest.raises(InputError) as info:
        undesa.load(path)
    assert info.value.row == 5 and info.value.field == "1990"


# -- item 4: infinite values on every parser --------------------------------------------------
@pytest.mark.parametrize("bad", INFINITE)
def test_infinite_values_are_refused_by_every_file_parser(tmp_path: Path, bad: str) -> None:
    cases = [
        (lambda: sdmx.load(sdmx_file(tmp_path, bad)), (1, "OBS_VALUE")),
        (lambda: wdi_bulk.load_bulk_csv(wdi_file(tmp_path, bad), release="2024-01-01"),
         (2, "2021")),
        (lambda: bns.load(*bns_files(tmp_path, bad)), (2, "Value")),
        (lambda: undesa.load(undesa_file(tmp_path, bad)), (2, "stock")),
        (lambda: taldau.load(taldau_file(tmp_path, bad), "migration_arrivals_by_region"),
         (1, "periods[0].value")),
    ]
    for run, (row, field) in cases:
        with pytest.raises(InputError) as info:
            run()
        assert (info.value.row, info.value.field) == (row, field), str(info.value)


@pytest.mark.parametrize("raw", ["Infinity", "-Infinity", "1e999", "NaN"])
def test_infinite_json_numbers_are_refused_in_taldau_answers(tmp_path: Path, raw: str) -> None:
    path = taldau_file(tmp_path, None, raw=raw)
    with pytest.raises(InputError, match="finite"):
        taldau.load(path, "migration_arrivals_by_region")


@pytest.mark.parametrize("raw", ["1e999", "-1e999", "Infinity", "NaN", '"inf"', '"1_000"',
                                 "true"])
def test_world_bank_api_values_are_read_strictly(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    serve_worldbank(server, monkeypatch, {POP: Reply(wb_page(raw))})
    with pytest.raises(SourceError, match="invalid value for KAZ 2020"):
        worldbank.update([POP])


def test_a_world_bank_lastupdated_that_is_not_a_date_is_refused(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = wb_page(5, lastupdated="<script>alert(1)</script>")
    serve_worldbank(server, monkeypatch, {POP: Reply(page)})
    with pytest.raises(SourceError, match="lastupdated.*not a date"):
        worldbank.update([POP])


def test_finite_number_accepts_plain_and_refuses_the_rest() -> None:
    assert finite_number("  -1.5e3 ") == -1500.0
    assert finite_number(7) == 7.0
    for bad in ("inf", "1e309", True, "1_0", "", " ", "1,0", None, float("nan")):
        with pytest.raises(ValueError):
            finite_number(bad)


# -- item 6: release dates --------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["not a date", "2024-13-01", "2024-02-30", "20240101",
                                 "9999-99-99", ""])
def test_release_must_be_an_iso_date(bad: str) -> None:
    with pytest.raises(ConfigError, match="is not a date; use the ISO form YYYY-MM-DD"):
        release_date(bad)
    assert release_date("2024-07-11") == "2024-07-11" and release_date(None) is None


@pytest.mark.parametrize("source", ["undesa", "sdmx", "taldau", "wdi", "bns"])
def test_import_refuses_a_release_that_is_not_a_date(tmp_path: Path, source: str) -> None:
    table, mapping = bns_files(tmp_path, "5")
    files = {"undesa": undesa_file(tmp_path, "5"), "sdmx": sdmx_file(tmp_path, "5"),
             "taldau": taldau_file(tmp_path, 5.0), "wdi": wdi_file(tmp_path, "5"),
             "bns": table}
    args = ["import", str(files[source]), "-s", source, "--release", "not a date"]
    if source == "bns":
        args += ["-m", str(mapping)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "--release 'not a date' is not a date" in result.output
    assert "Traceback" not in result.output


def test_a_mapping_release_that_is_not_a_date_names_the_mapping(tmp_path: Path) -> None:
    table, mapping = bns_files(tmp_path, "5",
                               mapping=BNS_MAPPING.replace("2024-03-15", "soon"))
    with pytest.raises(InputError) as info:
        bns.load(table, mapping)
    assert info.value.file == str(mapping) and info.value.field == "release"


# -- item 10: one-line errors instead of tracebacks -------------------------------------------
@pytest.mark.parametrize(("line", "field"), [
    ('encoding = "no-such-enc"', "encoding"),
    ('header_row = "abc"', "header_row"),
    ("header_row = 0", "header_row"),
    ('measures = "x"', "measures"),
    ('separator = ";;"', "separator"),
    ("sheet = 1.5", "sheet"),
    ("title = 3", "title"),
])
def test_bad_bns_mapping_values_are_named(tmp_path: Path, line: str, field: str) -> None:
    text = BNS_MAPPING.replace('unit = "persons"', f'unit = "persons"\n{line}')
    table, mapping = bns_files(tmp_path, "5", mapping=text)
    with pytest.raises(InputError) as info:
        bns.load(table, mapping)
    assert info.value.file == str(mapping) and info.value.field == field
    result = CliRunner().invoke(main, ["import", str(table), "-s", "bns", "-m", str(mapping)])
    assert result.exit_code == 3 and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_table_in_another_encoding_says_to_set_it(tmp_path: Path) -> None:
    table, mapping = bns_files(tmp_path, "5")
    table.write_bytes(table.read_text("utf-8").encode("cp1251"))
    with pytest.raises(InputError, match="set encoding in the mapping"):
        bns.load(table, mapping)
    mapping.write_text(BNS_MAPPING + '\n', "utf-8")
    mapping.write_text(BNS_MAPPING.replace('unit = "persons"',
                                           'unit = "persons"\nencoding = "cp1251"'), "utf-8")
    assert len(bns.load(table, mapping).frame) == 2


def test_a_header_only_wdi_file_and_an_empty_code_are_named(tmp_path: Path) -> None:
    path = tmp_path / "WDIData.csv"
    path.write_text("Country Name,Country Code,Indicator Name,Indicator Code,2020\n", "utf-8")
    with pytest.raises(InputError, match="no data rows"):
        wdi_bulk.load_bulk_csv(path, release="2024-01-01")
    with pytest.raises(InputError) as info:
        wdi_bulk.load_bulk_csv(wdi_file(tmp_path, "5", code=""), release="2024-01-01")
    assert (info.value.row, info.value.field) == (2, "Country Code")
    assert "empty economy code" in str(info.value)


@pytest.mark.parametrize("source", ["sdmx", "taldau", "undesa", "wdi", "bns"])
def test_a_directory_given_to_import_is_a_one_line_error(tmp_path: Path, source: str) -> None:
    folder = tmp_path / "a_folder.json"
    folder.mkdir()
    _, mapping = bns_files(tmp_path, "5")
    args = ["import", str(folder), "-s", source, "--release", "2024-01-01"]
    if source == "bns":
        args += ["-m", str(mapping)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 3, result.output
    assert "is a directory" in result.output and "Traceback" not in result.output


def test_a_read_only_cache_dir_does_not_break_an_update(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("KERUEN_CACHE_DIR", str(blocker / "http"))
    header, rows = recorded("data_SM.POP.TOTL_2015-2020.json")
    serve_worldbank(server, monkeypatch, {POP: Reply(json.dumps([header, rows]))})
    [batch] = worldbank.update([POP])
    assert len(batch.frame) > 0


# -- item 11: resource blow-ups ---------------------------------------------------------------
def _strip_dimension(path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb"<dimension[^>]*/>", b"", data)
            zout.writestr(item, data)
    tmp.replace(path)


def test_an_xlsx_without_dimension_and_a_far_cell_ends_promptly(tmp_path: Path) -> None:
    path = tmp_path / "bns_table.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Region", "Year", "Value"])
    sheet.append(["г. Астана", "2023", "5"])
    sheet["XFD1048576"] = "far away"
    book.save(path)
    _strip_dimension(path)
    _, mapping = bns_files(tmp_path, "5")
    started = time.monotonic()
    with pytest.raises(InputError) as info:
        bns.load(path, mapping)
    assert time.monotonic() - started < 30  # was: memory growing for 500 s and more
    assert "KERUEN_INPUT_MAX_COLUMNS" in str(info.value) and info.value.field == "XFD"


def test_a_sheet_without_dimension_but_sane_content_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "bns_table.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["Region", "Year", "Value"], ["г. Астана", "2023", "5"], [None],
                ["Акмолинская область", 2023, 7]):
        sheet.append(row)
    book.save(path)
    _strip_dimension(path)
    _, mapping = bns_files(tmp_path, "5")
    frame = bns.load(path, mapping).frame
    assert sorted(frame["value"]) == [5.0, 7.0]


def test_the_row_cap_stops_a_long_sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KERUEN_INPUT_MAX_ROWS", "50")
    path = tmp_path / "bns_table.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Region", "Year", "Value"])
    for _ in range(60):
        sheet.append(["г. Астана", "2023", "5"])
    book.save(path)
    _, mapping = bns_files(tmp_path, "5")
    with pytest.raises(InputError, match="KERUEN_INPUT_MAX_ROWS=50"):
        bns.load(path, mapping)


def test_a_100000_column_file_gives_a_short_error_line(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(100_000)) + "\n" + ",".join(
        "1" for _ in range(100_000)) + "\n", "utf-8")
    _, mapping = bns_files(tmp_path, "5")
    for args in (["import", str(wide), "-s", "bns", "-m", str(mapping)],
                 ["import", str(wide), "-s", "wdi", "--release", "2024-01-01"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 3, result.output[:300]
        line = result.output.strip()
        assert "\n" not in line and len(line) <= 700 and "KERUEN_INPUT_MAX_COLUMNS" in line


def test_long_messages_are_cut_to_a_readable_length() -> None:
    message = str(InputError("unexpected column(s) " + ", ".join(f"c{i}" for i in range(10**5)),
                             file="x.csv"))
    assert len(message) <= 600 and message.endswith("more characters]")
    assert shorten("a\nb") == "a b"


@pytest.mark.parametrize("source", ["sdmx", "taldau", "undesa", "wdi"])
def test_a_file_over_the_byte_limit_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    monkeypatch.setenv("KERUEN_INPUT_MAX_BYTES", "100")
    files = {"undesa": undesa_file(tmp_path, "5" * 200), "sdmx": sdmx_file(tmp_path, "5"),
             "taldau": taldau_file(tmp_path, 5.0), "wdi": wdi_file(tmp_path, "5" * 200)}
    result = CliRunner().invoke(main, ["import", str(files[source]), "-s", source,
                                       "--release", "2024-01-01"])
    assert result.exit_code == 3 and "KERUEN_INPUT_MAX_BYTES=100" in result.output
