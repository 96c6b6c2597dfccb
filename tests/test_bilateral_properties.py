"""Invariances every bilateral measure must respect, on random systems (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keruen.indicators import (
    bilateral_summary,
    hhi,
    in_flows,
    net_flows,
    out_flows,
    region_totals,
    shares,
    top_k_share,
    turnover,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Measures that depend on flows only through their relative sizes.
FLOW_SCALE_FREE = (
    "effectiveness",
    "preference",
    "connectivity",
    "inequality_equal",
    "inequality_sim",
    "gini_total",
    "gini_orig_standardized",
    "gini_dest_standardized",
    "mwg_orig",
    "mwg_dest",
    "mwg_mean",
    "acv",
    "distance_mean",
    "distance_median",
    "distance_decay",
)
# Measures that do not change when every population is multiplied by the same factor.
POP_SCALE_FREE = FLOW_SCALE_FREE


@st.composite
def systems(draw, min_n: int = 4, max_n: int = 9):
    """A random system: positive integer flows, populations and symmetric distances."""
    n = draw(st.integers(min_n, max_n))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1000, (n, 2))
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)) + 5.0
    lam = rng.gamma(0.9, 120.0, (n, n)) * 500.0 / d
    m = rng.poisson(lam).astype(float) + 1.0  # every flow positive: all fits identified
    np.fill_diagonal(m, 0.0)
    pop = rng.uniform(1e5, 5e6, n).round()
    return m, pop, d


@SETTINGS
@given(systems(), st.sampled_from([0.001, 0.37, 3.0, 1000.0]))
def test_relative_measures_are_invariant_to_the_scale_of_flows(system, factor) -> None:
    m, pop, d = system
    base = bilateral_summary(m, pop, d)
    scaled = bilateral_summary(m * factor, pop, d)
    for key in FLOW_SCALE_FREE:
        assert scaled[key] == pytest.approx(base[key], rel=1e-6, abs=1e-9), key
    # Rates scale with the flows.
    for key in ("anmr", "velocity", "cmp", "courgeau_k"):
        assert scaled[key] == pytest.approx(base[key] * factor, rel=1e-9), key


@SETTINGS
@given(systems(), st.sampled_from([0.01, 2.5, 100.0]))
def test_population_scale_changes_only_per_capita_measures(system, factor) -> None:
    m, pop, d = system
    base = bilateral_summary(m, pop, d)
    scaled = bilateral_summary(m, pop * factor, d)
    for key in POP_SCALE_FREE:
        assert scaled[key] == pytest.approx(base[key], rel=1e-6, abs=1e-9), key
    for key in ("anmr", "velocity", "cmp", "courgeau_k"):
        assert scaled[key] == pytest.approx(base[key] / factor, rel=1e-9), key


@SETTINGS
@given(systems(), st.data())
def test_measures_are_invariant_to_relabelling_regions(system, data) -> None:
    m, pop, d = system
    perm = np.array(data.draw(st.permutations(range(m.shape[0]))))
    base = bilateral_summary(m, pop, d)
    relabelled = bilateral_summary(m[np.ix_(perm, perm)], pop[perm], d[np.ix_(perm, perm)])
    for key, value in base.items():
        assert relabelled[key] == pytest.approx(value, rel=1e-6, abs=1e-9), key


@SETTINGS
@given(systems(min_n=2, max_n=12))
def test_net_flows_sum_to_zero_and_totals_are_consistent(system) -> None:
    m, pop, _ = system
    net = net_flows(m)
    assert abs(net.sum()) <= 1e-9 * m.sum()
    assert in_flows(m).sum() == pytest.approx(out_flows(m).sum())
    np.testing.assert_allclose(turnover(m), in_flows(m) + out_flows(m))
    table = region_totals(m, population=pop)
    assert abs((table["net_rate"] * table["pop"]).sum()) <= 1e-6 * m.sum() * 1000


@SETTINGS
@given(systems())
def test_bounded_measures_stay_in_their_ranges(system) -> None:
    m, pop, d = system
    s = bilateral_summary(m, pop, d)
    assert 0 <= s["effectiveness"] <= 100
    for key in (
        "connectivity",
        "inequality_equal",
        "inequality_sim",
        "gini_total",
        "gini_orig_standardized",
        "gini_dest_standardized",
        "mwg_orig",
        "mwg_dest",
        "mwg_mean",
    ):
        assert -1e-12 <= s[key] <= 1 + 1e-12, key
    assert s["anmr"] == pytest.approx(s["cmp"] * s["effectiveness"] / 100)


@SETTINGS
@given(
    st.lists(st.one_of(st.just(0.0), st.floats(1e-6, 1e9)), min_size=1, max_size=30).filter(
        lambda xs: sum(xs) > 0
    ),
    st.floats(0.01, 1e6),
)
def test_distribution_measures_are_scale_free_and_bounded(values, factor) -> None:
    x = np.array(values)
    assert shares(x).sum() == pytest.approx(1.0)
    assert hhi(x * factor) == pytest.approx(hhi(x), rel=1e-9)
    assert 1 / x.size - 1e-12 <= hhi(x) <= 1 + 1e-12
    assert top_k_share(x, 1) <= top_k_share(x, 2) + 1e-12
    assert top_k_share(x * factor, 3) == pytest.approx(top_k_share(x, 3), rel=1e-9)
