"""What drives migration between post-Soviet states and their main partners: a PPML gravity fit.

One fit for the world panel (flows estimated as stock differences among the post-Soviet
states and :data:`GRAVITY_PARTNERS`), shown from each country's side.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from keruen.analysis.provenance import merge_sources, source_line
from keruen.analysis.scope import Scope
from keruen.analysis.section import Section
from keruen.areas import group_members
from keruen.models.gravity import ppml_gravity
from keruen.store import Store
from keruen.store.concepts import concept_series
from keruen.store.estimates import Estimate, inputs_of

#: Partners added to the post-Soviet states in the gravity panel.
GRAVITY_PARTNERS: tuple[str, ...] = ("DEU", "CHN", "TUR", "USA", "ISR", "POL", "KOR")
#: Year from whose mid-year each country counts as an EAEU member (Treaty in force 2015-01-01;
#: Kyrgyzstan acceded on 2015-08-12, so it counts from 2016).
EAEU_FROM = {"ARM": 2015, "BLR": 2015, "KAZ": 2015, "RUS": 2015, "KGZ": 2016}
GRAVITY_REGRESSORS = ("contiguity", "former_ussr", "eaeu", "log_diaspora", "log_gdppc_ratio")


@cache
def contiguity() -> frozenset[frozenset[str]]:
    """Pairs sharing a land border (``data/reference/contiguity.csv``)."""
    text = resources.files("keruen.data.reference").joinpath("contiguity.csv").read_text("utf-8")
    return frozenset(frozenset((r["a"], r["b"])) for r in csv.DictReader(text.splitlines()))


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


def world_fit(store: Store, bilateral_stocks: dict[str, pd.DataFrame]) -> Section:
    """PPML of estimated flows (stock differences) among post-Soviet states and main partners.

    ``bilateral_stocks``: :func:`keruen.analysis.stocks.stocks_by_period` of the store.

    Two specifications: origin-time + destination-time effects (structural gravity; absorbs
    every regressor that is a difference of origin and destination terms, such as the income
    ratio) and origin + destination + time effects (identifies the income ratio).
    """
    stocks = bilateral_stocks
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


def gravity(store: Store, scope: Scope, gravity_world: Section) -> Section:
    """The world gravity fit seen from one country: the same numbers, the country named.

    The fit is not re-estimated per country; ``in_panel`` says whether the country's own
    corridors are among the pairs it was fitted on.
    """
    country = scope.country
    values = gravity_world.values | {
        "country": country,
        "in_panel": country in gravity_world.values.get("countries", []),
    }
    return replace(gravity_world, values=values)


#: A series needs this many years (from FORECAST_FIRST_YEAR) to be forecast and backtested.
