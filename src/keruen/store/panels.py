"""Country-year panels assembled from concept series, with the sources behind them."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from keruen.store.concepts import candidate_rows, concept_panel, plausible
from keruen.store.database import Store
from keruen.store.memo import when_asked_again

#: panel column → concept of data/concepts.toml
PANEL_CONCEPTS = {
    "inflow": "remittances_received",
    "outflow": "remittances_paid",
    "gdp": "gdp",
    "population": "population",
    "migrant_stock": "migrant_stock",
}
CONCEPTS = list(PANEL_CONCEPTS.values())


#: Columns of :func:`~keruen.store.concepts.candidate_rows` the panel and its sources use.
_KEPT = ["concept", "ref_area", "period", "value", "dataset", "measure", "vintage", "publisher",
         "licence"]  # fmt: skip


def _inputs(store: Store) -> pd.DataFrame:
    """Every area's and period's rows of the panel's concepts (kept per store version)."""
    return candidate_rows(store, CONCEPTS)[_KEPT]


def remittance_panel(
    store: Store, areas: Sequence[str], years: Sequence[int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(panel, sources) for the given areas and years.

    ``panel`` has one row per area and year with inflow, outflow, GDP, population and immigrant
    stock; ``sources`` lists the dataset and vintage behind each column's values.
    """
    periods = [str(y) for y in years]
    index = pd.MultiIndex.from_product([list(areas), periods], names=["ref_area", "period"])
    # a reader asked again and again for this version (the server) reads every input of every
    # area and year once (one query) and slices it; a first or one-off ask reads the rows asked
    # for. Both are the same rows: the choice is per concept, area and period.
    every = when_asked_again(store, "remittance_panel", lambda: _inputs(store))
    if every is None:
        long = concept_panel(store, CONCEPTS, list(areas), periods)
    else:
        wanted = every["ref_area"].isin(list(areas)) & every["period"].isin(periods)
        long = plausible(every.loc[wanted].reset_index(drop=True))
    column_of = {concept: column for column, concept in PANEL_CONCEPTS.items()}
    long["column"] = long["concept"].map(column_of)
    wide = long.pivot(index=["ref_area", "period"], columns="column", values="value")
    wide = wide.reindex(index=index, columns=list(PANEL_CONCEPTS)).astype(float)
    panel = wide.reset_index().rename_axis(columns=None)
    used = long[["column", "dataset", "measure", "vintage", "publisher", "licence"]]
    used = used.drop_duplicates().reset_index(drop=True)
    # Missing is missing: WDI stores an exact 0 for economies that publish no balance of
    # payments (Turkmenistan); no reporting economy has zero personal remittances, so a zero
    # flow is "not reported" (the report's rule, keruen.analysis.missing), never ranked as 0.
    for column in ("inflow", "outflow"):
        panel[column] = panel[column].mask(panel[column] == 0)
    panel["year"] = panel["period"].astype(int)
    sources = used if len(used) else pd.DataFrame()
    return panel, sources
