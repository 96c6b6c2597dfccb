"""Remittance corridors: one world allocation, each country's corridors from it.

Every country's recorded remittances received are shared out over the hosts of its emigrants
(Ratha–Shaw, :mod:`keruen.models.remittance_allocation`) once per store; a country's section
keeps the corridors it sends or receives, beside the World Bank's 2017 matrix. The margins are
each country's remittance totals through the release choice every section makes
(:func:`keruen.analysis.releases.held_series`): Turkmenistan's receipts come from the WDI
release its trend shows, not from the newest one, which reports none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from keruen.analysis.provenance import merge_sources, source_line
from keruen.analysis.releases import held_in, releases_used, with_older_release
from keruen.analysis.scope import Scope
from keruen.analysis.section import Section, not_held
from keruen.models.corridor_comparison import agreement as wb_agreement
from keruen.models.corridor_ensemble import CENTRAL, ENSEMBLE, allocate_ensemble, corridor_range
from keruen.models.remittance_allocation import DEFAULT_RULE, allocate_remittances
from keruen.store import Store
from keruen.store.corridors import corridor_inputs as read_corridor_inputs
from keruen.store.estimates import Estimate, inputs_of

CORRIDOR_YEAR = "2017"
#: The allocation rule closest to the World Bank's 2017 matrix (the models' default).
CORRIDOR_RULE = DEFAULT_RULE


def corridor_inputs(
    store: Store, year: str = CORRIDOR_YEAR
) -> tuple[pd.DataFrame, pd.Series, pd.Series, list[pd.DataFrame], list[str]]:
    """(stocks orig/dest/stock, received, GDP per head, frames used, areas dropped for no income).

    The store's one reading of the allocation inputs (:func:`keruen.store.corridors.
    corridor_inputs`) as a tuple, remittances through the analysis' release choice
    (:func:`keruen.analysis.releases.held_in`); the frames used leave out the reference matrix.
    """
    ci = read_corridor_inputs(store, year, held_in)
    return ci.stocks, ci.received, ci.income, list(ci.used[:-1]), list(ci.dropped_no_income)


def _agreement(ours: pd.Series, theirs: pd.Series) -> dict[str, float]:
    both = pd.concat([ours.rename("ours"), theirs.rename("wb")], axis=1).dropna()
    both = both[(both["ours"] > 0) & (both["wb"] > 0)]
    if len(both) < 3:
        return {"n": float(len(both))} | dict.fromkeys(
            ("spearman", "ratio_of_sums", "within_factor_2", "median_abs_log_ratio"), np.nan
        )
    log_ratio = np.log(both["ours"] / both["wb"])
    return {
        "n": float(len(both)),
        "spearman": float(stats.spearmanr(both["ours"], both["wb"]).statistic),
        "ratio_of_sums": float(both["ours"].sum() / both["wb"].sum()),
        "within_factor_2": float((np.abs(log_ratio) <= np.log(2)).mean()),
        "median_abs_log_ratio": float(np.abs(log_ratio).median()),
    }


def _float(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) else np.nan


@dataclass(frozen=True)
class CorridorWorld:
    """The world allocation of every ensemble variant, the receipts-only allocation and the
    World Bank 2017 matrix (the same for every country)."""

    results: dict[str, Any]
    receipts_only: Any
    range: pd.DataFrame
    wb: pd.DataFrame
    wb_s: pd.Series
    received: pd.Series
    used: list[pd.DataFrame]
    dropped: list[str]
    paid: pd.Series
    received_rows: pd.DataFrame
    paid_rows: pd.DataFrame


def world_allocation(store: Store) -> CorridorWorld:
    """Allocate the world's recorded remittances by every variant (the same for every country).

    Every variant of :data:`keruen.models.corridor_ensemble.ENSEMBLE` is fitted to both
    margins, receivers' recorded receipts and senders' recorded payments; the receipts-only
    allocation of the central weights is kept for the comparison with the World Bank matrix.
    Receipts and payments are read through the release choice of every section
    (:func:`keruen.analysis.releases.held_in`).
    """
    ci = read_corridor_inputs(store, CORRIDOR_YEAR, held_in)
    results = allocate_ensemble(ci.stocks, ci.received, ci.income, ci.paid)
    receipts_only = allocate_remittances(ci.stocks, ci.received, ci.income, rule=CORRIDOR_RULE)
    *used, wb = ci.used  # the last frame read is the World Bank matrix (US$ million)
    received_rows, paid_rows = used[3], used[4]  # (stocks, gdp, population, received, paid)
    return CorridorWorld(
        results,
        receipts_only,
        corridor_range(results),
        wb,
        ci.reference,
        ci.received,
        used,
        list(ci.dropped_no_income),
        ci.paid,
        received_rows,
        paid_rows,
    )


def labour_origins(scope: Scope, sent: pd.Series) -> tuple[str, ...]:
    """Neighbours (:attr:`Scope.neighbours`) to which the country's allocation sends remittances.

    ``sent`` maps receiver -> amount sent by the country. For Kazakhstan: Uzbekistan,
    Kyrgyzstan, Tajikistan.
    """
    return tuple(c for c in scope.neighbours if float(sent.get(c, 0.0)) > 0)


#: The two margins: the flow's name in ``values["releases"]`` (as the trend's) and its concept.
FLOWS = (("inflow", "remittances_received"), ("outflow", "remittances_paid"))


def margin_releases(
    store: Store, world: CorridorWorld, scope: Scope
) -> tuple[dict[str, list[dict[str, object]]], dict[str, dict[str, Any]], dict[str, Any]]:
    """Which release and year each of the country's margins comes from.

    Returns ``(releases, older_release, elsewhere)``: per flow, the release (years) read for
    the corridor year, as the trend names its own (:func:`keruen.analysis.releases.
    releases_used`); the fallback to an older release, when the margin took one (the same
    :func:`~keruen.analysis.releases.with_older_release` choice as the trend's); and, for a
    margin the corridor year lacks, the release (years) the country's series is read from
    otherwise, so that the section says the year is missing rather than the figures.
    """
    country = scope.country
    rows = {"inflow": world.received_rows, "outflow": world.paid_rows}
    years = [str(y) for y in range(scope.first_year, 2101)]
    releases: dict[str, list[dict[str, object]]] = {}
    older: dict[str, dict[str, Any]] = {}
    elsewhere: dict[str, Any] = {}
    for flow, concept in FLOWS:
        frame = rows[flow]
        releases[flow] = releases_used(frame[frame["ref_area"] == country]) if len(frame) else []
        series, found = with_older_release(store, concept, country, years)
        if found is not None and any(r["release"] == found["release"] for r in releases[flow]):
            older[flow] = found
        if not releases[flow] and len(series):
            elsewhere[flow] = releases_used(series)
    return releases, older, elsewhere


def corridors(store: Store, scope: Scope, corridor_world: CorridorWorld) -> Section:
    """The country's remittance corridors by Ratha–Shaw allocation, beside the WB 2017 matrix.

    The allocation is the world's (receipts and payments, :func:`world_allocation`); the
    section keeps the corridors the country sends or receives, up to 8 each way, and
    (``senders``) each of their senders' recorded outflow beside its allocated total, with the
    world's (``world_senders``) and its ``unallocated`` difference. ``values["releases"]``
    and ``values["older_release"]`` name the release and year of the country's margins as
    the trend names its own (:func:`margin_releases`); a section not held for a missing
    margin names, in ``values["held_other_years"]``, the release and years that do hold it.
    """
    country = scope.country
    world = corridor_world
    results, wb, wb_s, received = world.results, world.wb, world.wb_s, world.received
    central = results[CENTRAL.name]
    ours = central.corridors.set_index(["sender", "receiver"])["remittances"]
    low, high = world.range["low"], world.range["high"]
    keys = [k for k in ours.index.union(wb_s.index) if country in k]
    own_keys = [k for k in ours.index if country in k and float(ours[k]) > 0]
    releases, older, elsewhere = margin_releases(store, world, scope)
    if not own_keys:  # a country reporting neither margin in the corridor year: nothing allocated
        lacking = [
            code
            for code, held in (
                ("remittances_paid", country in world.paid.index),
                ("remittances_received", country in received.index),
            )
            if not held
        ]
        section = not_held("corridors", country, *(lacking or ["wb_bilateral_stocks"]))
        section.values.update(
            {"year": int(CORRIDOR_YEAR), "releases": releases, "held_other_years": elsewhere}
        )
        return section
    table = pd.DataFrame(
        {
            "sender": [k[0] for k in keys],
            "receiver": [k[1] for k in keys],
            "estimate": [float(ours.get(k, 0.0)) for k in keys],
            "low": [float(low.get(k, 0.0)) for k in keys],
            "high": [float(high.get(k, 0.0)) for k in keys],
            "wb": [float(wb_s.get(k, np.nan)) for k in keys],
        }
    )
    table["direction"] = np.where(table["sender"] == country, "out", "in")
    table = table[(table["estimate"] > 0) | (table["wb"] > 0)]
    # a corridor the allocation cannot estimate (the receiver reports no remittances received)
    # is not estimated, not estimated as zero
    table.loc[table["estimate"] <= 0, ["estimate", "low", "high"]] = np.nan
    table = table.sort_values(
        ["direction", "estimate"], ascending=[False, False], na_position="last"
    )
    table = table.groupby("direction", sort=False).head(8).reset_index(drop=True)
    paid_rec = float(world.paid.get(country, np.nan))
    sent = pd.Series({k[1]: float(ours[k]) for k in own_keys if k[0] == country}, dtype=float)
    got = pd.Series({k[0]: float(ours[k]) for k in own_keys if k[1] == country}, dtype=float)
    out_total = float(sent.sum())
    in_total = float(got.sum())
    wb_out = float(sum(v for k, v in wb_s.items() if k[0] == country))
    wb_in = float(sum(v for k, v in wb_s.items() if k[1] == country))
    origins = labour_origins(scope, sent)
    ca_ours = float(sent.reindex(list(origins)).sum())
    ca_wb = float(sum(v for k, v in wb_s.items() if k[0] == country and k[1] in origins))
    top_out = str(sent.idxmax()) if len(sent) else None
    top_in = str(got.idxmax()) if len(got) else None
    rec = float(received.get(country, np.nan))
    senders = central.senders
    shown = set(table["sender"]) | {country}
    own_senders = senders[senders["sender"].isin(shown)].sort_values("allocated", ascending=False)
    unalloc = central.unallocated
    rec_unallocated = float(
        unalloc.loc[
            (unalloc["side"] == "sender") & (unalloc["country"] == country), "remittances"
        ].sum()
    )
    mine = senders[senders["sender"] == country]
    values = {
        "country": country,
        "year": int(CORRIDOR_YEAR),
        "rule": CORRIDOR_RULE,
        "income_elasticity": _float(central.parameters.get("income_elasticity")),
        "method": central.method,
        "assumptions": central.assumptions,
        "agreement_country": _agreement(ours[[k for k in ours.index if country in k]], wb_s),
        "agreement_all": _agreement(ours, wb_s),
        "wb_corridors": int(sum(1 for k in wb_s.index if country in k)),
        "received": rec if rec > 0 else np.nan,
        "received_allocated": in_total if in_total > 0 else np.nan,
        "received_wb": wb_in if wb_in > 0 else np.nan,
        "paid_recorded": paid_rec if paid_rec > 0 else np.nan,
        "paid_allocated": out_total if out_total > 0 else np.nan,
        "paid_wb": wb_out if wb_out > 0 else np.nan,
        "margins": central.parameters.get("margins"),
        "releases": releases,
        "older_release": older,
        "held_other_years": elsewhere,
        "ensemble": [v.name for v in ENSEMBLE],
        "central_variant": CENTRAL.name,
        "wb_comparison": {
            "both_margins": wb_agreement(ours, wb_s),
            "receipts_only": wb_agreement(
                world.receipts_only.corridors.set_index(["sender", "receiver"])["remittances"],
                wb_s,
            ),
        },
        "paid_margins": str(mine["margins"].iloc[0]) if len(mine) else None,
        "received_unallocated": rec_unallocated if rec > 0 else np.nan,
        "unallocated_world": _float(central.parameters.get("unallocated")),
        "senders_both_margins": int((senders["margins"] == "both").sum()),
        "senders_max_gap": float(
            (
                (senders["allocated"] + senders["unallocated"]) / senders["recorded"] - 1
            ).abs()[senders["margins"] == "both"].max()
        ),
        "labour_origins": list(origins),
        "labour_origins_share": ca_ours / out_total if out_total and ca_ours else np.nan,
        "labour_origins_share_wb": ca_wb / wb_out if wb_out and ca_wb else np.nan,
        "top_receiver": top_out,
        "top_receiver_share": float(sent[top_out]) / out_total if top_out else np.nan,
        "top_sender": top_in,
        "top_sender_share": float(got[top_in]) / in_total if top_in else np.nan,
        "wb_lacks": sorted(
            c for c in origins if (country, c) not in wb_s.index and (country, c) in ours
        ),
        "n_receivers": int(central.corridors["receiver"].nunique()),
        "dropped_no_income": world.dropped,
        "estimates": [
            Estimate(
                model="remittance_corridors",
                rows=central.corridors.assign(
                    measure="bilateral_remittances",
                    ref_area=central.corridors["receiver"],
                    counterpart_area=central.corridors["sender"],
                    period=CORRIDOR_YEAR,
                    value=central.corridors["remittances"],
                    unit="current USD",
                )[["measure", "ref_area", "counterpart_area", "period", "value", "unit"]],
                method=central.method,
                assumptions=central.assumptions,
                parameters=dict(central.parameters) | {"year": CORRIDOR_YEAR},
                inputs=inputs_of(pd.concat(world.used, ignore_index=True)),
                title="Bilateral remittance corridors (ref_area receives from counterpart_area)",
            )
        ],
    }
    sources = merge_sources(*(source_line(u) for u in world.used), source_line(wb))
    tables = {"corridors": table, "senders": own_senders.reset_index(drop=True)}
    tables["world_senders"] = senders
    return Section("corridors", tables, values, sources)
