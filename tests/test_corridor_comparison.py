"""The default corridor rule is the one closest to the World Bank's 2017 bilateral matrix.

Real data from the bundled snapshot: World Bank bilateral migrant stocks and remittance matrix
(2017), remittances received, GDP and population.  Issue 8, item 20.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from keruen.models.corridor_comparison import agreement, compare_rules, fit_income_elasticity
from keruen.models.remittance_allocation import (
    DEFAULT_INCOME_ELASTICITY,
    DEFAULT_RULE,
    allocate_remittances,
)
from keruen.models.synthetic import remittance_world
from keruen.store import Store
from keruen.store.corridors import corridor_inputs


@pytest.fixture(scope="module")
def comparison(snapshot_store: Store) -> tuple[pd.DataFrame, object]:
    ci = corridor_inputs(snapshot_store, "2017")
    return compare_rules(ci.stocks, ci.received, ci.income, ci.reference), ci


def test_the_default_rule_is_the_closest_to_the_world_bank_matrix(
    comparison: tuple[pd.DataFrame, object],
) -> None:
    table, _ = comparison
    assert (table["corridors"] > 4000).all()  # corridors above US$ 1 M
    assert table.index[0] == DEFAULT_RULE
    best = table.loc[DEFAULT_RULE]
    assert best["log_correlation"] == table["log_correlation"].max()
    assert best["within_factor_2"] == table["within_factor_2"].max()
    # the former default (stock x host income) is far behind plain stock weights
    assert table.loc["stock_host_income", "within_factor_2"] < 0.6
    assert table.loc["stock", "within_factor_2"] > 0.75


def test_the_default_elasticity_is_the_one_fitted_on_the_matrix(
    comparison: tuple[pd.DataFrame, object],
) -> None:
    table, ci = comparison
    fitted = table.loc["stock_income_elasticity", "income_elasticity"]
    assert fitted == pytest.approx(DEFAULT_INCOME_ELASTICITY, abs=0.005)
    assert 0 < fitted < 0.5  # remittances per migrant hardly move with host income


def test_elasticity_zero_and_one_are_the_stock_and_host_income_rules() -> None:
    w = remittance_world(4, rule="stock_host_income")
    for e, rule in ((0.0, "stock"), (1.0, "stock_host_income")):
        a = allocate_remittances(
            w.stocks, w.received, w.income, rule="stock_income_elasticity", income_elasticity=e
        )
        b = allocate_remittances(w.stocks, w.received, w.income, rule=rule)  # type: ignore[arg-type]
        np.testing.assert_allclose(a.corridors["remittances"], b.corridors["remittances"])
    res = allocate_remittances(w.stocks, w.received, w.income)
    assert res.rule == DEFAULT_RULE
    assert res.parameters["income_elasticity"] == DEFAULT_INCOME_ELASTICITY


def test_a_known_elasticity_is_recovered_from_corridors_built_with_it() -> None:
    w = remittance_world(5, rule="stock", n_countries=12)
    true = 0.4
    res = allocate_remittances(
        w.stocks, w.received, w.income, rule="stock_income_elasticity", income_elasticity=true
    )
    ref = res.corridors.set_index(["sender", "receiver"])["remittances"]
    assert fit_income_elasticity(w.stocks, ref, w.income) == pytest.approx(true, abs=1e-9)


def test_agreement_counts_missing_corridors_as_outside_the_factor() -> None:
    idx = pd.MultiIndex.from_tuples([("A", "B"), ("A", "C"), ("B", "C")])
    ref = pd.Series([2e6, 4e6, 8e6], index=idx)
    est = pd.Series([3e6, 9e6], index=idx[:2])
    got = agreement(est, ref)
    assert got["corridors"] == 3 and got["estimated"] == 2
    assert got["within_factor_2"] == pytest.approx(1 / 3)
