"""The cost of sending remittances (SDG indicator 10.c.1) beside the 3 % target."""

from __future__ import annotations

import pandas as pd

from keruen.analysis.provenance import merge_sources, source_line
from keruen.analysis.scope import Scope
from keruen.analysis.section import Section, not_held
from keruen.store import Store
from keruen.store.concepts import concept_series

#: SDG target 10.c: by 2030, reduce to less than 3 per cent the transaction costs of migrant
#: remittances (percent of the amount sent).
SDG_TARGET = 3.0
#: The two directions: sending from the country, and sending to it.
DIRECTIONS = {"cost_from": "remittance_cost_from", "cost_to": "remittance_cost_to"}


def _latest(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Each area's latest reported value as ``ref_area, <column>, <column>_year``."""
    held = frame.dropna(subset=["value"]).sort_values("period")
    last = held.groupby("ref_area", as_index=False).last()
    return last[["ref_area", "value", "period"]].rename(
        columns={"value": column, "period": f"{column}_year"}
    )


def remittance_cost(store: Store, scope: Scope) -> Section:
    """Average cost of sending remittances from and to the country, % of the amount sent.

    World Bank WDI SI.RMT.COST.OB.ZS (sending from the country) and SI.RMT.COST.IB.ZS (sending
    to it), from Remittance Prices Worldwide: the country's yearly series, each peer's latest
    value, and the years above SDG target 10.c (below :data:`SDG_TARGET` %).
    """
    country = scope.country
    series = {
        column: concept_series(store, concept, list(scope.members))
        for column, concept in DIRECTIONS.items()
    }
    own = {c: f[(f["ref_area"] == country) & f["value"].notna()] for c, f in series.items()}
    if all(f.empty for f in own.values()):
        return not_held("remittance_cost", country, "remittance_costs")
    years = pd.DataFrame({"year": sorted({int(p) for f in own.values() for p in f["period"]})})
    costs = years
    for column, frame in own.items():
        part = frame.assign(year=frame["period"].astype(int))[["year", "value"]]
        costs = costs.merge(part.rename(columns={"value": column}), on="year", how="left")
    peers = pd.DataFrame({"ref_area": list(scope.members)})
    for column, frame in series.items():
        peers = peers.merge(_latest(frame, column), on="ref_area", how="left")
    peers = peers.dropna(subset=["cost_from", "cost_to"], how="all")
    peers = peers.sort_values("ref_area").reset_index(drop=True)
    values: dict[str, object] = {"country": country, "target": SDG_TARGET}
    for column in DIRECTIONS:
        held = costs.dropna(subset=[column])
        values[f"{column}_years"] = len(held)
        values[f"{column}_above_target"] = int((held[column] >= SDG_TARGET).sum())
        values[f"{column}_last_year"] = int(held["year"].iloc[-1]) if len(held) else None
        values[f"{column}_last"] = float(held[column].iloc[-1]) if len(held) else None
    sources = merge_sources(*(source_line(f) for f in series.values()))
    return Section("remittance_cost", {"costs": costs, "peers": peers}, values, sources)
