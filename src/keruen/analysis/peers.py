"""The country among its peers: remittances received and paid, ranked."""

from __future__ import annotations

import pandas as pd

from keruen.analysis.missing import not_reported, reported
from keruen.analysis.paper import PAPER_YEAR
from keruen.analysis.provenance import merge_sources, source_line
from keruen.analysis.scope import Scope
from keruen.analysis.section import Section
from keruen.indicators.remittances import (
    rank_within,
)
from keruen.store import Store
from keruen.store.concepts import concept_series


def _ranked(series: pd.DataFrame, column: str) -> pd.DataFrame:
    frame = series[["ref_area", "value"]].rename(columns={"value": column}).copy()
    frame["rank"] = rank_within(frame[column])
    return frame.sort_values("rank").reset_index(drop=True)


def peers(store: Store, scope: Scope) -> Section:
    """Inflows and outflows of the peer group in the latest year each is held, ranked.

    Only countries reporting a value are ranked; the others are listed as not reported.
    """
    country, members = scope.country, list(scope.members)
    inflow = reported(concept_series(store, "remittances_received", members))
    outflow = reported(concept_series(store, "remittances_paid", members))

    def latest(frame: pd.DataFrame) -> str | None:
        """The country's latest year among the years at least half the peers report.

        Else the group's latest such year (the country is then listed as not reported).
        """
        if frame.empty:
            return None
        counts = frame.groupby("period")["ref_area"].nunique()
        covered = counts[counts >= 0.5 * counts.max()]
        own = frame.loc[frame["ref_area"] == country, "period"]
        own = own[own.isin(covered.index)]
        return str(own.max()) if len(own) else str(covered.index.max())

    inflow_year, outflow_year = latest(inflow), latest(outflow)
    in_latest = inflow[inflow["period"] == inflow_year]
    in_paper = inflow[inflow["period"] == str(PAPER_YEAR)]
    out_latest = outflow[outflow["period"] == outflow_year]
    tables = {
        "inflows_latest": _ranked(in_latest, "inflow"),
        "inflows_paper_year": _ranked(in_paper, "inflow"),
        "outflows_latest": _ranked(out_latest, "outflow"),
    }

    def own_rank(table: pd.DataFrame) -> tuple[int, int]:
        row = table[table["ref_area"] == country]
        return (int(row["rank"].iloc[0]) if len(row) else -1, len(table))

    values = {
        "country": country,
        "group": scope.group,
        "members": members,
        "inflow_year": int(inflow_year) if inflow_year else None,
        "outflow_year": int(outflow_year) if outflow_year else None,
        "rank_inflow_latest": own_rank(tables["inflows_latest"]),
        "rank_inflow_paper_year": own_rank(tables["inflows_paper_year"]),
        "rank_outflow_latest": own_rank(tables["outflows_latest"]),
        "not_reported_inflow_latest": not_reported(members, in_latest),
        "not_reported_inflow_paper_year": not_reported(members, in_paper),
        "not_reported_outflow_latest": not_reported(members, out_latest),
        # kept under its old name: the countries the paper's ranking counts but that report none
        "zero_inflow": not_reported(members, in_paper),
        "missing_outflow": not_reported(members, out_latest),
    }
    return Section(
        "cis",
        tables,
        values,
        merge_sources(source_line(in_latest), source_line(in_paper), source_line(out_latest)),
    )
