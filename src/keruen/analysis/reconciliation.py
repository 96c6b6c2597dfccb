"""Reconciliation: every figure the paper states beside the value computed from the store.

Each row gets the computed value where a comparable one exists, the difference, and a reason
code (with parameters) that the report renders in its language:

- ``same_release``: same World Bank release as the paper; differences are rounding;
- ``derived_share``: no official %-of-GDP value held for the year; derived from inflows ÷ GDP;
- ``gdp_vintage``: derived share differs beyond rounding because the GDP vintage differs;
- ``not_held``: the series we hold ends before the paper's year (latest held value shown);
- ``ratio_years``: a multi-year average computed over the years held;
- ``other_release``: a different release/period of the same source is held;
- ``aggregate_definition``: a World Bank aggregate whose country set differs from the paper's;
- ``internal_check``: no independent series; checked against the paper's own other figures;
- ``admin_only``: administrative figure published only through the paper; nothing to compare.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from keruen.analysis.paper import paper_rows, sources_of_kind
from keruen.analysis.scope import Scope
from keruen.analysis.section import Section
from keruen.store import Store
from keruen.store.concepts import concept_series

ROUNDING_TOLERANCE = 0.005  # relative: a paper figure printed to 3-4 significant digits


def _row(fig: pd.Series, computed: float | None, code: str, **params: Any) -> dict[str, Any]:
    paper = float(fig["value"])
    diff = (computed - paper) if computed is not None and not np.isnan(computed) else np.nan
    rel = diff / paper if paper and not np.isnan(diff) else np.nan
    return {
        "measure": fig["measure"],
        "ref_area": fig["ref_area"],
        "counterpart_area": fig["counterpart_area"]
        if isinstance(fig["counterpart_area"], str)
        else "",
        "period": fig["period"],
        "unit": fig["unit"],
        "paper": paper,
        "computed": computed if computed is not None else np.nan,
        "difference": diff,
        "relative": rel,
        "reason": code,
        "params": params,
        "original_source": fig["original_source"],
    }


def paper_release(store: Store) -> str:
    """Publication date of the paper (release of its figures in the store), ISO format."""
    rel = sources_of_kind(store, "paper_figures")["release"]
    return str(rel.iloc[0]) if len(rel) else ""


def _received(store: Store, fig: pd.Series, published: str = "") -> dict[str, Any]:
    got = concept_series(store, "remittances_received", [fig["ref_area"]], [fig["period"]])
    if got.empty:
        return _row(fig, None, "not_held")
    value = float(got["value"].iloc[0])
    release = str(got["release"].iloc[0])
    agrees = abs(value / fig["value"] - 1) < ROUNDING_TOLERANCE
    # a release published after the paper cannot be the one the paper used
    later = bool(published) and release > published
    if agrees:
        code = "later_release_agrees" if later else "same_release"
    else:
        code = "later_release_revision" if later else "other_release"
    return _row(
        fig, value, code, vintage=got["vintage"].iloc[0], release=release, published=published
    )


def _paid(store: Store, fig: pd.Series) -> dict[str, Any]:
    got = concept_series(store, "remittances_paid", [fig["ref_area"]])
    same = got[got["period"] == fig["period"]]
    if not same.empty:
        return _row(
            fig, float(same["value"].iloc[0]), "other_release", vintage=same["vintage"].iloc[0]
        )
    return _not_held_latest(fig, got)


def _not_held_latest(fig: pd.Series, held: pd.DataFrame) -> dict[str, Any]:
    """A 'not held' row naming the latest period, value and vintage that the store does hold."""
    last = held.dropna(subset=["value"]).sort_values("period").iloc[-1]
    return _row(
        fig,
        None,
        "not_held",
        last_period=last["period"],
        last_value=float(last["value"]),
        vintage=last["vintage"],
    )


def _share(store: Store, shares: pd.DataFrame, fig: pd.Series, section: Section) -> dict[str, Any]:
    row = shares[shares["ref_area"] == fig["ref_area"]]
    if row.empty or str(section.values["derived_year"]) != str(fig["period"]):
        return _row(fig, None, "not_held", official_year=section.values["official_year"])
    value = float(row["share_derived"].iloc[0])
    inflow = float(row["inflow"].iloc[0])
    gdp = float(row["gdp"].iloc[0])
    # the paper prints one decimal: agreement means the derived share rounds to its figure
    if round(value, 1) == round(float(fig["value"]), 1):
        return _row(fig, value, "derived_share", official_year=section.values["official_year"])
    # which input moves the share: the GDP that would give the paper's share with our inflow
    implied_gdp = 100.0 * inflow / float(fig["value"])
    gdp_rows = concept_series(store, "gdp", [fig["ref_area"]], [str(fig["period"])])
    return _row(
        fig,
        value,
        "gdp_vintage",
        official_year=section.values["official_year"],
        area=fig["ref_area"],
        gdp=gdp,
        implied_gdp=implied_gdp,
        gdp_vintage=str(gdp_rows["vintage"].iloc[0]) if len(gdp_rows) else "",
    )


def reconcile(
    store: Store, scope: Scope, trend: Section, cis: Section, share_gdp: Section, labour: Section
) -> Section:
    """Every figure the paper states beside keruen's value (Kazakhstan only).

    ``tables["reconciliation"]``: :func:`reconciliation_table`.
    """
    table = reconciliation_table(store, trend, cis, share_gdp, labour)
    return Section("reconcile", {"reconciliation": table}, {"country": scope.country}, [])


def reconciliation_table(
    store: Store, trend: Section, cis: Section, share: Section, labour: Section
) -> pd.DataFrame:
    """One row per figure stated in the paper (plus its ranking statements), in paper order."""
    figs = store.paper_figures()
    published = paper_release(store)
    rows: list[dict[str, Any]] = []
    for _, fig in figs.iterrows():
        m = fig["measure"]
        if m == "remittances_received":
            rows.append(_received(store, fig, published))
        elif m == "remittances_paid":
            rows.append(_paid(store, fig))
        elif m == "remittances_received_pct_gdp":
            rows.append(_share(store, share.tables["shares"], fig, share))
        elif m == "remittances_paid_to_received_ratio_mean":
            s = trend.values["summary"]
            rows.append(
                _row(
                    fig,
                    s["mean_of_ratios"],
                    "ratio_years",
                    first=int(s["first_year"]),
                    last=int(s["last_year"]),
                    ratio_of_sums=s["ratio_of_sums"],
                )
            )
        elif m == "remittances_to_lmic":
            got = store.observations("WB_WDI", "BX.TRF.PWKR.CD.DT", "LMY", period=fig["period"])
            value = float(got["value"].iloc[0]) if len(got) else None
            rows.append(
                _row(
                    fig,
                    value,
                    "aggregate_definition",
                    vintage=got["vintage"].iloc[0] if len(got) else "",
                )
            )
        elif m == "international_migrants":
            got = concept_series(store, "migrant_stock", [fig["ref_area"]])
            rows.append(_not_held_latest(fig, got))
        elif m == "emigrants_specialists":
            total = paper_rows(store, "emigrants_total")["value"].sum()
            rows.append(_row(fig, 0.30 * total, "internal_check", check="thirty_percent"))
        elif m == "foreign_workers_quota_share_of_workforce":
            q = labour.tables["quota"]
            match = q[q["period"] == fig["period"]]
            lf = float(match["implied_labour_force"].iloc[0]) if len(match) else np.nan
            rows.append(
                _row(fig, None, "internal_check", check="implied_labour_force", labour_force=lf)
            )
        elif (
            m in {"labour_immigrants_arrived", "labour_emigrants_departed"}
            and fig["counterpart_area"] == "WLD"
        ):
            parts = paper_rows(store, m)
            listed = parts.loc[parts["counterpart_area"] != "WLD", "value"].sum()
            rows.append(
                _row(fig, None, "internal_check", check="listed_parts", listed=float(listed))
            )
        elif m == "labour_migrants_regional_share":
            regions = labour.tables["regions"]
            match = regions[regions["region"] == fig["ref_area"]]
            pop_share = float(match["population_share"].iloc[0]) if len(match) else np.nan
            rows.append(
                _row(
                    fig,
                    None,
                    "admin_only_region",
                    population_share=pop_share,
                    year=labour.values["population_year"],
                )
            )
        else:
            rows.append(_row(fig, None, "admin_only"))
    # statements the paper makes about ranks, checked against the ranks computed
    rank_in, n_in = cis.values["rank_inflow_paper_year"]
    rank_out, n_out = cis.values["rank_outflow_latest"]
    rows.append(
        {
            "measure": "rank_remittances_received",
            "ref_area": "KAZ",
            "counterpart_area": "",
            "period": "2023",
            "unit": "rank",
            # the paper ranks Kazakhstan last of the whole comparison group
            "paper": float(len(cis.values["members"])),
            "computed": float(rank_in),
            "difference": float(rank_in - len(cis.values["members"])),
            "relative": np.nan,
            "reason": "rank_zero_reporters",
            "params": {
                "zero": ", ".join(cis.values["zero_inflow"]),
                "n": n_in,
                "rank": rank_in,
                "paper_n": len(cis.values["members"]),
            },
            "original_source": "World Bank",
        }
    )
    rows.append(
        {
            "measure": "rank_remittances_paid",
            "ref_area": "KAZ",
            "counterpart_area": "",
            "period": str(cis.values["outflow_year"]),
            "unit": "rank",
            "paper": 2.0,
            "computed": float(rank_out),
            "difference": float(rank_out - 2),
            "relative": np.nan,
            "reason": "rank_outflow_year",
            "params": {
                "year": cis.values["outflow_year"],
                "n": n_out,
                "missing": ", ".join(cis.values["missing_outflow"]),
            },
            "original_source": "World Bank",
        }
    )
    return pd.DataFrame(rows)
