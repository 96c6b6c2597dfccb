"""Estimated sections of the report: gravity drivers, forecasts and migration systems.

Like :mod:`keruen.report.estimates`, each section states method, assumptions and uncertainty
beside its numbers and carries the :class:`~keruen.store.estimates.Estimate` objects to store.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from keruen.areas import group_members
from keruen.models.forecast import DEFAULT_MODEL, ForecastModel, forecast_series
from keruen.models.gravity import ppml_gravity
from keruen.models.systems import detect_systems, track_country
from keruen.report.analysis import COUNTRY, Section, estimates_of  # noqa: F401 - re-exported
from keruen.report.estimates import bilateral_stocks
from keruen.report.provenance import merge_sources, source_line
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


def section_forecasts(store: Store) -> Section:
    """Forecasts of Kazakhstan's remittances received and paid, with backtest scores."""
    series, backtests, verdicts, used, est_rows = [], [], {}, [], []
    params: dict[str, object] = {}
    for concept in ("remittances_received", "remittances_paid"):
        s = concept_series(store, concept, [COUNTRY]).dropna(subset=["value"])
        s = s[s["period"].astype(int) >= FORECAST_FIRST_YEAR]
        used.append(s)
        y = s.set_index(s["period"].astype(int))["value"].sort_index()
        series.append(pd.DataFrame({"concept": concept, "year": y.index, "value": y.to_numpy()}))
        for model in FORECAST_MODELS:
            res = forecast_series(y, model=model, horizon=FORECAST_HORIZON, level=FORECAST_LEVEL)
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
                            "ref_area": COUNTRY,
                            "breakdown": f"model={model},bound={bound}",
                            "period": str(r.year),
                            "value": float(v),
                            "unit": "current USD",
                        }
                    )
            method, assumptions = res.method, res.assumptions
    scores = (
        pd.concat(backtests, ignore_index=True)
        .drop_duplicates(["concept", "model"])
        .drop(columns=["fitted"])
    )
    values = {
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
                title="Forecasts of Kazakhstan's remittances received and paid",
            )
        ],
    }
    tables = {"series": pd.concat(series, ignore_index=True), "scores": scores}
    return Section("forecasts", tables, values, merge_sources(*(source_line(u) for u in used)))


def _float(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) else np.nan


def section_systems(store: Store, stocks: dict[str, pd.DataFrame] | None = None) -> Section:
    """Migration systems of the UN DESA stock network per period; Kazakhstan's place in them.

    The paper's claim (a Central Asian subsystem with Kazakhstan as its receiving centre) is
    tested on the post-Soviet sub-network: in the latest period, is Kazakhstan in one system
    with at least two other Central Asian states, is it that system's largest member, and does
    it hold more migrants born in its Central Asian neighbours than they hold of its natives?
    """
    stocks = _stocks_by_period(store) if stocks is None else stocks
    long = pd.concat(
        [s[["orig", "dest", "stock"]].assign(period=p) for p, s in stocks.items()],
        ignore_index=True,
    )
    world = detect_systems(long, value="stock", period="period", seed=SYSTEM_SEED)
    kaz_world = track_country(world, COUNTRY)
    ps = set(group_members("post_soviet"))
    sub = long[long["orig"].isin(ps) & long["dest"].isin(ps)]
    region = detect_systems(sub, value="stock", period="period", seed=SYSTEM_SEED)
    kaz_region = track_country(region, COUNTRY)
    neighbours = [c for c in group_members("central_asia") if c != COUNTRY]
    rows = []
    for p in sorted(stocks):
        mem = region.members[region.members["period"] == p]
        system = mem.loc[mem["country"] == COUNTRY, "system"].iloc[0]
        members = sorted(mem.loc[mem["system"] == system, "country"])
        wmem = world.members[world.members["period"] == p]
        wsys = wmem.loc[wmem["country"] == COUNTRY, "system"].iloc[0]
        s = stocks[p]
        from_ca = float(s[(s["dest"] == COUNTRY) & s["orig"].isin(neighbours)]["stock"].sum())
        to_ca = float(s[(s["orig"] == COUNTRY) & s["dest"].isin(neighbours)]["stock"].sum())
        rows.append(
            {
                "period": p,
                "world_system": wsys,
                "world_system_size": int((wmem["system"] == wsys).sum()),
                "region_system": system,
                "region_members": members,
                "ca_in_system": sorted(set(members) & set(neighbours)),
                "kaz_is_centre": system == COUNTRY,
                "from_central_asia": from_ca,
                "to_central_asia": to_ca,
                "net_central_asia": from_ca - to_ca,
            }
        )
    track = pd.DataFrame(rows).merge(
        kaz_world[["period", "in_strength", "out_strength", "net", "position", "role", "rank"]],
        on="period",
    )
    last = track.iloc[-1]
    checks = {
        "same_system": len(last["ca_in_system"]) >= 2,
        "centre": bool(last["kaz_is_centre"]),
        "receives_from_neighbours": bool(last["net_central_asia"] > 0),
    }
    est_rows = [
        {
            "measure": measure,
            "ref_area": COUNTRY,
            "breakdown": f"network={net}",
            "period": str(r["period"]),
            "value": float(r[col]),
            "unit": unit,
        }
        for _, r in kaz_world.iterrows()
        for measure, col, unit, net in (
            ("system_size", "system_size", "countries", "world"),
            ("system_rank", "rank", "rank", "world"),
        )
    ] + [
        {
            "measure": "system_size",
            "ref_area": COUNTRY,
            "breakdown": "network=post_soviet",
            "period": str(r["period"]),
            "value": float(r["system_size"]),
            "unit": "countries",
        }
        for _, r in kaz_region.iterrows()
    ]
    values = {
        "method": world.method,
        "assumptions": world.assumptions,
        "seed": SYSTEM_SEED,
        "neighbours": neighbours,
        "checks": checks,
        "supported": all(checks.values()),
        "last_period": str(last["period"]),
        "modularity": {str(k): v for k, v in world.modularity.items()},
        "estimates": [
            Estimate(
                model="systems",
                rows=pd.DataFrame(est_rows),
                method=world.method,
                assumptions=world.assumptions,
                parameters=dict(world.parameters),
                inputs=inputs_of(long.assign(**_prov(stocks))),
                title="Kazakhstan's migration system (UN DESA stock network)",
            )
        ],
    }
    sources = merge_sources(*(source_line(s) for s in stocks.values()))
    return Section("systems", {"track": track}, values, sources)


def _prov(stocks: dict[str, pd.DataFrame]) -> dict[str, object]:
    first = next(iter(stocks.values()))
    return {c: first[c].iloc[0] for c in ("dataset", "vintage", "release") if c in first}


def estimated_sections(store: Store) -> dict[str, Section]:
    """The six estimated sections, keyed by name, each a part of the report cache.

    Each section is looked up in the active :class:`~keruen.report.cache.ReportCache` (keyed by
    the code, its parameters and the vintages of the datasets it reads) and computed only when
    one of those changed. With no cache active, this process's memory serves as one, so
    rendering several languages in one process computes the models once.
    """
    from keruen.report.cache import ReportCache, active, cached_section, shared_value
    from keruen.report.estimates import section_corridors, section_flows, section_volumes

    if active() is None:
        with ReportCache(mode="memory").active():
            return estimated_sections(store)

    def stocks(s: Store) -> dict[str, pd.DataFrame]:
        return shared_value(s, "bilateral_stocks", None, _stocks_by_period)

    corridors = cached_section(store, "corridors", None, section_corridors)
    sections = (
        cached_section(store, "flows", None, section_flows),
        corridors,
        cached_section(
            store, "volumes", None, lambda s: section_volumes(s, corridors), inputs=[corridors]
        ),
        cached_section(store, "gravity", None, lambda s: section_gravity(s, stocks(s))),
        cached_section(store, "forecasts", None, section_forecasts),
        cached_section(store, "systems", None, lambda s: section_systems(s, stocks(s))),
    )
    return {s.key: s for s in sections}
