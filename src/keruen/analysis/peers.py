"""The country among its peers: remittances received and paid, ranked."""

from __future__ import annotations

import pandas as pd

from keruen.analysis.missing import not_reported
from keruen.analysis.paper import PAPER_YEAR
from keruen.analysis.provenance import merge_sources, source_line
from keruen.analysis.releases import held_series
from keruen.analysis.scope import Scope
from keruen.analysis.section import Section
from keruen.indicators.remittances import (
    rank_within,
)
from keruen.store import Store

#: A country's figure more than this many years older than its group's latest is not current.
STALE_YEARS = 10


def _series(store: Store, concept: str, members: list[str], first_year: int) -> pd.DataFrame:
    """Reported values of ``members``, each through the trend's release choice
    (:func:`~keruen.analysis.releases.held_series`)."""
    return held_series(store, concept, members, first_year)[0]


def _ranked(series: pd.DataFrame, column: str) -> pd.DataFrame:
    frame = series[["ref_area", "value"]].rename(columns={"value": column}).copy()
    frame["rank"] = rank_within(frame[column])
    return frame.sort_values("rank").reset_index(drop=True)


def peers(store: Store, scope: Scope) -> Section:
    """Inflows and outflows of the peer group, ranked in the latest year common to the group.

    Only countries reporting a value are ranked; the others are listed as not reported. The
    year is the latest that at least half the group reports and the country too, unless the
    country's is more than :data:`STALE_YEARS` older than the group's (then the group's latest
    year, the country not ranked). A member the newest release reports nothing for since
    ``scope.first_year`` is read from the newest older release holding it.
    """
    country, members = scope.country, list(scope.members)
    inflow = _series(store, "remittances_received", members, scope.first_year)
    outflow = _series(store, "remittances_paid", members, scope.first_year)
    stale: dict[str, int] = {}

    def latest(frame: pd.DataFrame, flow: str) -> str | None:
        """The latest year common to the group that the country reports, if it is current.

        Years at least half the reporting peers report are common to the group. The
        country's latest such year is ranked unless it is more than :data:`STALE_YEARS`
        older than the group's latest; then the group's latest is ranked and the country is
        listed as not reported (its latest year kept in ``values["stale"]``).
        """
        if frame.empty:
            return None
        counts = frame.groupby("period")["ref_area"].nunique()
        covered = counts[counts >= 0.5 * counts.max()]
        group_latest = str(covered.index.max())
        own = frame.loc[frame["ref_area"] == country, "period"]
        own = own[own.isin(covered.index)]
        if len(own) and int(group_latest) - int(own.max()) <= STALE_YEARS:
            return str(own.max())
        if len(own):
            stale[flow] = int(own.max())
        return group_latest

    inflow_year, outflow_year = latest(inflow, "inflow"), latest(outflow, "outflow")
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
        # the country's latest year where it is too old to be ranked as current
        "stale": stale,
    }
    return Section(
        "cis",
        tables,
        values,
        merge_sources(source_line(in_latest), source_line(in_paper), source_line(out_latest)),
    )
