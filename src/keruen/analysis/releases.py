"""Which release a country's figures come from, when the newest release reports none.

A concept series (:func:`keruen.store.concepts.concept_series`) takes each value from the
newest release holding it. When the newest release marks a country's years as not reported
(the WDI 2025-07 release does so for Turkmenistan's remittances, which the WDI 2023-05 release
holds), the country would look as if the World Bank reported nothing. :func:`with_older_release`
then reads the newest *older* release that holds values for those years and says which;
:func:`held_series` applies that choice to each of many areas, for every section that reads
remittance totals (trend, peers, share of GDP, corridors, implied migrants, forecasts).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from keruen.analysis.missing import reported
from keruen.analysis.scope import FIRST_YEAR
from keruen.store import Store
from keruen.store.concepts import SERIES_COLUMNS, YEARS, concept_series, concepts


def with_older_release(
    store: Store, concept: str, country: str, periods: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """``country``'s reported ``concept`` values over ``periods``, and the fallback used if any.

    The concept series as usual; if it holds no reported value, the newest release of a
    candidate series (in ``data/concepts.toml`` order) that holds one, scaled to the
    concept's unit. The second item is None when no fallback was needed, else
    ``{"release": <vintage read>, "newest": <newest vintage of that dataset>, "dataset": …,
    "measure": <the stored measure read>}``.
    """
    frame = reported(concept_series(store, concept, [country], list(periods)))
    if len(frame):
        return frame, None
    for cand in concepts()[concept]["candidates"]:
        dataset, measure, scale = cand["dataset"], cand["measure"], float(cand["scale"])
        for vintage in reversed(store.vintages(dataset)):  # newest release first
            obs = reported(
                store.observations(dataset, measure, country, period=list(periods), vintage=vintage)
            )
            if len(obs):
                marks = store.observations(
                    dataset, measure, country, period=list(periods), include_missing=True
                )
                newest = str(marks.sort_values("release")["vintage"].iloc[-1])
                obs = obs.assign(value=obs["value"] * scale, unit=concepts()[concept]["unit"])
                found = {
                    "release": vintage, "newest": newest, "dataset": dataset, "measure": measure
                }
                return obs[SERIES_COLUMNS].reset_index(drop=True), found
    return frame, None


def held_series(
    store: Store, concept: str, areas: Sequence[str], first_year: int = FIRST_YEAR
) -> tuple[pd.DataFrame, dict[str, dict[str, Any]]]:
    """Every reported ``concept`` value of ``areas``, each area through one release choice.

    The rule the trend applies (:func:`with_older_release` over ``first_year`` onwards): an
    area the concept series reports nothing for from ``first_year`` on takes its values from
    then on from the newest older release that holds some (its earlier values stay those of
    the concept series). Every section reading remittance totals goes through it, so a
    country's figures come from the same release in each. The second item maps each such area
    to the fallback :func:`with_older_release` names.
    """
    frame = reported(concept_series(store, concept, list(areas)))
    recent = frame[frame["period"].astype(int) >= first_year] if len(frame) else frame
    years = [str(y) for y in range(first_year, YEARS[1] + 1)]
    extra: list[pd.DataFrame] = []
    found: dict[str, dict[str, Any]] = {}
    for area in sorted(set(areas) - set(recent["ref_area"] if len(recent) else [])):
        older, fallback = with_older_release(store, concept, area, years)
        if fallback is not None:
            extra.append(older)
            found[area] = fallback
    if not extra:
        return frame, found
    return pd.concat([frame, *extra], ignore_index=True), found


def releases_used(series: pd.DataFrame) -> list[dict[str, object]]:
    """Each release read in ``series``, with the first and last year taken from it (newest
    release first): ``[{"release", "first", "last"}, …]``."""
    if series.empty:
        return []
    years = series.assign(year=series["period"].astype(int))
    spans = years.groupby(["vintage", "release"])["year"].agg(["min", "max"]).reset_index()
    spans = spans.sort_values("release", ascending=False)
    return [
        {"release": str(r.vintage), "first": int(r.min), "last": int(r.max)}
        for r in spans.itertuples()
    ]


def held_in(store: Store, concept: str, areas: list[str], periods: list[str]) -> pd.DataFrame:
    """:func:`held_series` of ``areas`` restricted to ``periods`` (a reader for
    :func:`keruen.store.corridors.corridor_inputs`)."""
    frame = held_series(store, concept, areas)[0]
    if frame.empty:
        return frame
    return frame[frame["period"].astype(str).isin(periods)].reset_index(drop=True)
