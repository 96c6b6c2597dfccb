"""Forecasts of a country's remittances received and paid, with backtest scores."""

from __future__ import annotations

import numpy as np
import pandas as pd

from keruen.analysis.provenance import merge_sources, source_line
from keruen.analysis.releases import held_series, releases_used
from keruen.analysis.scope import Scope, country_name
from keruen.analysis.section import Section, not_held
from keruen.errors import EstimationError, InputError, ModelFitError
from keruen.models.forecast import DEFAULT_MODEL, ForecastModel, forecast_series
from keruen.store import Store
from keruen.store.estimates import Estimate, inputs_of

FORECAST_FIRST_YEAR = 2000
#: The headline model: the winner of the pooled out-of-sample backtest (the models' default).
FORECAST_MODELS: tuple[ForecastModel, ...] = (DEFAULT_MODEL,)  # type: ignore[assignment]
FORECAST_LEVEL = 0.8
FORECAST_HORIZON = 5

FORECAST_MIN_YEARS = 12


def forecasts(store: Store, scope: Scope) -> Section:
    """Forecasts of the country's remittances received and paid, with backtest scores.

    A series is forecast when at least ``FORECAST_MIN_YEARS`` reported years (zeros standing
    for "not reported" left out) are held from ``FORECAST_FIRST_YEAR``; the section is not
    held when neither series is.  A series the model cannot be fitted on is named with the
    reason in ``values["not_estimated"]`` (concept -> reason) instead of failing the section;
    ``values["not_estimated_reasons"]`` holds the same as ``{"model", "detail"}`` (the fitting
    library's own message) so that the report can translate the sentence around them. The
    series are read through the trend's release choice (:func:`keruen.analysis.releases.
    held_series`); ``values["releases"]`` names, per concept forecast, the release (years) read.
    """
    country = scope.country
    series, backtests, verdicts, used, est_rows = [], [], {}, [], []
    params: dict[str, object] = {}
    skipped: list[str] = []
    not_estimated: dict[str, str] = {}
    reasons: dict[str, dict[str, str]] = {}
    method: str = ""
    assumptions: tuple[str, ...] = ()
    for concept in ("remittances_received", "remittances_paid"):
        s = held_series(store, concept, [country], scope.first_year)[0]
        s = s[s["period"].astype(int) >= FORECAST_FIRST_YEAR]
        y = s.set_index(s["period"].astype(int))["value"].sort_index()
        if len(y) < FORECAST_MIN_YEARS:
            skipped.append(concept)
            continue
        try:
            results = {
                model: forecast_series(
                    y, model=model, horizon=FORECAST_HORIZON, level=FORECAST_LEVEL
                )
                for model in FORECAST_MODELS
            }
        except InputError:  # e.g. a gap inside the series
            skipped.append(concept)
            continue
        except EstimationError as exc:  # the model cannot be fitted on this series: say why
            not_estimated[concept] = str(exc)
            # the model and the library's own message apart, for a translated sentence
            reasons[concept] = {
                "model": exc.model if isinstance(exc, ModelFitError) else "",
                "detail": exc.detail if isinstance(exc, ModelFitError) else str(exc),
            }
            continue
        used.append(s.assign(concept=concept))
        series.append(pd.DataFrame({"concept": concept, "year": y.index, "value": y.to_numpy()}))
        for model, res in results.items():
            fc = res.forecast.assign(concept=concept, model=model)
            series.append(fc.rename(columns={"mean": "value"}))
            bt = res.backtest.reset_index().assign(concept=concept, fitted=model)
            backtests.append(bt)
            # "beats naive" about this series follows this series' own backtest (issue 18,
            # item 7); the pooled forward-only verdict is kept beside it
            verdicts[f"{concept}:{model}"] = {
                "beats_naive": res.series_beats_naive,
                "mase": float(res.backtest.loc[model, "mase"]),
                "naive_mase": float(res.backtest.loc["naive", "mase"]),
                "pooled_beats_naive": res.beats_naive,
                "meets_target": res.meets_target,
                "pooled_mase": _float(res.parameters["pooled_mase"]),
                "pooled_naive_mase": _float(res.parameters["pooled_naive_mase"]),
                "pooled_ratio": _float(res.parameters["pooled_mase_vs_naive"]),
                "target_ratio": _float(res.parameters["target_ratio"]),
                "last_year": int(y.index[-1]),
            }
            params[f"{concept}:{model}"] = dict(res.parameters)
            for r in res.forecast.itertuples():
                for bound, v in (("mean", r.mean), ("lower", r.lower), ("upper", r.upper)):
                    est_rows.append(
                        {
                            "measure": f"{concept}_forecast",
                            "ref_area": country,
                            "breakdown": f"model={model},bound={bound}",
                            "period": str(r.year),
                            "value": float(v),
                            "unit": "current USD",
                        }
                    )
            method, assumptions = res.method, res.assumptions
    if not series:
        section = not_held("forecasts", country, *skipped, *not_estimated)
        section.values["not_estimated"] = not_estimated
        section.values["not_estimated_reasons"] = reasons
        return section
    scores = (
        pd.concat(backtests, ignore_index=True)
        .drop_duplicates(["concept", "model"])
        .drop(columns=["fitted"])
    )
    values = {
        "country": country,
        "not_forecast": skipped,
        "not_estimated": not_estimated,
        "not_estimated_reasons": reasons,
        "method": method,
        "assumptions": assumptions,
        "model": FORECAST_MODELS[0],
        "level": FORECAST_LEVEL,
        "horizon": FORECAST_HORIZON,
        "first_year": FORECAST_FIRST_YEAR,
        "releases": {str(u["concept"].iloc[0]): releases_used(u) for u in used},
        "verdicts": verdicts,
        "estimates": [
            Estimate(
                model="forecast",
                rows=pd.DataFrame(est_rows),
                method=method,
                assumptions=assumptions,
                parameters=params,
                inputs=inputs_of(pd.concat(used, ignore_index=True)),
                title=f"Forecasts of {country_name(country)}'s remittances received and paid",
            )
        ],
    }
    tables = {"series": pd.concat(series, ignore_index=True), "scores": scores}
    return Section("forecasts", tables, values, merge_sources(*(source_line(u) for u in used)))


def _float(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) else np.nan


#: The regional network of a post-Soviet country (the paper's setting); any other country's
#: regional network is its peer group.
