"""A country's migrant flows in and out, estimated from UN DESA bilateral stocks.

Model inputs are built from the store (stocks, population, UN WPP births and deaths) and
handed to the pure estimator :func:`keruen.models.flows_from_stocks.flows_from_stocks`; the
section carries method, assumptions and parameters beside the numbers, and the
:class:`~keruen.store.estimates.Estimate` to store.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from keruen.analysis.paper import COUNTRY
from keruen.analysis.provenance import merge_sources, source_line
from keruen.analysis.scope import Scope, country_name
from keruen.analysis.section import Section, not_held
from keruen.analysis.stocks import bilateral_periods, bilateral_stocks
from keruen.errors import DataNotAvailableError, InputError
from keruen.models.flows_from_stocks import FlowsFromStocksResult, flows_from_stocks
from keruen.store import Store
from keruen.store.concepts import concept_series
from keruen.store.estimates import Estimate, inputs_of
from keruen.store.vitals import REST_OF_WORLD, vital_events

#: Regions of the flow estimates chosen by hand: Kazakhstan, the partners the paper discusses.
#: Every other country's regions are chosen from the data (:func:`flow_regions`).
CHOSEN_REGIONS: dict[str, tuple[str, ...]] = {
    "KAZ": ("KAZ", "RUS", "UZB", "KGZ", "TJK", "TKM", "UKR", "BLR", "DEU")
}
#: Kazakhstan's regions (kept under their old name for callers).
FLOW_REGIONS: tuple[str, ...] = CHOSEN_REGIONS["KAZ"]
#: Partners of a country in its flow estimate, chosen by bilateral stock (both directions).
FLOW_PARTNERS = 8
REST = REST_OF_WORLD


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


def flows(store: Store, scope: Scope) -> Section:
    """The country's estimated in- and out-flows per period from UN DESA bilateral stocks.

    ``demo`` (closed demographic accounting) with births and deaths of UN WPP 2024 (calendar
    years ``start <= year < end``, the rest of the world summed into ``ROW``); ``diff`` (stock
    differencing) beside it.  The ``balance`` table states per period how far the stocks'
    change and WPP's births minus deaths differ (closed by rescaling the native-born). Regions:
    :func:`flow_regions`; a country without bilateral stocks, population or vital events held
    gets a :func:`not_held` section.
    """
    country = scope.country
    periods = sorted(store.observations("UNDESA_IMS", "migrant_stock", ref_area=country)["period"])
    periods = sorted({p for p in periods if p.isdigit()} & bilateral_periods(store))
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
