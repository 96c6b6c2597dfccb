"""Flows from stocks over a closed world of all countries (issue 18, item 12).

Real data from the bundled snapshot (UN DESA bilateral stocks, World Bank population, UN WPP
2024 births, deaths and net migration); the world estimate is computed once per test process
(about a minute) and shared through the analysis cache. Small synthetic tables are seeded and
labelled synthetic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from keruen.analysis import Section, run
from keruen.analysis.flow_world import FlowWorld, world_flows
from keruen.analysis.flows_from_stocks import plausibility_table
from keruen.analysis.scope import peer_group
from keruen.models.closed_world import birthplace_mismatch, closed_world
from keruen.store import Store


@pytest.fixture(scope="module")
def world(snapshot_store: Store) -> FlowWorld:
    from keruen.analysis.cache import ReportCache

    cache = ReportCache(mode="memory")  # the sections below reuse this world
    with cache.active():
        return cache.part(snapshot_store, "flow_world", None, world_flows)  # type: ignore[no-any-return]


def test_every_area_nets_its_wpp_net_migration_where_the_accounting_closes(
    world: FlowWorld,
) -> None:
    assert len(world.periods) >= 5
    closed = 0
    for wp in world.periods:
        assert wp.parameters["areas"] > 200
        adj = wp.adjustments
        if abs(float(wp.parameters["balance_gap"])) > 1.0:
            continue  # a residence total had to be raised: the world's balance was rescaled
        closed += 1
        od = wp.od
        net = od.sum(axis=0) - od.sum(axis=1)
        want = adj["wpp_net_migration"] + adj["closing_adjustment"]
        ok = (adj["raised_start"] == 0) & (adj["raised_end"] == 0)
        assert (net[ok] - want[ok]).abs().max() < 1.0, wp.label
        # the closing adjustment is small: WPP's nets of the areas left out, spread by population
        assert (adj["closing_adjustment"].abs() / adj["start_population"]).max() < 1e-3
    assert closed >= 3
    last = world.periods[-1]
    uzb = last.adjustments.loc["UZB"]
    net_uzb = float(last.od["UZB"].sum() - last.od.loc["UZB"].sum())
    assert net_uzb == pytest.approx(-56_600, abs=500)  # WPP: about -56,300 in 2015-2018
    assert float(uzb["wpp_net_migration"]) == pytest.approx(-56_252, abs=1)


def test_pseudo_bayes_world_keeps_the_nets_and_adds_gross_flows(
    snapshot_store: Store, world: FlowWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keruen.analysis.flow_world as fw

    assert "pseudo-Bayes" not in world.method  # the default stays the minimum accounting
    last = world.periods[-1]
    periods = last.label.split("-")
    monkeypatch.setattr(fw, "bilateral_periods", lambda store: periods)  # one period, ~10 s
    pb = world_flows(snapshot_store, "pseudo-bayes")
    assert "pseudo-Bayes" in pb.method and [p.label for p in pb.periods] == [last.label]
    od, low = pb.periods[0].od, last.od
    net = lambda t: t.sum(axis=0) - t.sum(axis=1)  # noqa: E731
    assert (net(od) - net(low)).abs().max() < 1.0
    moved = lambda t: float(t.to_numpy().sum() - np.trace(t.to_numpy()))  # noqa: E731
    assert moved(od) > 1.5 * moved(low)
    assert float(od["KAZ"].drop("KAZ").sum()) > float(low["KAZ"].drop("KAZ").sum())


@pytest.fixture(scope="module")
def kaz(snapshot_store: Store, world: FlowWorld) -> Section:
    return run(snapshot_store, peer_group("KAZ"), only=["flows"])["flows"]


def test_no_rest_of_world_box_and_nets_equal_wpp(kaz: Section) -> None:
    table = kaz.tables["flows"]
    assert "ROW" not in set(kaz.tables["partners"]["partner"])
    gap = (table["net"] - table["wpp_net"] - table["closing_adjustment"]).abs()
    closed = kaz.tables["balance"]["balance_gap"].abs() <= 1.0
    assert (gap[closed.to_numpy()] < 1.0).all()
    assert kaz.values["max_net_gap"] == pytest.approx(gap.max())


def test_the_plausibility_check_is_two_sided_with_the_size_of_each_discrepancy(
    kaz: Section,
) -> None:
    plaus = kaz.tables["plausibility"]
    assert {"below", "above"} <= set(plaus["side"])
    np.testing.assert_allclose(plaus["discrepancy"], plaus["flow"] - plaus["growth"])
    assert (plaus["discrepancy"].abs().diff().dropna() <= 1e-6).all()  # largest first
    assert ((plaus["orig"] == "KAZ") | (plaus["dest"] == "KAZ")).all()
    # Russia -> Kazakhstan below its stock's growth is listed, with its size
    rus = plaus[(plaus["orig"] == "RUS") & (plaus["dest"] == "KAZ") & (plaus["side"] == "below")]
    assert len(rus) and (rus["discrepancy"] < -1000).all()


def test_plausibility_table_flags_flows_far_below_and_far_above_the_growth() -> None:
    names = ["A", "B", "C"]
    growth = pd.DataFrame(0.0, index=names, columns=names)
    od = pd.DataFrame(0.0, index=names, columns=names)
    growth.loc["B", "A"], od.loc["B", "A"] = 10_000.0, 1_000.0  # far below
    growth.loc["A", "C"], od.loc["A", "C"] = 2_000.0, 9_000.0  # far above
    growth.loc["C", "A"], od.loc["C", "A"] = 5_000.0, 6_000.0  # plausible
    table = plausibility_table(growth, od, "A")
    assert list(zip(table["orig"], table["dest"], table["side"])) == [
        ("B", "A", "below"),
        ("A", "C", "above"),
    ]
    assert list(table["discrepancy"]) == [-9_000.0, 7_000.0]


def test_closed_world_keeps_areas_held_in_every_input_and_closes_wpp_nets() -> None:
    rng = np.random.default_rng(11)
    names = ["A", "B", "C", "D"]
    rows = [
        {"orig": o, "dest": d, "stock": float(rng.integers(100, 5_000))}
        for o in names
        for d in names
        if o != d
    ]
    start = pd.DataFrame(rows).assign(synthetic=True)
    end = start.assign(stock=start["stock"] * rng.uniform(0.8, 1.3, len(start)))
    pop = pd.Series([1e6, 2e6, 5e5, 3e5], index=names)
    vit = pd.DataFrame(
        {"births": [5e4, 9e4, 2e4, 1e4], "deaths": [3e4, 7e4, 1e4, 8e3], "net_migration": 1e3},
        index=names,
    ).drop(index="D")  # D has no vital events: left out, its stocks counted, not moved
    w = closed_world(start, end, pop, vit)
    assert w.areas == ("A", "B", "C") and w.left_out == ("D",)
    adj = w.adjustments
    assert adj["closing_adjustment"].sum() == pytest.approx(-3e3)
    np.testing.assert_allclose(w.stock_start.sum(axis=0), pop[list(w.areas)])
    want_end = pop[list(w.areas)] + vit["births"] - vit["deaths"] + 1e3 + adj["closing_adjustment"]
    np.testing.assert_allclose(w.stock_end.sum(axis=0), want_end)
    born_in_d = start[(start["orig"] == "D") & start["dest"].isin(w.areas)]
    np.testing.assert_allclose(
        adj["outside_start"], born_in_d.groupby("dest")["stock"].sum().reindex(w.areas)
    )
    mismatch = birthplace_mismatch(w)
    assert list(mismatch.index) == list(w.areas) and mismatch["gap"].notna().all()
