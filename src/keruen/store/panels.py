"""Country-year panels assembled from concept series, with the sources behind them."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from keruen.store.concepts import concept_series
from keruen.store.database import Store

#: panel column → concept of data/concepts.toml
PANEL_CONCEPTS = {
    "inflow": "remittances_received",
    "outflow": "remittances_paid",
    "gdp": "gdp",
    "population": "population",
    "migrant_stock": "migrant_stock",
}


def remittance_panel(
    store: Store, areas: Sequence[str], years: Sequence[int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(panel, sources) for the given areas and years.

    ``panel`` has one row per area and year with inflow, outflow, GDP, population and immigrant
    stock; ``sources`` lists the dataset and vintage behind each column's values.
    """
    periods = [str(y) for y in years]
    index = pd.MultiIndex.from_product([list(areas), periods], names=["ref_area", "period"])
    panel = pd.DataFrame(index=index).reset_index()
    used = []
    for column, concept in PANEL_CONCEPTS.items():
        series = concept_series(store, concept, list(areas), periods)
        panel = panel.merge(
            series[["ref_area", "period", "value"]].rename(columns={"value": column}),
            on=["ref_area", "period"],
            how="left",
        )
        if not series.empty:
            used.append(
                series.assign(column=column)[
                    ["column", "dataset", "measure", "vintage", "publisher", "licence"]
                ].drop_duplicates()
            )
    # Missing is missing: WDI stores an exact 0 for economies that publish no balance of
    # payments (Turkmenistan); no reporting economy has zero personal remittances, so a zero
    # flow is "not reported" (the report's rule, keruen.report.missing), never ranked as 0.
    for column in ("inflow", "outflow"):
        panel[column] = panel[column].mask(panel[column] == 0)
    panel["year"] = panel["period"].astype(int)
    sources = pd.concat(used, ignore_index=True) if used else pd.DataFrame()
    return panel, sources
