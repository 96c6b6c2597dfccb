"""One query for every concept gives what reading each candidate series on its own gives.

The reference below is the former definition, kept as the specification: each candidate series
read with ``Store.observations`` (newest vintage, totals only), scaled to the concept's unit,
and for each area and period the candidate with the newest release (ties: the first listed).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from keruen.indicators.remittances import rank_within
from keruen.store import Store
from keruen.store.concepts import SERIES_COLUMNS, concept_panel, concept_series, concepts
from tests.cli_store import built_store, store_home  # noqa: F401


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from keruen.sources.snapshot import open_store

    path = Path(tmp_path_factory.mktemp("concepts")) / "keruen.duckdb"
    with open_store(path, quiet=True):
        pass
    s = Store(path, read_only=True)
    yield s
    s.close()


def reference(store: Store, concept: str, areas: list[str] | None, periods: list[str] | None):  # type: ignore[no-untyped-def]
    spec = concepts()[concept]
    parts = []
    for cand in spec["candidates"]:
        frame = store.observations(
            cand["dataset"],
            cand["measure"],
            ref_area=areas,
            counterpart_area=cand.get("counterpart_area"),
            period=periods,
        )
        if cand.get("counterpart_area") is None:
            frame = frame[frame["counterpart_area"].isna()]
        if len(frame):
            parts.append(
                frame.assign(value=frame["value"] * float(cand["scale"]), unit=spec["unit"])
            )
    if not parts:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    both = pd.concat(parts, ignore_index=True)
    both = both.sort_values(["ref_area", "period", "release"], ascending=[True, True, False])
    return both.drop_duplicates(["ref_area", "period"], keep="first")[SERIES_COLUMNS]


@pytest.mark.parametrize(
    ("areas", "periods"),
    [
        (None, None),
        (["KAZ", "UZB", "TKM", "RUS"], [str(y) for y in range(2000, 2026)]),
        (["ATA"], ["1900"]),
    ],
)
def test_every_concept_equals_reading_its_candidates_one_by_one(
    store: Store, areas, periods
) -> None:  # type: ignore[no-untyped-def]
    for concept in concepts():
        got = concept_series(store, concept, areas, periods)
        expected = reference(store, concept, areas, periods)
        assert len(got) == len(expected), concept
        if len(got):
            pd.testing.assert_frame_equal(
                got.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
            )


def test_one_query_for_several_concepts_keeps_them_apart(store: Store) -> None:
    names = ["gdp", "remittances_received", "population"]
    both = concept_panel(store, names, ["KAZ", "UZB"], ["2019", "2020"])
    assert list(dict.fromkeys(both["concept"])) == names  # in the order asked
    for name in names:
        alone = concept_series(store, name, ["KAZ", "UZB"], ["2019", "2020"])
        part = both[both["concept"] == name][SERIES_COLUMNS].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, alone)


def test_ranks_per_group_equal_ranking_each_group_alone() -> None:
    values = pd.Series([5.0, 3.0, None, 3.0, 9.0, 1.0])
    year = pd.Series([2020, 2020, 2020, 2021, 2021, 2021])
    grouped = rank_within(values, by=year)
    one_by_one = pd.concat([rank_within(values[year == y]) for y in (2020, 2021)])
    pd.testing.assert_series_equal(grouped, one_by_one)
    assert grouped.tolist()[:2] == [1, 2] and pd.isna(grouped[2])


PANEL = ["remittances_received", "remittances_paid", "gdp", "population", "migrant_stock"]


@pytest.mark.parametrize(
    ("areas", "periods"),
    [
        (["KAZ"], [str(y) for y in range(2010, 2025)]),
        (["KAZ", "UZB", "TKM", "RUS", "DEU", "XXX"], [str(y) for y in range(1990, 2026)]),
        (["ATA"], ["1900"]),
    ],
)
def test_the_rows_of_some_areas_are_every_areas_rows_filtered(
    store: Store, areas: list[str], periods: list[str]
) -> None:
    # what lets remittance_panel read every area once per store version and slice it
    from keruen.store.concepts import candidate_rows

    asked = candidate_rows(store, PANEL, areas, periods)
    every = candidate_rows(store, PANEL)
    sliced = every[every["ref_area"].isin(areas) & every["period"].isin(periods)]
    pd.testing.assert_frame_equal(asked.reset_index(drop=True), sliced.reset_index(drop=True))


def test_the_panel_of_every_area_is_read_once_per_version_from_the_second_ask(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keruen.store.panels as panels
    from keruen.store import memo

    memo.clear()
    full: list[int] = []
    real = panels._inputs

    def counted(s: Store):  # type: ignore[no-untyped-def]
        full.append(1)
        return real(s)

    monkeypatch.setattr(panels, "_inputs", counted)
    asks = [(["KAZ"], range(2010, 2025)), (["UZB", "KGZ"], range(2000, 2021)), (["KAZ"], [2020])]
    got = [panels.remittance_panel(store, areas, years) for areas, years in asks]
    assert len(full) == 1  # not for the first ask (a one-off reads its rows), once after
    memo.clear()
    for (areas, years), (panel, used) in zip(asks, got, strict=True):
        first, first_used = panels.remittance_panel(store, areas, years)  # the narrow read
        pd.testing.assert_frame_equal(panel, first)
        pd.testing.assert_frame_equal(used, first_used)
        assert sorted(panel["ref_area"].unique()) == sorted(areas)
        assert len(panel) == len(areas) * len(list(years))
        memo.clear()


def test_a_newer_version_is_read_not_the_panel_kept_for_the_last(store_home: Path) -> None:
    from click.testing import CliRunner

    from keruen.cli import main
    from keruen.store.panels import remittance_panel

    old = Store(store_home, read_only=True)
    for _ in range(2):  # asked twice: every area's panel is kept for this version
        before = remittance_panel(old, ["KAZ"], [2020])[0]["inflow"].iloc[0]
    newer = store_home.parent / "newer.csv"
    newer.write_text(
        "dataset,measure,ref_area,counterpart_area,breakdown,period,value,unit,obs_status\n"
        "WB_WDI,BX.TRF.PWKR.CD.DT,KAZ,,,2020,123456789,current US$,A\n",
        "utf-8",
    )
    args = ["load", str(newer), "--dataset", "WB_WDI", "--vintage", "test-newer"]
    loaded = CliRunner().invoke(main, [*args, "--publisher", "T", "--release", "2099-01-01"])
    assert loaded.exit_code == 0, loaded.output
    assert remittance_panel(old, ["KAZ"], [2020])[0]["inflow"].iloc[0] == before  # its version
    with Store(store_home, read_only=True) as new:
        for _ in range(2):
            assert remittance_panel(new, ["KAZ"], [2020])[0]["inflow"].iloc[0] == 123456789.0
    assert before != 123456789.0
    old.close()


def test_a_recorded_computation_notes_the_panels_datasets_even_when_it_is_kept(
    store: Store,
) -> None:
    # the report cache's lineage: a section reading the panel depends on its datasets, also
    # when another reader already read (and kept) the panel of this version
    from keruen.analysis.recording import RecordingStore
    from keruen.store.panels import remittance_panel

    for _ in range(2):
        remittance_panel(store, ["KAZ"], [2020])  # kept for this version
    recorded = RecordingStore(store)
    remittance_panel(recorded, ["KAZ"], [2020])
    assert any("WB_WDI" in dep.upper() for dep in recorded.deps), recorded.deps
