"""Remittance corridors and remittance-implied migrant numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from keruen.errors import InputError
from keruen.models.migrant_volumes import migrants_from_remittances
from keruen.models.remittance_allocation import RULES, allocate_remittances
from keruen.models.synthetic import remittance_outflows, remittance_world


def _merge(est: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    return truth.merge(est, on=["sender", "receiver"], how="outer", suffixes=("_true", ""))


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("seed", range(5))
def test_each_rule_recovers_corridors_generated_by_it(rule: str, seed: int) -> None:
    world = remittance_world(seed, rule=rule)
    assert world.synthetic and world.stocks["synthetic"].all()
    res = allocate_remittances(world.stocks, world.received, world.income, rule=rule)  # type: ignore[arg-type]
    m = _merge(res.corridors, world.corridors).fillna(0.0)
    np.testing.assert_allclose(m["remittances"], m["remittances_true"], rtol=1e-9, atol=1e-6)
    # receipts are preserved exactly, shares sum to one per receiver
    by_receiver = res.corridors.groupby("receiver")["remittances"].sum()
    np.testing.assert_allclose(by_receiver, world.received.loc[by_receiver.index], rtol=1e-12)
    np.testing.assert_allclose(res.corridors.groupby("receiver")["share"].sum(), 1.0)
    assert rule in res.parameters["rule"] and res.assumptions


def test_rules_give_different_corridors() -> None:
    world = remittance_world(7, rule="stock_host_income")
    a = allocate_remittances(world.stocks, world.received, world.income, rule="stock")
    b = allocate_remittances(world.stocks, world.received, world.income)
    m = a.corridors.merge(b.corridors, on=["sender", "receiver"])
    assert not np.allclose(m["remittances_x"], m["remittances_y"])


def test_origin_income_rule_falls_back_for_the_richest_country() -> None:
    world = remittance_world(3, rule="stock_host_income")
    richest = world.income.idxmax()
    res = allocate_remittances(
        world.stocks, world.received, world.income, rule="stock_host_origin_income"
    )
    assert richest in res.fallbacks
    assert any("no host is richer" in a for a in res.assumptions)


def test_bad_remittance_inputs_are_named_errors() -> None:
    world = remittance_world(1)
    with pytest.raises(InputError, match="unknown allocation rule"):
        allocate_remittances(world.stocks, world.received, world.income, rule="gdp")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="needs incomes"):
        allocate_remittances(world.stocks, world.received, None)
    with pytest.raises(InputError, match="no income per head"):
        allocate_remittances(world.stocks, world.received, world.income.iloc[1:])
    bad = world.stocks.copy()
    bad.loc[2, "stock"] = -1
    with pytest.raises(InputError, match="non-negative") as info:
        allocate_remittances(bad, world.received, world.income)
    assert info.value.row == 3
    lonely = world.received.copy()
    lonely["ZZ"] = 5.0
    with pytest.raises(InputError, match="no emigrant stock"):
        allocate_remittances(
            world.stocks,
            lonely,
            world.income.reindex(list(world.income.index) + ["ZZ"], fill_value=1.0),
        )


@pytest.mark.parametrize("seed", range(10))
def test_implied_migrants_recover_the_number_that_sent_the_money(seed: int) -> None:
    table, truth = remittance_outflows(seed, per_migrant=3000.0, remitter_share=0.8)
    assert table["synthetic"].all()
    res = migrants_from_remittances(table.set_index("year")["outflow"], 3000.0, remitter_share=0.8)
    est = res.estimates
    assert ((est["low"] <= truth) & (truth <= est["high"])).all()
    # the per-migrant amount varies by +-20 % around the assumption: central within 25 %
    assert (np.abs(est["central"] / truth - 1) < 0.25).all()
    assert (est["low"] < est["central"]).all() and (est["central"] < est["high"]).all()
    assert "3000" in res.assumptions[0]


def test_migrant_volume_inputs_are_checked() -> None:
    flows = pd.Series([1e6, 2e6])
    with pytest.raises(InputError, match="per_migrant"):
        migrants_from_remittances(flows, 0.0)
    with pytest.raises(InputError, match="bracket"):
        migrants_from_remittances(flows, 100.0, per_migrant_range=(120.0, 200.0))
    with pytest.raises(InputError, match="remitter_share"):
        migrants_from_remittances(flows, 100.0, remitter_share=1.5)
    with pytest.raises(InputError, match="non-negative") as info:
        migrants_from_remittances(pd.Series([1.0, -2.0]), 100.0)
    assert info.value.row == 2
