"""Point forecasts and model-stated intervals of yearly series, by statsforecast.

Each model maps a training array ``y`` (consecutive years) to ``(mean, lower, upper)`` arrays of
length ``h``.  Single models (Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*,
3rd ed.): ``naive`` (random walk), ``drift`` (random walk with drift), ``ets`` (automatically
selected exponential smoothing, ``AutoETS``, damped trends allowed) and ``arima``
(ARIMA(1,1,0) with drift).  Ensembles combine the point forecasts of the singles
(Makridakis, Spiliotis & Assimakopoulos 2020, the M4 lesson that combinations win):
``ensemble_median`` (median of the four) and ``ensemble_naive_drift`` (mean of naive and
drift, i.e. half the historical drift).  Ensemble bounds are the median (or mean) of the
members' bounds; they are not calibrated by themselves (see :mod:`keruen.models.forecast`).

Candidates, tried by the backtest and not shipped (:data:`CANDIDATE_MODELS`): ``theta`` (the
standard Theta method, Assimakopoulos & Nikolopoulos 2000: simple exponential smoothing plus
half the linear trend), ``ets_damped`` (Holt's additive damped trend, ETS(A,Ad,N), Gardner &
McKenzie 1985); ``log_drift``, ``log_theta`` and ``log_ets_damped`` fit those models to
``log y`` (remittances are positive and grow multiplicatively) and return ``exp`` of the
forecast and of its bounds, and cannot be fitted to a series with a value at or below 0;
``ensemble_theta`` (median of naive, drift and theta) and ``ensemble_log`` (median of naive,
log_drift and log_theta).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from keruen.errors import EstimationError, ModelFitError

SINGLE_MODELS: tuple[str, ...] = ("naive", "drift", "ets", "arima")
#: models fitted to ``log y`` (by the model named after the prefix), back-transformed by ``exp``
LOG_PREFIX = "log_"
#: candidates tried by ``benchmarks/bench_forecast.py --candidates`` and not shipped: none beat
#: ``ensemble_naive_drift`` forward only (docs/models.md), so none has a calibration
CANDIDATE_SINGLES: tuple[str, ...] = (
    "theta", "ets_damped", "log_drift", "log_theta", "log_ets_damped"
)
ENSEMBLES: dict[str, tuple[tuple[str, ...], Callable[..., np.ndarray]]] = {
    "ensemble_median": (SINGLE_MODELS, np.median),
    "ensemble_naive_drift": (("naive", "drift"), np.mean),
    "ensemble_theta": (("naive", "drift", "theta"), np.median),
    "ensemble_log": (("naive", "log_drift", "log_theta"), np.median),
}
#: the shipped models (calibrated in ``keruen/data/forecast_calibration.json``)
ALL_MODELS: tuple[str, ...] = (*SINGLE_MODELS, "ensemble_median", "ensemble_naive_drift")
CANDIDATE_MODELS: tuple[str, ...] = (*CANDIDATE_SINGLES, "ensemble_theta", "ensemble_log")

Forecast = tuple[np.ndarray, np.ndarray, np.ndarray]


def _statsforecast_model(name: str) -> object:
    from statsforecast.models import ARIMA, AutoETS, Naive, RandomWalkWithDrift, Theta

    if name == "naive":
        return Naive()
    if name == "drift":
        return RandomWalkWithDrift()
    if name == "ets":
        return AutoETS(season_length=1)
    if name == "arima":
        return ARIMA(order=(1, 1, 0), include_drift=True)
    if name == "theta":
        return Theta(season_length=1)
    if name == "ets_damped":
        return AutoETS(season_length=1, model="AAN", damped=True)
    raise EstimationError(f"no statsforecast model for {name!r}")


def single_forecast(y: np.ndarray, h: int, level: float, name: str) -> Forecast:
    """Forecast ``h`` steps of ``y`` with one statsforecast model and its own interval."""
    pct: float = round(100 * level, 6)
    if pct == int(pct):
        pct = int(pct)
    tag = str(pct)
    y = np.asarray(y, dtype=float)
    log = name.startswith(LOG_PREFIX)
    if log:
        if not (y > 0).all():
            raise ModelFitError(name, "log scale needs every value above 0")
        y = np.log(y)
    model = _statsforecast_model(name.removeprefix(LOG_PREFIX) if log else name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = model.forecast(y=y, h=h, level=[pct])  # type: ignore[attr-defined]
        except Exception as exc:  # statsforecast raises bare errors on tiny or flat series
            raise ModelFitError(name, str(exc)) from None
    mean = np.asarray(out["mean"], dtype=float)
    lo = np.asarray(out[f"lo-{tag}"], dtype=float)
    hi = np.asarray(out[f"hi-{tag}"], dtype=float)
    if log:
        with np.errstate(over="ignore"):
            mean, lo, hi = np.exp(mean), np.exp(lo), np.exp(hi)
    if not (np.isfinite(mean).all() and np.isfinite(lo).all() and np.isfinite(hi).all()):
        raise ModelFitError(name, "non-finite forecasts")
    return mean, lo, hi


def all_forecasts(
    y: np.ndarray,
    h: int,
    level: float,
    names: tuple[str, ...],
    left_out: dict[str, str] | None = None,
) -> dict[str, Forecast]:
    """Forecasts of every model in ``names`` (ensembles from their members, each fitted once).

    An ensemble member that cannot be fitted is left out of the ensemble, and the reason is
    recorded in ``left_out`` (member -> reason) when given; a requested single model, or an
    ensemble none of whose members can be fitted, raises :class:`EstimationError`.
    """
    need: list[str] = []
    for n in names:
        need.extend(ENSEMBLES[n][0] if n in ENSEMBLES else (n,))
    singles: dict[str, Forecast] = {}
    failed: dict[str, str] = {}
    errors: dict[str, EstimationError] = {}
    for n in dict.fromkeys(need):
        try:
            singles[n] = single_forecast(y, h, level, n)
        except EstimationError as exc:
            failed[n], errors[n] = str(exc), exc
    out: dict[str, Forecast] = {}
    for n in names:
        if n not in ENSEMBLES:
            if n in errors:
                raise errors[n]
            out[n] = singles[n]
            continue
        members, how = ENSEMBLES[n]
        fitted = [m for m in members if m in singles]
        if not fitted:
            raise ModelFitError(
                n, f"no member could be fitted ({'; '.join(failed[m] for m in members)})"
            )
        if left_out is not None:
            left_out.update({m: failed[m] for m in members if m in failed})
        stacked = [np.vstack([singles[m][i] for m in fitted]) for i in range(3)]
        mean, lo, hi = (how(s, axis=0) for s in stacked)
        out[n] = (mean, np.minimum(lo, mean), np.maximum(hi, mean))
    return out
