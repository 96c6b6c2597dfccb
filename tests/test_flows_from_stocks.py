"""Flows from stocks: recovery of a known flow table, differencing rules and named errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keruen.errors import InputError
from keruen.models.flows_from_stocks import (
    demographic_accounting,
    flows_from_stocks,
    stock_difference,
    stocks_from_long,
)
from keruen.models.synthetic import stocks_from_flows


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("vital", [False, True])
def test_stayer_model_reproduces_the_flow_table_the_stocks_were_made_from(
    seed: int, vital: bool
) -> None:
    syn = stocks_from_flows(seed, n_regions=5 + seed, vital=vital)
    assert syn.synthetic and syn.stock_start.attrs["synthetic"]
    res = demographic_accounting(syn.stock_start, syn.stock_end, syn.births, syn.deaths)
    assert res.regions == syn.regions
    np.testing.assert_allclose(res.flows, syn.flows, rtol=1e-6, atol=1e-3)
    movers = syn.flows.sum(axis=2)
    np.fill_diagonal(movers, 0)
    frame = res.to_frame()
    assert set(frame.columns) == {"orig", "dest", "flow"}
    assert (frame["orig"] != frame["dest"]).all()
    assert frame["flow"].sum() == pytest.approx(movers.sum(), rel=1e-6)


def test_result_states_method_and_assumptions() -> None:
    syn = stocks_from_flows(1)
    res = flows_from_stocks(syn.stock_start, syn.stock_end, syn.births, syn.deaths)
    assert "demographic accounting" in res.method
    assert any("closed" in a for a in res.assumptions)
    assert res.parameters["stayers"] is True


def _square(values: list[list[float]], regions: list[str]) -> pd.DataFrame:
    return pd.DataFrame(values, index=regions, columns=regions)


def test_differencing_with_and_without_returns() -> None:
    r = ["A", "B", "C"]
    s0 = _square([[100, 10, 0], [5, 200, 8], [0, 4, 50]], r)
    s1 = _square([[100, 16, 3], [2, 200, 8], [1, 4, 50]], r)
    plain = stock_difference(s0, s1).od
    assert plain.loc["A", "B"] == 6 and plain.loc["A", "C"] == 3 and plain.loc["C", "A"] == 1
    assert plain.loc["B", "A"] == 0  # B-born stock in A fell: ignored
    ret = flows_from_stocks(s0, s1, method="diff-return").od
    assert ret.loc["A", "B"] == 6 + 3  # 3 B-born returned from A to B
    assert np.trace(ret.to_numpy()) == 0


def test_long_tables_pivot_to_square() -> None:
    long = pd.DataFrame(
        {
            "birthplace": ["A", "A", "B", "B"],
            "residence": ["A", "B", "A", "B"],
            "stock": [10, 2, 3, 20],
        }
    )
    wide = stocks_from_long(long)
    assert wide.loc["A", "B"] == 2 and wide.shape == (2, 2)
    with pytest.raises(InputError, match="repeats"):
        stocks_from_long(pd.concat([long, long.head(1)]))
    with pytest.raises(InputError, match="lacks"):
        stocks_from_long(long.iloc[:3])


# ------------------------------------------------------------------- bad input, named errors


def test_regions_that_disagree_between_tables_are_an_input_error() -> None:
    syn = stocks_from_flows(2)
    other = syn.stock_end.rename(index={"C01": "XX"}, columns={"C01": "XX"})
    with pytest.raises(InputError, match="different regions"):
        demographic_accounting(syn.stock_start, other, syn.births, syn.deaths)


def test_birthplaces_not_matching_residences_is_an_input_error() -> None:
    syn = stocks_from_flows(2)
    bad = syn.stock_start.rename(index={"C01": "XX"})
    with pytest.raises(InputError, match="disagree"):
        demographic_accounting(bad, syn.stock_end)


def test_vital_statistics_for_other_regions_are_an_input_error() -> None:
    syn = stocks_from_flows(2)
    with pytest.raises(InputError, match="births"):
        demographic_accounting(syn.stock_start, syn.stock_end, syn.births.iloc[1:], syn.deaths)


def test_negative_stock_is_an_input_error() -> None:
    syn = stocks_from_flows(3)
    bad = syn.stock_end.copy()
    bad.iloc[0, 1] = -5
    with pytest.raises(InputError, match="negative stock") as info:
        flows_from_stocks(syn.stock_start, bad, method="diff")
    assert info.value.field == "stock_end"


def test_missing_stock_is_an_input_error_not_a_nan() -> None:
    syn = stocks_from_flows(3)
    bad = syn.stock_start.copy()
    bad.iloc[1, 2] = np.nan
    with pytest.raises(InputError, match="non-finite"):
        demographic_accounting(bad, syn.stock_end)


@pytest.mark.filterwarnings("ignore::keruen.models.flows_from_stocks.BalanceWarning")
def test_deaths_larger_than_population_are_an_input_error() -> None:
    syn = stocks_from_flows(4)
    deaths = syn.deaths + syn.stock_start.sum(axis=0).to_numpy() * 2
    with pytest.raises(InputError, match="exceed"):
        demographic_accounting(syn.stock_start, syn.stock_end, syn.births, deaths)


def test_unknown_method_is_an_input_error() -> None:
    syn = stocks_from_flows(1)
    with pytest.raises(InputError, match="unknown method"):
        flows_from_stocks(syn.stock_start, syn.stock_end, method="magic")  # type: ignore[arg-type]


def test_ipf_that_cannot_converge_is_a_convergence_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from keruen.errors import ConvergenceError
    from keruen.models import flows_from_stocks as ffs

    syn = stocks_from_flows(5, n_regions=7)
    s1 = syn.stock_end.copy()
    s1.iloc[0, 1] += 1000.0  # perturb so that the fit needs more than one IPF cycle
    s1.iloc[0, 0] -= 1000.0
    monkeypatch.setattr(ffs, "IPF_MAX_ITER", 1)
    with pytest.raises(ConvergenceError, match="did not converge"):
        demographic_accounting(syn.stock_start, s1)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(3, 9))
def test_stayer_model_fits_consistent_margins_exactly(seed: int, n: int) -> None:
    """With no births/deaths and equal birthplace totals the margins are met cell by cell."""
    rng = np.random.default_rng(seed)
    s0 = rng.integers(0, 500, (n, n)).astype(float)
    np.fill_diagonal(s0, rng.integers(5_000, 50_000, n))
    s1 = np.vstack([rng.multinomial(int(row.sum()), rng.dirichlet(row + 1.0)) for row in s0])
    names = [f"R{i}" for i in range(n)]
    res = demographic_accounting(pd.DataFrame(s0, names, names), pd.DataFrame(s1, names, names))
    f = res.flows
    assert (f >= -1e-9).all()
    # sum over destinations = start stock of each birthplace in each origin, and vice versa
    np.testing.assert_allclose(f.sum(axis=1), s0.T, atol=0.05)
    np.testing.assert_allclose(f.sum(axis=0), s1.T, atol=0.05)
    # stayers are the most who could have stayed
    idx = np.arange(n)
    np.testing.assert_allclose(f[idx, idx, :], np.minimum(s0, s1).T, atol=0.05)
