"""The report's estimated sections, each checked against an independent recomputation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from keruen.models.flows_from_stocks import flows_from_stocks
from keruen.models.forecast import DEFAULT_MODEL, forecast_series
from keruen.models.remittance_allocation import DEFAULT_RULE, allocate_remittances
from keruen.report.analysis import Section
from keruen.report.dynamics import contiguity, estimated_sections
from keruen.report.estimates import (
    FLOW_REGIONS,
    PER_MIGRANT,
    REMITTER_SHARE,
    bilateral_stocks,
    corridor_inputs,
    stock_matrix,
)
from keruen.store import Store
from keruen.store.concepts import concept_series
from keruen.store.vitals import vital_events


@pytest.fixture(scope="module")
def sections(snapshot_store: Store) -> dict[str, Section]:
    return estimated_sections(snapshot_store)


def test_stock_matrix_keeps_every_person_once(snapshot_store: Store) -> None:
    bil = bilateral_stocks(snapshot_store, "2019")
    pop = concept_series(snapshot_store, "population", [*FLOW_REGIONS, "WLD"], ["2019"])
    pop = pop.set_index("ref_area")["value"]
    mat = stock_matrix(bil, pop, FLOW_REGIONS)
    # residents of each listed country = its population; the world adds up
    for c in FLOW_REGIONS:
        assert mat[c].sum() == pytest.approx(pop[c])
    assert mat.to_numpy().sum() == pytest.approx(pop["WLD"])
    # the foreign-born in Kazakhstan are UN DESA's bilateral stocks, all origins summed
    kaz = bil[bil["dest"] == "KAZ"]["stock"].sum()
    assert mat["KAZ"].sum() - mat.loc["KAZ", "KAZ"] == pytest.approx(kaz)
    assert mat.loc["RUS", "KAZ"] == bil.query("dest == 'KAZ' and orig == 'RUS'")["stock"].sum()


def test_flows_recomputed_from_the_stocks_match_the_section(
    snapshot_store: Store, sections: dict[str, Section]
) -> None:
    table = sections["flows"].tables["flows"]
    last = table.iloc[-1]
    start, end = last["period"].split("-")
    pop = concept_series(snapshot_store, "population", [*FLOW_REGIONS, "WLD"], [start, end])
    mats = {
        p: stock_matrix(
            bilateral_stocks(snapshot_store, p),
            pop[pop["period"] == p].set_index("ref_area")["value"],
            FLOW_REGIONS,
        )
        for p in (start, end)
    }
    # births and deaths are UN WPP 2024's, read from the store, not derived from the stocks
    ev = vital_events(snapshot_store, FLOW_REGIONS, int(start), int(end), rest="ROW")
    ev = ev.set_index("ref_area").reindex(mats[start].index)
    assert (ev["births"] > 0).all() and (ev["deaths"] > 0).all()
    od = flows_from_stocks(mats[start], mats[end], ev["births"], ev["deaths"], method="demo").od
    assert last["inflow"] == pytest.approx(od["KAZ"].drop("KAZ").sum())
    assert last["outflow"] == pytest.approx(od.loc["KAZ"].drop("KAZ").sum())
    diff = flows_from_stocks(mats[start], mats[end], method="diff").od
    assert last["diff_outflow"] == pytest.approx(diff.loc["KAZ"].drop("KAZ").sum())
    bal = sections["flows"].tables["balance"].set_index("period").loc[last["period"]]
    assert bal["births_minus_deaths"] == pytest.approx((ev["births"] - ev["deaths"]).sum())
    world_growth = mats[end].to_numpy().sum() - mats[start].to_numpy().sum()
    assert bal["stock_change"] == pytest.approx(world_growth)


def test_flow_balance_with_wpp_events_nearly_closes(sections: dict[str, Section]) -> None:
    f = sections["flows"]
    bal = f.tables["balance"]
    assert list(bal["period"]) == list(f.tables["flows"]["period"])
    gap = bal["stock_change"] - bal["births_minus_deaths"]
    assert np.allclose(gap, bal["balance_gap"])
    # real births and deaths close the world's balance to within 1 % of the population in every
    # period (zero events would leave the whole change, hundreds of millions, unexplained)
    assert (bal["balance_gap"].abs() / bal["start_population"] < 0.01).all()
    assert f.values["max_balance_share"] == pytest.approx(
        (bal["balance_gap"].abs() / bal["start_population"]).max()
    )
    assert f.values["vital_source"]["dataset"] == "UN_WPP"
    assert any(s.get("dataset") == "UN_WPP" for s in f.sources)
    table = f.tables["flows"]
    assert (table[["inflow", "outflow"]] >= 0).all().all()
    partners = f.tables["partners"]
    assert partners["outflow"].sum() == pytest.approx(table["outflow"].iloc[-1])


def test_corridors_allocate_exactly_what_each_country_receives(
    snapshot_store: Store, sections: dict[str, Section]
) -> None:
    stocks, received, income, _used, _dropped = corridor_inputs(snapshot_store)
    res = allocate_remittances(stocks, received, income, rule=DEFAULT_RULE)
    sums = res.corridors.groupby("receiver")["remittances"].sum()
    held = received[received > 0]
    pd.testing.assert_series_equal(
        sums.sort_index(), held.loc[sums.index].sort_index(), check_names=False
    )
    c = sections["corridors"]
    kaz_out = res.corridors.query("sender == 'KAZ'")["remittances"].sum()
    assert c.values["paid_allocated"] == pytest.approx(kaz_out)
    table = c.tables["corridors"]
    rus = table.query("sender == 'KAZ' and receiver == 'RUS'").iloc[0]
    assert rus["estimate"] == pytest.approx(
        res.corridors.query("sender == 'KAZ' and receiver == 'RUS'")["remittances"].sum()
    )
    assert (table["low"] <= table["estimate"] + 1e-6).all()
    assert (table["estimate"] <= table["high"] + 1e-6).all()
    # the World Bank column is the stored 2017 matrix (ref_area receives from counterpart)
    wb = snapshot_store.value(
        "WB_BILATERAL_REMITTANCES", "bilateral_remittances", "RUS", "2017", counterpart_area="KAZ"
    )
    assert rus["wb"] == pytest.approx(wb["value"] * 1e6)
    assert c.values["rule"] == DEFAULT_RULE
    assert 0.5 < c.values["agreement_country"]["spearman"] <= 1.0


def test_implied_migrants_follow_the_formula_and_bracket(
    snapshot_store: Store, sections: dict[str, Section]
) -> None:
    v = sections["volumes"]
    table = v.tables["volumes"]
    paid = concept_series(snapshot_store, "remittances_paid", ["KAZ"], ["2022"])["value"].iloc[0]
    row = table[table["year"] == 2022].iloc[0]
    assert row["all_central"] == pytest.approx(paid / (PER_MIGRANT * REMITTER_SHARE))
    assert row["ca_outflow"] == pytest.approx(paid * v.values["origins_share"])
    for p in ("all", "ca"):
        assert (table[f"{p}_low"] < table[f"{p}_central"]).all()
        assert (table[f"{p}_central"] < table[f"{p}_high"]).all()
    assert v.values["paper_in_ca_range"] == bool(
        row["ca_low"] <= v.values["paper_immigrants"] <= row["ca_high"]
    )
    assert v.values["breakeven_per_migrant"] * REMITTER_SHARE * 400_000 == pytest.approx(paid)


def test_gravity_reports_absorbed_regressors_and_real_coefficients(
    sections: dict[str, Section],
) -> None:
    g = sections["gravity"]
    fits = g.values["fits"]
    # the income ratio is a difference of origin and destination terms: absorbed under ot_dt
    assert "log_gdppc_ratio" in fits["ot_dt"]["dropped"]
    assert "log_gdppc_ratio" not in fits["o_d_t"]["dropped"]
    coef = g.tables["coefficients"].dropna(subset=["estimate"])
    assert (coef["std_error"] > 0).all()
    assert (coef["ci_low"] < coef["estimate"]).all() and (coef["estimate"] < coef["ci_high"]).all()
    assert fits["ot_dt"]["n_obs"] + fits["ot_dt"]["n_separated"] == g.values["n_pairs_periods"]
    assert set(g.values["significant"]) | set(g.values["insignificant"]) == set(
        coef.query("fixed_effects == 'ot_dt'")["term"]
    )


def test_contiguity_table_is_symmetric_pairs_of_known_neighbours() -> None:
    pairs = contiguity()
    assert frozenset(("KAZ", "UZB")) in pairs and frozenset(("KAZ", "CHN")) in pairs
    assert frozenset(("KAZ", "TJK")) not in pairs
    assert all(len(p) == 2 for p in pairs)


def test_forecast_intervals_contain_the_point_and_verdicts_are_recomputed(
    snapshot_store: Store, sections: dict[str, Section]
) -> None:
    fc = sections["forecasts"]
    series = fc.tables["series"]
    ahead = series.dropna(subset=["model"])
    assert (ahead["lower"] <= ahead["value"]).all() and (ahead["value"] <= ahead["upper"]).all()
    paid = concept_series(snapshot_store, "remittances_paid", ["KAZ"]).dropna(subset=["value"])
    paid = paid[paid["period"].astype(int) >= fc.values["first_year"]]
    y = paid.set_index(paid["period"].astype(int))["value"].sort_index()
    assert fc.values["model"] == DEFAULT_MODEL
    res = forecast_series(y, model=DEFAULT_MODEL, horizon=5, level=fc.values["level"])  # type: ignore[arg-type]
    verdict = fc.values["verdicts"][f"remittances_paid:{DEFAULT_MODEL}"]
    assert verdict["beats_naive"] == res.beats_naive
    assert verdict["beats_naive"] == (verdict["pooled_mase"] < verdict["pooled_naive_mase"])
    assert verdict["mase"] == pytest.approx(res.backtest.loc[DEFAULT_MODEL, "mase"])
    scores = fc.tables["scores"]
    assert set(scores["model"]) == {"naive", "drift", DEFAULT_MODEL}
    assert ((scores["coverage"] >= 0) & (scores["coverage"] <= 1)).all()


def test_systems_finding_follows_from_the_checks(
    snapshot_store: Store, sections: dict[str, Section]
) -> None:
    y = sections["systems"]
    track = y.tables["track"]
    assert list(track["period"]) == sorted(track["period"])
    last = track.iloc[-1]
    stocks = bilateral_stocks(snapshot_store, str(last["period"]))
    ca = ["KGZ", "TJK", "TKM", "UZB"]
    into = stocks[(stocks["dest"] == "KAZ") & stocks["orig"].isin(ca)]["stock"].sum()
    out = stocks[(stocks["orig"] == "KAZ") & stocks["dest"].isin(ca)]["stock"].sum()
    assert last["net_neighbours"] == pytest.approx(into - out)
    assert last["in_strength"] == pytest.approx(stocks[stocks["dest"] == "KAZ"]["stock"].sum())
    checks = y.values["checks"]
    assert checks["receives_from_neighbours"] == bool(into > out)
    assert checks["centre"] == (last["region_system"] == "KAZ")
    assert y.values["supported"] == all(checks.values())
    assert "KAZ" in last["region_members"]
    assert np.isfinite(list(y.values["modularity"].values())).all()
