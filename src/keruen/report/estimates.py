"""Estimated sections of the report: flows from stocks, remittance corridors, implied migrants.

Each ``section_*`` function builds its model inputs from the store, runs the pure estimators of
:mod:`keruen.models`, and returns a :class:`~keruen.report.analysis.Section` whose ``values``
carry the method, assumptions and parameters beside the numbers, and whose ``estimates`` (in
``values["estimates"]``) are :class:`~keruen.store.estimates.Estimate` objects ready to store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from keruen.errors import DataNotAvailableError, InputError
from keruen.models.flows_from_stocks import FlowsFromStocksResult, flows_from_stocks
from keruen.models.migrant_volumes import MigrantVolumes, migrants_from_remittances
from keruen.report.analysis import COUNTRY, Section, paper_rows, paper_source
from keruen.report.corridors import (  # noqa: F401 - re-exported for callers
    CORRIDOR_RULE,
    CORRIDOR_YEAR,
    CorridorWorld,
    corridor_inputs,
    corridor_world,
    labour_origins,
    section_corridors,
)
from keruen.report.focus import (  # noqa: F401 - re-exported for callers
    MIN_NEIGHBOURS,
    as_scope,
    country_name,
    is_held,
    neighbours,
    not_held,
)
from keruen.report.missing import reported
from keruen.report.provenance import merge_sources, source_line
from keruen.report.scope import Scope
from keruen.store import Store
from keruen.store.concepts import concept_series
from keruen.store.estimates import Estimate, inputs_of
from keruen.store.vitals import vital_events

#: Regions of the flow estimates chosen by hand: Kazakhstan, the partners the paper discusses.
#: Every other country's regions are chosen from the data (:func:`flow_regions`).
CHOSEN_REGIONS: dict[str, tuple[str, ...]] = {
    "KAZ": ("KAZ", "RUS", "UZB", "KGZ", "TJK", "TKM", "UKR", "BLR", "DEU")
}
#: Kazakhstan's regions (kept under their old name for callers).
FLOW_REGIONS: tuple[str, ...] = CHOSEN_REGIONS["KAZ"]
#: Partners of a country in its flow estimate, chosen by bilateral stock (both directions).
FLOW_PARTNERS = 8
REST = "ROW"
#: Remittances sent per remitting migrant per year (US$) and the share who remit: assumptions.
PER_MIGRANT = 1500.0
PER_MIGRANT_RANGE = (1000.0, 2500.0)
REMITTER_SHARE = 0.8
REMITTER_SHARE_RANGE = (0.6, 1.0)
VOLUME_FIRST_YEAR = 2010
#: Kazakhstan's labour origins as the paper names them (kept for callers); for any country the
#: report uses :func:`labour_origins`, which gives these three for Kazakhstan.
LABOUR_ORIGINS = ("UZB", "KGZ", "TJK")


def bilateral_stocks(store: Store, period: str) -> pd.DataFrame:
    """UN DESA country-to-country stocks of one period: ``orig, dest, stock`` + provenance."""
    obs = store.observations("UNDESA_IMS", "migrant_stock", period=period)
    obs = obs[obs["counterpart_area"].notna() & (obs["counterpart_area"] != "WLD")]
    return obs.rename(columns={"counterpart_area": "orig", "ref_area": "dest", "value": "stock"})


def stock_matrix(
    bilateral: pd.DataFrame, population: pd.Series, regions: Sequence[str]
) -> pd.DataFrame:
    """Birthplace × residence stocks over ``regions`` + ``ROW``; diagonal = population − foreign.

    Countries outside ``regions`` are summed into ``ROW``; moves between two of them stay inside
    ``ROW`` (its diagonal). ``population`` maps area → residents and must hold ``WLD``.
    """
    listed = list(regions)
    keys = [*listed, REST]

    def region(code: str) -> str:
        return code if code in listed else REST

    b = bilateral.assign(b=bilateral["orig"].map(region), r=bilateral["dest"].map(region))
    b = b[b["b"] != b["r"]]
    foreign = b.pivot_table(index="b", columns="r", values="stock", aggfunc="sum", fill_value=0.0)
    mat = foreign.reindex(index=keys, columns=keys, fill_value=0.0).astype(float)
    pop = {c: float(population[c]) for c in listed}
    pop[REST] = float(population["WLD"]) - sum(pop.values())
    for c in keys:
        native = pop[c] - mat[c].sum()
        if native < 0:
            raise ValueError(f"foreign-born stock of {c} exceeds its population")
        mat.loc[c, c] = native
    return mat


def _totals(res: FlowsFromStocksResult, country: str) -> tuple[float, float]:
    od = res.od
    inflow = float(od[country].drop(country).sum())
    outflow = float(od.loc[country].drop(country).sum())
    return inflow, outflow


def _vital_areas(store: Store, periods: Sequence[str]) -> set[str]:
    """Areas with UN WPP births and deaths held for every period between ``periods``."""
    held: set[str] | None = None
    for start, end in zip(periods[:-1], periods[1:], strict=True):
        try:
            areas = set(vital_events(store, None, int(start), int(end))["ref_area"])
        except (DataNotAvailableError, InputError):
            return set()
        held = areas if held is None else held & areas
    return held or set()


def flow_regions(store: Store, country: str, periods: Sequence[str]) -> tuple[str, ...] | None:
    """``country`` and its ``FLOW_PARTNERS`` largest partners (None if its inputs are not held).

    Partners are ranked by the UN DESA bilateral stock of the latest period, both directions
    summed (people born in the partner living in the country and the reverse), among the areas
    whose population (every period) and UN WPP births and deaths are held. Kazakhstan keeps the
    partners chosen for it (``CHOSEN_REGIONS``).
    """
    if country in CHOSEN_REGIONS:
        return CHOSEN_REGIONS[country]
    if len(periods) < 2:
        return None
    bil = bilateral_stocks(store, periods[-1])
    mine = bil[(bil["orig"] == country) | (bil["dest"] == country)]
    partner = mine["orig"].where(mine["dest"] == country, mine["dest"])
    ranked = mine.assign(partner=partner).groupby("partner")["stock"].sum()
    ranked = ranked[ranked > 0].sort_values(ascending=False, kind="stable")
    pops = concept_series(store, "population", [country, *ranked.index, "WLD"], list(periods))
    full = pops.dropna(subset=["value"]).groupby("ref_area")["period"].nunique()
    with_pop = set(full[full == len(periods)].index)
    vitals = _vital_areas(store, periods)
    if not {country, "WLD"} <= with_pop or country not in vitals:
        return None
    chosen = [c for c in ranked.index if c in with_pop and c in vitals and c != country]
    return (country, *chosen[:FLOW_PARTNERS]) if chosen else None


def section_flows(store: Store, scope: Scope | str | None = None) -> Section:
    """The country's estimated in- and out-flows per period from UN DESA bilateral stocks.

    ``demo`` (closed demographic accounting) with births and deaths of UN WPP 2024 (calendar
    years ``start <= year < end``, the rest of the world summed into ``ROW``); ``diff`` (stock
    differencing) beside it.  The ``balance`` table states per period how far the stocks'
    change and WPP's births minus deaths differ (closed by rescaling the native-born). Regions:
    :func:`flow_regions`; a country without bilateral stocks, population or vital events held
    gets a :func:`not_held` section.
    """
    country = as_scope(scope).country
    periods = sorted(store.observations("UNDESA_IMS", "migrant_stock", ref_area=country)["period"])
    periods = sorted({p for p in periods if p.isdigit()} & _bilateral_periods(store))
    if len(periods) < 2:
        return not_held("flows", country, "bilateral_stocks")
    regions = flow_regions(store, country, periods)
    if regions is None:
        return not_held("flows", country, "population_vitals")
    pops = concept_series(store, "population", [*regions, "WLD"], periods)
    pop = pops.pivot(index="period", columns="ref_area", values="value")
    stocks, used = {}, []
    for p in periods:
        bil = bilateral_stocks(store, p)
        used.append(bil)
        stocks[p] = stock_matrix(bil, pop.loc[p], regions)
    rows, partners, est_rows, balance, vitals = [], pd.DataFrame(), [], [], []
    flows_od: dict[str, pd.DataFrame] = {}
    for start, end in zip(periods[:-1], periods[1:], strict=True):
        s0, s1 = stocks[start], stocks[end]
        label = f"{start}-{end}"
        ev = vital_events(store, regions, int(start), int(end), rest=REST)
        vitals.append(ev)
        ev = ev.set_index("ref_area").reindex(s0.index)
        diff = flows_from_stocks(s0, s1, method="diff")
        central = flows_from_stocks(s0, s1, ev["births"], ev["deaths"], method="demo")
        row: dict[str, object] = {"period": label, "years": float(int(end) - int(start))}
        row["diff_inflow"], row["diff_outflow"] = _totals(diff, country)
        row["inflow"], row["outflow"] = _totals(central, country)
        row["net"] = row["inflow"] - row["outflow"]  # type: ignore[operator]
        rows.append(row)
        balance.append(
            {"period": label, "vital_years": str(ev["years"].iloc[0])}
            | {"start_population": float(s0.to_numpy().sum())}
            | {k: _float(central.parameters[k]) for k in _BALANCE_KEYS}
        )
        od = central.od
        flows_od[label] = od
        for partner in od.index:
            if partner == country:
                continue
            for orig, dest, measure in (
                (partner, country, "migrant_flow_in"),
                (country, partner, "migrant_flow_out"),
            ):
                est_rows.append(
                    {
                        "measure": measure,
                        "ref_area": country,
                        "counterpart_area": partner,
                        "period": label,
                        "value": float(od.loc[orig, dest]),
                        "unit": "persons",
                    }
                )
        if end == periods[-1]:
            partners = pd.DataFrame(
                {
                    "partner": [c for c in od.index if c != country],
                    "inflow": [float(od.loc[c, country]) for c in od.index if c != country],
                    "outflow": [float(od.loc[country, c]) for c in od.index if c != country],
                }
            ).assign(net=lambda f: f["inflow"] - f["outflow"])
            partners = partners.sort_values("outflow", ascending=False).reset_index(drop=True)
    table = pd.DataFrame(rows)
    balance_table = pd.DataFrame(balance)
    plausibility = [
        w | {"period": f"{start}-{end}"}
        for start, end in zip(periods[:-1], periods[1:], strict=True)
        for w in implausible_flows(stocks[start], stocks[end], flows_od[f"{start}-{end}"], country)
    ]
    wpp = vitals[-1].iloc[0]
    wpp_source = source_line(vitals[-1])
    wpp_release = store.con.execute(
        "SELECT DISTINCT dataset, vintage, CAST(release AS VARCHAR) AS release FROM sources "
        "WHERE dataset = ? AND vintage = ?",
        [str(wpp["dataset"]), str(wpp["vintage"])],
    ).df()
    inputs = merge_sources(*(source_line(u) for u in used), source_line(pops), wpp_source)
    demo_params = dict(central.parameters)
    demo_params |= {
        "regions": [*regions, REST],
        "births_deaths": f"{wpp['publisher']}, {wpp['vintage']} ({wpp['dataset']}), "
        "calendar years start <= year < end",
    }
    estimate = Estimate(
        model="flows_from_stocks",
        rows=pd.DataFrame(est_rows),
        method=central.method,
        assumptions=(*central.assumptions, _VITAL_ASSUMPTION),
        parameters=demo_params,
        inputs=inputs_of(pd.concat([*used, pops, wpp_release], ignore_index=True)),
        title=f"{country_name(country)}'s migrant flows estimated from UN DESA bilateral stocks",
    )
    values = {
        "country": country,
        "regions_chosen": "by_hand" if country in CHOSEN_REGIONS else "by_stock",
        "method": central.method,
        "assumptions": (*central.assumptions, _VITAL_ASSUMPTION),
        "diff_method": diff.method,
        "regions": [*regions, REST],
        "vital_source": wpp_source[0],
        "max_balance_share": float(
            (balance_table["balance_gap"].abs() / balance_table["start_population"]).max()
        ),
        "last_period": table["period"].iloc[-1],
        "plausibility": plausibility,
        "estimates": [estimate],
    }
    return Section(
        "flows",
        {"flows": table, "balance": balance_table, "partners": partners},
        values,
        inputs,
    )


def _float(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) else np.nan


_BALANCE_KEYS = ("stock_change", "births_minus_deaths", "balance_gap")


#: A flow below this share of the growth of the stock it feeds is reported as implausible.
PLAUSIBLE_SHARE = 0.5
#: Stock changes smaller than this (persons) are not checked.
PLAUSIBLE_MIN = 1000.0


def implausible_flows(
    s0: pd.DataFrame, s1: pd.DataFrame, od: pd.DataFrame, country: str = COUNTRY
) -> list[dict[str, object]]:
    """Pairs with ``country`` where the estimated flow contradicts the stocks it came from.

    The stock of people born in ``o`` living in ``d`` can only grow by moves from ``o`` to
    ``d``; an estimated flow below ``PLAUSIBLE_SHARE`` of that growth is flagged.
    """
    out: list[dict[str, object]] = []
    for partner in od.index:
        if partner == country:
            continue
        for orig, dest in ((partner, country), (country, partner)):
            growth = float(s1.loc[orig, dest] - s0.loc[orig, dest])
            flow = float(od.loc[orig, dest])
            if growth > PLAUSIBLE_MIN and flow < PLAUSIBLE_SHARE * growth:
                out.append(
                    {"partner": partner, "orig": orig, "dest": dest, "growth": growth, "flow": flow}
                )
    return out


_VITAL_ASSUMPTION = (
    "births and deaths of each region are UN WPP 2024 estimates summed over the calendar years "
    "of the period; the rest of the world is every other country WPP holds"
)


def _bilateral_periods(store: Store) -> set[str]:
    row = store.con.execute(
        "SELECT list(DISTINCT period) FROM observations WHERE dataset = 'UNDESA_IMS' "
        "AND counterpart_area IS NOT NULL AND counterpart_area <> 'WLD'"
    ).fetchone()
    return set(row[0]) if row and row[0] else set()


# --------------------------------------------------------------------------- volumes


def section_volumes(store: Store, corridors: Section, scope: Scope | str | None = None) -> Section:
    """Labour migrants implied by the country's remittance outflows, ``N = R / (p·r)``.

    Two outflows: all remittances paid, and the part going to the country's labour origins
    (:func:`labour_origins`; their share in keruen's 2017 corridor allocation, applied to every
    year: the WB matrix lacks some of these corridors, e.g. Kazakhstan → Uzbekistan). Only the
    first where no part goes to them. Not held where the country reports no remittances paid
    since ``VOLUME_FIRST_YEAR``.
    """
    scope = as_scope(scope)
    country = scope.country
    paid = reported(concept_series(store, "remittances_paid", [country]))
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
