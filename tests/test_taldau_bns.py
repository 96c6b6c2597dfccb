"""Taldau index answers and hand-downloaded BNS tables → tidy observations for Kazakhstan."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.errors import ConfigError, InputError, SourceError
from keruen.sources import bns, taldau
from keruen.sources.common import ingest_batches
from keruen.sources.snapshot import open_store
from keruen.store import Store
from tests.fakeserver import DATA, FakeServer, Reply

TD = DATA / "taldau"
ARRIVALS = (TD / "migration_arrivals_by_region.json").read_text("utf-8")


@pytest.fixture
def test_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bundled registry with placeholder index ids filled in (test-only ids)."""
    text = taldau.resources.files("keruen.data").joinpath("taldau_indices.toml").read_text("utf-8")
    n = iter(range(990001, 990100))
    text = "\n".join(
        f'index_id = "{next(n)}"' if line.startswith("index_id") else
        ('period = "7"' if line.startswith("period") else
         ('dics = "67"' if line.startswith("dics") else line))
        for line in text.splitlines())
    path = tmp_path / "registry.toml"
    path.write_text(text, "utf-8")
    monkeypatch.setenv("KERUEN_TALDAU_REGISTRY", str(path))
    return path


def test_the_bundled_registry_is_data_and_does_not_invent_ids() -> None:
    known = taldau.registry()
    assert {"migration_arrivals_by_region", "migration_departures_by_region",
            "migration_balance_by_region", "external_arrivals_by_country",
            "population_by_region"} <= set(known)
    assert all(entry.index_id == "" for entry in known.values())
    with pytest.raises(ConfigError, match="not known yet"):
        taldau.update(["migration_arrivals_by_region"])


def test_region_rows_become_observations(test_registry: Path) -> None:
    index = taldau.registry()["migration_arrivals_by_region"]
    frame = taldau.parse_index(json.loads(ARRIVALS), index)
    assert set(frame["ref_area"]) == {"KZ", "KZ-11", "KZ-71", "KZ-75", "KZ-61"}
    assert set(frame["period"]) == {"2021", "2022", "2023"}
    assert len(frame) == 5 * 3 - 1  # Turkistan 2021 is null
    astana = frame[(frame.ref_area == "KZ-71") & (frame.period == "2023")]["value"].item()
    assert astana == 3000 + 37 * 3 * 4


def test_country_rows_keep_the_partner_and_skip_residual_rows(test_registry: Path) -> None:
    index = taldau.registry()["external_arrivals_by_country"]
    payload = json.loads((TD / "external_arrivals_by_country.json").read_text("utf-8"))
    frame = taldau.parse_index(payload, index)
    assert set(frame["counterpart_area"]) == {"UZB", "RUS"}  # "Другие страны" has no code
    assert len(frame) == 3 * 2


def test_taldau_update_over_http(server: FakeServer, monkeypatch: pytest.MonkeyPatch,
                                 test_registry: Path) -> None:
    monkeypatch.setenv("KERUEN_TALDAU_URL", server.url + "/ru/Api")
    server.route("/ru/Api/GetIndexData/", Reply(ARRIVALS))
    [batch] = taldau.update(["migration_arrivals_by_region"])
    method, path, query = server.requests[-1]
    assert method == "POST" and path == "/ru/Api/GetIndexData/990001"
    assert query == {"period": ["7"], "dics": ["67"]}
    assert batch.provenance.dataset == "KZ_BNS_MIGRATION"
    store = Store(":memory:")
    ingest_batches(store, [batch])
    assert ingest_batches(store, taldau.update(["migration_arrivals_by_region"]))[0].already_present


FAULTS = {
    "time-out": Reply(ARRIVALS, delay=1.5),
    "429 storm": Reply("", status=429, headers={"Retry-After": "5"}),
    "500 storm": Reply("", status=500),
    "503 storm": Reply("", status=503),
    "truncated body": Reply(ARRIVALS.encode(), truncate_to=120),
    "malformed JSON": Reply(ARRIVALS[:-10]),
    "error inside a 200": Reply('{"message": "Index not found"}'),
    "shape changed": Reply(json.dumps([{"terms": [1], "names": ["x"], "data": []}])),
    "unknown region": Reply(json.dumps([{"terms": [1], "termNames": ["Атлантида"],
                                         "periods": []}])),
    # issue 22: an empty release, a 5,001-digit number, a day the calendar lacks
    "empty answer": Reply("[]"),
    "huge integer": Reply(ARRIVALS.replace("1074.0", "1" * 5001, 1)),
    "impossible date": Reply(ARRIVALS.replace("31.12.2021", "31.02.2021", 1)),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_taldau_fault_ends_in_a_source_error_and_leaves_the_store_unchanged(
    fault: str, server: FakeServer, monkeypatch: pytest.MonkeyPatch, test_registry: Path
) -> None:
    monkeypatch.setenv("KERUEN_TALDAU_URL", server.url + "/ru/Api")
    store = Store(":memory:")
    server.route("/ru/Api/GetIndexData/", Reply(ARRIVALS))
    ingest_batches(store, taldau.update(["migration_arrivals_by_region"]))
    before = store.checksum()
    server.route("/ru/Api/GetIndexData/", FAULTS[fault])
    with pytest.raises(SourceError):
        ingest_batches(store, taldau.update(["migration_arrivals_by_region"]))
    assert store.checksum() == before


MAPPING = """
dataset = "KZ_BNS_MIGRATION"
unit = "persons"
release = "2024-03-15"
[columns]
region = "Регион"
period = "Год"
value = "Значение"
measure = "Показатель"
[measures]
"Прибывшие" = "migration_arrivals"
"Выбывшие" = "migration_departures"
"""


def _bns_table(tmp_path: Path, suffix: str, bad: tuple[int, str, str] | None = None) -> Path:
    table = pd.DataFrame({
        "Регион": ["Республика Казахстан", "г. Астана", "Акмолинская область", "г.Алматы"],
        "Год": ["2023", "2023", "2023", "01.01.2024"],
        "Показатель": ["Прибывшие", "Прибывшие", "Выбывшие", "Прибывшие"],
        "Значение": ["1 234 567", "98 765,0", "12 345", "-"],
    })
    if bad:
        table.loc[bad[0], bad[1]] = bad[2]
    path = tmp_path / f"bns_table{suffix}"
    if suffix == ".xlsx":
        table.to_excel(path, index=False)
    else:
        table.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_bns_table_is_imported_through_its_mapping(tmp_path: Path, suffix: str) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING, "utf-8")
    batch = bns.load(_bns_table(tmp_path, suffix), mapping)
    got = {(r.measure, r.ref_area, r.period): r.value for r in batch.frame.itertuples()}
    assert got == {("migration_arrivals", "KZ", "2023"): 1234567.0,
                   ("migration_arrivals", "KZ-71", "2023"): 98765.0,
                   ("migration_departures", "KZ-11", "2023"): 12345.0}
    assert batch.provenance.release == "2024-03-15"


def test_a_bad_bns_cell_names_the_file_row_and_field(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING, "utf-8")
    path = _bns_table(tmp_path, ".csv", bad=(2, "Регион", "Атлантида"))
    with pytest.raises(InputError) as info:
        bns.load(path, mapping)
    assert (info.value.file, info.value.row, info.value.field) == (str(path), 3, "Регион")
    path = _bns_table(tmp_path, ".csv", bad=(1, "Значение", "много"))
    with pytest.raises(InputError) as info:
        bns.load(path, mapping)
    assert (info.value.row, info.value.field) == (2, "Значение")


def test_a_mapping_naming_a_missing_column_is_rejected(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING.replace('value = "Значение"', 'value = "Число"'), "utf-8")
    with pytest.raises(InputError, match="Число"):
        bns.load(_bns_table(tmp_path, ".csv"), mapping)


def test_import_bns_from_the_command_line_then_diff(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(MAPPING, "utf-8")
    runner = CliRunner()
    first = runner.invoke(main, ["import", str(_bns_table(tmp_path, ".csv")), "-s", "bns",
                                 "-m", str(mapping)])
    assert first.exit_code == 0, first.output
    revised = tmp_path / "rev"
    revised.mkdir()
    path = _bns_table(revised, ".csv", bad=(1, "Значение", "98 800"))
    second = runner.invoke(main, ["import", str(path), "-s", "bns", "-m", str(mapping),
                                  "--release", "2024-06-01"])
    assert second.exit_code == 0, second.output
    diff = runner.invoke(main, ["diff", "bns"])
    assert "1 value(s) revised" in diff.output and "KZ-71" in diff.output
    with open_store(quiet=True) as store:
        assert store.value("KZ_BNS_MIGRATION", "migration_arrivals", "KZ-71", "2023")["value"] \
            == 98800.0


def test_region_and_country_names() -> None:
    assert bns.region_code("г. Астана") == "KZ-71"
    assert bns.region_code("Южно-Казахстанская область") == "KZ-61"
    assert bns.region_code("Abai Region") == "KZ-10"
    assert bns.region_code("Атлантида") is None
    assert bns.country_code("Российская Федерация") == "RUS"
    assert bns.country_code("Узбекистан") == "UZB"


def test_a_registry_entry_with_an_unknown_field_is_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "reg.toml"
    path.write_text('[[index]]\nkey = "x"\ndataset = "D"\nmeasure = "m"\ntitle = "t"\n'
                    'unit = "u"\nindex_id = 1\nperiod = 7\ndics = "67"\nregion = 0\n', "utf-8")
    monkeypatch.setenv("KERUEN_TALDAU_REGISTRY", str(path))
    with pytest.raises(InputError, match="entry number 1.*region"):
        taldau.registry()
