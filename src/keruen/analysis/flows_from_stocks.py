"""A country's migrant flows in and out, estimated from UN DESA bilateral stocks.

The section reads the country's rows of the closed-world estimate
(:mod:`keruen.analysis.flow_world`) and carries method, assumptions and parameters beside the
numbers, a two-sided plausibility table, and the :class:`~keruen.store.estimates.Estimate` to
store. :func:`stock_matrix` and :func:`flow_regions` build the earlier few-partners-plus-ROW
tables, which ``keruen estimate flows-from-stocks`` still accepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from keruen.analysis.flow_world import FlowWorld
from keruen.analysis.paper import COUNTRY
from keruen.analysis.provenance import merge_sources, source_line
from keruen.analysis.scope import Scope, country_name
from keruen.analysis.section import Section, not_held
from keruen.analysis.stocks import bilateral_stocks
from keruen.errors import DataNotAvailableError, InputError
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


def flows(store: Store, scope: Scope, flow_world: FlowWorld) -> Section:
    """The country's estimated in- and out-flows per period, read from the closed world.

    ``flow_world`` (:func:`keruen.analysis.flow_world.world_flows`) is the demographic
    accounting of every country at once (UN DESA stocks, World Bank start population, UN WPP
    2024 births, deaths and net migration); stock differencing beside it. Tables: ``flows`` (per
    period: inflow, outflow, net and WPP's net migration, which the net equals where the
    accounting closes, up to the stated ``closing_adjustment``), ``balance`` (the world's
    stocks' change against births minus deaths), ``partners`` (last period, every partner) and
    ``plausibility`` (:func:`plausibility_table`). A country outside the closed world (no
    population or vital events held) gets a :func:`not_held` section.
    """
    country = scope.country
    world = flow_world
    if not world.periods:
        return not_held("flows", country, "bilateral_stocks")
    if country not in world.periods[-1].od.index:
        return not_held("flows", country, "population_vitals")
    rows, balance, est_rows, checks = [], [], [], []
    for wp in world.periods:
        od, growth = wp.od, wp.growth
        if country not in od.index:
            continue
        adj = wp.adjustments.loc[country]
        inflow, outflow = float(od[country].drop(country).sum()), float(
            od.loc[country].drop(country).sum()
        )
        start, end = wp.label.split("-")
        rows.append(
            {
                "period": wp.label,
                "years": float(int(end) - int(start)),
                "diff_inflow": float(growth[country].clip(lower=0).sum()),
                "diff_outflow": float(growth.loc[country].clip(lower=0).sum()),
                "inflow": inflow,
                "outflow": outflow,
                "net": inflow - outflow,
                "wpp_net": float(adj["wpp_net_migration"]),
                "closing_adjustment": float(adj["closing_adjustment"]),
            }
        )
        balance.append(
            {"period": wp.label, "vital_years": wp.years, "areas": wp.parameters["areas"]}
            | {"start_population": float(wp.adjustments["start_population"].sum())}
            | {k: _float(wp.parameters.get(k)) for k in _BALANCE_KEYS}
        )
        pairs = plausibility_table(growth, od, country)
        totals = total_plausibility(rows[-1], country)
        both = [f for f in (totals, pairs) if not f.empty]
        table = pd.concat(both, ignore_index=True) if both else pairs
        checks.append(table.assign(period=wp.label))
        for partner in od.index:
            if partner == country:
                continue
            for orig, dest, measure in (
                (partner, country, "migrant_flow_in"),
                (country, partner, "migrant_flow_out"),
            ):
                value = float(od.loc[orig, dest])
                if value > 0:
                    est_rows.append(
                        {
                            "measure": measure,
                            "ref_area": country,
                            "counterpart_area": partner,
                            "period": wp.label,
                            "value": value,
                            "unit": "persons",
                        }
                    )
    last = world.periods[-1]
    od = last.od
    others = [c for c in od.index if c != country]
    partners = pd.DataFrame(
        {
            "partner": others,
            "inflow": [float(od.loc[c, country]) for c in others],
            "outflow": [float(od.loc[country, c]) for c in others],
        }
    ).assign(net=lambda f: f["inflow"] - f["outflow"])
    partners = partners[(partners["inflow"] > 0) | (partners["outflow"] > 0)]
    order = (partners["inflow"] + partners["outflow"]).sort_values(ascending=False, kind="stable")
    partners = partners.loc[order.index].reset_index(drop=True)
    table = pd.DataFrame(rows)
    balance_table = pd.DataFrame(balance)
    plaus = pd.concat([c for c in checks if not c.empty] or checks[:1], ignore_index=True)
    plaus = plaus.loc[plaus["discrepancy"].abs().sort_values(ascending=False).index]
    plaus = plaus.reset_index(drop=True)
    mismatch = last.mismatch.loc[country]
    vitals_used = [u for u in world.used if "births" in u.columns]
    inputs = merge_sources(*(source_line(u) for u in world.used))
    wpp_source = source_line(vitals_used[-1])
    wpp = vitals_used[-1].iloc[0]
    wpp_release = store.con.execute(
        "SELECT DISTINCT dataset, vintage, CAST(release AS VARCHAR) AS release FROM sources "
        "WHERE dataset = ? AND vintage = ?",
        [str(wpp["dataset"]), str(wpp["vintage"])],
    ).df()
    stock_frames = [u for u in world.used if "stock" in u.columns]
    params = dict(last.parameters) | {
        "world": "closed: every area with UN DESA stocks, population and UN WPP events",
        "areas_left_out": list(world.left_out),
        "births_deaths": f"{wpp['publisher']}, {wpp['vintage']} ({wpp['dataset']}), "
        "calendar years start <= year < end",
    }
    assumptions = (*world.assumptions, *_CLOSED_ASSUMPTIONS)
    estimate = Estimate(
        model="flows_from_stocks",
        rows=pd.DataFrame(est_rows),
        method=world.method,
        assumptions=assumptions,
        parameters=params,
        inputs=inputs_of(
            pd.concat([stock_frames[0], stock_frames[-1], wpp_release], ignore_index=True)
        ),
        title=f"{country_name(country)}'s migrant flows estimated from UN DESA bilateral stocks",
    )
    values = {
        "country": country,
        "regions_chosen": "closed_world",
        "method": world.method,
        "assumptions": assumptions,
        "diff_method": "stock differencing",
        "areas": int(last.parameters["areas"]),
        "areas_left_out": list(world.left_out),
        "vital_source": wpp_source[0],
        "max_balance_share": float(
            (balance_table["balance_gap"].abs() / balance_table["start_population"]).max()
        ),
        "max_net_gap": float(
            (table["net"] - table["wpp_net"] - table["closing_adjustment"]).abs().max()
        ),
        "birthplace_gap": float(mismatch["gap"]),
        "birthplace_gap_share": _float(mismatch["share_abroad"]),
        "last_period": table["period"].iloc[-1],
        "plausibility": plaus.to_dict("records"),
        "estimates": [estimate],
    }
    return Section(
        "flows",
        {"flows": table, "balance": balance_table, "partners": partners, "plausibility": plaus},
        values,
        inputs,
    )


def _float(value: object) -> float:
    return float(value) if isinstance(value, (int, float, np.floating)) else np.nan


_BALANCE_KEYS = ("stock_change", "births_minus_deaths", "balance_gap")


#: A flow below this share of the growth of the stock it feeds (or above the growth divided by
#: it) is listed as implausible.
PLAUSIBLE_SHARE = 0.5
#: Differences smaller than this (persons) are not listed.
PLAUSIBLE_MIN = 1000.0


def plausibility_table(growth: pd.DataFrame, od: pd.DataFrame, country: str) -> pd.DataFrame:
    """Pairs with ``country`` whose estimated flow departs from the stock change it came from.

    The stock of people born in ``o`` living in ``d`` grows by ``g`` (``growth.loc[o, d]``); the
    estimated flow ``f = od.loc[o, d]`` is listed ``below`` when ``g > PLAUSIBLE_MIN`` and
    ``f < PLAUSIBLE_SHARE · g``, ``above`` when ``f − max(g, 0) > PLAUSIBLE_MIN`` and
    ``f > max(g, 0) / PLAUSIBLE_SHARE``. ``discrepancy = f − g``; largest first.
    """
    rows = [
        _checked(partner, orig, dest, float(growth.loc[orig, dest]), float(od.loc[orig, dest]))
        for partner in od.index
        if partner != country
        for orig, dest in ((partner, country), (country, partner))
    ]
    table = pd.DataFrame([r for r in rows if r], columns=_CHECK_COLUMNS)
    return table.reindex(table["discrepancy"].abs().sort_values(ascending=False).index)


#: Columns of a plausibility table.
_CHECK_COLUMNS = ["partner", "orig", "dest", "growth", "flow", "discrepancy", "side"]


def _checked(partner: str, orig: str, dest: str, g: float, f: float) -> dict[str, Any] | None:
    """A row of the plausibility table when flow ``f`` departs from stock growth ``g``, else None.

    ``below`` when ``g > PLAUSIBLE_MIN`` and ``f < PLAUSIBLE_SHARE · g``; ``above`` when
    ``f − max(g, 0) > PLAUSIBLE_MIN`` and ``f > max(g, 0) / PLAUSIBLE_SHARE``.
    """
    if g > PLAUSIBLE_MIN and f < PLAUSIBLE_SHARE * g:
        side = "below"
    elif f - max(g, 0.0) > PLAUSIBLE_MIN and f > max(g, 0.0) / PLAUSIBLE_SHARE:
        side = "above"
    else:
        return None
    return {"partner": partner, "orig": orig, "dest": dest, "growth": g, "flow": f} | {
        "discrepancy": f - g,
        "side": side,
    }


def total_plausibility(row: dict[str, Any], country: str) -> pd.DataFrame:
    """The country's total inflow and outflow checked as :func:`plausibility_table` checks a
    pair, against the growth of all the stocks they feed (``diff_inflow``, ``diff_outflow``;
    partner ``WLD``): a total estimated at 0 while its stocks grew is listed, not silent."""
    rows = [
        _checked("WLD", "WLD", country, float(row["diff_inflow"]), float(row["inflow"])),
        _checked("WLD", country, "WLD", float(row["diff_outflow"]), float(row["outflow"])),
    ]
    return pd.DataFrame([r for r in rows if r], columns=_CHECK_COLUMNS)


def implausible_flows(
    s0: pd.DataFrame, s1: pd.DataFrame, od: pd.DataFrame, country: str = COUNTRY
) -> list[dict[str, object]]:
    """:func:`plausibility_table` of two stock tables (foreign-born cells), as records."""
    growth = s1 - s0
    np.fill_diagonal(growth.values, 0.0)
    return plausibility_table(growth, od, country).to_dict("records")


_CLOSED_ASSUMPTIONS = (
    "the world is every area with UN DESA stocks, a World Bank population and UN WPP 2024 "
    "births, deaths and net migration; stocks born in other areas count with the native born",
    "the end population of each area is its start population plus UN WPP births minus deaths "
    "plus net migration, so each area's estimated net migration equals WPP's; WPP's nets of the "
    "areas kept are closed to zero in proportion to population",
)
