"""Labour migrants implied by a country's remittances paid, ``N = R / (p·r)``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from keruen.analysis.paper import paper_rows, paper_source
from keruen.analysis.provenance import merge_sources, source_line
from keruen.analysis.releases import held_series
from keruen.analysis.scope import Scope, country_name
from keruen.analysis.section import Section, not_held
from keruen.models.migrant_volumes import MigrantVolumes, migrants_from_remittances
from keruen.store import Store
from keruen.store.estimates import Estimate, inputs_of

#: Remittances sent per remitting migrant per year (US$) and the share who remit: assumptions.
PER_MIGRANT = 1500.0
PER_MIGRANT_RANGE = (1000.0, 2500.0)
REMITTER_SHARE = 0.8
REMITTER_SHARE_RANGE = (0.6, 1.0)
VOLUME_FIRST_YEAR = 2010


def volumes(store: Store, scope: Scope, corridors: Section) -> Section:
    """Labour migrants implied by the country's remittance outflows, ``N = R / (p·r)``.

    Two outflows: all remittances paid, and the part going to the country's labour origins
    (:func:`keruen.analysis.corridors.labour_origins`; their share in keruen's 2017 corridor
    allocation, applied to every year: the WB matrix lacks some of these corridors, e.g.
    Kazakhstan → Uzbekistan). Only the first where no part goes to them. Not held where the
    country reports no remittances paid since ``VOLUME_FIRST_YEAR``. The outflows are read
    through the trend's release choice (:func:`keruen.analysis.releases.held_series`).
    """
    country = scope.country
    paid = held_series(store, "remittances_paid", [country], scope.first_year)[0]
    paid = paid[paid["period"].astype(int) >= VOLUME_FIRST_YEAR]
    if paid.empty:
        return not_held("volumes", country, "remittances_paid")
    series = paid.set_index(paid["period"].astype(int))["value"]
    origins_share = float(corridors.values.get("labour_origins_share", np.nan))
    origins = list(corridors.values.get("labour_origins", [])) if origins_share > 0 else []
    parts = ("all", "ca") if origins else ("all",)

    def implied(outflow: pd.Series) -> MigrantVolumes:
        return migrants_from_remittances(
            outflow,
            PER_MIGRANT,
            per_migrant_range=PER_MIGRANT_RANGE,
            remitter_share=REMITTER_SHARE,
            remitter_share_range=REMITTER_SHARE_RANGE,
        )

    allv = implied(series)
    frames = [allv.estimates.add_prefix("all_")]
    if origins:
        frames.append(implied(series * origins_share).estimates.add_prefix("ca_"))
    table = pd.concat(frames, axis=1).rename_axis("year").reset_index()
    last = table.iloc[-1]
    paper: dict[str, Any] = dict.fromkeys(
        (
            "paper_immigrants",
            "illegal_low",
            "illegal_high",
            "paper_in_all_range",
            "paper_in_ca_range",
            "breakeven_per_migrant",
        )
    )
    sources = [source_line(paid), corridors.sources]
    if scope.is_paper_country:  # the Migration Committee's counts exist only for Kazakhstan
        paper_imm = paper_rows(store, "labour_immigrants_arrived")
        paper_400k = float(paper_imm.loc[paper_imm["counterpart_area"] == "WLD", "value"].sum())
        paper = {
            "paper_immigrants": paper_400k,
            "illegal_low": float(
                paper_rows(store, "illegal_labour_migrants_estimate_low")["value"].sum()
            ),
            "illegal_high": float(
                paper_rows(store, "illegal_labour_migrants_estimate_high")["value"].sum()
            ),
            "paper_in_all_range": bool(last["all_low"] <= paper_400k <= last["all_high"]),
            "paper_in_ca_range": bool(last["ca_low"] <= paper_400k <= last["ca_high"])
            if origins
            else None,
            "breakeven_per_migrant": float(last["all_outflow"]) / (REMITTER_SHARE * paper_400k)
            if paper_400k
            else np.nan,
        }
        sources.append(paper_source(store))
    values = {
        "country": country,
        "method": allv.method,
        "assumptions": allv.assumptions,
        "parameters": dict(allv.parameters),
        "origins_share": origins_share if origins else np.nan,
        "labour_origins": origins,
        "last_year": int(last["year"]),
        "last": last.to_dict(),
        **paper,
        "estimates": [
            Estimate(
                model="migrant_volumes",
                rows=pd.concat(
                    [
                        pd.DataFrame(
                            {
                                "measure": "labour_migrants_implied",
                                "ref_area": country,
                                "breakdown": f"outflow={part},bound={bound}",
                                "period": table["year"].astype(str),
                                "value": table[f"{part}_{bound}"],
                                "unit": "persons",
                            }
                        )
                        for part in parts
                        for bound in ("central", "low", "high")
                    ],
                    ignore_index=True,
                ),
                method=allv.method,
                assumptions=allv.assumptions,
                parameters=dict(allv.parameters)
                | ({"ca_share_of_outflow": origins_share} if origins else {}),
                inputs=inputs_of(paid),
                title=f"Labour migrants in {country_name(country)} implied by remittances paid",
            )
        ],
    }
    return Section("volumes", {"volumes": table}, values, merge_sources(*sources))
