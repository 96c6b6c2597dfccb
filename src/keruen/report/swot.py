"""A SWOT of a country's labour migration in which every item is judged against its indicator.

Each item names its indicator, the threshold it is judged by and a verdict:

- ``supported``: an independent series held (World Bank, UN) meets the threshold;
- ``not_supported``: the series held does not meet it;
- ``not_testable``: no independent series is held — the only number is the paper's own
  administrative figure or a range of guesses, which cannot confirm the paper's claim.

Trends are measured over a stated window that starts after the tenge devaluation of August
2015 (``TREND_FROM``), so a fall in nominal dollars caused by the exchange rate is not read as a
fall in migration. The paper's own SWOT (Table 2) is marked the same way in
:mod:`keruen.report.paper_swot`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from keruen.report.analysis import Section

Quadrant = Literal["strengths", "weaknesses", "opportunities", "threats"]
Verdict = Literal["supported", "not_supported", "not_testable"]
#: First year of trend windows: the first full year after the 2015 devaluation of the tenge.
TREND_FROM = 2016
WB = "World Bank (WDI, KNOMAD)"
PAPER = "Kelinbayeva et al. 2025 (Migration Committee)"


@dataclass(frozen=True)
class SwotItem:
    """One SWOT item: quadrant, message key, indicator value, threshold and verdict."""

    quadrant: Quadrant
    key: str
    value: float
    unit: str
    period: str
    verdict: Verdict
    source: str
    threshold: str
    extra: float = float("nan")

    @property
    def holds(self) -> bool:
        """Whether the data held support the item (kept for callers of the old field)."""
        return self.verdict == "supported"


def _judge(independent: bool, meets: bool) -> Verdict:
    if not independent:
        return "not_testable"
    return "supported" if meets else "not_supported"


def swot(sections: dict[str, Section]) -> list[SwotItem]:
    """The SWOT items computed from the report's sections (any country).

    The items resting on Kazakhstan's administrative figures appear only where those are held.
    """
    trend, cis, share = (sections[k] for k in ("trend", "cis", "share_gdp"))
    labour = sections.get("labour")
    country = trend.values["country"]
    items: list[SwotItem] = []
    series = trend.tables["series"].dropna(subset=["dri"])
    if len(series):
        last = series.iloc[-1]
        items.append(
            SwotItem(
                "strengths",
                "net_payer",
                float(last["dri"]),
                "index",
                str(int(last["year"])),
                _judge(True, bool(last["dri"] > 0)),
                WB,
                "> 0",
                extra=float((series["dri"] > 0).mean() * 100),
            )
        )
    shares = share.tables["shares"].dropna(subset=["share_derived"])
    own = shares.loc[shares["ref_area"] == country, "share_derived"]
    if len(own):
        items.append(
            SwotItem(
                "strengths",
                "low_dependence",
                float(own.iloc[0]),
                "percent of GDP",
                str(share.values["derived_year"]),
                _judge(True, float(own.iloc[0]) < 1.0),
                WB,
                "< 1%",
                extra=float(shares["share_derived"].max()),
            )
        )
    rank_out, n_out = cis.values["rank_outflow_latest"]
    if rank_out > 0:
        items.append(
            SwotItem(
                "strengths",
                "regional_pull",
                float(rank_out),
                "rank",
                str(cis.values["outflow_year"]),
                _judge(True, rank_out <= 2),
                WB,
                "≤ 2",
                extra=float(n_out),
            )
        )
    outflow = trend.tables["series"].dropna(subset=["outflow"]).set_index("year")["outflow"]
    window = outflow[outflow.index >= TREND_FROM]
    if len(window) >= 3:
        change = 100.0 * (window.iloc[-1] / window.iloc[0] - 1.0)
        items.append(
            SwotItem(
                "threats",
                "falling_outflows",
                float(change),
                "percent",
                f"{int(window.index[0])}–{int(window.index[-1])}",
                _judge(True, change < -10),
                WB,
                "< −10%",
            )
        )
    if labour is not None:
        items += _labour_items(labour)
    order = ("strengths", "weaknesses", "opportunities", "threats")
    return sorted(items, key=lambda i: order.index(i.quadrant))


def _labour_items(labour: Section) -> list[SwotItem]:
    """Items resting on the Migration Committee's figures as the paper states them."""
    imm, emi = labour.tables["immigrants"], labour.tables["emigrants"]
    central_asia = float(
        imm.loc[imm["counterpart_area"].isin(["UZB", "KGZ", "TJK"]), "share"].sum()
    )
    rus_share = float(emi.loc[emi["counterpart_area"] == "RUS", "share"].sum())
    top2 = float(labour.tables["regions"]["migrant_share"].nlargest(2).sum())
    quota = labour.tables["quota"].dropna(subset=["quota"])
    quota_change = 100.0 * (quota["quota"].iloc[-1] / quota["quota"].iloc[0] - 1.0)
    spec = float(labour.values["specialist_share"])
    balance = float(labour.values["labour_balance"])
    return [
        SwotItem(
            "weaknesses", "brain_drain", spec, "percent", "2022", "not_testable", PAPER, "≥ 20%"
        ),
        SwotItem(
            "weaknesses",
            "negative_labour_balance",
            balance,
            "persons",
            "2022",
            "not_testable",
            PAPER,
            "< 0",
        ),
        SwotItem(
            "weaknesses",
            "regional_concentration",
            top2,
            "percent",
            "2023",
            "not_testable",
            PAPER,
            "≥ 40%",
        ),
        SwotItem(
            "opportunities",
            "neighbour_supply",
            central_asia,
            "percent",
            "2022",
            "not_testable",
            PAPER,
            "≥ 50%",
        ),
        SwotItem(
            "opportunities",
            "quota_room",
            float(quota_change),
            "percent",
            f"{quota['period'].iloc[0]}–{quota['period'].iloc[-1]}",
            "not_testable",
            PAPER,
            "< 0",
        ),
        SwotItem(
            "threats",
            "single_destination",
            rus_share,
            "percent",
            "2022",
            "not_testable",
            PAPER,
            "≥ 50%",
        ),
        SwotItem(
            "threats",
            "informal_employment",
            200000.0,
            "persons",
            "",
            "not_testable",
            PAPER,
            "—",
            extra=1000000.0 if np.isfinite(balance) else 0.0,
        ),
    ]
