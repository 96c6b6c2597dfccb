"""The numbers of the report, computed from the store (language-independent).

Each ``section_*`` function reads what it needs from the store, calls the pure indicator
functions, and returns a :class:`Section` holding tables, scalars and the provenance of every
value it shows. Figures that exist only as the paper states them (Migration Committee,
Ministry of Labour) are read from the store's ``paper_figures`` table and flagged as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from keruen.areas import group_members
from keruen.indicators.remittances import (
    donor_recipient_index,
    outflow_inflow_ratio,
    rank_within,
    ratio_summary,
    remittance_measures,
    share_of_gdp,
)
from keruen.report.provenance import merge_sources, source_line
from keruen.store import Store
from keruen.store.concepts import concept_series
from keruen.store.panels import remittance_panel

COUNTRY = "KAZ"
FIRST_YEAR = 2010
PAPER_YEAR = 2023
#: The comparison group of the paper's CIS figures (CIS members and former members; no Baltics).
GROUP = "cis_and_former"


@dataclass
class Section:
    """One section's tables, scalars and sources (provenance of every value shown)."""

    key: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    sources: list[dict[str, str]] = field(default_factory=list)


def _years(first: int, last: int) -> list[str]:
    return [str(y) for y in range(first, last + 1)]


def paper_source(store: Store) -> list[dict[str, str]]:
    """The provenance line of the paper's stated figures."""
    src = store.sources()
    src = src[src["kind"] == "paper_figures"]
    return source_line(src.assign(dataset=src["dataset"]))


def paper_rows(store: Store, measure: str) -> pd.DataFrame:
    """The paper's figures for one measure."""
    figs = store.paper_figures()
    return figs[figs["measure"] == measure].reset_index(drop=True)


def section_trend(store: Store) -> Section:
    """Kazakhstan's remittance inflows and outflows, FIRST_YEAR–latest, and their ratio."""
    years = _years(FIRST_YEAR, 2100)
    inflow = concept_series(store, "remittances_received", [COUNTRY], years)
    outflow = concept_series(store, "remittances_paid", [COUNTRY], years)
    frame = (
        inflow[["period", "value"]]
        .rename(columns={"value": "inflow"})
        .merge(
            outflow[["period", "value"]].rename(columns={"value": "outflow"}),
            on="period",
            how="outer",
        )
        .assign(year=lambda f: f["period"].astype(int))
        .sort_values("year")
        .reset_index(drop=True)
    )
    frame["ratio"] = outflow_inflow_ratio(frame["outflow"], frame["inflow"])
    frame["dri"] = donor_recipient_index(frame["outflow"], frame["inflow"])
    summary = ratio_summary(frame.set_index("year")["outflow"], frame.set_index("year")["inflow"])
    paid_paper = paper_rows(store, "remittances_paid")
    values = {
        "summary": summary,
        "last_inflow_year": int(frame.dropna(subset=["inflow"])["year"].max()),
        "last_outflow_year": int(frame.dropna(subset=["outflow"])["year"].max()),
        "paper_outflow": paid_paper.iloc[0].to_dict() if len(paid_paper) else None,
    }
    return Section(
        "trend", {"series": frame}, values, merge_sources(source_line(inflow), source_line(outflow))
    )


def _ranked(series: pd.DataFrame, column: str) -> pd.DataFrame:
    frame = series[["ref_area", "value"]].rename(columns={"value": column}).copy()
    frame["rank"] = rank_within(frame[column])
    return frame.sort_values("rank").reset_index(drop=True)


def section_cis(store: Store) -> Section:
    """Inflows and outflows of the comparison group in the latest year each is held, ranked."""
    members = list(group_members(GROUP))
    inflow = concept_series(store, "remittances_received", members)
    outflow = concept_series(store, "remittances_paid", members)
    inflow_year = str(inflow.dropna(subset=["value"]).query("ref_area == @COUNTRY")["period"].max())
    outflow_year = str(
        outflow.dropna(subset=["value"]).query("ref_area == @COUNTRY")["period"].max()
    )
    in_latest = inflow[inflow["period"] == inflow_year].dropna(subset=["value"])
    in_paper = inflow[inflow["period"] == str(PAPER_YEAR)].dropna(subset=["value"])
    out_latest = outflow[outflow["period"] == outflow_year].dropna(subset=["value"])
    tables = {
        "inflows_latest": _ranked(in_latest, "inflow"),
        "inflows_paper_year": _ranked(in_paper, "inflow"),
        "outflows_latest": _ranked(out_latest, "outflow"),
    }

    def kaz_rank(table: pd.DataFrame) -> tuple[int, int]:
        row = table[table["ref_area"] == COUNTRY]
        return (int(row["rank"].iloc[0]) if len(row) else -1, len(table))

    values = {
        "group": GROUP,
        "inflow_year": int(inflow_year),
        "outflow_year": int(outflow_year),
        "rank_inflow_latest": kaz_rank(tables["inflows_latest"]),
        "rank_inflow_paper_year": kaz_rank(tables["inflows_paper_year"]),
        "rank_outflow_latest": kaz_rank(tables["outflows_latest"]),
        "zero_inflow": sorted(in_paper.loc[in_paper["value"] == 0, "ref_area"]),
        "missing_outflow": sorted(set(members) - set(out_latest["ref_area"])),
    }
    return Section(
        "cis",
        tables,
        values,
        merge_sources(source_line(in_latest), source_line(in_paper), source_line(out_latest)),
    )


def section_share_gdp(store: Store) -> Section:
    """Inflows as % of GDP across the post-Soviet countries: official series and derived."""
    members = list(group_members("post_soviet"))
    official = concept_series(store, "remittances_received_pct_gdp", members)
    official_year = str(official.dropna(subset=["value"])["period"].max())
    gdp = concept_series(store, "gdp", members)
    gdp_year = str(gdp.dropna(subset=["value"])["period"].max())
    inflow = concept_series(store, "remittances_received", members, [gdp_year])
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
    table["rank"] = rank_within(table["share_derived"])
    values = {"official_year": int(official_year), "derived_year": int(gdp_year)}
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


def _with_share(frame: pd.DataFrame, total: float | None) -> pd.DataFrame:
    out = frame.copy()
    if total:
        out["share"] = 100.0 * out["value"] / total
    return out


def section_labour(store: Store) -> Section:
    """Labour migrants, regions, quotas and specialists: the paper's administrative figures.

    Each table is flagged as stated in the paper; where the store holds a related real series
    (regional population, national population), it is set beside the figure.
    """
    src = paper_source(store)
    imm = paper_rows(store, "labour_immigrants_arrived")
    emi = paper_rows(store, "labour_emigrants_departed")
    imm_total = imm.loc[imm["counterpart_area"] == "WLD", "value"].sum()
    emi_total = emi.loc[emi["counterpart_area"] == "WLD", "value"].sum()
    immigrants = _with_share(imm[imm["counterpart_area"] != "WLD"], imm_total)
    emigrants = _with_share(emi[emi["counterpart_area"] != "WLD"], emi_total)

    regions = paper_rows(store, "labour_migrants_regional_share")
    region_year = str(regions["period"].iloc[0]) if len(regions) else str(PAPER_YEAR)
    pop = store.observations("KZ_BNS_POPULATION", "population", period=region_year)
    pop_year = region_year
    if pop.empty:
        pop = store.observations("KZ_BNS_POPULATION", "population")
        pop_year = str(pop["period"].max())
        pop = pop[pop["period"] == pop_year]
    national = float(pop.loc[pop["ref_area"] == "KZ", "value"].sum())
    reg = regions.rename(columns={"ref_area": "region", "value": "migrant_share"})[
        ["region", "migrant_share"]
    ].merge(
        pop[["ref_area", "value"]].rename(columns={"ref_area": "region", "value": "population"}),
        on="region",
        how="left",
    )
    reg["population_share"] = 100.0 * reg["population"] / national if national else np.nan
    # location quotient: share of labour migrants ÷ share of residents (> 1: over-represented)
    reg["location_quotient"] = reg["migrant_share"] / reg["population_share"]

    quota = paper_rows(store, "foreign_workers_quota")[["period", "value"]]
    quota_share = paper_rows(store, "foreign_workers_quota_share_of_workforce")[["period", "value"]]
    quota_t = quota.rename(columns={"value": "quota"}).merge(
        quota_share.rename(columns={"value": "share_labour_force"}), on="period", how="outer"
    )
    wb_pop = concept_series(store, "population", ["KAZ"], list(quota_t["period"].astype(str)))
    quota_t = quota_t.merge(
        wb_pop[["period", "value"]].rename(columns={"value": "population"}), on="period", how="left"
    )
    quota_t["per_1000_population"] = 1000.0 * quota_t["quota"] / quota_t["population"]
    # the labour force the paper's two figures imply: quota ÷ (share / 100)
    quota_t["implied_labour_force"] = quota_t["quota"] / (quota_t["share_labour_force"] / 100.0)
    quota_t = quota_t.sort_values("period").reset_index(drop=True)

    spec = paper_rows(store, "emigrant_specialists_by_profession")
    spec_total = paper_rows(store, "emigrants_specialists")["value"].sum()
    emig_total = paper_rows(store, "emigrants_total")["value"].sum()
    specialists = _with_share(spec, spec_total).sort_values("value", ascending=False)

    values = {
        "immigrants_total": imm_total,
        "emigrants_total": emi_total,
        "labour_balance": imm_total - emi_total,
        "listed_immigrant_share": float(immigrants["share"].sum()) if len(immigrants) else np.nan,
        "listed_region_share": float(reg["migrant_share"].sum()),
        "region_year": region_year,
        "population_year": pop_year,
        "specialists_total": spec_total,
        "emigrants_all": emig_total,
        "specialist_share": 100.0 * spec_total / emig_total if emig_total else np.nan,
        "listed_specialist_share": float(specialists["share"].sum())
        if len(specialists)
        else np.nan,
        "quota_2024": paper_rows(store, "foreign_workers_under_quota")["value"].sum(),
    }
    tables = {
        "immigrants": immigrants.reset_index(drop=True),
        "emigrants": emigrants.reset_index(drop=True),
        "regions": reg.sort_values("migrant_share", ascending=False).reset_index(drop=True),
        "quota": quota_t,
        "specialists": specialists.reset_index(drop=True),
    }
    return Section(
        "labour", tables, values, merge_sources(src, source_line(pop), source_line(wb_pop))
    )


def section_position(trend: Section, cis: Section, labour: Section) -> Section:
    """Kazakhstan's donor/recipient position, stated from the numbers of the other sections."""
    series = trend.tables["series"].dropna(subset=["dri"])
    last = series.iloc[-1]
    first = series.iloc[0]
    values = {
        "dri_last": float(last["dri"]),
        "dri_last_year": int(last["year"]),
        "dri_first": float(first["dri"]),
        "dri_first_year": int(first["year"]),
        "years_net_payer": int((series["dri"] > 0).sum()),
        "years": len(series),
        "labour_balance": labour.values["labour_balance"],
        "rank_outflow": cis.values["rank_outflow_latest"],
        "rank_inflow": cis.values["rank_inflow_paper_year"],
        "money_says_recipient": bool(last["dri"] > 0),
        "heads_say_recipient": bool(labour.values["labour_balance"] > 0),
    }
    return Section("position", {}, values, merge_sources(trend.sources, labour.sources))


def section_measures(store: Store, year: int) -> Section:
    """Remittance measures of every post-Soviet country for one year.

    The year is the latest with both flows held for Kazakhstan; immigrant stock comes from the
    latest UN DESA year not after it.
    """
    members = list(group_members("post_soviet"))
    panel, used = remittance_panel(store, members, [year])
    stock = concept_series(store, "migrant_stock", members)
    stock = stock[stock["period"].astype(int) <= year].dropna(subset=["value"])
    stock_year = int(stock["period"].astype(int).max()) if len(stock) else None
    if stock_year is not None:
        latest = stock[stock["period"] == str(stock_year)][["ref_area", "value"]]
        panel = panel.drop(columns=["migrant_stock"]).merge(
            latest.rename(columns={"value": "migrant_stock"}), on="ref_area", how="left"
        )
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
        {"year": year, "stock_year": stock_year},
        merge_sources(sources),
    )


def build(store: Store) -> dict[str, Section]:
    """All sections of the report, keyed by name (estimated sections last)."""
    from keruen.report.dynamics import estimated_sections

    trend = section_trend(store)
    cis = section_cis(store)
    share = section_share_gdp(store)
    labour = section_labour(store)
    position = section_position(trend, cis, labour)
    both = trend.tables["series"].dropna(subset=["inflow", "outflow"])
    measures = section_measures(store, int(both["year"].max()))
    observed = {s.key: s for s in (trend, cis, share, labour, position, measures)}
    return observed | estimated_sections(store)
