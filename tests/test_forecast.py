"""Forecasts: intervals, rolling-origin backtest against naive/drift, honest verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from keruen.errors import InputError
from keruen.models.forecast import (
    DEFAULT_MODEL,
    conformal_multiplier,
    forecast_series,
    pooled_scores,
    rolling_backtest,
)
from keruen.models.synthetic import yearly_series


def _series(seed: int, **kw: float) -> pd.Series:
    df = yearly_series(seed, **kw)  # type: ignore[arg-type]
    assert df["synthetic"].all()
    return df.set_index("year")["value"]


def test_drift_model_recovers_the_known_drift() -> None:
    n_years, noise, drift = 30, 30.0, 20.0
    est = [
        forecast_series(
            _series(s, n_years=n_years, drift=drift, noise=noise, ar=1.0), model="drift"
        ).parameters["drift"]
        for s in range(20)
    ]
    se_of_mean = noise / np.sqrt(n_years - 1) / np.sqrt(len(est))
    assert abs(np.mean(est) - drift) < 3 * se_of_mean


def test_drift_intervals_cover_near_their_nominal_level() -> None:
    cov = [
        rolling_backtest(
            _series(s, n_years=30, drift=20.0, noise=30.0, ar=1.0), "drift", level=0.8
        )["covered"].mean()
        for s in range(10)
    ]
    assert 0.7 <= np.mean(cov) <= 0.9


def test_trend_models_beat_naive_on_a_trending_series_in_its_own_backtest() -> None:
    res = forecast_series(_series(0, n_years=25, drift=20.0, noise=30.0), model="arima")
    assert res.backtest.loc["arima", "mase"] < res.backtest.loc["naive", "mase"]
    fc = res.forecast
    assert list(fc["year"]) == [2020, 2021, 2022, 2023, 2024]
    assert (fc["lower"] < fc["mean"]).all() and (fc["mean"] < fc["upper"]).all()
    # intervals widen with the horizon
    assert np.all(np.diff(fc["upper"] - fc["lower"]) > 0)


def test_the_verdict_is_the_pooled_out_of_sample_one_not_the_series_own() -> None:
    pooled = pooled_scores()
    ets_loses = bool(pooled.loc["ets", "mase"] >= pooled.loc["naive", "mase"])
    for s in range(3):
        # a trending series on which ETS may well win its own short backtest
        r = forecast_series(_series(s, n_years=25, drift=20.0, noise=30.0), model="ets")
        assert r.beats_naive is (not ets_loses)
        assert ("does NOT beat" in r.verdict) == ets_loses
        assert "out of sample" in r.verdict and "own backtest" in r.verdict


def test_default_model_is_the_shipped_backtest_winner_and_used_by_default() -> None:
    pooled = pooled_scores()
    assert DEFAULT_MODEL == pooled["mase"].astype(float).idxmin()
    res = forecast_series(_series(4, n_years=22), horizon=3)
    assert res.model == DEFAULT_MODEL and res.parameters["default_model"] == DEFAULT_MODEL


def test_calibrated_intervals_are_conformal_multiples_of_the_series_scale() -> None:
    s = _series(5, n_years=22)
    res = forecast_series(s, model="drift", horizon=5, level=0.8)
    scale = float(np.mean(np.abs(np.diff(s.to_numpy()))))
    half = (res.forecast["upper"] - res.forecast["mean"]).to_numpy()
    expected = [conformal_multiplier("drift", h, 0.8) * scale for h in range(1, 6)]
    np.testing.assert_allclose(half, expected, rtol=1e-12)
    # a wider stated level gives wider intervals; beyond the backtest's horizons: sqrt growth
    wide = forecast_series(s, model="drift", horizon=5, level=0.95)
    assert ((wide.forecast["upper"] - wide.forecast["lower"]) > 2 * half).all()
    assert conformal_multiplier("drift", 5, 0.8) == pytest.approx(
        conformal_multiplier("drift", 3, 0.8) * np.sqrt(5 / 3)
    )
    with pytest.raises(InputError, match="calibrated intervals"):
        forecast_series(s, level=0.999)


@pytest.mark.parametrize("model", ["ets", "ensemble_median", "ensemble_naive_drift"])
def test_every_model_runs_with_intervals_and_backtest(model: str) -> None:
    res = forecast_series(_series(3, n_years=22), model=model, horizon=3)  # type: ignore[arg-type]
    assert set(res.backtest.index) == {"naive", "drift", model}
    assert res.backtest["n"].nunique() == 1
    assert res.backtest[["coverage", "model_coverage"]].stack().between(0, 1).all()
    cols = ["mean", "lower", "upper", "model_lower", "model_upper"]
    assert res.forecast[cols].notna().all().all()


def test_bad_series_are_named_errors() -> None:
    s = _series(1, n_years=20)
    with pytest.raises(InputError, match="at least"):
        forecast_series(s.iloc[:8])
    with pytest.raises(InputError, match="consecutive"):
        forecast_series(s.drop(index=2000))
    bad = s.copy()
    bad.iloc[3] = np.nan
    with pytest.raises(InputError, match="missing") as info:
        forecast_series(bad)
    assert info.value.row == 4
    with pytest.raises(InputError, match="unknown model"):
        forecast_series(s, model="prophet")  # type: ignore[arg-type]


#: Nicaragua's remittances paid as bundled (US$ m, 2006-2023): ARIMA(1,1,0) cannot be fitted on
#: it (statsforecast fails), which used to end the whole report (issue 18.1).
ARIMA_FAILS = [311, 345, 353, 325, 551, 622, 693, 1018, 1474, 1155, 1326, 1416, 1538, 1579]
ARIMA_FAILS += [2183, 2574, 3732, 6345]


def test_an_ensemble_member_that_cannot_be_fitted_is_left_out_and_named() -> None:
    y = pd.Series(ARIMA_FAILS, index=range(2006, 2024), dtype=float)
    res = forecast_series(y, model="ensemble_median", horizon=5)
    assert res.forecast[["mean", "lower", "upper"]].notna().all().all()
    assert set(res.parameters["left_out"]) == {"arima"}  # type: ignore[arg-type]
    assert "could not be fitted" in res.parameters["left_out"]["arima"]  # type: ignore[index]
    # the ensemble is the median of the members that could be fitted
    from keruen.models.forecast_engines import single_forecast

    means = [single_forecast(y.to_numpy(), 5, 0.8, m)[0] for m in ("naive", "drift", "ets")]
    np.testing.assert_allclose(res.forecast["mean"], np.median(means, axis=0))


def test_a_single_model_that_cannot_be_fitted_is_a_named_estimation_error() -> None:
    from keruen.errors import EstimationError

    y = pd.Series(ARIMA_FAILS, index=range(2006, 2024), dtype=float)
    with pytest.raises(EstimationError, match="arima could not be fitted"):
        forecast_series(y, model="arima")


def test_a_series_longer_than_the_limit_fails_at_once_naming_the_limit_and_the_series() -> None:
    from keruen.models.forecast import MAX_YEARS

    # a 2,000-year series once ran for over 300 s in the series' own backtest (issue 18.8)
    y = pd.Series(np.arange(2000.0), index=range(1, 2001), name="remittances:XYZ")
    for call in (lambda: forecast_series(y), lambda: rolling_backtest(y, "naive")):
        with pytest.raises(InputError, match=f"MAX_YEARS = {MAX_YEARS}") as info:
            call()
        assert "'remittances:XYZ' has 2000 years (1-2000)" in str(info.value)
        assert info.value.field == "year"
    # the limit itself is accepted
    ok = pd.Series(np.arange(float(MAX_YEARS)) ** 1.2, index=range(1, MAX_YEARS + 1))
    assert len(rolling_backtest(ok, "naive", horizon=1)) == MAX_YEARS - 10


def test_a_non_negative_series_gets_non_negative_bounds_without_losing_coverage() -> None:
    # a volatile series falling towards zero: mean - q·scale goes far below zero (issue 18.6:
    # Kazakhstan's receipts had a lower bound of -123 US$ m in 2029)
    y = pd.Series([500, 300, 600, 200, 450, 100, 350, 150, 300, 80, 250, 60, 120, 40.0])
    y.index = range(2010, 2024)
    for model in ("drift", "naive"):
        res = forecast_series(y, model=model, horizon=5)  # type: ignore[arg-type]
        fc = res.forecast
        assert (fc[["mean", "lower", "upper", "model_lower", "model_upper"]] >= 0).all().all()
        assert (fc["lower"] == 0).all()
        assert "truncated at 0" in str(res.parameters["truncation"])
    # truncated, not shifted: the naive forecast (the last value, 40) keeps its upper bounds
    scale = float(np.mean(np.abs(np.diff(y.to_numpy()))))
    half = [conformal_multiplier("naive", h, 0.8) * scale for h in range(1, 6)]
    np.testing.assert_allclose(fc["upper"], 40.0 + np.array(half))
    # a series that can be negative (a balance) is not truncated
    neg = forecast_series(y - 300.0, model="drift", horizon=5)
    assert (neg.forecast["lower"] < 0).all()
    assert "not truncated" in str(neg.parameters["truncation"])


def test_log_scale_candidates_continue_a_constant_growth_rate_and_refuse_zeros() -> None:
    from keruen.errors import EstimationError
    from keruen.models.forecast_engines import single_forecast

    y = 100.0 * 1.1 ** np.arange(15)
    mean, lo, hi = single_forecast(y, 3, 0.8, "log_drift")
    np.testing.assert_allclose(mean, y[-1] * 1.1 ** np.arange(1, 4), rtol=1e-9)
    assert (lo > 0).all() and (lo <= mean).all() and (mean <= hi).all()
    with pytest.raises(EstimationError, match="log_theta could not be fitted"):
        single_forecast(np.r_[0.0, y], 3, 0.8, "log_theta")


def test_a_model_that_cannot_be_fitted_falls_back_to_naive_alone_in_the_pooled_backtest() -> None:
    from keruen.models import forecast_backtest as fb

    # a zero in the training run: log_drift cannot be fitted, drift and naive can
    y = pd.Series(np.r_[0.0, np.arange(1.0, 15.0) ** 1.5], index=range(2000, 2015))
    bt = fb.pooled_backtest({"z": y}, origins=(2011,), models=("naive", "drift", "log_drift"))
    by = {m: g.set_index("horizon") for m, g in bt.groupby("model")}
    assert by["log_drift"]["fallback"].all() and not by["drift"]["fallback"].any()
    np.testing.assert_allclose(by["log_drift"]["forecast"], by["naive"]["forecast"])
    train = y.loc[:2011].to_numpy()
    drift = (train[-1] - train[0]) / (len(train) - 1)
    np.testing.assert_allclose(by["drift"]["forecast"], train[-1] + drift * np.arange(1, 4))


def test_candidates_are_not_shipped_without_a_calibration() -> None:
    from keruen.models.forecast import calibration
    from keruen.models.forecast_engines import ALL_MODELS, CANDIDATE_MODELS

    assert set(calibration()["quantiles"]) == set(ALL_MODELS)
    assert not set(CANDIDATE_MODELS) & set(ALL_MODELS)
    with pytest.raises(InputError, match="unknown model 'theta'"):
        forecast_series(_series(1, n_years=20), model="theta")  # type: ignore[arg-type]
