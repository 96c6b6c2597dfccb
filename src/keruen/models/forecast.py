"""Forecasts of yearly series with calibrated intervals, judged out of sample against naive.

Models (engine: statsforecast; see :mod:`keruen.models.forecast_engines`): ``naive``,
``drift``, ``ets`` (AutoETS), ``arima`` (ARIMA(1,1,0) with drift) and the ensembles
``ensemble_median`` and ``ensemble_naive_drift``.

Which model is the default, and whether a model beats the naive forecast, is decided by a
pooled rolling-origin backtest over every World Bank/KNOMAD remittance series of the snapshot
(:mod:`keruen.models.forecast_backtest`, run by ``benchmarks/bench_forecast.py``, recomputed by
``tests/test_forecast_backtest.py``), scored forward only: at each scored origin the model and
its interval calibration are chosen from errors known at that origin (issue 18, item 5).  Its
results are read from ``keruen/data/forecast_calibration.json``.  The pooled verdict
(``beats_naive``, ``meets_target``: MASE at most 0.95 times naive's) is about the model over
many series; ``series_beats_naive`` is this series' own rolling backtest, which is what a
sentence about *this* series may claim (issue 18, item 7).

Intervals: ``lower``/``upper`` are split-conformal intervals, ``mean ± q_h(level) · scale``,
with ``scale`` the series' mean absolute first difference and ``q_h`` the pooled quantile of
out-of-sample scaled errors of the model at horizon ``h`` (beyond the backtest's longest
horizon ``H``: ``q_H · sqrt(h / H)``).  ``model_lower``/``model_upper`` are the model's own
(uncalibrated, usually too narrow) intervals.  A series with no negative value (remittances,
stocks) gets a non-negative forecast: point forecasts and every bound are truncated at 0
(``max(x, 0)``), which leaves coverage unchanged since such a series' actual values are not
negative either.  Accuracy is the mean absolute scaled error
(MASE; Hyndman & Koehler 2006).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd

from keruen.errors import InputError
from keruen.models.forecast_engines import ALL_MODELS, all_forecasts

ForecastModel = Literal["naive", "drift", "ets", "arima", "ensemble_median", "ensemble_naive_drift"]
MODELS: tuple[str, ...] = ALL_MODELS

#: Longest yearly series accepted: the series' own backtest refits every model at each origin,
#: so time grows with the square of the length (120 years take about 7 s, 2,000 took over
#: 300 s); yearly statistics since 1960 hold fewer than 70 years.
MAX_YEARS = 150


@cache
def calibration() -> dict[str, Any]:
    """The pooled backtest's scores, winner and conformal quantiles (shipped JSON)."""
    text = resources.files("keruen.data").joinpath("forecast_calibration.json").read_text("utf-8")
    return dict(json.loads(text))


#: The shipped backtest's default (``forecast_backtest.default_choice``): the model with the
#: lowest pooled MASE, or naive if it does not beat naive when scored forward only.
DEFAULT_MODEL: str = str(calibration()["winner"])


@dataclass(frozen=True)
class ForecastResult:
    """Point forecasts with intervals, the backtest table and the verdict against naive."""

    forecast: pd.DataFrame
    backtest: pd.DataFrame
    model: str
    beats_naive: bool
    verdict: str
    series_beats_naive: bool
    meets_target: bool
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
    if len(s) > MAX_YEARS:
        name = f"series {series.name!r}" if getattr(series, "name", None) is not None else "series"
        raise InputError(
            f"{name} has {len(s)} years ({s.index[0]}-{s.index[-1]}); forecasts take at most "
            f"MAX_YEARS = {MAX_YEARS} yearly values (use the latest {MAX_YEARS})",
            field="year",
        )
    return vals.astype(float)


def conformal_multiplier(model: str, horizon: int, level: float) -> float:
    """``q_h(level)``: the pooled conformal quantile of scaled errors (see module docstring)."""
    cal = calibration()
    levels = np.asarray(cal["levels"], dtype=float)
    if not levels[0] <= level <= levels[-1]:
        raise InputError(
            f"calibrated intervals exist for levels {levels[0]:.2f}-{levels[-1]:.2f}, not {level}",
            field="level",
        )
    by_h = cal["quantiles"][model]
    h_max = max(int(h) for h in by_h)
    q = float(np.interp(level, levels, np.asarray(by_h[str(min(horizon, h_max))], dtype=float)))
    return q * float(np.sqrt(horizon / h_max)) if horizon > h_max else q


def _scale(y: np.ndarray) -> float:
    return float(np.mean(np.abs(np.diff(y))))


def _predict(
    y: np.ndarray, h: int, level: float, model: str, left_out: dict[str, str] | None = None
) -> pd.DataFrame:
    mean, lo, hi = all_forecasts(y, h, level, (model,), left_out)[model]
    half = np.array([conformal_multiplier(model, k, level) for k in range(1, h + 1)]) * _scale(y)
    out = pd.DataFrame(
        {
            "mean": mean,
            "lower": mean - half,
            "upper": mean + half,
            "model_lower": lo,
            "model_upper": hi,
        }
    )
    return out.clip(lower=0.0) if (np.asarray(y) >= 0).all() else out


def truncation_note(y: np.ndarray) -> str:
    """How the forecast's range was bounded: truncated at 0 when no value of ``y`` is negative."""
    if (np.asarray(y) >= 0).all():
        return "truncated at 0 (no observed value is negative)"
    return "not truncated (the series has negative values)"


def rolling_backtest(
    series: pd.Series,
    model: str,
    *,
    horizon: int = 3,
    level: float = 0.8,
    min_train: int = 10,
    left_out: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Rolling-origin backtest of one series: one row per (origin, step).

    ``covered`` refers to the model's own interval, ``covered_calibrated`` to the conformal one.
    Ensemble members left out at some origin (they could not be fitted) are recorded in
    ``left_out`` (member -> reason) when given.
    """
    s = _validate(series, min_train + 1)
    y, years = s.to_numpy(), s.index.to_numpy()
    rows = []
    for t in range(min_train, len(y)):
        h = min(horizon, len(y) - t)
        train = y[:t]
        scale = _scale(train)
        p = _predict(train, h, level, model, left_out)
        for k in range(h):
            actual = y[t + k]
            rows.append(
                {
                    "origin": int(years[t - 1]),
                    "step": k + 1,
                    "actual": actual,
                    "forecast": p["mean"].iloc[k],
                    "abs_scaled_error": abs(actual - p["mean"].iloc[k]) / scale
                    if scale > 0
                    else np.nan,
                    "covered": bool(p["model_lower"].iloc[k] <= actual <= p["model_upper"].iloc[k]),
                    "covered_calibrated": bool(p["lower"].iloc[k] <= actual <= p["upper"].iloc[k]),
                }
            )
    return pd.DataFrame(rows)


def pooled_scores() -> pd.DataFrame:
    """The shipped pooled backtest: MASE, own-interval coverage and counts per model."""
    return pd.DataFrame(calibration()["scores"]).T.rename_axis("model")


def forward_scores(model: str) -> pd.DataFrame:
    """The shipped forward-only scores of ``model`` held fixed, per horizon and ``all``:
    ``mase``, ``naive_mase`` (on the same forecasts), ``mase_vs_naive``, ``coverage``, ``n``."""
    by_model = calibration()["forward_only"]["by_model"][model]
    return pd.DataFrame(by_model).T.rename_axis("horizon")


def forecast_verdict(
    model: str, ratio: float, target: float, n: int, own: float, own_naive: float
) -> str:
    """The verdict against naive: pooled forward-only MASE ratio, then this series' backtest."""
    here = (
        f"on this series' own backtest MASE {own:.2f} vs naive {own_naive:.2f}: "
        + ("beats naive here" if own < own_naive else "does NOT beat naive here")
    )
    if model == "naive":
        return f"the naive baseline itself (on this series' own backtest MASE {own:.2f})"
    pooled = f"pooled forward-only MASE {ratio:.3f} x naive's over {n} forecasts"
    if ratio >= 1.0:
        return f"{model} does NOT beat the naive baseline out of sample ({pooled}; {here}); " \
            "prefer the naive forecast"
    gain = "by the target" if ratio <= target else f"but not by the target ({target:.2f} x naive)"
    return f"{model} beats the naive baseline out of sample {gain} ({pooled}; {here})"


def forecast_series(
    series: pd.Series,
    *,
    model: ForecastModel | None = None,
    horizon: int = 5,
    level: float = 0.8,
    backtest_horizon: int = 3,
    min_train: int = 10,
) -> ForecastResult:
    """Forecast ``series`` (indexed by year) with calibrated intervals.

    ``model=None`` uses :data:`DEFAULT_MODEL`, the pooled backtest's default.  Returns the
    forecast table (``year, mean, lower, upper, model_lower, model_upper``), this series' own
    rolling backtest per model (``mase``, ``coverage`` of the calibrated and ``model_coverage``
    of the model's intervals, ``n``); ``beats_naive`` and ``meets_target`` judged on the pooled
    forward-only backtest across many series, ``series_beats_naive`` on this series' own.
    """
    model = model or DEFAULT_MODEL  # type: ignore[assignment]
    if model not in MODELS:
        raise InputError(f"unknown model {model!r}; use one of {MODELS}", field="model")
    if not 0 < level < 1 or horizon < 1:
        raise InputError("level must lie in (0, 1) and horizon be at least 1", field="level")
    s = _validate(series, min_train + 2)
    left_out: dict[str, str] = {}
    p = _predict(s.to_numpy(), horizon, level, str(model), left_out)
    last = int(s.index[-1])
    fc = pd.concat([pd.DataFrame({"year": np.arange(last + 1, last + horizon + 1)}), p], axis=1)
    summary = []
    left_out_bt: dict[str, str] = {}
    for name in dict.fromkeys(["naive", "drift", str(model)]):
        bt = rolling_backtest(
            s, name, horizon=backtest_horizon, level=level, min_train=min_train,
            left_out=left_out_bt,
        )
        summary.append(
            {
                "model": name,
                "mase": float(bt["abs_scaled_error"].mean()),
                "coverage": float(bt["covered_calibrated"].mean()),
                "model_coverage": float(bt["covered"].mean()),
                "n": len(bt),
            }
        )
    table = pd.DataFrame(summary).set_index("model")
    fw = calibration()["forward_only"]
    pooled = forward_scores(str(model)).loc["all"]
    p_mase, p_naive = float(pooled["mase"]), float(pooled["naive_mase"])
    ratio, target = float(pooled["mase_vs_naive"]), float(fw["target_ratio"])
    beats, meets = bool(ratio < 1.0), bool(ratio <= target)
    own_m, own_n = float(table.loc[model, "mase"]), float(table.loc["naive", "mase"])
    here = bool(own_m < own_n)
    verdict = forecast_verdict(str(model), ratio, target, int(pooled["n"]), own_m, own_n)
    params: dict[str, object] = {
        "model": model,
        "horizon": horizon,
        "level": level,
        "backtest_horizon": backtest_horizon,
        "min_train": min_train,
        "default_model": DEFAULT_MODEL,
        "pooled_mase": p_mase,
        "pooled_naive_mase": p_naive,
        "pooled_mase_vs_naive": ratio,
        "target_ratio": target,
        "series_mase": own_m,
        "series_naive_mase": own_n,
        "interval_multipliers": [
            conformal_multiplier(str(model), k, level) for k in range(1, horizon + 1)
        ],
        "engine": "statsforecast",
        "truncation": truncation_note(s.to_numpy()),
        # ensemble members that could not be fitted on this series (member -> reason): the
        # ensemble is the combination of the others
        "left_out": left_out,
        "left_out_in_backtest": left_out_bt,
    }
    if model == "drift":
        y = s.to_numpy()
        params["drift"] = float((y[-1] - y[0]) / (len(y) - 1))
    return ForecastResult(
        forecast=fc,
        backtest=table,
        model=str(model),
        beats_naive=beats,
        verdict=verdict,
        series_beats_naive=here,
        meets_target=meets,
        method=f"{model} forecast (statsforecast) with {level:.0%} split-conformal intervals "
        "calibrated on a pooled rolling-origin backtest of World Bank/KNOMAD remittance series "
        "(model and calibration scored forward only)",
        assumptions=(
            "the process that produced past years continues over the horizon",
            "this series' scaled errors behave like those pooled over remittance series "
            "(interval width)",
            "no structural break is known in advance (policy, crisis, war)",
        ),
        parameters=params,
    )
