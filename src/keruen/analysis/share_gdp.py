"""Remittances received as a share of GDP across the peer group."""

from __future__ import annotations

from typing import Any

import pandas as pd

from keruen.analysis.missing import not_reported
from keruen.analysis.provenance import merge_sources, source_line
from keruen.analysis.releases import held_series
from keruen.analysis.scope import Scope
from keruen.analysis.section import Section
from keruen.areas import group_members
from keruen.indicators.remittances import (
    rank_within,
    share_of_gdp,
)
from keruen.store import Store
from keruen.store.concepts import concept_series


def share_gdp(store: Store, scope: Scope) -> Section:
    """Inflows as % of GDP across the peer group: official series and derived (inflow ÷ GDP).

    Kazakhstan's table spans every post-Soviet state (the paper's comparison); any other
    country's, its peer group. The inflows and the official shares are read through the
    trend's release choice (:func:`keruen.analysis.releases.held_series`); ``own_latest`` is
    the country's derived share in its latest year with both inflow and GDP (``{"year",
    "share"}``, None without one), for a country whose inflows end before the table's year.
    """
    members = list(dict.fromkeys([*group_members("post_soviet"), *scope.members]))
    if not scope.is_paper_country:
        members = list(scope.members)
    official = held_series(store, "remittances_received_pct_gdp", members, scope.first_year)[0]
    official_year = str(official.dropna(subset=["value"])["period"].max())
    gdp = concept_series(store, "gdp", members)
    gdp_year = str(gdp.dropna(subset=["value"])["period"].max())
    inflows = held_series(store, "remittances_received", members, scope.first_year)[0]
    inflow = inflows[inflows["period"] == gdp_year] if len(inflows) else inflows
    derived = (
        inflow[["ref_area", "value"]]
        .rename(columns={"value": "inflow"})
        .merge(
            gdp[gdp["period"] == gdp_year][["ref_area", "value"]].rename(columns={"value": "gdp"}),
            on="ref_area",
        )
    )
    derived["share_derived"] = share_of_gdp(derived["inflow"], derived["gdp"])
    off = official[official["period"] == official_year][["ref_area", "value"]].rename(
        columns={"value": "share_official"}
    )
    table = (
        derived.merge(off, on="ref_area", how="outer")
        .sort_values("share_derived", ascending=False, na_position="last")
        .reset_index(drop=True)
    )
    table = table[table["share_derived"].notna() | table["share_official"].notna()]
    table = table.reset_index(drop=True)
    table["rank"] = rank_within(table["share_derived"])
    values = {
        "own_latest": _own_latest(scope.country, inflows, gdp),
        "official_year": int(official_year) if official_year != "nan" else None,
        "derived_year": int(gdp_year),
        "not_reported": not_reported(members, table.dropna(subset=["share_derived"])),
    }
    return Section(
        "share_gdp",
        {"shares": table},
        values,
        merge_sources(
            source_line(inflow),
            source_line(gdp[gdp["period"] == gdp_year]),
            source_line(official[official["period"] == official_year]),
        ),
    )


def _own_latest(country: str, inflows: pd.DataFrame, gdp: pd.DataFrame) -> dict[str, Any] | None:
    """``country``'s inflow ÷ GDP (%) in its latest year holding both, or None."""
    if inflows.empty or gdp.empty:
        return None
    both = inflows.loc[inflows["ref_area"] == country, ["period", "value"]].merge(
        gdp.loc[gdp["ref_area"] == country, ["period", "value"]].dropna(),
        on="period",
        suffixes=("_in", "_gdp"),
    )
    if both.empty:
        return None
    last = both.sort_values("period").iloc[-1]
    share = float(share_of_gdp(pd.Series([last["value_in"]]), pd.Series([last["value_gdp"]]))[0])
    return {"year": int(last["period"]), "share": share}
