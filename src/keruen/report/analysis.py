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
from keruen.report.missing import not_reported, reported
from keruen.report.provenance import merge_sources, source_line
from keruen.report.scope import Scope, peer_group
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


def estimates_of(sections: dict[str, Section]) -> list[Any]:
    """Every :class:`~keruen.store.estimates.Estimate` the sections carry, in section order."""
    return [e for s in sections.values() for e in s.values.get("estimates", [])]


def _years(first: int, last: int) -> list[str]:
    return [str(y) for y in range(first, last + 1)]


def paper_source(store: Store) -> list[dict[str, str]]:
    """The provenance line of the paper's stated figures."""
    return source_line(sources_of_kind(store, "paper_figures"))


def sources_of_kind(store: Store, kind: str) -> pd.DataFrame:
    """The stored files of one ``kind`` (e.g. ``paper_figures``), oldest first.

    Asked in SQL, so the report cache records a read of those files only, not of every source.
    """
    return store.con.execute("SELECT * FROM sources WHERE kind = ? ORDER BY source_id", [kind]).df()


def paper_rows(store: Store, measure: str) -> pd.DataFrame:
    """The paper's figures for one measure."""
    figs = store.paper_figures()
    return figs[figs["measure"] == measure].reset_index(drop=True)


def section_trend(store: Store, scope: Scope | None = None) -> Section:
    """The country's remittance inflows and outflows, FIRST_YEAR–latest, and their ratio.

    Years with no value (or a zero standing for "not reported") are absent, not zero: the
    table lists every year from the first to the last held, so gaps stay visible.
    """
    country = (scope or peer_group(COUNTRY)).country
    years = _years(FIRST_YEAR, 2100)
    inflow = reported(concept_series(store, "remittances_received", [country], years))
    outflow = reported(concept_series(store, "remittances_paid", [country], years))
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
    if len(frame):  # every year between the first and the last held: gaps stay visible
        full = pd.DataFrame({"year": range(int(frame["year"].min()), int(frame["year"].max()) + 1)})
        frame = full.merge(frame, on="year", how="left").assign(
            period=lambda f: f["year"].astype(str)
        )
    else:
        frame = pd.DataFrame(columns=["year", "period", "inflow", "outflow"], dtype=float)
    frame["ratio"] = outflow_inflow_ratio(frame["outflow"], frame["inflow"])
    frame["dri"] = donor_recipient_index(frame["outflow"], frame["inflow"])
    summary = ratio_summary(frame.set_index("year")["outflow"], frame.set_index("year")["inflow"])
    paid_paper = paper_rows(store, "remittances_paid")
    values = {
        "country": country,
        "summary": summary,
        "last_inflow_year": _last_year(frame, "inflow"),
        "last_outflow_year": _last_year(frame, "outflow"),
        "paper_outflow": paid_paper.iloc[0].to_dict()
        if len(paid_paper) and country == COUNTRY
        else None,
        "missing_inflow_years": _gaps(frame, "inflow"),
        "missing_outflow_years": _gaps(frame, "outflow"),
    }
    return Section(
        "trend", {"series": frame}, values, merge_sources(source_line(inflow), source_line(outflow))
    )


def _last_year(frame: pd.DataFrame, column: str) -> int | None:
    held = frame.dropna(subset=[column])
    return int(held["year"].max()) if len(held) else None


def _gaps(frame: pd.DataFrame, column: str) -> list[int]:
    """Years inside the table's span with no value of ``column``."""
    return [int(y) for y in frame.loc[frame[column].isna(), "year"]]


def _ranked(series: pd.DataFrame, column: str) -> pd.DataFrame:
    frame = series[["ref_area", "value"]].rename(columns={"value": column}).copy()
    frame["rank"] = rank_within(frame[column])
    return frame.sort_values("rank").reset_index(drop=True)


def section_cis(store: Store, scope: Scope | None = None) -> Section:
    """Inflows and outflows of the peer group in the latest year each is held, ranked.

    Only countries reporting a value are ranked; the others are listed as not reported.
    """
    scope = scope or peer_group(COUNTRY)
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


def section_share_gdp(store: Store, scope: Scope | None = None) -> Section:
    """Inflows as % of GDP across the peer group: official series and derived."""
    scope = scope or peer_group(COUNTRY)
    members = list(dict.fromkeys([*group_members("post_soviet"), *scope.members]))
    if not scope.is_paper_country:
        members = list(scope.members)
    official = concept_series(store, "remittances_received_pct_gdp", members)
    official = official[official["value"].notna() & (official["value"] != 0)]
    official_year = str(official.dropna(subset=["value"])["period"].max())
    gdp = concept_series(store, "gdp", members)
    gdp_year = str(gdp.dropna(subset=["value"])["period"].max())
    inflow = reported(concept_series(store, "remittances_received", members, [gdp_year]))
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


def section_position(trend: Section, cis: Section, labour: Section | None) -> Section:
    """The country's donor/recipient position, stated from the numbers of the other sections."""
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


def section_measures(store: Store, year: int, scope: Scope | None = None) -> Section:
    """Remittance measures of every post-Soviet country for one year.

    The year is the latest with both flows held for Kazakhstan; immigrant stock comes from the
    latest UN DESA year not after it.
    """
    scope = scope or peer_group(COUNTRY)
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
        panel = panel.drop(columns=["migrant_stock"]).merge(
            latest.rename(columns={"value": "migrant_stock"}), on="ref_area", how="left"
        )
    panel = panel.dropna(subset=["inflow", "outflow"], how="all")
    table = remittance_measures(panel)
    # one sign convention with the donor–recipient index: net paid = paid − received
    table["net_paid"] = table["outflow"] - table["inflow"]
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


def build(store: Store, scope: Scope | None = None) -> dict[str, Section]:
    """All sections of the report, keyed by name (estimated sections last).

    Sections that rest on data only Kazakhstan has (the paper's administrative figures, BNS
    regions) are built only for it; for another country they are absent and the report says
    what is not held. The estimated sections are built for every country; one whose inputs are
    not held for it names what is missing (``values["not_held"]``) and holds no numbers.
    """
    from keruen.report.balance import section_balance
    from keruen.report.cache import cached_section as part

    scope = scope or peer_group(COUNTRY)
    # each section is one part of the report cache (a no-op when no cache is active)
    trend = part(store, "trend", scope, lambda s: section_trend(s, scope))
    cis = part(store, "cis", scope, lambda s: section_cis(s, scope))
    share = part(store, "share_gdp", scope, lambda s: section_share_gdp(s, scope))
    labour = part(store, "labour", None, section_labour) if scope.is_paper_country else None
    position = section_position(trend, cis, labour)
    both = trend.tables["series"].dropna(subset=["inflow", "outflow"])
    held = trend.tables["series"].dropna(subset=["inflow", "outflow"], how="all")
    year = (
        int(both["year"].max())
        if len(both)
        else (int(held["year"].max()) if len(held) else PAPER_YEAR)
    )
    measures = part(store, "measures", [scope, year], lambda s: section_measures(s, year, scope))
    balance = part(
        store, "balance", scope, lambda s: section_balance(s, scope, trend), inputs=[trend]
    )
    observed = {
        s.key: s for s in (trend, cis, share, labour, position, measures, balance) if s is not None
    }
    from keruen.report.dynamics import estimated_sections

    return observed | estimated_sections(store, scope)
