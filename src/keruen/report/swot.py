"""A SWOT of Kazakhstan's labour migration in which every item rests on a computed indicator.

The items are this project's own reading of the numbers (the paper's Table 2 SWOT is
qualitative). Each item carries the indicator's value, year and source, so a reader can see
whether the statement still holds when the data are updated; ``holds`` records whether the
number currently supports the statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from keruen.report.analysis import COUNTRY, Section

Quadrant = Literal["strengths", "weaknesses", "opportunities", "threats"]


@dataclass(frozen=True)
class SwotItem:
    """One SWOT item: its quadrant, message key, indicator value and whether it holds."""

    quadrant: Quadrant
    key: str
    value: float
    unit: str
    period: str
    holds: bool
    source: str
    extra: float = float("nan")


def swot(sections: dict[str, Section]) -> list[SwotItem]:
    """The SWOT items, computed from the report's sections."""
    trend, cis, share, labour = (sections[k] for k in ("trend", "cis", "share_gdp", "labour"))
    series = trend.tables["series"].dropna(subset=["dri"])
    last = series.iloc[-1]
    shares = share.tables["shares"]
    kaz_share = float(shares.loc[shares["ref_area"] == COUNTRY, "share_derived"].iloc[0])
    max_share = float(shares["share_derived"].max())
    imm = labour.tables["immigrants"]
    central_asia = float(imm.loc[imm["counterpart_area"].isin(["UZB", "KGZ", "TJK"]), "share"].sum())
    emi = labour.tables["emigrants"]
    rus_share = float(emi.loc[emi["counterpart_area"] == "RUS", "share"].sum())
    regions = labour.tables["regions"]
    top2 = float(regions["migrant_share"].nlargest(2).sum())
    quota = labour.tables["quota"].dropna(subset=["quota"])
    quota_change = 100.0 * (quota["quota"].iloc[-1] / quota["quota"].iloc[0] - 1.0)
    outflow = series.set_index("year")["outflow"]
    peak_year = int(outflow.idxmax())
    decline = 100.0 * (outflow.iloc[-1] / outflow.max() - 1.0)
    rank_out, _ = cis.values["rank_outflow_latest"]
    wb = "World Bank (WDI, KNOMAD)"
    paper = "Kelinbayeva et al. 2025 (Migration Committee)"
    return [
        SwotItem("strengths", "net_payer", float(last["dri"]), "index", str(int(last["year"])),
                 bool(last["dri"] > 0), wb, extra=float((series["dri"] > 0).mean() * 100)),
        SwotItem("strengths", "low_dependence", kaz_share, "percent of GDP",
                 str(share.values["derived_year"]), kaz_share < 1.0, wb, extra=max_share),
        SwotItem("strengths", "regional_pull", float(rank_out), "rank",
                 str(cis.values["outflow_year"]), rank_out <= 2, wb),
        SwotItem("weaknesses", "brain_drain", float(labour.values["specialist_share"]), "percent",
                 "2022", labour.values["specialist_share"] >= 20, paper),
        SwotItem("weaknesses", "negative_labour_balance", float(labour.values["labour_balance"]),
                 "persons", "2022", labour.values["labour_balance"] < 0, paper),
        SwotItem("weaknesses", "regional_concentration", top2, "percent", "2023", top2 >= 40,
                 paper),
        SwotItem("opportunities", "neighbour_supply", central_asia, "percent", "2022",
                 central_asia >= 50, paper),
        SwotItem("opportunities", "quota_room", float(quota_change), "percent",
                 f"{quota['period'].iloc[0]}–{quota['period'].iloc[-1]}", quota_change < 0,
                 paper),
        SwotItem("threats", "single_destination", rus_share, "percent", "2022", rus_share >= 50,
                 paper),
        SwotItem("threats", "falling_outflows", float(decline), "percent",
                 f"{peak_year}–{int(outflow.index[-1])}", decline < -10, wb),
        SwotItem("threats", "informal_employment", 200000.0, "persons", "recent years",
                 bool(np.isfinite(labour.values["immigrants_total"])), paper,
                 extra=1000000.0),
    ]
