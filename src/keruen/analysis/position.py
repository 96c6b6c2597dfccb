"""The country's donor or recipient position, stated from other sections' numbers."""

from __future__ import annotations

from typing import Any

from keruen.analysis.provenance import merge_sources
from keruen.analysis.scope import Scope
from keruen.analysis.section import Section
from keruen.store import Store


def position(
    store: Store, scope: Scope, trend: Section, cis: Section, labour: Section | None = None
) -> Section:
    """The country's donor/recipient position, stated from the numbers of the other sections.

    Reads no data of its own: the last and first donor–recipient index of ``trend``, the ranks
    of ``cis`` and (Kazakhstan) the labour-migrant balance of ``labour``.
    """
    series = trend.tables["series"].dropna(subset=["dri"])
    labour_balance = labour.values["labour_balance"] if labour is not None else None
    values: dict[str, Any] = {
        "country": trend.values["country"],
        "years": len(series),
        "labour_balance": labour_balance,
        "rank_outflow": cis.values["rank_outflow_latest"],
        "rank_inflow": cis.values["rank_inflow_paper_year"],
        "heads_say_recipient": None if labour_balance is None else bool(labour_balance > 0),
    }
    if len(series):
        last, first = series.iloc[-1], series.iloc[0]
        values |= {
            "dri_last": float(last["dri"]),
            "dri_last_year": int(last["year"]),
            "dri_first": float(first["dri"]),
            "dri_first_year": int(first["year"]),
            "years_net_payer": int((series["dri"] > 0).sum()),
            "money_says_recipient": bool(last["dri"] > 0),
        }
    else:
        values["money_says_recipient"] = None
    sources = merge_sources(trend.sources, labour.sources if labour is not None else [])
    return Section("position", {}, values, sources)
