"""Remittance measures of every peer for one year (inflow, outflow, balance, per migrant)."""

from __future__ import annotations

import numpy as np

from keruen.analysis.paper import PAPER_YEAR
from keruen.analysis.provenance import merge_sources, source_line
from keruen.analysis.scope import Scope
from keruen.analysis.section import Section
from keruen.areas import group_members
from keruen.indicators.remittances import (
    rank_within,
    remittance_measures,
)
from keruen.store import Store
from keruen.store.concepts import concept_series
from keruen.store.panels import remittance_panel


def measures_year(trend: Section) -> int:
    """The year of the measures table: the latest with both flows held for the country.

    Else the latest with either; else the paper's year.
    """
    series = trend.tables["series"]
    both = series.dropna(subset=["inflow", "outflow"])
    held = series.dropna(subset=["inflow", "outflow"], how="all")
    if len(both):
        return int(both["year"].max())
    return int(held["year"].max()) if len(held) else PAPER_YEAR


def measures(store: Store, scope: Scope, trend: Section) -> Section:
    """Remittance measures of every peer for one year (:func:`measures_year` of ``trend``).

    Kazakhstan's table spans every post-Soviet state; immigrant stock comes from the latest UN
    DESA year not after the table's year, named in the column ``migrant_stock_year``.
    """
    year = measures_year(trend)
    members = (
        list(scope.members) if not scope.is_paper_country else list(group_members("post_soviet"))
    )
    panel, used = remittance_panel(store, members, [year])
    for col in ("inflow", "outflow"):  # a zero flow stands for "not reported"
        panel.loc[panel[col] == 0, col] = np.nan
    stock = concept_series(store, "migrant_stock", members)
    stock = stock[stock["period"].astype(int) <= year].dropna(subset=["value"])
    stock_year = int(stock["period"].astype(int).max()) if len(stock) else None
    if stock_year is not None:
        latest = stock[stock["period"] == str(stock_year)][["ref_area", "value"]]
        latest = latest.rename(columns={"value": "migrant_stock"})
        # the stock keeps the label of its own year (a 2022 row carries UN DESA's 2020 stock)
        latest["migrant_stock_year"] = stock_year
        panel = panel.drop(columns=["migrant_stock"]).merge(latest, on="ref_area", how="left")
        panel["migrant_stock_year"] = panel["migrant_stock_year"].astype("Int64")
    panel = panel.dropna(subset=["inflow", "outflow"], how="all")
    table = remittance_measures(panel)
    table["inflow_rank"] = rank_within(table["inflow"])
    table["outflow_rank"] = rank_within(table["outflow"])
    table = table.sort_values("dri", ascending=False, na_position="last").reset_index(drop=True)
    sources = [
        {"publisher": r.publisher, "dataset": r.dataset, "vintage": r.vintage, "licence": r.licence}
        for r in used.drop_duplicates(["dataset", "vintage"]).itertuples()
    ] + source_line(stock)
    return Section(
        "measures",
        {"measures": table},
        {
            "year": year,
            "stock_year": stock_year,
            "not_reported": sorted(set(members) - set(table["ref_area"])),
        },
        merge_sources(sources),
    )
