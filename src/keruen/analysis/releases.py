"""Which release a country's figures come from, when the newest release reports none.

A concept series (:func:`keruen.store.concepts.concept_series`) takes each value from the
newest release holding it. When the newest release marks a country's years as not reported
(the WDI 2025-07 release does so for Turkmenistan's remittances, which the WDI 2023-05 release
holds), the country would look as if the World Bank reported nothing. :func:`with_older_release`
then reads the newest *older* release that holds values for those years and says which.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from keruen.analysis.missing import reported
from keruen.store import Store
from keruen.store.concepts import SERIES_COLUMNS, concept_series, concepts


def with_older_release(
    store: Store, concept: str, country: str, periods: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """``country``'s reported ``concept`` values over ``periods``, and the fallback used if any.

    The concept series as usual; if it holds no reported value, the newest release of a
    candidate series (in ``data/concepts.toml`` order) that holds one, scaled to the
    concept's unit. The second item is None when no fallback was needed, else
    ``{"release": <vintage read>, "newest": <newest vintage of that dataset>, "dataset": …}``.
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
                found = {"release": vintage, "newest": newest, "dataset": dataset}
                return obs[SERIES_COLUMNS].reset_index(drop=True), found
    return frame, None
