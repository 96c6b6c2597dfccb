"""The report's estimated sections, each checked against an independent recomputation.

Every section is a function of the country: the recomputations run for Kazakhstan and for
other countries, and a country whose inputs are not held gets a section naming them.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from keruen.analysis import ESTIMATED, Section, run
from keruen.analysis.flows_from_stocks import (
    CHOSEN_REGIONS,
    flow_regions,
    plausibility_table,
    stock_matrix,
    total_plausibility,
)
from keruen.analysis.gravity import contiguity, gravity
from keruen.analysis.implied_migrants import PER_MIGRANT, REMITTER_SHARE
from keruen.analysis.missing import reported
from keruen.analysis.releases import held_in
from keruen.analysis.scope import neighbours, peer_group
from keruen.analysis.stocks import bilateral_periods, bilateral_stocks
from keruen.models.closed_world import closed_world
from keruen.models.flows_from_stocks import BalanceWarning, flows_from_stocks
from keruen.models.forecast import DEFAULT_MODEL, forecast_series
from keruen.models.remittance_allocation import DEFAULT_RULE, allocate_remittances
from keruen.store import Store
from keruen.store.concepts import concept_series
from keruen.store.corridors import corridor_inputs as read_corridor_inputs
from keruen.store.vitals import vital_events

FLOW_REGIONS = CHOSEN_REGIONS["KAZ"]


def of(store: Store, country: str) -> dict[str, Section]:
    """The estimated sections of ``country`` with its default peer group (memoised)."""
    return run(store, peer_group(country), only=ESTIMATED)


@pytest.fixture(scope="module")
def sections(snapshot_store: Store) -> dict[str, Section]:
    return of(snapshot_store, "KAZ")


def test_sections_are_reused_per_country_and_share_the_world_fits(snapshot_store: Store) -> None:
    from keruen.analysis.cache import ReportCache

    cache = ReportCache(mode="memory")
    with cache.active():
        kaz, uzb = of(snapshot_store, "KAZ"), of(snapshot_store, "UZB")
        before = cache.stats.copy()
        again = of(snapshot_store, "UZB")
        assert cache.stats.since(before).rebuilt == []  # every part of the second call reused
    pd.testing.assert_frame_equal(again["flows"].tables["flows"], uzb["flows"].tables["flows"])
    assert set(ESTIMATED) <= set(kaz) and set(ESTIMATED) <= set(uzb)
    assert kaz["flows"].values["country"] == "KAZ" and uzb["flows"].values["country"] == "UZB"
    # gravity is one world fit: the same coefficients in every country's report
    pd.testing.assert_frame_equal(
        kaz["gravity"].tables["coefficients"], uzb["gravity"].tables["coefficients"]
    )
    assert uzb["gravity"].values["in_panel"] and uzb["gravity"].values["country"] == "UZB"
    fra = gravity(snapshot_store, peer_group("FRA"), kaz["gravity"])
    assert fra.values["in_panel"] is False


def test_flow_regions_are_the_largest_partners_by_stock_both_ways(snapshot_store: Store) -> None:
    periods = ["1990", "1995", "2000", "2005", "2010", "2015", "2019"]
    # Kazakhstan keeps the partners chosen for it (the paper's), not the data's ranking
    assert flow_regions(snapshot_store, "KAZ", periods) == FLOW_REGIONS
    regions = flow_regions(snapshot_store, "UZB", periods)
    assert regions is not None and regions[0] == "UZB" and len(regions) == 9
    bil = bilateral_stocks(snapshot_store, "2019")
    both = pd.concat(
        [
            bil[bil["dest"] == "UZB"].groupby("orig")["stock"].sum(),
            bil[bil["orig"] == "UZB"].groupby("dest")["stock"].sum(),
        ]
    )
    both = both.groupby(level=0).sum()
    chosen = both[list(regions[1:])]
    # every partner left out that has population and vital events held is smaller
    assert "RUS" in regions and "KAZ" in regions
    left_out = both.drop(list(regions[1:]), errors="ignore")
    eligible = [c for c in left_out.index if flow_regions_holds(snapshot_store, c, periods)]
    assert left_out[eligible].max() <= chosen.min()


def flow_regions_holds(store: Store, country: str, periods: list[str]) -> bool:
    """Whether population (every period) and WPP births and deaths are held for ``country``."""
    pop = concept_series(store, "population", [country], periods).dropna(subset=["value"])
    if len(pop) < len(periods):
        return False
    try:
        vital_events(store, [country], int(periods[0]), int(periods[-1]))
    except Exception:
        return False
    return True


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


@pytest.fixture(scope="module")
def last_world(snapshot_store: Store) -> tuple[str, object, pd.DataFrame]:
    """The closed world of the last period, recomputed from the store independently."""
    periods = sorted(p for p in bilateral_periods(snapshot_store) if p.isdigit())
    start, end = periods[-2], periods[-1]
    b0, b1 = bilateral_stocks(snapshot_store, start), bilateral_stocks(snapshot_store, end)
    areas = sorted(set(b0["orig"]) | set(b0["dest"]))
    pop = concept_series(snapshot_store, "population", areas, [start])
    ev = vital_events(snapshot_store, None, int(start), int(end)).set_index("ref_area")
    world = closed_world(b0, b1, pop.set_index("ref_area")["value"], ev)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BalanceWarning)
        od = flows_from_stocks(
            world.stock_start, world.stock_end, world.births, world.deaths, method="demo"
        ).od
    return f"{start}-{end}", world, od


@pytest.mark.parametrize("country", ["KAZ", "UZB", "DEU"])
def test_flows_recomputed_from_the_stocks_match_the_section(
    snapshot_store: Store, country: str, last_world: tuple[str, object, pd.DataFrame]
) -> None:
    label, world, od = last_world
    sections = of(snapshot_store, country)
    f = sections["flows"]
    assert f.values["regions_chosen"] == "closed_world" and f.values["areas"] > 200
    table = f.tables["flows"]
    last = table.iloc[-1]
    assert last["period"] == label
    # births and deaths are UN WPP 2024's, read from the store, not derived from the stocks
    assert (world.births > 0).all() and (world.deaths > 0).all()  # type: ignore[attr-defined]
    assert last["inflow"] == pytest.approx(od[country].drop(country).sum())
    assert last["outflow"] == pytest.approx(od.loc[country].drop(country).sum())
    growth = world.stock_end - world.stock_start  # type: ignore[attr-defined]
    np.fill_diagonal(growth.values, 0.0)
    assert last["diff_outflow"] == pytest.approx(growth.loc[country].clip(lower=0).sum())
    # the partner table names the country's partners, never the country itself, no ROW box
    partners = set(f.tables["partners"]["partner"])
    assert country not in partners and "ROW" not in partners and len(partners) > 20
    # the plausibility table of the period, recomputed
    got = f.tables["plausibility"].query("period == @label")
    # the pairs, and the country's totals against the growth of all the stocks they feed
    parts = [total_plausibility(last, country), plausibility_table(growth, od, country)]
    want = pd.concat([p for p in parts if not p.empty] or parts[1:])
    assert sorted(zip(got["orig"], got["dest"], got["side"])) == sorted(
        zip(want["orig"], want["dest"], want["side"])
    )
    np.testing.assert_allclose(
        got.sort_values(["orig", "dest"])["discrepancy"],
        want.sort_values(["orig", "dest"])["discrepancy"],
    )


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
    ci = read_corridor_inputs(snapshot_store, "2017", held_in)  # the section's release choice
    received = ci.received
    res = allocate_remittances(ci.stocks, received, ci.income, rule=DEFAULT_RULE, paid=ci.paid)
    sums = res.corridors.groupby("receiver")["remittances"].sum()
    # what a receiver's corridors do not carry is unallocated (its sender unknown), no more
    unalloc = res.unallocated.query("side == 'sender'").set_index("country")["remittances"]
    held = received[received > 0]
    pd.testing.assert_series_equal(
        sums.add(unalloc, fill_value=0.0).sort_index(),
        held.loc[sums.index.union(unalloc.index)].sort_index(),
        check_names=False,
    )
    c = sections["corridors"]
    assert c.values["paid_allocated"] == pytest.approx(c.values["paid_recorded"], rel=1e-6)
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


@pytest.mark.parametrize("country", ["UZB", "TJK", "TKM"])
def test_corridors_of_another_country_are_its_own(snapshot_store: Store, country: str) -> None:
    # the margins through the analysis' release choice, as the section reads them
    ci = read_corridor_inputs(snapshot_store, "2017", held_in)
    res = allocate_remittances(
        ci.stocks, ci.received, ci.income, rule=DEFAULT_RULE, paid=ci.paid
    ).corridors
    c = of(snapshot_store, country)["corridors"]
    if country == "TKM":  # receipts from the release its trend reads, no payments: it only receives
        assert c.held and c.values["paid_margins"] == "not held"
        assert not (res["sender"] == country).any() and (res["receiver"] == country).any()
        into = res.query("receiver == @country")["remittances"].sum()
        assert c.values["received"] == pytest.approx(into + c.values["received_unallocated"])
        return
    table = c.tables["corridors"]
    # every row is a corridor of the focus country, sent or received, never a zero estimate
    assert ((table["sender"] == country) | (table["receiver"] == country)).all()
    assert (table["estimate"].dropna() > 0).all()
    assert c.values["paid_allocated"] == pytest.approx(
        res.query("sender == @country")["remittances"].sum()
    )
    into = res.query("receiver == @country")["remittances"].sum()
    assert c.values["received_allocated"] == pytest.approx(into)
    assert c.values["received"] == pytest.approx(into + c.values["received_unallocated"])
    top = res.query("receiver == @country").sort_values("remittances").iloc[-1]
    assert c.values["top_sender"] == top["sender"]
    assert c.values["top_sender_share"] == pytest.approx(top["remittances"] / into)
    # the labour origins are the neighbours it sends to; Kazakhstan's are the paper's three and
    # Turkmenistan, whose 2017 receipts are those of the release its trend reads (WDI 2023-05)
    sent = res.query("sender == @country").set_index("receiver")["remittances"]
    assert set(c.values["labour_origins"]) == {
        n for n in neighbours(peer_group(country)) if sent.get(n, 0) > 0
    }
    kaz = of(snapshot_store, "KAZ")["corridors"].values["labour_origins"]
    assert kaz == ["KGZ", "TJK", "TKM", "UZB"]


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


def test_implied_migrants_of_another_country_use_its_own_outflows(snapshot_store: Store) -> None:
    v = of(snapshot_store, "UZB")["volumes"]
    paid = reported(concept_series(snapshot_store, "remittances_paid", ["UZB"]))
    last = paid.sort_values("period").iloc[-1]
    row = v.tables["volumes"].iloc[-1]
    assert int(row["year"]) == int(last["period"]) == v.values["last_year"]
    assert row["all_central"] == pytest.approx(last["value"] / (PER_MIGRANT * REMITTER_SHARE))
    # the paper's Migration Committee counts belong to Kazakhstan only
    assert v.values["paper_immigrants"] is None
    # Turkmenistan reports no remittances paid since 2010: not held, and no number stands in
    tkm = of(snapshot_store, "TKM")
    assert tkm["volumes"].values["not_held"] == ["remittances_paid"]
    assert tkm["volumes"].tables == {} and "estimates" not in tkm["volumes"].values


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


@pytest.mark.parametrize("country", ["KAZ", "TJK"])
def test_forecast_intervals_contain_the_point_and_verdicts_are_recomputed(
    snapshot_store: Store, country: str
) -> None:
    fc = of(snapshot_store, country)["forecasts"]
    series = fc.tables["series"]
    ahead = series.dropna(subset=["model"])
    assert (ahead["lower"] <= ahead["value"]).all() and (ahead["value"] <= ahead["upper"]).all()
    paid = concept_series(snapshot_store, "remittances_paid", [country]).dropna(subset=["value"])
    paid = paid[paid["period"].astype(int) >= fc.values["first_year"]]
    y = paid.set_index(paid["period"].astype(int))["value"].sort_index()
    assert fc.values["model"] == DEFAULT_MODEL
    res = forecast_series(y, model=DEFAULT_MODEL, horizon=5, level=fc.values["level"])  # type: ignore[arg-type]
    verdict = fc.values["verdicts"][f"remittances_paid:{DEFAULT_MODEL}"]
    assert verdict["beats_naive"] == res.series_beats_naive  # this series' own backtest
    assert verdict["beats_naive"] == (verdict["mase"] < verdict["naive_mase"])
    assert verdict["pooled_beats_naive"] == res.beats_naive
    assert verdict["pooled_beats_naive"] == (verdict["pooled_mase"] < verdict["pooled_naive_mase"])
    assert verdict["mase"] == pytest.approx(res.backtest.loc[DEFAULT_MODEL, "mase"])
    scores = fc.tables["scores"]
    assert set(scores["model"]) == {"naive", "drift", DEFAULT_MODEL}
    assert ((scores["coverage"] >= 0) & (scores["coverage"] <= 1)).all()


def test_forecasts_name_the_series_missing_and_the_release_read(snapshot_store: Store) -> None:
    # Turkmenistan: its receipts come from WDI 2023-05 (the newest release reports none, as its
    # trend says); its payments end in 1997, too few years to forecast
    fc = of(snapshot_store, "TKM")["forecasts"]
    assert fc.values["not_forecast"] == ["remittances_paid"]
    assert set(fc.tables["series"]["concept"]) == {"remittances_received"}
    assert fc.values["releases"] == {
        "remittances_received": [{"release": "WDI 2023-05-10", "first": 2010, "last": 2022}]
    }


def test_neighbours_are_the_smallest_group_inside_the_peer_group() -> None:
    assert neighbours(peer_group("KAZ")) == ("KGZ", "TJK", "TKM", "UZB")
    assert neighbours(peer_group("UZB")) == ("KAZ", "KGZ", "TJK", "TKM")
    assert neighbours(peer_group("RUS")) == ("ARM", "BLR", "KAZ", "KGZ")  # the EAEU
    deu = neighbours(peer_group("DEU"))  # in no keruen group: its World Bank region
    assert "FRA" in deu and "DEU" not in deu
    # an overridden peer group that does not contain Central Asia gives its own members
    assert neighbours(peer_group("KAZ", "eaeu")) == ("ARM", "BLR", "KGZ", "RUS")


@pytest.mark.parametrize(
    ("country", "centre"), [("KAZ", "KAZ"), ("UZB", "UZB"), ("RUS", "RUS"), ("DEU", "DEU")]
)
def test_systems_finding_follows_from_the_checks(
    snapshot_store: Store, country: str, centre: str
) -> None:
    y = of(snapshot_store, country)["systems"]
    track = y.tables["track"]
    assert list(track["period"]) == sorted(track["period"])
    last = track.iloc[-1]
    stocks = bilateral_stocks(snapshot_store, str(last["period"]))
    near = list(neighbours(peer_group(country)))
    assert y.values["neighbours"] == near
    into = stocks[(stocks["dest"] == country) & stocks["orig"].isin(near)]["stock"].sum()
    out = stocks[(stocks["orig"] == country) & stocks["dest"].isin(near)]["stock"].sum()
    assert last["net_neighbours"] == pytest.approx(into - out)
    assert last["in_strength"] == pytest.approx(stocks[stocks["dest"] == country]["stock"].sum())
    checks = y.values["checks"]
    assert checks["receives_from_neighbours"] == bool(into > out)
    assert checks["centre"] == (last["region_system"] == centre)
    assert y.values["supported"] == all(checks.values())
    assert country in last["region_members"]
    # a post-Soviet state is traced in the post-Soviet network, any other in its peer group
    assert y.values["network"] == ("post_soviet" if country != "DEU" else peer_group("DEU").group)
    assert np.isfinite(list(y.values["modularity"].values())).all()
