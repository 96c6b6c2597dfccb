"""Estimated sections of the report: flows from stocks, remittance corridors, implied migrants.

Each ``section_*`` function builds its model inputs from the store, runs the pure estimators of
:mod:`keruen.models`, and returns a :class:`~keruen.report.analysis.Section` whose ``values``
carry the method, assumptions and parameters beside the numbers, and whose ``estimates`` (in
``values["estimates"]``) are :class:`~keruen.store.estimates.Estimate` objects ready to store.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from keruen.models.flows_from_stocks import FlowsFromStocksResult, flows_from_stocks
from keruen.models.migrant_volumes import MigrantVolumes, migrants_from_remittances
from keruen.models.remittance_allocation import DEFAULT_RULE, RULES, allocate_remittances
from keruen.report.analysis import COUNTRY, Section, paper_rows, paper_source
from keruen.report.provenance import merge_sources, source_line
from keruen.store import Store
from keruen.store.concepts import concept_series
from keruen.store.estimates import Estimate, inputs_of
from keruen.store.vitals import vital_events

#: Regions of the flow estimates: Kazakhstan, its main partners, and the rest of the world.
FLOW_REGIONS: tuple[str, ...] = ("KAZ", "RUS", "UZB", "KGZ", "TJK", "TKM", "UKR", "BLR", "DEU")
REST = "ROW"
CORRIDOR_YEAR = "2017"
#: The allocation rule closest to the World Bank's 2017 matrix (the models' default).
CORRIDOR_RULE = DEFAULT_RULE
#: Remittances sent per remitting migrant per year (US$) and the share who remit: assumptions.
PER_MIGRANT = 1500.0
PER_MIGRANT_RANGE = (1000.0, 2500.0)
REMITTER_SHARE = 0.8
REMITTER_SHARE_RANGE = (0.6, 1.0)
VOLUME_FIRST_YEAR = 2010
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


def _kaz_totals(res: FlowsFromStocksResult) -> tuple[float, float]:
    od = res.od
    inflow = float(od[COUNTRY].drop(COUNTRY).sum())
    outflow = float(od.loc[COUNTRY].drop(COUNTRY).sum())
    return inflow, outflow


def section_flows(store: Store) -> Section:
    """Kazakhstan's estimated in- and out-flows per period from UN DESA bilateral stocks.

    ``demo`` (closed demographic accounting) with births and deaths of UN WPP 2024 (calendar
    years ``start <= year < end``, the rest of the world summed into ``ROW``); ``diff`` (stock
    differencing) beside it.  The ``balance`` table states per period how far the stocks'
    change and WPP's births minus deaths differ (closed by rescaling the native-born).
    """
    periods = sorted(store.observations("UNDESA_IMS", "migrant_stock", ref_area=COUNTRY)["period"])
    periods = sorted({p for p in periods if p.isdigit()} & _bilateral_periods(store))
    pops = concept_series(store, "population", [*FLOW_REGIONS, "WLD"], periods)
    pop = pops.pivot(index="period", columns="ref_area", values="value")
    stocks, used = {}, []
    for p in periods:
        bil = bilateral_stocks(store, p)
        used.append(bil)
        stocks[p] = stock_matrix(bil, pop.loc[p], FLOW_REGIONS)
    rows, partners, est_rows, balance, vitals = [], pd.DataFrame(), [], [], []
    flows_od: dict[str, pd.DataFrame] = {}
    for start, end in zip(periods[:-1], periods[1:], strict=True):
        s0, s1 = stocks[start], stocks[end]
        label = f"{start}-{end}"
        ev = vital_events(store, FLOW_REGIONS, int(start), int(end), rest=REST)
        vitals.append(ev)
        ev = ev.set_index("ref_area").reindex(s0.index)
        diff = flows_from_stocks(s0, s1, method="diff")
        central = flows_from_stocks(s0, s1, ev["births"], ev["deaths"], method="demo")
        row: dict[str, object] = {"period": label, "years": float(int(end) - int(start))}
        row["diff_inflow"], row["diff_outflow"] = _kaz_totals(diff)
        row["inflow"], row["outflow"] = _kaz_totals(central)
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
            if partner == COUNTRY:
                continue
            for orig, dest, measure in (
                (partner, COUNTRY, "migrant_flow_in"),
                (COUNTRY, partner, "migrant_flow_out"),
            ):
                est_rows.append(
                    {
                        "measure": measure,
                        "ref_area": COUNTRY,
                        "counterpart_area": partner,
                        "period": label,
                        "value": float(od.loc[orig, dest]),
                        "unit": "persons",
                    }
                )
        if end == periods[-1]:
            partners = pd.DataFrame(
                {
                    "partner": [c for c in od.index if c != COUNTRY],
                    "inflow": [float(od.loc[c, COUNTRY]) for c in od.index if c != COUNTRY],
                    "outflow": [float(od.loc[COUNTRY, c]) for c in od.index if c != COUNTRY],
                }
            ).assign(net=lambda f: f["inflow"] - f["outflow"])
            partners = partners.sort_values("outflow", ascending=False).reset_index(drop=True)
    table = pd.DataFrame(rows)
    balance_table = pd.DataFrame(balance)
    plausibility = [
        w | {"period": f"{start}-{end}"}
        for start, end in zip(periods[:-1], periods[1:], strict=True)
        for w in implausible_flows(stocks[start], stocks[end], flows_od[f"{start}-{end}"])
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
        "regions": [*FLOW_REGIONS, REST],
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
        title="Kazakhstan's migrant flows estimated from UN DESA bilateral stocks",
    )
    values = {
        "method": central.method,
        "assumptions": (*central.assumptions, _VITAL_ASSUMPTION),
        "diff_method": diff.method,
        "regions": [*FLOW_REGIONS, REST],
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


# --------------------------------------------------------------------------- corridors


def corridor_inputs(
    store: Store, year: str = CORRIDOR_YEAR
) -> tuple[pd.DataFrame, pd.Series, pd.Series, list[pd.DataFrame], list[str]]:
    """(stocks orig/dest/stock, received, GDP per head, frames used, areas dropped for no income).

    Stocks: World Bank bilateral migrant stocks (``orig`` = birthplace); received: remittances
    received in ``year``; income: GDP ÷ population in ``year``. Countries without an income are
    left out (their rows listed in the last element).
    """
    wb = store.observations("WB_BILATERAL_MIGRANT_STOCKS", "migrant_stock", period=year)
    stocks = wb.rename(columns={"counterpart_area": "orig", "ref_area": "dest", "value": "stock"})
    countries = sorted(set(stocks["orig"]) | set(stocks["dest"]))
    gdp = concept_series(store, "gdp", countries, [year])
    pop = concept_series(store, "population", countries, [year])
    inc = gdp.set_index("ref_area")["value"] / pop.set_index("ref_area")["value"]
    inc = inc.dropna()
    inc = inc[inc > 0]
    dropped = sorted(set(countries) - set(inc.index))
    stocks = stocks[stocks["orig"].isin(inc.index) & stocks["dest"].isin(inc.index)]
    rec = concept_series(store, "remittances_received", sorted(set(stocks["orig"])), [year])
    rec = rec.dropna(subset=["value"])
    received = rec.set_index("ref_area")["value"]
    return (
        stocks[["orig", "dest", "stock"]].reset_index(drop=True),
        received,
        inc,
        [wb, gdp, pop, rec],
        dropped,
    )


def _agreement(ours: pd.Series, theirs: pd.Series) -> dict[str, float]:
    both = pd.concat([ours.rename("ours"), theirs.rename("wb")], axis=1).dropna()
    both = both[(both["ours"] > 0) & (both["wb"] > 0)]
    if len(both) < 3:
        return {"n": float(len(both)), "spearman": np.nan, "ratio_of_sums": np.nan}
    log_ratio = np.log(both["ours"] / both["wb"])
    return {
        "n": float(len(both)),
        "spearman": float(stats.spearmanr(both["ours"], both["wb"]).statistic),
        "ratio_of_sums": float(both["ours"].sum() / both["wb"].sum()),
        "within_factor_2": float((np.abs(log_ratio) <= np.log(2)).mean()),
        "median_abs_log_ratio": float(np.abs(log_ratio).median()),
    }


def _float(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) else np.nan


def section_corridors(store: Store) -> Section:
    """Kazakhstan's remittance corridors by Ratha–Shaw allocation, beside the WB 2017 matrix."""
    stocks, received, income, used, dropped = corridor_inputs(store)
    results = {
        rule: allocate_remittances(stocks, received, income, rule=rule)  # type: ignore[arg-type]
        for rule in RULES
    }
    central = results[CORRIDOR_RULE]
    wb = store.observations("WB_BILATERAL_REMITTANCES", "bilateral_remittances", period="2017")
    wb_s = pd.Series(
        wb["value"].to_numpy() * 1e6,
        index=pd.MultiIndex.from_arrays([wb["counterpart_area"], wb["ref_area"]]),
    )  # (sender, receiver) -> US$
    by_rule = {
        rule: r.corridors.set_index(["sender", "receiver"])["remittances"]
        for rule, r in results.items()
    }
    ours = by_rule[CORRIDOR_RULE]
    kaz = [k for k in ours.index.union(wb_s.index) if COUNTRY in k]
    table = pd.DataFrame(
        {
            "sender": [k[0] for k in kaz],
            "receiver": [k[1] for k in kaz],
            "estimate": [float(ours.get(k, 0.0)) for k in kaz],
            "low": [min(float(by_rule[r].get(k, 0.0)) for r in RULES) for k in kaz],
            "high": [max(float(by_rule[r].get(k, 0.0)) for r in RULES) for k in kaz],
            "wb": [float(wb_s.get(k, np.nan)) for k in kaz],
        }
    )
    table["direction"] = np.where(table["sender"] == COUNTRY, "out", "in")
    table = table[(table["estimate"] > 0) | (table["wb"] > 0)]
    table = table.sort_values(["direction", "estimate"], ascending=[False, False])
    table = table.groupby("direction", sort=False).head(8).reset_index(drop=True)
    kaz_keys = [k for k in ours.index if COUNTRY in k]
    paid = concept_series(store, "remittances_paid", [COUNTRY], [CORRIDOR_YEAR])
    out_total = float(sum(ours[k] for k in kaz_keys if k[0] == COUNTRY))
    wb_out = float(sum(v for k, v in wb_s.items() if k[0] == COUNTRY))
    ca_ours = float(sum(ours[k] for k in kaz_keys if k[0] == COUNTRY and k[1] in LABOUR_ORIGINS))
    ca_wb = float(sum(v for k, v in wb_s.items() if k[0] == COUNTRY and k[1] in LABOUR_ORIGINS))
    values = {
        "year": int(CORRIDOR_YEAR),
        "rule": CORRIDOR_RULE,
        "income_elasticity": _float(central.parameters.get("income_elasticity")),
        "method": central.method,
        "assumptions": central.assumptions,
        "agreement_kaz": _agreement(ours[kaz_keys], wb_s),
        "agreement_all": _agreement(ours, wb_s),
        "kaz_received": float(received.get(COUNTRY, np.nan)),
        "kaz_paid_recorded": float(paid["value"].iloc[0]) if len(paid) else np.nan,
        "kaz_paid_allocated": out_total,
        "kaz_paid_wb": wb_out,
        "labour_origins_share": ca_ours / out_total if out_total else np.nan,
        "russia_share": float(ours.get((COUNTRY, "RUS"), 0.0)) / out_total if out_total else np.nan,
        "labour_origins_share_wb": ca_wb / wb_out if wb_out else np.nan,
        "wb_lacks": sorted(
            c for c in LABOUR_ORIGINS if (COUNTRY, c) not in wb_s.index and (COUNTRY, c) in ours
        ),
        "n_receivers": int(central.corridors["receiver"].nunique()),
        "dropped_no_income": dropped,
        "estimates": [
            Estimate(
                model="remittance_corridors",
                rows=central.corridors.assign(
                    measure="bilateral_remittances",
                    ref_area=central.corridors["receiver"],
                    counterpart_area=central.corridors["sender"],
                    period=CORRIDOR_YEAR,
                    value=central.corridors["remittances"],
                    unit="current USD",
                )[["measure", "ref_area", "counterpart_area", "period", "value", "unit"]],
                method=central.method,
                assumptions=central.assumptions,
                parameters=dict(central.parameters) | {"year": CORRIDOR_YEAR},
                inputs=inputs_of(pd.concat(used, ignore_index=True)),
                title="Bilateral remittance corridors (ref_area receives from counterpart_area)",
            )
        ],
    }
    sources = merge_sources(*(source_line(u) for u in used), source_line(wb))
    return Section("corridors", {"kaz": table}, values, sources)


# --------------------------------------------------------------------------- volumes


def section_volumes(store: Store, corridors: Section) -> Section:
    """Labour migrants implied by Kazakhstan's remittance outflows, ``N = R / (p·r)``.

    Two outflows: all remittances paid, and the part going to Uzbekistan, Kyrgyzstan and
    Tajikistan (their share in keruen's 2017 corridor allocation, applied to every year: the WB
    matrix has no Kazakhstan → Uzbekistan corridor).
    """
    paid = concept_series(store, "remittances_paid", [COUNTRY])
    paid = paid[paid["period"].astype(int) >= VOLUME_FIRST_YEAR].dropna(subset=["value"])
    series = paid.set_index(paid["period"].astype(int))["value"]
    origins_share = float(corridors.values["labour_origins_share"])

    def implied(outflow: pd.Series) -> MigrantVolumes:
        return migrants_from_remittances(
            outflow,
            PER_MIGRANT,
            per_migrant_range=PER_MIGRANT_RANGE,
            remitter_share=REMITTER_SHARE,
            remitter_share_range=REMITTER_SHARE_RANGE,
        )

    allv, ca = implied(series), implied(series * origins_share)
    table = (
        pd.concat(
            [
                allv.estimates.add_prefix("all_"),
                ca.estimates.add_prefix("ca_"),
            ],
            axis=1,
        )
        .rename_axis("year")
        .reset_index()
    )
    last = table.iloc[-1]
    paper_imm = paper_rows(store, "labour_immigrants_arrived")
    paper_400k = float(paper_imm.loc[paper_imm["counterpart_area"] == "WLD", "value"].sum())
    low_ill = float(paper_rows(store, "illegal_labour_migrants_estimate_low")["value"].sum())
    high_ill = float(paper_rows(store, "illegal_labour_migrants_estimate_high")["value"].sum())
    breakeven = float(last["all_outflow"]) / (REMITTER_SHARE * paper_400k) if paper_400k else np.nan
    values = {
        "method": allv.method,
        "assumptions": allv.assumptions,
        "parameters": dict(allv.parameters),
        "origins_share": origins_share,
        "last_year": int(last["year"]),
        "last": last.to_dict(),
        "paper_immigrants": paper_400k,
        "illegal_low": low_ill,
        "illegal_high": high_ill,
        "paper_in_all_range": bool(last["all_low"] <= paper_400k <= last["all_high"]),
        "paper_in_ca_range": bool(last["ca_low"] <= paper_400k <= last["ca_high"]),
        "breakeven_per_migrant": breakeven,
        "estimates": [
            Estimate(
                model="migrant_volumes",
                rows=pd.concat(
                    [
                        pd.DataFrame(
                            {
                                "measure": "labour_migrants_implied",
                                "ref_area": COUNTRY,
                                "breakdown": f"outflow={scope},bound={bound}",
                                "period": table["year"].astype(str),
                                "value": table[f"{scope}_{bound}"],
                                "unit": "persons",
                            }
                        )
                        for scope in ("all", "ca")
                        for bound in ("central", "low", "high")
                    ],
                    ignore_index=True,
                ),
                method=allv.method,
                assumptions=allv.assumptions,
                parameters=dict(allv.parameters) | {"ca_share_of_outflow": origins_share},
                inputs=inputs_of(paid),
                title="Labour migrants in Kazakhstan implied by remittances paid",
            )
        ],
    }
    sources = merge_sources(source_line(paid), corridors.sources, paper_source(store))
    return Section("volumes", {"volumes": table}, values, sources)
