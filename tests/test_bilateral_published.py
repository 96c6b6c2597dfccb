"""Bilateral measures reproduce published values and hand-checkable cases.

Published: the hypothetical systems of Plane & Mulligan (1997), Demography 34(2), p. 253, with
the values printed in the documentation of the R package migration.indices (Daróczi & Bálint),
which implements P&M (1997) and Bell et al. (2002). Hand cases follow from the formulas.
"""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from keruen.indicators import (
    acv,
    anmr,
    cmp,
    connectivity,
    courgeau_k,
    crude_migration_probability,
    effectiveness,
    gini_dest_field,
    gini_dest_standardized,
    gini_orig_field,
    gini_orig_standardized,
    gini_total,
    hhi,
    independence_fit,
    inequality_equal,
    inequality_sim,
    mean_distance,
    median_distance,
    mwg_dest,
    mwg_orig,
    net_flows,
    preference_matrix,
    region_totals,
    shares,
    top_k_share,
    velocity_matrix,
)

# Plane & Mulligan (1997) hypothetical systems (rows origins, columns destinations).
HYP = np.array([[0, 10, 10], [20, 0, 20], [30, 30, 0]], dtype=float)
HYP2 = np.array([[0, 20, 20], [30, 0, 50], [20, 20, 0]], dtype=float)


@pytest.mark.parametrize(
    ("m", "bell", "plane_mulligan"),
    [(HYP, 0.2666667, 0.2222222), (HYP2, 0.225, 0.1875)],
)
def test_total_gini_of_plane_mulligan_systems(m, bell, plane_mulligan) -> None:
    assert gini_total(m) == pytest.approx(bell, abs=5e-8)
    assert gini_total(m, corrected=False) == pytest.approx(plane_mulligan, abs=5e-8)


def test_standardized_ginis_of_plane_mulligan_systems() -> None:
    assert gini_orig_standardized(HYP) == pytest.approx(0.0, abs=1e-12)
    assert gini_orig_standardized(HYP2) == pytest.approx(0.1111111, abs=5e-8)
    assert gini_dest_standardized(HYP) == pytest.approx(0.25, abs=1e-12)
    assert gini_dest_standardized(HYP2) == pytest.approx(0.2222222, abs=5e-8)


def test_field_ginis_of_plane_mulligan_systems() -> None:
    np.testing.assert_allclose(gini_dest_field(HYP), [0.2, 0.5, 1 / 3], atol=1e-12)
    np.testing.assert_allclose(gini_dest_field(HYP2), [0.2, 0.0, 0.4285714], atol=5e-8)
    np.testing.assert_allclose(gini_orig_field(HYP2), [0.0, 0.25, 0.0], atol=1e-12)
    np.testing.assert_allclose(
        gini_dest_field(HYP, corrected=False), [0.1, 0.25, 0.1666667], atol=5e-8
    )


def test_acv_of_plane_mulligan_systems() -> None:
    assert acv(HYP) == pytest.approx(0.3333333, abs=5e-8)
    assert acv(HYP2) == pytest.approx(0.375, abs=1e-12)


def test_uniform_system_shows_no_focusing_no_net_and_full_connectivity() -> None:
    m = np.full((6, 6), 40.0)
    assert effectiveness(m) == 0.0
    assert connectivity(m) == 1.0
    assert inequality_equal(m) == pytest.approx(0.0, abs=1e-12)
    assert inequality_sim(m) == pytest.approx(0.0, abs=1e-9)
    assert gini_total(m) == 0.0
    assert mwg_orig(m) == 0.0 and mwg_dest(m) == 0.0
    assert acv(m) == 0.0


def test_one_flow_holding_every_migrant_is_maximal_focusing() -> None:
    n = 5
    m = np.zeros((n, n))
    m[1, 3] = 250.0
    # Bell et al.'s correction makes the total Gini reach its upper limit of 1.
    assert gini_total(m) == pytest.approx(1.0)
    assert gini_total(m, corrected=False) < 1.0
    assert effectiveness(m) == pytest.approx(100.0)
    assert connectivity(m) == pytest.approx(1 / (n * (n - 1)))
    assert inequality_equal(m) == pytest.approx(1 - 1 / (n * (n - 1)))
    assert mwg_orig(m) == pytest.approx(1.0) and mwg_dest(m) == pytest.approx(1.0)


def test_region_totals_and_crude_rates_by_hand() -> None:
    m = np.array([[0, 100, 30, 70], [50, 0, 45, 5], [60, 35, 0, 40], [20, 25, 20, 0]], float)
    pop = np.array([1000.0, 2000.0, 4000.0, 5000.0])
    t = region_totals(m, ["A", "B", "C", "D"], pop)
    assert t["out"].tolist() == [200, 100, 135, 65]
    assert t["in"].tolist() == [130, 160, 95, 115]
    assert t["net"].tolist() == [-70, 60, -40, 50]
    assert t["turnover"].tolist() == [330, 260, 230, 180]
    assert t["in_rate"].tolist() == pytest.approx([130.0, 80.0, 23.75, 23.0])
    assert t["out_rate"].iloc[0] == pytest.approx(200.0)
    assert t["net_rate"].iloc[3] == pytest.approx(10.0)
    assert t["effectiveness"].iloc[0] == pytest.approx(-100 * 70 / 330)
    # 500 migrants, 12,000 residents; MEI 100*220/1000; ANMR = CMP * MEI / 100.
    assert effectiveness(m) == pytest.approx(22.0)
    assert cmp(m, pop) == pytest.approx(100 * 500 / 12000)
    assert anmr(m, pop) == pytest.approx(cmp(m, pop) * effectiveness(m) / 100)
    assert net_flows(m).sum() == 0


def test_courgeau_k_divides_cmp_by_log_n_squared() -> None:
    assert crude_migration_probability(3_000, 60_000) == pytest.approx(5.0)
    assert courgeau_k(5.0, 10) == pytest.approx(5.0 / np.log(100))


def test_preference_and_velocity_of_a_flow_by_hand() -> None:
    m = np.array([[0, 30, 10], [20, 0, 40], [0, 50, 0]], float)
    p = np.array([100.0, 300.0, 600.0])
    # Expected flow 1->2 if 150 migrants pick origin and destination by population share.
    expected_12 = 150 * 0.1 * 0.3
    assert preference_matrix(m, p)[0, 1] == pytest.approx(30 / expected_12)
    assert velocity_matrix(m, p)[2, 1] == pytest.approx(50 * 1000 / (600 * 300))
    assert preference_matrix(m, p)[1, 1] == 0.0


def test_independence_fit_is_the_poisson_glm_fit() -> None:
    rng = np.random.default_rng(7)
    n = 7
    m = rng.poisson(rng.gamma(1.0, 80.0, (n, n))).astype(float)
    np.fill_diagonal(m, 0)
    off = ~np.eye(n, dtype=bool)
    ii, jj = np.nonzero(off)
    x = np.column_stack(
        [np.ones(ii.size)]
        + [(ii == k).astype(float) for k in range(1, n)]
        + [(jj == k).astype(float) for k in range(1, n)]
    )
    glm = sm.GLM(m[off], x, family=sm.families.Poisson()).fit(tol=1e-12)
    np.testing.assert_allclose(independence_fit(m)[off], glm.fittedvalues, rtol=1e-7)


def test_distance_mean_and_median_by_hand() -> None:
    m = np.array([[0, 3, 1], [0, 0, 2], [4, 0, 0]], float)
    d = np.array([[0, 10, 20], [10, 0, 30], [20, 30, 0]], float)
    assert mean_distance(m, d) == pytest.approx((30 + 20 + 60 + 80) / 10)
    # Ten migrants: 3 at 10 km, 5 at 20 km, 2 at 30 km -> 5th and 6th both 20 km.
    assert median_distance(m, d, method="plain") == 20.0
    # Interpolated: the 20 km flows (4 then 1) are centred at 3 + 4/2 = 5 = half of 10.
    assert median_distance(m, d) == pytest.approx(20.0)
    m2 = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], float)
    assert median_distance(m2, d, method="plain") == pytest.approx(20.0)  # (10 + 30) / 2
    assert median_distance(m2, d) == pytest.approx(20.0)  # centres 0.5, 1.5; half = 1


def test_interpolated_and_plain_median_distance_by_hand() -> None:
    # 2 migrants move 10 km, 1 moves 30 km, 1 moves 50 km (S = 4, half = 2).
    m = np.array([[0, 2, 0], [0, 0, 1], [1, 0, 0]], float)
    d = np.array([[0, 10, 50], [10, 0, 30], [50, 30, 0]], float)
    # Plain: the cumulative flow reaches 2 exactly at 10 km -> mean of 10 and 30.
    assert median_distance(m, d, method="plain") == pytest.approx(20.0)
    # Interpolated: centres 1 (10 km), 2.5 (30 km), 3.5 (50 km); 2 is 2/3 of the way 1 -> 2.5.
    assert median_distance(m, d) == pytest.approx(10 + (2 - 1) / (2.5 - 1) * 20)
    with pytest.raises(ValueError, match="unknown median method"):
        median_distance(m, d, method="mean")  # type: ignore[arg-type]
    assert np.isnan(median_distance(np.zeros((3, 3)), d))


@pytest.mark.parametrize(
    ("x", "w", "expected"),
    [
        # matrixStats' documentation examples as quoted in its issue tracker (#125, and
        # easystats/datawizard#101): 2.038462 and 3.477778.
        ([1, 2, 3, 4], [0.49, 0.01, 0.25, 0.25], 2 + (0.5 - 0.495) / (0.625 - 0.495)),
        ([3.7, 3.3, 3.5, 2.8], [5, 5, 4, 1], 3.3 + (7.5 - 3.5) / (8 - 3.5) * 0.2),
        ([10, 11, 12], [1, 1, 1], 11.0),  # equal weights: the ordinary median
        ([1, 2, 3, 4], [1, 1, 1, 1], 2.5),
        ([7.0], [3.0], 7.0),
        ([1, 5, 9], [0, 2, 0], 5.0),  # zero weights are dropped
        ([1, 2], [0, 0], float("nan")),
    ],
)
def test_weighted_median_follows_the_matrixstats_definition(x, w, expected) -> None:
    from keruen.indicators import weighted_median

    got = weighted_median(x, w)
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(expected, rel=1e-12)
    assert weighted_median(x[::-1], w[::-1]) == pytest.approx(got, rel=1e-12, nan_ok=True)


def test_distribution_shares_top_k_and_hhi() -> None:
    x = np.array([50.0, 30.0, 20.0])
    np.testing.assert_allclose(shares(x), [0.5, 0.3, 0.2])
    assert top_k_share(x, 1) == pytest.approx(0.5)
    assert top_k_share(x, 2) == pytest.approx(0.8)
    assert top_k_share(x, 10) == pytest.approx(1.0)
    assert hhi(x) == pytest.approx(0.25 + 0.09 + 0.04)
    assert hhi(np.ones(4)) == pytest.approx(0.25)
    assert hhi(np.ones(4), normalized=True) == pytest.approx(0.0)
    assert hhi([0, 0, 7], normalized=True) == pytest.approx(1.0)


@pytest.mark.parametrize("n", [5, 24, 61])
def test_auto_decay_equals_the_statsmodels_glm(n: int) -> None:
    from keruen.indicators.distance import distance_decay

    rng = np.random.default_rng(11)
    xy = rng.uniform(0, 2000, (n, 2))
    d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(axis=2)) + 5
    m = rng.poisson(rng.gamma(0.8, 100.0, (n, n)) * 400 / d).astype(float)
    np.fill_diagonal(m, 0)
    auto = distance_decay(m, d)
    assert auto == pytest.approx(distance_decay(m, d, method="glm"), rel=1e-8)
    if n > 20:
        assert auto < 0  # flows were generated decaying with distance


def test_one_pass_focusing_measures_equal_the_individual_functions() -> None:
    from keruen import indicators

    rng = np.random.default_rng(5)
    m = rng.poisson(rng.gamma(0.7, 60.0, (9, 9))).astype(float)
    m[2, :] = 0  # a region without out-migrants
    together = indicators.focusing_measures(m)
    for key, value in together.items():
        assert value == pytest.approx(getattr(indicators, key)(m), rel=1e-12, abs=1e-15), key


@pytest.mark.parametrize(
    ("m", "mwg_in", "mwg_out", "mwg_mean"),
    [(HYP, 0.1222222, 0.0, 0.06111111), (HYP2, 0.05238095, 0.02083333, 0.03660714)],
)
def test_field_ginis_give_migration_indices_documented_weighted_ginis(
    m, mwg_in, mwg_out, mwg_mean
) -> None:
    # migration.indices' weighting (documented values for the P&M systems): in-field Ginis
    # weighted by out-flow shares, out-field Ginis by in-flow shares, the sum divided by n.
    # keruen's own mwg_* use the weighted mean instead (see mwg_orig's docstring).
    n, total = m.shape[0], m.sum()
    theirs_in = (gini_dest_field(m) * m.sum(axis=1) / total).sum() / n
    theirs_out = (gini_orig_field(m) * m.sum(axis=0) / total).sum() / n
    assert theirs_in == pytest.approx(mwg_in, abs=5e-8)
    assert theirs_out == pytest.approx(mwg_out, abs=5e-8)
    assert (theirs_in + theirs_out) / 2 == pytest.approx(mwg_mean, abs=5e-8)
    assert mwg_dest(m) == pytest.approx(np.average(gini_dest_field(m), weights=m.sum(axis=0)))


def test_decay_fit_at_any_size_does_not_load_statsmodels() -> None:
    # The profile fit is exact, so the default never pays statsmodels' import (about 2 s).
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from keruen.indicators import distance_decay\n"
        "rng = np.random.default_rng(3)\n"
        "xy = rng.uniform(0, 1000, (12, 2))\n"
        "d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(axis=2)) + 5\n"
        "m = rng.poisson(3000 / d).astype(float)\n"
        "b = distance_decay(m, d)\n"
        "assert np.isfinite(b), b\n"
        "print('statsmodels' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_weighted_median_equals_the_definition_applied_to_the_fully_sorted_values() -> None:
    # weighted_median orders ties only around the half-way point; on random small samples
    # with many ties it must equal the definition applied after sorting everything by
    # (value, decreasing weight).
    from keruen.indicators import weighted_median

    rng = np.random.default_rng(20261128)
    for _ in range(400):
        k = int(rng.integers(1, 30))
        x = rng.integers(0, 6, k).astype(float)
        w = rng.integers(0, 4, k).astype(float)
        if w.sum() == 0:
            continue
        keep = w > 0
        order = np.lexsort((-w[keep], x[keep]))
        xs, ws = x[keep][order], w[keep][order]
        centre = np.cumsum(ws) - ws / 2
        half = ws.sum() / 2
        j = int(np.searchsorted(centre, half))
        if j == 0:
            expected = xs[0]
        elif j == xs.size:
            expected = xs[-1]
        else:
            frac = (half - centre[j - 1]) / (centre[j] - centre[j - 1])
            expected = xs[j - 1] + frac * (xs[j] - xs[j - 1])
        assert weighted_median(x, w) == pytest.approx(expected, rel=1e-12), (x, w)
