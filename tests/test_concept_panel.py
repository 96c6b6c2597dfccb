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
