"""A SWOT of a country's labour migration in which every item is judged against its indicator.

Each item names its indicator, the threshold it is judged by and a verdict:

- ``supported``: an independent series held (World Bank, UN) meets the threshold;
- ``not_supported``: the series held does not meet it;
- ``not_testable``: no independent series is held — the only number is the paper's own
  administrative figure or a range of guesses, which cannot confirm the paper's claim.

Trends are measured over a stated window that starts after the tenge devaluation of August
2015 (``TREND_FROM``), so a fall in nominal dollars caused by the exchange rate is not read as a
fall in migration. The paper's own SWOT (Table 2) is judged the same way where the store holds
a series for a claim (:func:`paper_claims`); the report words the claims
(:mod:`keruen.report.paper_swot`).

Which items a country gets is data (``data/swot_items.toml``), chosen by the country's role
(:mod:`keruen.analysis.swot_roles`): a receiving country is judged on its dependence on
remittances, its concentration on one sender, the cost of sending money to it and its
emigration, which that module reads from the store; the other items judge the numbers of the
sections the SWOT is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from keruen.analysis.provenance import merge_sources
from keruen.analysis.scope import Scope
from keruen.analysis.section import Section, is_held
from keruen.analysis.swot_roles import (
    applies,
    as_fields,
    country_role,
    item_specs,
    receiving_items,
)
from keruen.store import Store

Quadrant = Literal["strengths", "weaknesses", "opportunities", "threats"]
Verdict = Literal["supported", "not_supported", "not_testable"]
#: First year of trend windows: the first full year after the 2015 devaluation of the tenge.
TREND_FROM = 2016
WB = "World Bank (WDI, KNOMAD)"
PAPER = "Kelinbayeva et al. 2025 (Migration Committee)"
UN_ESTIMATE = "keruen estimate from UN DESA stocks and UN WPP"
WB_ESTIMATE = "keruen estimate from World Bank data"
#: A country depends on one source of remittances when this share (%) comes from it.
ONE_SOURCE_SHARE = 50.0
NAN = float("nan")


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
    #: The area the indicator names (the largest sender, say), if any.
    area: str = ""

    @property
    def holds(self) -> bool:
        """Whether the data held support the item (kept for callers of the old field)."""
        return self.verdict == "supported"


def _judge(independent: bool, meets: bool) -> Verdict:
    if not independent:
        return "not_testable"
    return "supported" if meets else "not_supported"


def swot(
    store: Store,
    scope: Scope,
    trend: Section,
    cis: Section,
    share_gdp: Section,
    labour: Section | None = None,
    flows: Section | None = None,
    corridors: Section | None = None,
    forecasts: Section | None = None,
    systems: Section | None = None,
) -> Section:
    """The SWOT of ``scope``'s country, every item judged against its indicator.

    ``values["items"]``: the :class:`SwotItem` list (:func:`swot_items`), the items of
    ``data/swot_items.toml`` whose role fits the country's (``values["role"]``,
    :func:`~keruen.analysis.swot_roles.country_role`); ``values["paper"]``: the paper's
    Table 2 claims the store holds a series for (:func:`paper_claims`, Kazakhstan). An
    estimated section passed as None was not asked for and gives no item.
    """
    given = {
        "trend": trend,
        "cis": cis,
        "share_gdp": share_gdp,
        "labour": labour,
        "flows": flows,
        "corridors": corridors,
        "forecasts": forecasts,
        "systems": systems,
    }
    sections = {k: v for k, v in given.items() if v is not None}
    role = country_role(trend)
    specs = item_specs()
    items = [i for i in swot_items(sections) if applies(specs[i.key], role)]
    if applies(specs["dependence"], role):
        items += [
            SwotItem(**as_fields(spec, m))
            for spec, m in receiving_items(store, scope.country, trend, share_gdp)
        ]
    order = ("strengths", "weaknesses", "opportunities", "threats")
    values: dict[str, Any] = {
        "country": scope.country,
        "role": role,
        "items": sorted(items, key=lambda i: order.index(i.quadrant)),
        "paper": paper_claims(trend, share_gdp) if scope.is_paper_country else {},
    }
    used = [s.sources for s in sections.values() if is_held(s)]
    return Section("swot", {}, values, merge_sources(*used))


def paper_claims(trend: Section, share_gdp: Section) -> dict[str, dict[str, Any]]:
    """The paper's Table 2 claims that a series held can judge, with the numbers judging them.

    ``financial_flows`` ("financial flows increase"): remittances received grew over the window
    from ``TREND_FROM`` and are ≥ 1 % of GDP (World Bank). Other claims are qualitative.
    """
    out: dict[str, dict[str, Any]] = {}
    series = trend.tables["series"].dropna(subset=["inflow"]).set_index("year")
    window = series.loc[series.index >= TREND_FROM, "inflow"]
    shares = share_gdp.tables["shares"]
    own = shares.loc[shares["ref_area"] == trend.values["country"], "share_derived"].dropna()
    if len(window) >= 3 and len(own):
        change = 100.0 * (window.iloc[-1] / window.iloc[0] - 1.0)
        share = float(own.iloc[0])
        out["financial_flows"] = {
            "change": change,
            "period": f"{int(window.index[0])}–{int(window.index[-1])}",
            "share": share,
            "year": share_gdp.values["derived_year"],
            "verdict": "supported" if change > 0 and share >= 1.0 else "not_supported",
        }
    return out


def swot_items(sections: dict[str, Section]) -> list[SwotItem]:
    """The SWOT items computed from a country's sections (any country).

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
    items += estimated_items(sections)
    order = ("strengths", "weaknesses", "opportunities", "threats")
    return sorted(items, key=lambda i: order.index(i.quadrant))


def _not_held(section: Section | None) -> bool:
    return not is_held(section)


def _untestable(quadrant: Quadrant, key: str, unit: str, source: str, threshold: str) -> SwotItem:
    """An item whose inputs are not held: no value, no period, not testable."""
    return SwotItem(quadrant, key, NAN, unit, "", "not_testable", source, threshold)


def estimated_items(sections: dict[str, Section]) -> list[SwotItem]:
    """Items resting on the estimated sections, for any country (absent sections: no item).

    - ``net_immigration`` (strengths): net migrant flow of the latest period > 0, estimated from
      UN DESA stocks; not testable when stock differencing gives the opposite sign (the
      estimate then depends on its assumptions) or the flows are not held;
    - ``neighbour_pole`` (opportunities): the country holds more migrants born in its
      neighbours than they hold of its natives (UN DESA stocks, latest period);
    - ``one_source`` (threats): ≥ ``ONE_SOURCE_SHARE`` % of remittances received come from one
      country in the 2017 corridor estimate; not testable when receipts are not reported;
    - ``falling_receipts`` (threats): remittances received forecast to fall over the horizon;
      not testable when the forecast does not beat the naive one on this series' own backtest
      (the forecasts section's ``verdicts[...]["beats_naive"]``, issue 18 item 7).
    """
    items: list[SwotItem] = []
    flows = sections.get("flows")
    if "flows" in sections:
        if _not_held(flows):
            items.append(_untestable("strengths", "net_immigration", "persons", UN_ESTIMATE, "> 0"))
        else:
            last = flows.tables["flows"].iloc[-1]  # type: ignore[union-attr]
            net, diff_net = float(last["net"]), float(last["diff_inflow"] - last["diff_outflow"])
            robust = (net > 0) == (diff_net > 0)
            items.append(
                SwotItem(
                    "strengths",
                    "net_immigration",
                    net,
                    "persons",
                    str(last["period"]),
                    _judge(robust, net > 0),
                    UN_ESTIMATE,
                    "> 0",
                    extra=diff_net,
                )
            )
    systems = sections.get("systems")
    if "systems" in sections:
        if _not_held(systems):
            items.append(
                _untestable("opportunities", "neighbour_pole", "persons", UN_ESTIMATE, "> 0")
            )
        else:
            last = systems.tables["track"].iloc[-1]  # type: ignore[union-attr]
            net = float(last["net_neighbours"])
            items.append(
                SwotItem(
                    "opportunities",
                    "neighbour_pole",
                    net,
                    "persons",
                    str(last["period"]),
                    _judge(bool(np.isfinite(net)), net > 0),
                    UN_ESTIMATE,
                    "> 0",
                )
            )
    corridors = sections.get("corridors")
    if "corridors" in sections:
        share = NAN if _not_held(corridors) else corridors.values["top_sender_share"]  # type: ignore[union-attr]
        held = bool(np.isfinite(share))
        items.append(
            SwotItem(
                "threats",
                "one_source",
                100.0 * share if held else NAN,
                "percent",
                str(corridors.values.get("year", "")) if held else "",  # type: ignore[union-attr]
                _judge(held, held and 100.0 * share >= ONE_SOURCE_SHARE),
                WB_ESTIMATE,
                f"≥ {ONE_SOURCE_SHARE:.0f}%",
            )
        )
    forecasts = sections.get("forecasts")
    if "forecasts" in sections:
        items.append(_falling_receipts(forecasts))  # type: ignore[arg-type]
    return items


def _falling_receipts(forecasts: Section) -> SwotItem:
    concept = "remittances_received"
    verdicts = forecasts.values.get("verdicts", {})
    key = next((k for k in verdicts if k.startswith(concept + ":")), None)
    if _not_held(forecasts) or key is None:
        return _untestable("threats", "falling_receipts", "percent", WB_ESTIMATE, "< 0")
    series = forecasts.tables["series"]
    own = series[series["concept"] == concept]
    held, ahead = own[own["model"].isna()], own[own["model"] == key.split(":", 1)[1]]
    last, end = held.iloc[-1], ahead.iloc[-1]
    change = 100.0 * (float(end["value"]) / float(last["value"]) - 1.0)
    return SwotItem(
        "threats",
        "falling_receipts",
        change,
        "percent",
        f"{int(last['year'])}–{int(end['year'])}",
        _judge(bool(verdicts[key]["beats_naive"]), change < 0),
        WB_ESTIMATE,
        "< 0",
    )


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
