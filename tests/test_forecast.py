"""Forecasts: intervals, rolling-origin backtest against naive/drift, honest verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from keruen.errors import InputError
from keruen.models.forecast import forecast_series, rolling_backtest
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


def test_trend_beats_naive_on_a_trending_series() -> None:
    res = forecast_series(_series(0, n_years=25, drift=20.0, noise=30.0), model="arima")
    assert res.beats_naive
    assert res.backtest.loc["arima", "mase"] < res.backtest.loc["naive", "mase"]
    assert "beats the naive baseline" in res.verdict
    fc = res.forecast
    assert list(fc["year"]) == [2020, 2021, 2022, 2023, 2024]
    assert (fc["lower"] < fc["mean"]).all() and (fc["mean"] < fc["upper"]).all()
    # intervals widen with the horizon
    assert np.all(np.diff(fc["upper"] - fc["lower"]) > 0)


def test_a_model_that_loses_to_naive_says_so() -> None:
    verdicts = [
        forecast_series(_series(s, n_years=25, drift=0.0, ar=1.0), model="drift") for s in range(6)
    ]
    losers = [r for r in verdicts if not r.beats_naive]
    assert losers, "on pure random walks the naive forecast should win at least once"
    for r in verdicts:
        assert ("does NOT beat" in r.verdict) == (not r.beats_naive)


def test_ets_runs_with_intervals_and_backtest() -> None:
    res = forecast_series(_series(3, n_years=22), model="ets", horizon=3)
    assert set(res.backtest.index) == {"naive", "drift", "ets"}
    assert res.backtest["n"].nunique() == 1
    assert 0 <= res.backtest.loc["ets", "coverage"] <= 1
    assert res.forecast[["mean", "lower", "upper"]].notna().all().all()


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
