"""Pooled rolling-origin backtest over many series, model choice and conformal calibration.

For every series and forecast origin ``t`` (a year), each model is fitted on the trailing run of
consecutive years up to ``t`` and forecasts ``t + 1 … t + H``; the absolute error is scaled by
the training window's mean absolute first difference (MASE, Hyndman & Koehler 2006).  The
pooled MASE is the mean scaled error over every forecast of every series; the model with the
lowest pooled MASE is the default of :mod:`keruen.models.forecast`.

Intervals are calibrated by split conformal prediction (Vovk et al. 2005; Angelopoulos & Bates
2023) on the scaled absolute errors, per model and horizon: the calibrated half-width at level
``L`` is ``q_h(L) * scale`` with ``q_h(L)`` the ``ceil((n + 1) L) / n`` empirical quantile of the
``n`` pooled scaled errors at horizon ``h``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from keruen.errors import EstimationError
from keruen.models.forecast_engines import ALL_MODELS, all_forecasts

#: levels at which calibrated quantiles are stored (others are interpolated)
LEVELS: tuple[float, ...] = tuple(round(x, 2) for x in np.arange(0.50, 0.991, 0.01))


def training_window(series: pd.Series, origin: int) -> pd.Series:
    """The trailing run of consecutive years of ``series`` ending at or before ``origin``."""
    s = series[series.index <= origin].dropna()
    years = s.index.to_numpy()
    breaks = np.flatnonzero(np.diff(years) != 1)
    return s.iloc[breaks[-1] + 1 :] if len(breaks) else s


def pooled_backtest(
    series: Mapping[str, pd.Series],
    *,
    origins: Sequence[int] = (2015, 2017, 2019),
    horizons: Sequence[int] = (1, 2, 3),
    models: Sequence[str] = ALL_MODELS,
    level: float = 0.8,
    min_train: int = 8,
) -> pd.DataFrame:
    """One row per (series, origin, horizon, model): forecast, actual, scaled error, coverage.

    ``series`` maps an id to a year-indexed series.  An origin is skipped for a series whose
    training run is shorter than ``min_train`` or flat; a model that cannot be fitted is
    replaced by the naive forecast for that origin and flagged in ``fallback``.
    """
    rows: list[dict[str, object]] = []
    h_max = max(horizons)
    for sid, s in series.items():
        s = s.sort_index()
        for origin in origins:
            train = training_window(s, origin)
            if len(train) < min_train:
                continue
            y = train.to_numpy(dtype=float)
            scale = float(np.mean(np.abs(np.diff(y))))
            if scale <= 0:
                continue
            steps = [h for h in horizons if origin + h in s.index and pd.notna(s[origin + h])]
            if not steps:
                continue
            fallback = False
            try:
                fc = all_forecasts(y, h_max, level, tuple(models))
            except EstimationError:
                fallback = True
                fc = {m: all_forecasts(y, h_max, level, ("naive",))["naive"] for m in models}
            for m, (mean, lo, hi) in fc.items():
                for h in steps:
                    actual = float(s[origin + h])
                    rows.append(
                        {
                            "series": sid,
                            "origin": origin,
                            "horizon": h,
                            "model": m,
                            "actual": actual,
                            "forecast": float(mean[h - 1]),
                            "lower": float(lo[h - 1]),
                            "upper": float(hi[h - 1]),
                            "scale": scale,
                            "scaled_error": abs(actual - mean[h - 1]) / scale,
                            "covered": bool(lo[h - 1] <= actual <= hi[h - 1]),
                            "fallback": fallback,
                        }
                    )
    return pd.DataFrame(rows)


def summarise(backtest: pd.DataFrame) -> pd.DataFrame:
    """Pooled MASE, coverage of the models' own intervals and counts, best model first."""
    g = backtest.groupby("model")
    table = pd.DataFrame(
        {
            "mase": g["scaled_error"].mean(),
            "coverage": g["covered"].mean(),
            "n": g.size(),
            "series": g["series"].nunique(),
        }
    )
    return table.sort_values(["mase", "n"]).rename_axis("model")


def winner(backtest: pd.DataFrame) -> str:
    """The model with the lowest pooled out-of-sample MASE."""
    return str(summarise(backtest).index[0])


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """Split-conformal quantile: the ``ceil((n + 1) level)``-th smallest score (inf if n small)."""
    s = np.sort(np.asarray(scores, dtype=float))
    k = math.ceil((len(s) + 1) * level)
    return float(s[k - 1]) if 0 < k <= len(s) else math.inf


def calibrate(
    backtest: pd.DataFrame, levels: Sequence[float] = LEVELS
) -> dict[str, dict[int, list[float]]]:
    """Per model and horizon, the conformal quantiles of scaled errors at each of ``levels``."""
    out: dict[str, dict[int, list[float]]] = {}
    for (model, h), grp in backtest.groupby(["model", "horizon"]):
        scores = grp["scaled_error"].to_numpy()
        out.setdefault(str(model), {})[int(h)] = [conformal_quantile(scores, lv) for lv in levels]
    return out


def calibrated_coverage(
    backtest: pd.DataFrame, quantiles: Mapping[str, Mapping[int, Sequence[float]]], level: float
) -> pd.Series:
    """Share of actuals within ``forecast ± q_h(level) · scale``, per model."""
    i = LEVELS.index(round(level, 2))
    q = backtest.apply(lambda r: quantiles[r["model"]][int(r["horizon"])][i], axis=1)
    inside = (backtest["actual"] - backtest["forecast"]).abs() <= q * backtest["scale"]
    return inside.groupby(backtest["model"]).mean()


def held_out_coverage(backtest: pd.DataFrame, level: float = 0.8) -> pd.DataFrame:
    """Coverage at each origin of intervals calibrated on the other origins only.

    Rows: origin × model; columns ``raw`` (the model's own interval) and ``calibrated``.
    """
    rows = []
    for origin in sorted(backtest["origin"].unique()):
        test = backtest[backtest["origin"] == origin]
        q = calibrate(backtest[backtest["origin"] != origin])
        cal = calibrated_coverage(test, q, level)
        raw = test.groupby("model")["covered"].mean()
        for m in cal.index:
            rows.append({"origin": int(origin), "model": m, "raw": raw[m], "calibrated": cal[m]})
    return pd.DataFrame(rows)


def series_from_observations(frame: pd.DataFrame, min_years: int = 15) -> dict[str, pd.Series]:
    """Year-indexed series per ``measure:ref_area`` of a store query, economies only.

    Keeps series with at least ``min_years`` non-missing values; World Bank aggregates
    (regions, income groups, the world) are left out.
    """
    from keruen.areas import is_aggregate, is_known

    out: dict[str, pd.Series] = {}
    frame = frame.dropna(subset=["value"])
    for (measure, area), grp in frame.groupby(["measure", "ref_area"], sort=True):
        if not is_known(str(area)) or is_aggregate(str(area)):
            continue
        if len(grp) >= min_years:
            s = pd.Series(
                grp["value"].to_numpy(dtype=float), index=grp["period"].astype(int).to_numpy()
            )
            out[f"{measure}:{area}"] = s.sort_index()
    return out
