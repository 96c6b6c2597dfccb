"""Concept series: one value per area and period, from the newest release among candidates.

The mapping of concepts to stored series is data (``data/concepts.toml``). Each returned value
keeps the provenance of the row it came from (dataset, measure, vintage, publisher, licence).
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

from keruen.errors import ConfigError
from keruen.store.database import Store


@cache
def concepts() -> dict[str, dict[str, Any]]:
    """The concept registry from ``data/concepts.toml``."""
    text = resources.files("keruen.data").joinpath("concepts.toml").read_text("utf-8")
    return tomllib.loads(text)


def concept_series(
    store: Store,
    concept: str,
    areas: Sequence[str] | None = None,
    periods: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Columns ``ref_area, period, value, unit, dataset, measure, vintage, release, publisher``."""
    registry = concepts()
    if concept not in registry:
        raise ConfigError(f"unknown concept {concept!r}; known: {', '.join(sorted(registry))}")
    spec = registry[concept]
    parts = []
    for cand in spec["candidates"]:
        frame = store.observations(
            cand["dataset"],
            cand["measure"],
            ref_area=list(areas) if areas is not None else None,
            counterpart_area=cand.get("counterpart_area"),
            period=list(periods) if periods is not None else None,
        )
        if cand.get("counterpart_area") is None:
            frame = frame[frame["counterpart_area"].isna()]
        if frame.empty:
            continue
        frame = frame.assign(value=frame["value"] * float(cand["scale"]), unit=spec["unit"])
        parts.append(frame)
    columns = ["ref_area", "period", "value", "unit", "dataset", "measure", "vintage",
               "release", "publisher", "licence", "url", "obs_status"]
    if not parts:
        return pd.DataFrame(columns=columns)
    both = pd.concat(parts, ignore_index=True)
    both = both.sort_values(["ref_area", "period", "release"], ascending=[True, True, False])
    return both.drop_duplicates(["ref_area", "period"], keep="first")[columns].reset_index(drop=True)
