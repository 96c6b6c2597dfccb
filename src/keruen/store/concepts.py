"""Concept series: one value per area and period, from the newest release among candidates.

The mapping of concepts to stored series is data (``data/concepts.toml``). Each returned value
keeps the provenance of the row it came from (dataset, measure, vintage, publisher, licence).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from keruen.errors import ConfigError
from keruen.store.concept_registry import concepts  # noqa: F401  (re-exported: the registry)
from keruen.store.database import Store




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


#: Years a concept series may hold: the range the REST API and :mod:`keruen.api` accept.
YEARS = (1900, 2100)
#: Rows already warned about in this process (a report reads a series many times).
_WARNED: set[tuple[str, ...]] = set()


class ImplausibleValueWarning(UserWarning):
    """A stored value no computation can use was left out; the message names its series."""


def plausible(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (rows of :func:`concept_panel`) without the values no computation can use.

    Left out: a value that is not finite or lies outside its concept's ``range``
    (``data/concepts.toml``, in the concept's unit), and a period that is not a year within
    :data:`YEARS`. What ``keruen load`` accepted (a year 9999, 1.7e308, an outflow of -1)
    thus leaves a gap in one series, said in an :class:`ImplausibleValueWarning` naming the
    dataset, measure, area, period and vintage, instead of failing every section built on it.
    """
    if frame.empty:
        return frame
    registry = concepts()
    bounds = {c: registry[c].get("range", [-math.inf, math.inf]) for c in frame["concept"].unique()}
    low = frame["concept"].map(lambda c: float(bounds[c][0])).to_numpy(float)
    high = frame["concept"].map(lambda c: float(bounds[c][1])).to_numpy(float)
    value = pd.to_numeric(frame["value"], errors="coerce").to_numpy(float)
    period = frame["period"].astype(str)
    year = pd.to_numeric(period.where(period.str.fullmatch(r"\d{4}")), errors="coerce")
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(value) & (value >= low) & (value <= high)
    ok &= year.between(*YEARS).to_numpy(bool)
    if ok.all():
        return frame
    bad = frame.loc[~ok]
    fresh = []
    for r in bad.itertuples(index=False):
        key = (r.concept, r.dataset, r.measure, r.ref_area, str(r.period), r.vintage, str(r.value))
        if key not in _WARNED:
            _WARNED.add(key)
            lo, hi = bounds[r.concept]
            fresh.append(
                f"{r.dataset} {r.measure} {r.ref_area} {r.period} (vintage {r.vintage!r}): "
                f"value {r.value!r} (plausible {r.concept}: {lo:g} to {hi:g}, years "
                f"{YEARS[0]}-{YEARS[1]})"
            )
    if fresh:
        more = f"; and {len(fresh) - 5} more" if len(fresh) > 5 else ""
        warnings.warn(
            f"left out {len(fresh)} stored value(s) no computation can use: "
            + "; ".join(fresh[:5]) + more,
            ImplausibleValueWarning,
            stacklevel=3,
        )
    return frame.loc[ok].reset_index(drop=True)


def concept_panel(
    store: Store,
    names: Sequence[str],
    areas: Sequence[str] | None = None,
    periods: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Several concepts' series in one SQL query: ``concept`` + :func:`concept_series` columns.

    :func:`candidate_rows`, less the values no computation can use (:func:`plausible`, which
    warns about them).
    """
    return plausible(candidate_rows(store, names, areas, periods))


def candidate_rows(
    store: Store,
    names: Sequence[str],
    areas: Sequence[str] | None = None,
    periods: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The chosen row of every concept, area and period, before :func:`plausible`.

    Each candidate series is read as :meth:`Store.observations` reads it (newest vintage per
    value, totals only, missing values dropped), scaled to the concept's unit; for every
    concept, area and period the candidate with the newest release wins (ties: the one listed
    first in ``data/concepts.toml``). All candidates of all concepts are read in one scan of
    the observations (the store's own query over their datasets and measures), joined to the
    candidate list and ranked by one window inside DuckDB, so only the chosen rows reach
    pandas. Rows are ordered by concept (as given), area and period. The choice is made per
    concept, area and period, so the rows of some areas and periods are those of every area
    and period filtered to them (:func:`keruen.store.panels.remittance_panel` relies on it).
    """
    registry = concepts()
    for concept in names:
        if concept not in registry:
            raise ConfigError(f"unknown concept {concept!r}; known: {', '.join(sorted(registry))}")
    rows: list[Any] = []
    for order, concept in enumerate(dict.fromkeys(names)):
        spec = registry[concept]
        for index, cand in enumerate(spec["candidates"]):
            rows += [
                concept,
                order,
                index,
                cand["dataset"],
                cand["measure"],
                cand.get("counterpart_area"),
                float(cand["scale"]),
                spec["unit"],
            ]
    if not rows:
        return pd.DataFrame(columns=["concept", *SERIES_COLUMNS])
    datasets = sorted({str(v) for v in rows[3::8]})
    measures = sorted({str(v) for v in rows[4::8]})
    # the store's own reading of every candidate series at once (newest vintage per value,
    # totals only); counterparts are narrowed per candidate below
    obs, where = store._observations_sql(  # noqa: SLF001 - the store's one definition
        datasets,
        measures,
        list(areas) if areas is not None else None,
        None,
        list(periods) if periods is not None else None,
        None,
        None,
    )
    values = ", ".join(
        "(?::VARCHAR, ?::INTEGER, ?::INTEGER, ?::VARCHAR, ?::VARCHAR, ?::VARCHAR, ?::DOUBLE, "
        "?::VARCHAR)"
        for _ in range(len(rows) // 8)
    )
    query = f"""
        WITH cand(concept, concept_order, candidate, dataset, measure, counterpart, scale,
                  unit) AS (VALUES {values}),
             obs AS ({obs})
        SELECT c.concept, o.ref_area, o.period, o.value * c.scale AS value, c.unit, o.dataset,
               o.measure, o.vintage, o.release, o.publisher, o.licence, o.url, o.obs_status
        FROM obs o JOIN cand c
          ON lower(o.dataset) = lower(c.dataset) AND o.measure = c.measure
         AND (o.counterpart_area = c.counterpart
              OR (c.counterpart IS NULL AND o.counterpart_area IS NULL))
        WHERE o.obs_status <> 'M'
        QUALIFY row_number() OVER (PARTITION BY c.concept, o.ref_area, o.period
                                   ORDER BY o.release DESC NULLS LAST, c.candidate) = 1
        ORDER BY c.concept_order, o.ref_area, o.period
    """
    return store._query_over(datasets, query, [*rows, *where]).df()  # noqa: SLF001


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
