"""UN DESA International Migrant Stock: the published workbook layout and tidy CSVs.

The workbooks are SYNTHETIC: generated here, with seeded values, in the published layout
(title rows, a sex-group row, M49 location codes, regional rows, ".." cells).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.errors import InputError, SourceError
from keruen.sources import undesa
from keruen.sources.common import ingest_batches
from keruen.sources.snapshot import open_store
from keruen.store import Store
from tests.fakeserver import FakeServer, Reply

YEARS = [1990, 1995, 2000, 2005, 2010, 2015, 2020]
# (name, M49 code): a region, two countries of destination, the world as origin, origins
DESTINATIONS = [("Central Asia", 5500), ("Kazakhstan", 398), ("Russian Federation", 643)]
ORIGINS = [("World", 900), ("Uzbekistan", 860), ("Kyrgyzstan", 417), ("Europe", 908)]


def make_workbook(path: Path, seed: int = 7, missing: tuple[int, int] | None = (417, 1990),
                  bad_cell: str | None = None) -> dict[tuple[str, str, str | None, int], float]:
    """Write a synthetic IMS workbook; returns the values it holds for countries."""
    rng = np.random.default_rng(seed)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Table 1"
    sheet.append(["SYNTHETIC test workbook in the layout of UN DESA's"])
    sheet.append(["International Migrant Stock 2020: Destination and origin"])
    sheet.append(["Table 1: International migrant stock at mid-year by sex and by region, "
                  "country or area of destination and origin, 1990-2020"])
    for _ in range(6):
        sheet.append([None])
    fixed = ["Index", "Region, development group, country or area of destination",
             "Notes of destination", "Location code of destination", "Type of data of destination",
             "Region, development group, country or area of origin", "Location code of origin"]
    groups: list[str | None] = [None] * len(fixed)
    for label in ("both sexes", "males", "females"):
        groups += [f"International migrant stock at mid-year ({label})"] + [None] * 6
    sheet.append(groups)
    sheet.append(fixed + YEARS * 3)
    truth: dict[tuple[str, str, str | None, int], float] = {}
    index = 1
    for dname, dcode in DESTINATIONS:
        for oname, ocode in ORIGINS:
            male = rng.integers(1_000, 500_000, size=len(YEARS))
            female = rng.integers(1_000, 500_000, size=len(YEARS))
            both = male + female
            cells: list[object] = []
            for sex, values in ((None, both), ("sex=male", male), ("sex=female", female)):
                for year, value in zip(YEARS, values, strict=True):
                    if missing and (ocode, year) == missing and dcode == 398:
                        cells.append("..")
                        continue
                    cells.append(int(value))
                    d, o = undesa.m49_to_iso3(dcode), undesa.m49_to_iso3(ocode)
                    if d and o:
                        truth[(d, o, sex, year)] = float(value)
            if bad_cell and dcode == 643 and ocode == 860:
                cells[3] = bad_cell
            sheet.append([index, dname, None, dcode, "B", oname, ocode, *cells])
            index += 1
    sheet.append([None])
    sheet.append(["Note: synthetic values generated with numpy seed", seed])
    book.save(path)
    return truth


def test_the_published_layout_becomes_tidy_observations(tmp_path: Path) -> None:
    path = tmp_path / "UN_MigrantStockByOriginAndDestination_2020.xlsx"
    truth = make_workbook(path)
    batch = undesa.load(path)
    frame = batch.frame
    got = {(r.ref_area, r.counterpart_area, r.breakdown if isinstance(r.breakdown, str) else None,
            int(r.period)): r.value for r in frame.itertuples()}
    assert got == truth
    assert set(frame["ref_area"]) == {"KAZ", "RUS"}  # the Central Asia region row is left out
    origins = set(frame["counterpart_area"])
    assert "WLD" in origins and "Europe" not in origins
    assert ("KAZ", "KGZ", None, 1990) not in got  # the ".." cell
    assert batch.provenance.vintage == "IMS 2020 revision"
    assert batch.provenance.release == "2020-12-01"


def test_both_sexes_equal_males_plus_females(tmp_path: Path) -> None:
    path = tmp_path / "ims.xlsx"
    make_workbook(path, seed=11, missing=None)
    frame = undesa.load(path).frame
    wide = frame.pivot_table(index=["ref_area", "counterpart_area", "period"],
                             columns=frame["breakdown"].fillna("both"), values="value")
    assert np.allclose(wide["both"], wide["sex=male"] + wide["sex=female"])


def test_a_bad_cell_names_the_file_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "ims.xlsx"
    make_workbook(path, bad_cell="n/a")
    with pytest.raises(InputError) as info:
        undesa.load(path)
    err = info.value
    assert err.file == str(path) and err.field == "2005" and err.row is not None
    # data rows count from the row after the header (worksheet row 11 in this layout)
    assert f"worksheet row {err.row + 11}" in str(err)
    assert openpyxl.load_workbook(path)["Table 1"].cell(err.row + 11, 8 + 3).value == "n/a"


def test_a_workbook_in_another_layout_is_rejected_clearly(tmp_path: Path) -> None:
    path = tmp_path / "other.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["country", "value"])
    book.save(path)
    with pytest.raises(InputError, match="Location code of destination"):
        undesa.load(path)


def test_the_tidy_csv_gives_the_same_observations(tmp_path: Path) -> None:
    xlsx = tmp_path / "ims.xlsx"
    make_workbook(xlsx)
    frame = undesa.load(xlsx).frame
    both = frame[frame["breakdown"].isna()]
    csv = tmp_path / "ims2020_bilateral_long.csv"
    both.rename(columns={"period": "year", "ref_area": "dest_iso3",
                         "counterpart_area": "origin_iso3", "value": "stock"})[
        ["year", "dest_iso3", "origin_iso3", "stock"]].to_csv(csv, index=False)
    from_csv = undesa.load(csv, release="2020-12-01").frame
    key = ["ref_area", "counterpart_area", "period"]
    assert from_csv.sort_values(key).reset_index(drop=True)[key + ["value"]].equals(
        both.sort_values(key).reset_index(drop=True)[key + ["value"]])


def test_import_command_is_idempotent_and_atomic(tmp_path: Path) -> None:
    path = tmp_path / "ims.xlsx"
    make_workbook(path)
    runner = CliRunner()
    first = runner.invoke(main, ["import", str(path), "--source", "undesa"])
    assert first.exit_code == 0, first.output
    assert "added vintage 'IMS 2020 revision+" in first.output  # the bundled one has this name
    second = runner.invoke(main, ["import", str(path), "--source", "undesa"])
    assert "unchanged" in second.output
    bad = tmp_path / "bad.xlsx"
    make_workbook(bad, bad_cell="oops")
    with open_store(quiet=True) as store:
        before = store.checksum()
    result = runner.invoke(main, ["import", str(bad), "--source", "undesa"])
    assert result.exit_code == 3 and "bad.xlsx" in result.output
    with open_store(quiet=True) as store:
        assert store.checksum() == before


def test_m49_codes() -> None:
    assert undesa.m49_to_iso3(398) == "KAZ"
    assert undesa.m49_to_iso3("860") == "UZB"
    assert undesa.m49_to_iso3(900) == "WLD"
    assert undesa.m49_to_iso3(5500) is None  # Central Asia, a region


def test_in_memory_ingest(tmp_path: Path) -> None:
    path = tmp_path / "ims.xlsx"
    make_workbook(path)
    store = Store(":memory:")
    batch = undesa.load(path)
    store.ingest(batch.frame, batch.provenance)
    assert len(store.observations("UNDESA_IMS", breakdown="*")) == len(batch.frame)


def _workbook_bytes(tmp_path: Path, **kw: object) -> bytes:
    path = tmp_path / "served.xlsx"
    make_workbook(path, **kw)  # type: ignore[arg-type]
    return path.read_bytes()


def test_update_downloads_the_workbook_and_is_idempotent(
    tmp_path: Path, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERUEN_UNDESA_IMS_URL", server.url + "/files/ims_2020.xlsx")
    server.route("/files/", Reply(_workbook_bytes(tmp_path)))
    store = Store(":memory:")
    [batch] = undesa.update()
    assert batch.provenance.url.endswith("/files/ims_2020.xlsx")
    ingest_batches(store, [batch])
    assert ingest_batches(store, undesa.update())[0].already_present


@pytest.mark.parametrize("fault, message", [
    ("truncated", "truncated"),
    ("html", "not the expected workbook"),
    ("layout", "Location code of destination"),
    ("503", "503"),
])
def test_update_faults_end_in_a_source_error_and_leave_the_store_unchanged(
    fault: str, message: str, tmp_path: Path, server: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KERUEN_UNDESA_IMS_URL", server.url + "/files/ims_2020.xlsx")
    good = _workbook_bytes(tmp_path)
    server.route("/files/", Reply(good))
    store = Store(":memory:")
    ingest_batches(store, undesa.update())
    before = store.checksum()
    other = tmp_path / "other.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["Country", "Migrants"])
    book.save(other)
    server.route("/files/", {
        "truncated": Reply(good, truncate_to=len(good) // 2),
        "html": Reply(b"<html><body>Page moved</body></html>"),
        "layout": Reply(other.read_bytes()),
        "503": Reply(b"", status=503),
    }[fault])
    with pytest.raises(SourceError, match=message):
        ingest_batches(store, undesa.update())
    assert store.checksum() == before
