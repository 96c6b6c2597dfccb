"""Kazakhstan's labour migrants, regions, quotas and specialists (administrative figures).

The Migration Committee's figures exist only as the paper states them (Kelinbayeva et al.,
2025); this section is built for Kazakhstan only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from keruen.analysis.paper import PAPER_YEAR, paper_rows, paper_source
from keruen.analysis.provenance import merge_sources, source_line
from keruen.analysis.scope import Scope
from keruen.analysis.section import Section
from keruen.store import Store
from keruen.store.concepts import concept_series


def _with_share(frame: pd.DataFrame, total: float | None) -> pd.DataFrame:
    out = frame.copy()
    if total:
        out["share"] = 100.0 * out["value"] / total
    return out


def kz_labour(store: Store, scope: Scope) -> Section:
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
