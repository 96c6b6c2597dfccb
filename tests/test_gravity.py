"""PPML gravity: recovers known coefficients, reports drops, fails with named errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from keruen.errors import ConvergenceError, InputError, SingularDesignError
from keruen.models import gravity
from keruen.models.gravity import ppml_gravity
from keruen.models.synthetic import gravity_panel


def _coverage(fe: str, seeds: range, n: int, years: range) -> pd.DataFrame:
    # the absorbing engine is the faster one here; it equals the dummy engine (tested below)
    rows = []
    for seed in seeds:
        syn = gravity_panel(seed, fixed_effects=fe, n_countries=n, years=years)
        res = ppml_gravity(syn.data, fixed_effects=fe, engine="absorb")  # type: ignore[arg-type]
        rows.append(res.covers(syn.coefficients))
    return pd.DataFrame(rows)


def test_origin_time_destination_time_model_covers_true_coefficients() -> None:
    cov = _coverage("ot_dt", range(25), 10, range(2015, 2020))
    # pair-level regressors are identified; every one is reported for every seed
    assert list(cov.columns) == [
        "log_distance",
        "contiguity",
        "common_language",
        "former_ussr",
        "eaeu",
        "log_diaspora",
    ]
    assert cov.stack().mean() >= 0.90
    assert cov.mean().min() >= 0.80


def test_origin_destination_time_model_identifies_gaps_and_covers_truth() -> None:
    cov = _coverage("o_d_t", range(20), 20, range(2014, 2020))
    assert {"wage_gap", "unemployment_gap"} <= set(cov.columns)
    assert cov.stack().mean() >= 0.90
    assert cov.mean().min() >= 0.80


def test_gaps_are_reported_as_absorbed_under_origin_time_effects() -> None:
    syn = gravity_panel(1, n_countries=8, years=range(2016, 2020))
    res = ppml_gravity(syn.data)
    assert res.dropped_regressors == {
        "wage_gap": "absorbed by the fixed effects",
        "unemployment_gap": "absorbed by the fixed effects",
    }
    assert "wage_gap" not in res.coefficients.index
    assert res.converged and res.n_obs == len(syn.data) and res.n_separated == 0
    assert "Poisson pseudo-maximum likelihood" in res.method


def test_estimates_and_clustered_errors_agree_with_statsmodels_glm() -> None:
    sm = pytest.importorskip("statsmodels.api")
    syn = gravity_panel(2, n_countries=8, years=range(2016, 2020))
    res = ppml_gravity(syn.data)
    df = syn.data
    keys = gravity._fe_keys(df, "orig", "dest", "year", "ot_dt")
    dummies, _ = gravity._dummies(keys)
    x = np.hstack([df[list(res.coefficients.index)].to_numpy(), dummies])
    groups = pd.factorize(df["orig"] + "->" + df["dest"])[0]
    ref = sm.GLM(df["flow"].to_numpy(), x, family=sm.families.Poisson()).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    k = len(res.coefficients)
    np.testing.assert_allclose(res.coefficients["estimate"], ref.params[:k], rtol=1e-6)
    np.testing.assert_allclose(res.coefficients["std_error"], ref.bse[:k], rtol=1e-6)


def test_all_zero_fixed_effect_groups_are_dropped_and_counted() -> None:
    syn = gravity_panel(3, n_countries=8, years=range(2016, 2020))
    df = syn.data.copy()
    group = (df["orig"] == "C02") & (df["year"] == 2017)
    df.loc[group, "flow"] = 0.0
    res = ppml_gravity(df)
    assert res.n_separated == int(group.sum())
    assert res.n_obs == len(df) - int(group.sum())
    assert set(res.separated["orig"]) == {"C02"} and set(res.separated["year"]) == {2017}
    assert np.isfinite(res.coefficients["std_error"]).all()


def test_separation_is_found_iteratively() -> None:
    df = pd.DataFrame(
        {
            "orig": ["A", "A", "B", "B", "C", "C"],
            "dest": ["B", "C", "A", "C", "A", "B"],
            "year": [1] * 6,
            "flow": [0.0, 0.0, 3.0, 0.0, 5.0, 7.0],
        }
    )
    keys = {"o": df["orig"], "d": df["dest"]}
    kept, dropped = gravity.drop_separated(df, "flow", keys)
    # A sends nothing; once A's rows go, destination C receives nothing either
    assert sorted(zip(dropped["orig"], dropped["dest"], strict=True)) == [
        ("A", "B"),
        ("A", "C"),
        ("B", "C"),
    ]
    assert len(kept) == 3


# ------------------------------------------------------------------- bad input, named errors


def test_collinear_regressors_are_a_singular_design() -> None:
    syn = gravity_panel(4, n_countries=6, years=range(2017, 2020))
    df = syn.data.assign(log_distance_copy=lambda d: 2 * d["log_distance"])
    with pytest.raises(SingularDesignError, match="collinear"):
        ppml_gravity(df, regressors=["log_distance", "log_distance_copy"])


def test_only_absorbed_regressors_is_a_singular_design() -> None:
    syn = gravity_panel(4, n_countries=6, years=range(2017, 2020))
    with pytest.raises(SingularDesignError, match="no regressor"):
        ppml_gravity(syn.data, regressors=["wage_gap"])


def test_non_convergence_is_a_convergence_error() -> None:
    syn = gravity_panel(5, n_countries=6, years=range(2017, 2020))
    with pytest.raises(ConvergenceError):
        ppml_gravity(syn.data, maxiter=1)


def test_missing_value_names_row_and_field() -> None:
    syn = gravity_panel(6, n_countries=6, years=range(2017, 2020))
    df = syn.data.copy()
    df.loc[4, "log_diaspora"] = np.nan
    with pytest.raises(InputError) as info:
        ppml_gravity(df)
    assert info.value.row == 5 and info.value.field == "log_diaspora"


def test_negative_flow_and_missing_column_are_input_errors() -> None:
    syn = gravity_panel(6, n_countries=6, years=range(2017, 2020))
    df = syn.data.copy()
    df.loc[0, "flow"] = -1.0
    with pytest.raises(InputError, match="non-negative"):
        ppml_gravity(df)
    with pytest.raises(InputError, match="lack columns"):
        ppml_gravity(syn.data, regressors=["no_such_column"])


@pytest.mark.parametrize("fe", ["ot_dt", "o_d_t"])
def test_absorbing_engine_equals_dummy_engine(fe: str) -> None:
    syn = gravity_panel(2, n_countries=9, years=range(2015, 2020), fixed_effects=fe)
    df = syn.data.copy()
    df.loc[(df["orig"] == "C03") & (df["year"] == 2016), "flow"] = 0.0
    a = ppml_gravity(df, fixed_effects=fe, engine="dummies")  # type: ignore[arg-type]
    b = ppml_gravity(df, fixed_effects=fe, engine="absorb")  # type: ignore[arg-type]
    assert a.n_separated == b.n_separated and a.dropped_regressors == b.dropped_regressors
    np.testing.assert_allclose(b.coefficients["estimate"], a.coefficients["estimate"], rtol=1e-8)
    np.testing.assert_allclose(b.coefficients["std_error"], a.coefficients["std_error"], rtol=1e-8)


def test_large_panels_absorb_the_fixed_effects() -> None:
    syn = gravity_panel(0, n_countries=40, years=range(2012, 2020))
    res = ppml_gravity(syn.data)
    assert res.parameters["engine"] == "absorb"
    assert res.covers({"log_distance": -1.1})["log_distance"]


@pytest.mark.parametrize("engine", ["dummies", "absorb"])
def test_separation_by_a_regressor_is_detected_dropped_and_explained(engine: str) -> None:
    syn = gravity_panel(1, n_countries=8, years=range(2016, 2020))
    df = syn.data.copy()
    sel = np.random.default_rng(0).random(len(df)) < 0.05
    df.loc[sel, "flow"] = 0.0
    df["perfect_zero"] = sel.astype(float)  # 1 exactly where the flow is zero: separation
    res = ppml_gravity(df, regressors=["log_distance", "perfect_zero"], engine=engine)  # type: ignore[arg-type]
    assert res.n_separated == int(sel.sum())
    assert set(res.separated["reason"]) == {"separated by perfect_zero"}
    assert res.dropped_regressors == {
        "perfect_zero": f"separates {int(sel.sum())} zero-flow rows (dropped); "
        "then constant in the estimation sample"
    }
    assert res.separating_regressors == ("perfect_zero",)
    clean = ppml_gravity(df[~sel], regressors=["log_distance"])
    pd.testing.assert_frame_equal(res.coefficients, clean.coefficients, rtol=1e-8)


@pytest.mark.parametrize("engine", ["dummies", "absorb"])
def test_a_regressor_one_only_on_some_zero_flows_is_found_exactly(engine: str) -> None:
    """Issue 8 item 19: the rows go, the regressor is named, the rest equals the clean fit."""
    syn = gravity_panel(5, n_countries=10, years=range(2015, 2019))
    df = syn.data.copy()
    rng = np.random.default_rng(1)
    zeros = rng.random(len(df)) < 0.1
    df.loc[zeros, "flow"] = 0.0
    marked = rng.choice(np.flatnonzero(zeros), size=10, replace=False)
    df["only_on_zeros"] = 0.0
    df.loc[marked, "only_on_zeros"] = 1.0  # 1 on ten zero-flow rows, 0 everywhere else
    regs = ["log_distance", "contiguity", "only_on_zeros"]
    res = ppml_gravity(df, regressors=regs, engine=engine)  # type: ignore[arg-type]
    sep = res.separated[res.separated["reason"] == "separated by only_on_zeros"]
    key = ["orig", "dest", "year"]
    assert sorted(map(tuple, sep[key].to_numpy())) == sorted(
        map(tuple, df.loc[marked, key].to_numpy())
    )
    assert res.separating_regressors == ("only_on_zeros",)
    assert "only_on_zeros" not in res.coefficients.index
    assert res.dropped_regressors["only_on_zeros"].startswith("separates 10 zero-flow rows")
    clean = ppml_gravity(df.drop(index=marked), regressors=regs[:2], engine=engine)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(res.coefficients, clean.coefficients, rtol=1e-7)


def test_a_regressor_that_does_not_separate_is_left_alone() -> None:
    syn = gravity_panel(6, n_countries=8, years=range(2016, 2019))
    df = syn.data.copy()
    df.loc[df.index[::9], "flow"] = 0.0
    res = ppml_gravity(df, regressors=["log_distance", "contiguity"])
    assert res.separating_regressors == ()
    assert not res.separated["reason"].str.startswith("separated by").any()


def test_compiled_demeaning_equals_the_numpy_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    from keruen.models import _ppml_hdfe

    syn = gravity_panel(7, n_countries=12, years=range(2015, 2019))
    fast = ppml_gravity(syn.data, engine="absorb")
    monkeypatch.setattr(_ppml_hdfe, "_FAST", False)
    slow = ppml_gravity(syn.data, engine="absorb")
    pd.testing.assert_frame_equal(fast.coefficients, slow.coefficients, rtol=1e-8)
