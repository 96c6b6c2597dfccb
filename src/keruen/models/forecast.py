"""Forecasts of yearly series with prediction intervals, judged against naive baselines.

Models: ``naive`` (random walk), ``drift`` (random walk with drift), ``ets`` (additive
exponential smoothing with damped trend, statsmodels ``ETSModel``) and ``arima`` (ARIMA(1,1,0)
with drift, statsmodels ``ARIMA``).  Baseline formulas (Hyndman & Athanasopoulos, *Forecasting:
Principles and Practice*, 3rd ed., §5.5):

* naive: ``yhat_{T+h} = y_T``, ``var = s^2 h`` with ``s^2`` the mean squared first difference;
* drift: ``yhat_{T+h} = y_T + h c``, ``c = (y_T - y_1)/(T-1)``, ``var = s^2 h (1 + h/(T-1))``.

Each model is compared in a rolling-origin backtest (Tashman 2000): fitted on the first ``t``
years for every origin ``t``, forecasting up to ``horizon`` years ahead.  Accuracy is the mean
absolute scaled error (MASE; Hyndman & Koehler 2006), scaled by the in-sample one-step naive
error of each training window, and the share of actuals inside the prediction intervals.  A
model that does not beat the naive baseline says so in ``verdict``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from keruen.errors import ConvergenceError, EstimationError, InputError

ForecastModel = Literal["naive", "drift", "ets", "arima"]
MODELS: tuple[str, ...] = ("naive", "drift", "ets", "arima")


@dataclass(frozen=True)
class ForecastResult:
    """Point forecasts with intervals, the backtest table and the verdict against naive."""

    forecast: pd.DataFrame
    backtest: pd.DataFrame
    model: str
    beats_naive: bool
    verdict: str
    method: str
    assumptions: tuple[str, ...]
    parameters: Mapping[str, object] = field(default_factory=dict)


def _validate(series: pd.Series, min_len: int) -> pd.Series:
    s = pd.Series(series).copy()
    try:
        s.index = pd.Index([int(x) for x in s.index], name="year")
    except (TypeError, ValueError) as exc:
        raise InputError("series must be indexed by whole years", field="year") from exc
    s = s.sort_index()
    vals = pd.to_numeric(s, errors="coerce")
    if vals.isna().any():
        pos = int(np.flatnonzero(vals.isna().to_numpy())[0])
        raise InputError("missing or non-numeric value", row=pos + 1, field="value")
    if s.index.has_duplicates or (np.diff(s.index.to_numpy()) != 1).any():
        raise InputError("years must be consecutive and unique", field="year")
    if len(s) < min_len:
        raise InputError(f"need at least {min_len} years, got {len(s)}", field="value")
    return vals.astype(float)


def _baseline(y: np.ndarray, h: int, z: float, drift: bool) -> tuple[np.ndarray, np.ndarray]:
    t = len(y)
    steps = np.arange(1, h + 1)
    d = np.diff(y)
    c = (y[-1] - y[0]) / (t - 1) if drift else 0.0
    resid = d - c
    s2 = float(np.mean(resid**2)) if not drift else float(np.sum(resid**2) / max(t - 2, 1))
    mean = y[-1] + c * steps
    var = s2 * steps * (1 + steps / (t - 1)) if drift else s2 * steps
    return mean, z * np.sqrt(var)


def _statsmodels(
    y: np.ndarray, h: int, alpha: float, model: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if model == "ets":
            from statsmodels.tsa.exponential_smoothing.ets import ETSModel

            endog = pd.Series(y, index=pd.RangeIndex(len(y)))
            fit = ETSModel(endog, error="add", trend="add", damped_trend=True).fit(disp=False)
            pred = fit.get_prediction(start=len(y), end=len(y) + h - 1)
            frame = pred.summary_frame(alpha=alpha)
            lo, hi = frame["pi_lower"].to_numpy(), frame["pi_upper"].to_numpy()
        else:
            from statsmodels.tsa.arima.model import ARIMA

            fit = ARIMA(y, order=(1, 1, 0), trend="t").fit()
            frame = fit.get_forecast(h).summary_frame(alpha=alpha)
            lo, hi = frame["mean_ci_lower"].to_numpy(), frame["mean_ci_upper"].to_numpy()
    retvals = getattr(fit, "mle_retvals", None) or {}
    if retvals.get("converged") is False:
        raise ConvergenceError(f"{model} likelihood optimisation did not converge")
    mean = np.asarray(frame["mean"], dtype=float)
    if not (np.isfinite(mean).all() and np.isfinite(lo).all() and np.isfinite(hi).all()):
        raise EstimationError(f"{model} produced non-finite forecasts")
    return mean, lo, hi


def _predict(
    y: np.ndarray, h: int, level: float, model: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    alpha = 1 - level
    if model in ("naive", "drift"):
        mean, half = _baseline(y, h, float(stats.norm.ppf(1 - alpha / 2)), model == "drift")
        return mean, mean - half, mean + half
    return _statsmodels(y, h, alpha, model)


def rolling_backtest(
    series: pd.Series,
    model: str,
    *,
    horizon: int = 3,
    level: float = 0.8,
    min_train: int = 10,
) -> pd.DataFrame:
    """Rolling-origin backtest: one row per (origin, step) with error, scale and coverage."""
    y = _validate(series, min_train + 1).to_numpy()
    years = _validate(series, min_train + 1).index.to_numpy()
    rows = []
    for t in range(min_train, len(y)):
        h = min(horizon, len(y) - t)
        train = y[:t]
        scale = float(np.mean(np.abs(np.diff(train))))
        mean, lo, hi = _predict(train, h, level, model)
        for k in range(h):
            actual = y[t + k]
            rows.append(
                {
                    "origin": int(years[t - 1]),
                    "step": k + 1,
                    "actual": actual,
                    "forecast": mean[k],
                    "abs_scaled_error": abs(actual - mean[k]) / scale if scale > 0 else np.nan,
                    "covered": bool(lo[k] <= actual <= hi[k]),
                }
            )
    return pd.DataFrame(rows)


def forecast_series(
    series: pd.Series,
    *,
    model: ForecastModel = "ets",
    horizon: int = 5,
    level: float = 0.8,
    backtest_horizon: int = 3,
    min_train: int = 10,
) -> ForecastResult:
    """Forecast ``series`` (indexed by year) and backtest it against naive and drift.

    Returns the forecast table (``year, mean, lower, upper``), a backtest summary per model
    (``mase``, ``coverage``, ``n``) and whether ``model`` beats the naive baseline on MASE.
    """
    if model not in MODELS:
        raise InputError(f"unknown model {model!r}; use one of {MODELS}", field="model")
    if not 0 < level < 1 or horizon < 1:
        raise InputError("level must lie in (0, 1) and horizon be at least 1", field="level")
    s = _validate(series, min_train + 2)
    mean, lo, hi = _predict(s.to_numpy(), horizon, level, model)
    last = int(s.index[-1])
    fc = pd.DataFrame(
        {"year": np.arange(last + 1, last + horizon + 1), "mean": mean, "lower": lo, "upper": hi}
    )
    summary = []
    for name in dict.fromkeys(["naive", "drift", model]):
        bt = rolling_backtest(s, name, horizon=backtest_horizon, level=level, min_train=min_train)
        summary.append(
            {
                "model": name,
                "mase": float(bt["abs_scaled_error"].mean()),
                "coverage": float(bt["covered"].mean()),
                "n": len(bt),
            }
        )
    table = pd.DataFrame(summary).set_index("model")
    beats = bool(table.loc[model, "mase"] < table.loc["naive", "mase"])
    if model == "naive":
        verdict = "the naive baseline itself"
    elif beats:
        verdict = (
            f"{model} beats the naive baseline in backtest (MASE "
            f"{table.loc[model, 'mase']:.2f} vs {table.loc['naive', 'mase']:.2f})"
        )
    else:
        verdict = (
            f"{model} does NOT beat the naive baseline in backtest (MASE "
            f"{table.loc[model, 'mase']:.2f} vs {table.loc['naive', 'mase']:.2f}); "
            "prefer the naive forecast"
        )
    params: dict[str, object] = {
        "model": model,
        "horizon": horizon,
        "level": level,
        "backtest_horizon": backtest_horizon,
        "min_train": min_train,
    }
    if model == "drift":
        y = s.to_numpy()
        params["drift"] = float((y[-1] - y[0]) / (len(y) - 1))
    return ForecastResult(
        forecast=fc,
        backtest=table,
        model=model,
        beats_naive=beats,
        verdict=verdict,
        method=f"{model} forecast with {level:.0%} prediction intervals; rolling-origin "
        "backtest against naive and drift (MASE, interval coverage)",
        assumptions=(
            "the process that produced past years continues over the horizon",
            "forecast errors are roughly normal (interval width)",
            "no structural break is known in advance (policy, crisis, war)",
        ),
        parameters=params,
    )
