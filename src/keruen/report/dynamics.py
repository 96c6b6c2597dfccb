"""Estimated sections of the report: gravity drivers, forecasts and migration systems.

Like :mod:`keruen.report.estimates`, each section states method, assumptions and uncertainty
beside its numbers and carries the :class:`~keruen.store.estimates.Estimate` objects to store.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from keruen.areas import group_members
from keruen.errors import InputError
from keruen.models.forecast import DEFAULT_MODEL, ForecastModel, forecast_series
from keruen.models.gravity import ppml_gravity
from keruen.models.systems import detect_systems, track_country
from keruen.report.analysis import Section, estimates_of  # noqa: F401 - re-exported
from keruen.report.estimates import bilateral_stocks
from keruen.report.focus import as_scope, country_name, is_held, neighbours, not_held
from keruen.report.missing import reported
from keruen.report.provenance import merge_sources, source_line
from keruen.report.scope import Scope
from keruen.store import Store
from keruen.store.concepts import concept_series
from keruen.store.estimates import Estimate, inputs_of

#: Partners added to the post-Soviet states in the gravity panel.
GRAVITY_PARTNERS: tuple[str, ...] = ("DEU", "CHN", "TUR", "USA", "ISR", "POL", "KOR")
#: Year from whose mid-year each country counts as an EAEU member (Treaty in force 2015-01-01;
#: Kyrgyzstan acceded on 2015-08-12, so it counts from 2016).
EAEU_FROM = {"ARM": 2015, "BLR": 2015, "KAZ": 2015, "RUS": 2015, "KGZ": 2016}
GRAVITY_REGRESSORS = ("contiguity", "former_ussr", "eaeu", "log_diaspora", "log_gdppc_ratio")
FORECAST_FIRST_YEAR = 2000
#: The headline model: the winner of the pooled out-of-sample backtest (the models' default).
FORECAST_MODELS: tuple[ForecastModel, ...] = (DEFAULT_MODEL,)  # type: ignore[assignment]
FORECAST_LEVEL = 0.8
FORECAST_HORIZON = 5
SYSTEM_SEED = 0


@cache
def contiguity() -> frozenset[frozenset[str]]:
    """Pairs sharing a land border (``data/reference/contiguity.csv``)."""
    text = resources.files("keruen.data.reference").joinpath("contiguity.csv").read_text("utf-8")
    return frozenset(frozenset((r["a"], r["b"])) for r in csv.DictReader(text.splitlines()))


def _stocks_by_period(store: Store) -> dict[str, pd.DataFrame]:
    periods = sorted(
        store.con.execute(
            "SELECT DISTINCT period FROM observations WHERE dataset = 'UNDESA_IMS' "
            "AND counterpart_area IS NOT NULL AND counterpart_area <> 'WLD'"
        ).df()["period"]
    )
    return {p: bilateral_stocks(store, p) for p in periods}


def gravity_panel(
    stocks: dict[str, pd.DataFrame], gdp_pc: pd.DataFrame, countries: list[str]
) -> pd.DataFrame:
    """Pair × period panel: flow = max(S_end − S_start, 0) and the regressors.

    ``log_diaspora = log(1 + S_start)``; ``log_gdppc_ratio = log(y_dest / y_orig)``, each
    country's GDP per head taken in the first year of the period it is held; ``eaeu`` = both
    members at the period's end.
    """
    periods = sorted(stocks)
    post_soviet = set(group_members("post_soviet"))
    border = contiguity()
    joined = EAEU_FROM
    rows = []
    for start, end in zip(periods[:-1], periods[1:], strict=True):
        s0 = stocks[start].set_index(["orig", "dest"])["stock"]
        s1 = stocks[end].set_index(["orig", "dest"])["stock"]
        years = [str(y) for y in range(int(start), int(end) + 1)]
        wide = gdp_pc.pivot_table(index="period", columns="ref_area", values="value")
        # each country's GDP per head in the first year of the period it is held, so the ratio
        # stays a difference of an origin and a destination term (absorbed under ot_dt)
        first = wide.reindex(index=years, columns=countries).bfill().iloc[0]
        for o in countries:
            for d in countries:
                if o == d:
                    continue
                a, b = float(s0.get((o, d), 0.0)), float(s1.get((o, d), 0.0))
                ratio = float(np.log(first[d] / first[o]))
                rows.append(
                    {
                        "orig": o,
                        "dest": d,
                        "period": f"{start}-{end}",
                        "year": int(end),
                        "flow": max(b - a, 0.0),
                        "contiguity": float(frozenset((o, d)) in border),
                        "former_ussr": float(o in post_soviet and d in post_soviet),
                        "eaeu": float(max(joined.get(o, 9999), joined.get(d, 9999)) <= int(end)),
                        "log_diaspora": float(np.log1p(a)),
                        "log_gdppc_ratio": ratio,
                    }
                )
    return pd.DataFrame(rows)


def section_gravity(store: Store, stocks: dict[str, pd.DataFrame] | None = None) -> Section:
    """PPML of estimated flows (stock differences) among post-Soviet states and main partners.

    Two specifications: origin-time + destination-time effects (structural gravity; absorbs
    every regressor that is a difference of origin and destination terms, such as the income
    ratio) and origin + destination + time effects (identifies the income ratio).
    """
    stocks = _stocks_by_period(store) if stocks is None else stocks
    countries = sorted({*group_members("post_soviet"), *GRAVITY_PARTNERS})
    gdp = concept_series(store, "gdp", countries)
    pop = concept_series(store, "population", countries)
    gdp_pc = gdp.merge(pop, on=["ref_area", "period"], suffixes=("_gdp", "_pop"))
    gdp_pc["value"] = gdp_pc["value_gdp"] / gdp_pc["value_pop"]
    panel = gravity_panel(stocks, gdp_pc[["ref_area", "period", "value"]], countries)
    n_all = len(panel)
    no_income = panel["log_gdppc_ratio"].isna()
    panel = panel[~no_income].reset_index(drop=True)
    fits, coefs = {}, []
    for fe in ("ot_dt", "o_d_t"):
        res = ppml_gravity(panel, regressors=list(GRAVITY_REGRESSORS), fixed_effects=fe)
        fits[fe] = res
        c = res.coefficients.reset_index().assign(fixed_effects=fe)
        coefs.append(c)
        for name, why in res.dropped_regressors.items():
            coefs.append(pd.DataFrame({"term": [name], "fixed_effects": [fe], "dropped": [why]}))
    table = pd.concat(coefs, ignore_index=True)
    main = fits["ot_dt"]
    pvals = main.coefficients["p_value"]
    used = [*stocks.values(), gdp, pop]
    est_rows = [
        {
            "measure": f"gravity_{col}",
            "ref_area": "post_soviet+partners",
            "breakdown": f"term={r.term},fe={r.fixed_effects}",
            "period": f"{panel['period'].iloc[0][:4]}-{panel['period'].iloc[-1][-4:]}",
            "value": float(getattr(r, col)),
            "unit": "coefficient" if col == "estimate" else "standard error",
        }
        for r in table.dropna(subset=["estimate"]).itertuples()
        for col in ("estimate", "std_error")
    ]
    values = {
        "method": main.method,
        "assumptions": main.assumptions,
        "countries": countries,
        "n_pairs_periods": n_all,
        "n_no_income": int(no_income.sum()),
        "significant": [t for t in pvals.index if pvals[t] < 0.05],
        "insignificant": [t for t in pvals.index if pvals[t] >= 0.05],
        "diaspora": float(main.coefficients["estimate"].get("log_diaspora", np.nan)),
        "fits": {
            fe: {
                "n_obs": r.n_obs,
                "n_separated": r.n_separated,
                "dropped": dict(r.dropped_regressors),
                "converged": r.converged,
            }
            for fe, r in fits.items()
        },
        "estimates": [
            Estimate(
                model="gravity",
                rows=pd.DataFrame(est_rows),
                method=main.method + "; also origin, destination and time effects",
                assumptions=main.assumptions,
                parameters=dict(main.parameters) | {"countries": countries},
                inputs=inputs_of(pd.concat(used, ignore_index=True)),
                title="PPML gravity of flows estimated from UN DESA stocks",
            )
        ],
    }
    sources = merge_sources(*(source_line(s) for s in stocks.values()), source_line(gdp))
    return Section("gravity", {"coefficients": table}, values, merge_sources(sources))


def gravity_for(gravity: Section, scope: Scope | str | None = None) -> Section:
    """The world gravity fit seen from one country: the same numbers, the country named.

    The fit is not re-estimated per country; ``in_panel`` says whether the country's own
    corridors are among the pairs it was fitted on.
    """
    country = as_scope(scope).country
    values = gravity.values | {
        "country": country,
        "in_panel": country in gravity.values.get("countries", []),
    }
    return replace(gravity, values=values)


#: A series needs this many years (from FORECAST_FIRST_YEAR) to be forecast and backtested.
FORECAST_MIN_YEARS = 12


def section_forecasts(store: Store, scope: Scope | str | None = None) -> Section:
    """Forecasts of the country's remittances received and paid, with backtest scores.

    A series is forecast when at least ``FORECAST_MIN_YEARS`` reported years (zeros standing
    for "not reported" left out) are held from ``FORECAST_FIRST_YEAR``; the section is not
    held when neither series is.
    """
    country = as_scope(scope).country
    series, backtests, verdicts, used, est_rows = [], [], {}, [], []
    params: dict[str, object] = {}
    skipped: list[str] = []
    method: str = ""
    assumptions: tuple[str, ...] = ()
    for concept in ("remittances_received", "remittances_paid"):
        s = reported(concept_series(store, concept, [country]))
        s = s[s["period"].astype(int) >= FORECAST_FIRST_YEAR]
        y = s.set_index(s["period"].astype(int))["value"].sort_index()
        if len(y) < FORECAST_MIN_YEARS:
            skipped.append(concept)
            continue
        try:
            results = {
                model: forecast_series(
                    y, model=model, horizon=FORECAST_HORIZON, level=FORECAST_LEVEL
                )
                for model in FORECAST_MODELS
            }
        except InputError:  # e.g. a gap inside the series
            skipped.append(concept)
            continue
        used.append(s)
        series.append(pd.DataFrame({"concept": concept, "year": y.index, "value": y.to_numpy()}))
        for model, res in results.items():
            fc = res.forecast.assign(concept=concept, model=model)
            series.append(fc.rename(columns={"mean": "value"}))
            bt = res.backtest.reset_index().assign(concept=concept, fitted=model)
            backtests.append(bt)
            verdicts[f"{concept}:{model}"] = {
                "beats_naive": res.beats_naive,
                "mase": float(res.backtest.loc[model, "mase"]),
                "naive_mase": float(res.backtest.loc["naive", "mase"]),
                "pooled_mase": _float(res.parameters["pooled_mase"]),
                "pooled_naive_mase": _float(res.parameters["pooled_naive_mase"]),
                "last_year": int(y.index[-1]),
            }
            params[f"{concept}:{model}"] = dict(res.parameters)
            for r in res.forecast.itertuples():
                for bound, v in (("mean", r.mean), ("lower", r.lower), ("upper", r.upper)):
                    est_rows.append(
                        {
                            "measure": f"{concept}_forecast",
                            "ref_area": country,
                            "breakdown": f"model={model},bound={bound}",
                            "period": str(r.year),
                            "value": float(v),
                            "unit": "current USD",
                        }
                    )
            method, assumptions = res.method, res.assumptions
    if not series:
        return not_held("forecasts", country, *skipped)
    scores = (
        pd.concat(backtests, ignore_index=True)
        .drop_duplicates(["concept", "model"])
        .drop(columns=["fitted"])
    )
    values = {
        "country": country,
        "not_forecast": skipped,
        "method": method,
        "assumptions": assumptions,
        "model": FORECAST_MODELS[0],
        "level": FORECAST_LEVEL,
        "horizon": FORECAST_HORIZON,
        "first_year": FORECAST_FIRST_YEAR,
        "verdicts": verdicts,
        "estimates": [
            Estimate(
                model="forecast",
                rows=pd.DataFrame(est_rows),
                method=method,
                assumptions=assumptions,
                parameters=params,
                inputs=inputs_of(pd.concat(used, ignore_index=True)),
                title=f"Forecasts of {country_name(country)}'s remittances received and paid",
            )
        ],
    }
    tables = {"series": pd.concat(series, ignore_index=True), "scores": scores}
    return Section("forecasts", tables, values, merge_sources(*(source_line(u) for u in used)))


def _float(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) else np.nan


#: The regional network of a post-Soviet country (the paper's setting); any other country's
#: regional network is its peer group.
POST_SOVIET = "post_soviet"


def region_network(scope: Scope) -> tuple[str, tuple[str, ...]]:
    """(name, members) of the regional network in which a country's system is traced."""
    post_soviet = group_members(POST_SOVIET)
    if scope.country in post_soviet:
        return POST_SOVIET, tuple(post_soviet)
    return scope.group, tuple(sorted({*scope.members, scope.country}))


def section_systems(
    store: Store,
    scope: Scope | str | None = None,
    stocks: dict[str, pd.DataFrame] | None = None,
    networks: dict[tuple[str, ...], object] | None = None,
) -> Section:
    """Migration systems of the UN DESA stock network per period; the country's place in them.

    The paper's claim (a Central Asian subsystem with Kazakhstan as its receiving centre) is
    asked of any country and its neighbourhood (:func:`~keruen.report.estimates.neighbours`)
    on its regional network (:func:`region_network`): in the latest period, does the country
    share its system with at least two neighbours, is it that system's largest member, and
    does it hold more migrants born in its neighbours than they hold of its natives?
    ``networks`` memoises the detected systems (the world's is the same for every country).
    """
    scope = as_scope(scope)
    country = scope.country
    stocks = _stocks_by_period(store) if stocks is None else stocks
    networks = {} if networks is None else networks
    long = pd.concat(
        [s[["orig", "dest", "stock"]].assign(period=p) for p, s in stocks.items()],
        ignore_index=True,
    )
    if not ((long["orig"] == country) | (long["dest"] == country)).any():
        return not_held("systems", country, "bilateral_stocks")
    if ("world",) not in networks:
        networks[("world",)] = detect_systems(
            long, value="stock", period="period", seed=SYSTEM_SEED
        )
    world = networks[("world",)]
    network, members = region_network(scope)
    if members not in networks:
        sub = long[long["orig"].isin(members) & long["dest"].isin(members)]
        networks[members] = detect_systems(sub, value="stock", period="period", seed=SYSTEM_SEED)
    region = networks[members]
    try:
        own_world = track_country(world, country)  # type: ignore[arg-type]
        own_region = track_country(region, country)  # type: ignore[arg-type]
    except InputError:
        return not_held("systems", country, "bilateral_stocks")
    near = list(neighbours(scope))
    rows = []
    for p in sorted(set(own_world["period"]) & set(own_region["period"])):
        mem = region.members[region.members["period"] == p]  # type: ignore[attr-defined]
        system = mem.loc[mem["country"] == country, "system"].iloc[0]
        in_system = sorted(mem.loc[mem["system"] == system, "country"])
        wmem = world.members[world.members["period"] == p]  # type: ignore[attr-defined]
        wsys = wmem.loc[wmem["country"] == country, "system"].iloc[0]
        s = stocks[p]
        into = s[(s["dest"] == country) & s["orig"].isin(near)]["stock"]
        out = s[(s["orig"] == country) & s["dest"].isin(near)]["stock"]
        # no stock held for any neighbour is not a stock of zero
        from_n = float(into.sum()) if len(into) else np.nan
        to_n = float(out.sum()) if len(out) else np.nan
        rows.append(
            {
                "period": p,
                "world_system": wsys,
                "world_system_size": int((wmem["system"] == wsys).sum()),
                "region_system": system,
                "region_members": in_system,
                "neighbours_in_system": sorted(set(in_system) & set(near)),
                "is_centre": system == country,
                "from_neighbours": from_n,
                "to_neighbours": to_n,
                "net_neighbours": from_n - to_n,
            }
        )
    track = pd.DataFrame(rows).merge(
        own_world[["period", "in_strength", "out_strength", "net", "position", "role", "rank"]],
        on="period",
    )
    last = track.iloc[-1]
    checks = {
        "same_system": len(last["neighbours_in_system"]) >= 2,
        "centre": bool(last["is_centre"]),
        "receives_from_neighbours": bool(last["net_neighbours"] > 0),
    }
    est_rows = [
        {
            "measure": measure,
            "ref_area": country,
            "breakdown": f"network={net}",
            "period": str(r["period"]),
            "value": float(r[col]),
            "unit": unit,
        }
        for _, r in own_world.iterrows()
        for measure, col, unit, net in (
            ("system_size", "system_size", "countries", "world"),
            ("system_rank", "rank", "rank", "world"),
        )
    ] + [
        {
            "measure": "system_size",
            "ref_area": country,
            "breakdown": f"network={network}",
            "period": str(r["period"]),
            "value": float(r["system_size"]),
            "unit": "countries",
        }
        for _, r in own_region.iterrows()
    ]
    values = {
        "country": country,
        "method": world.method,  # type: ignore[attr-defined]
        "assumptions": world.assumptions,  # type: ignore[attr-defined]
        "seed": SYSTEM_SEED,
        "network": network,
        "neighbours": near,
        "checks": checks,
        "supported": all(checks.values()),
        "first_period": str(track.iloc[0]["period"]),
        "last_period": str(last["period"]),
        "modularity": {str(k): v for k, v in world.modularity.items()},  # type: ignore[attr-defined]
        "estimates": [
            Estimate(
                model="systems",
                rows=pd.DataFrame(est_rows),
                method=world.method,  # type: ignore[attr-defined]
                assumptions=world.assumptions,  # type: ignore[attr-defined]
                parameters=dict(world.parameters),  # type: ignore[attr-defined]
                inputs=inputs_of(long.assign(**_prov(stocks))),
                title=f"{country_name(country)}'s migration system (UN DESA stock network)",
            )
        ],
    }
    sources = merge_sources(*(source_line(s) for s in stocks.values()))
    return Section("systems", {"track": track}, values, sources)


def _prov(stocks: dict[str, pd.DataFrame]) -> dict[str, object]:
    first = next(iter(stocks.values()))
    return {c: first[c].iloc[0] for c in ("dataset", "vintage", "release") if c in first}


def estimated_sections(store: Store, scope: Scope | str | None = None) -> dict[str, Section]:
    """The six estimated sections of ``scope``'s country, keyed by name, each a cached part.

    Each section is looked up in the active :class:`~keruen.report.cache.ReportCache` (keyed by
    the code, the country and its peer group, and the vintages of the datasets it reads) and
    computed only when one of those changed. With no cache active, this process's memory serves
    as one, so rendering several languages in one process computes the models once. The
    world-level pieces (bilateral stocks, the corridor allocation, the gravity fit, the
    migration networks) are computed once for every country. A section whose inputs are not
    held for the country names what is missing (``values["not_held"]``).
    """
    from keruen.report.cache import ReportCache, active, cached_section, shared_value
    from keruen.report.corridors import corridor_world, section_corridors
    from keruen.report.estimates import section_flows, section_volumes

    scope = as_scope(scope)
    if active() is None:
        with ReportCache(mode="memory").active():
            return estimated_sections(store, scope)

    def stocks(s: Store) -> dict[str, pd.DataFrame]:
        return shared_value(s, "bilateral_stocks", None, _stocks_by_period)

    def networks(s: Store) -> dict[tuple[str, ...], object]:
        # systems detected per period, shared by every country of this run (built from stocks)
        return shared_value(s, "system_networks", None, lambda _s: {})

    world = cached_section(store, "corridor_world", None, corridor_world)
    gravity = cached_section(store, "gravity", None, lambda s: section_gravity(s, stocks(s)))
    corridors = cached_section(
        store, "corridors", scope, lambda s: section_corridors(s, scope, world), inputs=[world]
    )
    sections = (
        cached_section(store, "flows", scope, lambda s: section_flows(s, scope)),
        corridors,
        cached_section(
            store,
            "volumes",
            scope,
            lambda s: section_volumes(s, corridors, scope),
            inputs=[corridors],
        ),
        gravity_for(gravity, scope),
        cached_section(store, "forecasts", scope, lambda s: section_forecasts(s, scope)),
        cached_section(
            store,
            "systems",
            scope,
            lambda s: section_systems(s, scope, stocks(s), networks(s)),
        ),
    )
    return {s.key: s for s in sections}


def held_sections(sections: dict[str, Section]) -> dict[str, Section]:
    """The estimated sections among ``sections`` whose inputs are held."""
    return {k: s for k, s in sections.items() if k in ESTIMATED and is_held(s)}


#: Keys of the estimated sections, in report order.
ESTIMATED: tuple[str, ...] = ("flows", "corridors", "volumes", "gravity", "forecasts", "systems")
