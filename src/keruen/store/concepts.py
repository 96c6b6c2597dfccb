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


#: Columns of :func:`concept_series`.
SERIES_COLUMNS = [
    "ref_area",
    "period",
    "value",
    "unit",
    "dataset",
    "measure",
    "vintage",
    "release",
    "publisher",
    "licence",
    "url",
    "obs_status",
]


def concept_panel(
    store: Store,
    names: Sequence[str],
    areas: Sequence[str] | None = None,
    periods: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Several concepts' series in one SQL query: ``concept`` + :func:`concept_series` columns.

    Each candidate series is read as :meth:`Store.observations` reads it (newest vintage per
    value, totals only, missing values dropped), scaled to the concept's unit; for every
    concept, area and period the candidate with the newest release wins (ties: the one listed
    first in ``data/concepts.toml``). All candidates of all concepts are one ``UNION ALL``
    ranked by one window inside DuckDB, so only the chosen rows reach pandas. Rows are ordered
    by concept (as given), area and period.
    """
    registry = concepts()
    for concept in names:
        if concept not in registry:
            raise ConfigError(f"unknown concept {concept!r}; known: {', '.join(sorted(registry))}")
    parts: list[str] = []
    params: list[Any] = []
    cols = ", ".join(c for c in SERIES_COLUMNS if c not in ("value", "unit"))
    for order, concept in enumerate(dict.fromkeys(names)):
        spec = registry[concept]
        for index, cand in enumerate(spec["candidates"]):
            counterpart = cand.get("counterpart_area")
            sql, where = store._observations_sql(  # noqa: SLF001 - the store's one definition
                cand["dataset"],
                cand["measure"],
                list(areas) if areas is not None else None,
                counterpart,
                list(periods) if periods is not None else None,
                None,
                None,
            )
            only_totals = " AND counterpart_area IS NULL" if counterpart is None else ""
            parts.append(
                f"SELECT ?::VARCHAR AS concept, ?::INTEGER AS concept_order, "
                f"?::INTEGER AS candidate, value * ?::DOUBLE AS value, ?::VARCHAR AS unit, "
                f"{cols} FROM ({sql}) WHERE obs_status <> 'M'{only_totals}"
            )
            params += [concept, order, index, float(cand["scale"]), spec["unit"], *where]
    if not parts:
        return pd.DataFrame(columns=["concept", *SERIES_COLUMNS])
    query = (
        f"SELECT concept, {', '.join(SERIES_COLUMNS)} FROM ({' UNION ALL '.join(parts)}) "
        "QUALIFY row_number() OVER (PARTITION BY concept, ref_area, period "
        "ORDER BY release DESC NULLS LAST, candidate) = 1 "
        "ORDER BY concept_order, ref_area, period"
    )
    return store._query(query, params).df()  # noqa: SLF001


def concept_series(
    store: Store,
    concept: str,
    areas: Sequence[str] | None = None,
    periods: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Columns ``ref_area, period, value, unit, dataset, measure, vintage, release, publisher``.

    For each area and period, the value of the candidate series with the newest release
    (see :func:`concept_panel`).
    """
    frame = concept_panel(store, [concept], areas, periods)
    return frame[SERIES_COLUMNS].reset_index(drop=True)
