"""The bundled snapshot: real data with provenance, loaded once, rebuilt if the store is lost."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from keruen.sources.snapshot import ensure_snapshot, manifest, open_store, snapshot_dir
from keruen.store import Store


def test_every_bundled_file_has_full_provenance() -> None:
    entries = tomllib.loads((snapshot_dir() / "manifest.toml").read_text("utf-8"))["file"]
    on_disk = {p.name for p in snapshot_dir().iterdir() if p.suffix in {".parquet", ".csv"}}
    assert {e["file"] for e in entries} == on_disk
    for e in entries:
        for key in (
            "dataset",
            "vintage",
            "release",
            "publisher",
            "url",
            "licence",
            "origin",
            "original_sha256",
        ):
            assert e.get(key), f"{e['file']} lacks {key}"


def test_first_use_loads_the_snapshot_and_the_second_adds_nothing(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb"
    with open_store(path, quiet=True) as store:
        assert len(store.sources()) == len(manifest())
        checksum = store.checksum()
    with open_store(path, quiet=True) as store:
        assert ensure_snapshot(store, quiet=True) == []
        assert store.checksum() == checksum


def test_a_deleted_store_is_rebuilt_with_the_same_contents(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb"
    with open_store(path, quiet=True) as store:
        first = store.observations("WB_WDI", "BX.TRF.PWKR.CD.DT", "KAZ")
    shutil.rmtree(path)  # the store is a folder of segments
    with open_store(path, quiet=True) as store:
        again = store.observations("WB_WDI", "BX.TRF.PWKR.CD.DT", "KAZ")
    assert first[["period", "value", "vintage"]].equals(again[["period", "value", "vintage"]])


def test_every_observation_points_at_a_source_with_a_licence(snapshot_store: Store) -> None:
    orphans = snapshot_store.con.execute(
        "SELECT count(*) FROM observations o LEFT JOIN sources s USING (source_id) "
        "WHERE s.licence IS NULL OR s.licence = ''"
    ).fetchone()[0]
    assert orphans == 0


@pytest.mark.parametrize(
    ("dataset", "measure", "area", "period", "raw_file", "raw_filter", "raw_value"),
    [
        (
            "WB_WDI",
            "BX.TRF.PWKR.CD.DT",
            "TJK",
            "2023",
            "wb_wdi/wdi_long.csv",
            "indicator == 'BX.TRF.PWKR.CD.DT' and country_iso3 == 'TJK' and year == 2023 "
            "and vintage == 'wdi_2025-07-01'",
            "value",
        ),
        (
            "WB_KNOMAD_REMITTANCES",
            "remittance_outflow",
            "KAZ",
            "2022",
            "wb_knomad/knomad_remittance_flows_2023_06.csv",
            "flow == 'outflow' and country_iso3 == 'KAZ' and year == 2022",
            "usd_million",
        ),
        (
            "KZ_BNS_POPULATION",
            "population",
            "KZ-47",
            "2023",
            "kz_bns/kz_region_population_2000_2023.csv",
            "iso_3166_2 == 'KZ-47' and year == 2023",
            "population",
        ),
        (
            "UN_WPP",
            "net_migration",
            "UZB",
            "2019",
            "un_wpp/wpp2024_vital_migration_long.csv",
            "measure == 'net_migration' and iso3 == 'UZB' and year == 2019",
            "value",
        ),
    ],
)
def test_snapshot_values_equal_the_shared_originals(
    snapshot_store: Store,
    dataset: str,
    measure: str,
    area: str,
    period: str,
    raw_file: str,
    raw_filter: str,
    raw_value: str,
) -> None:
    import pandas as pd

    from tests.conftest import SHARED_DATA

    if not (SHARED_DATA / raw_file).exists():
        pytest.skip("the project's shared data folder is not beside this checkout")
    raw = pd.read_csv(SHARED_DATA / raw_file, keep_default_na=False, na_values=[""])
    expected = raw.query(raw_filter)[raw_value]
    assert len(expected) == 1
    stored = snapshot_store.value(dataset, measure, area, period)["value"]
    assert stored == pytest.approx(float(expected.iloc[0]), rel=1e-12)


def test_wpp_components_add_up_to_the_population_change(snapshot_store: Store) -> None:
    """WPP's balancing equation holds in the bundled copy: births - deaths + net = change."""
    wpp = snapshot_store.observations(
        "UN_WPP", ["births", "deaths", "net_migration", "population_change"]
    )
    wide = wpp.pivot_table(index=["ref_area", "period"], columns="measure", values="value")
    assert len(wide) > 200 * 70  # every country, 1950-2023
    gap = wide["births"] - wide["deaths"] + wide["net_migration"] - wide["population_change"]
    # Each series is rounded separately (to 0.001 thousand persons): gaps of a few rounding
    # units are expected; a few country-years (e.g. Ukraine 1989) differ by more in WPP itself.
    assert gap.abs().quantile(0.99) < 0.02
    assert (gap.abs() > 1).sum() <= 5
