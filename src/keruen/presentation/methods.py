"""Method lines in the reader's language: the models' method statements as templates.

A model states its method in English with its parameters filled in (``"Ratha-Shaw allocation
of receipts, … (w_ij = M_ij)"``). Each statement has one template here, a translatable message
with named parameters; :func:`method_text` recognises the English statement by its template,
translates the parameters that are words and fills the translated template.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from keruen.presentation.locale import Locale

Gettext = Callable[[str], str]


def _templates(_: Gettext) -> dict[str, str]:
    """The method templates (English source ↔ message), keyed by a short id."""
    return {
        "forecast": _(
            "{model} forecast (statsforecast) with {level} split-conformal intervals "
            "calibrated on a pooled rolling-origin backtest of World Bank/KNOMAD remittance series "
            "(model and calibration scored forward only)"
        ),
        "allocation": _(
            "Ratha-Shaw allocation of receipts, R_ij = R_i * w_ij / sum w ({weights})"
        ),
        "allocation_ipf": _(
            "Ratha-Shaw weights fitted to receivers' recorded receipts and senders' recorded "
            "payments by biproportional fitting (IPF), R_ij = a_i * b_j * w_ij ({weights})"
        ),
        "systems": _(
            "Louvain maximisation of directed, weighted modularity (networkx), per period"
        ),
        "volumes": _("remittance-implied migrant numbers, N = R / (p * r)"),
        "differencing_returns": _("stock differencing with returns"),
        "differencing": _("stock differencing"),
        "demographic": _("demographic accounting, {model} log-linear model fitted by IPF"),
        "gravity_more": _(
            "Poisson pseudo-maximum likelihood with {effects} fixed effects; "
            "also origin, destination and time effects"
        ),
        "gravity": _("Poisson pseudo-maximum likelihood with {effects} fixed effects"),
    }


def model_label(model: str, _: Gettext) -> str:
    """Translated name of a forecasting model."""
    return {
        "naive": _("naive (last value)"),
        "drift": _("drift (straight line)"),
        "ets": _("damped-trend exponential smoothing"),
        "arima": _("ARIMA(1,1,0) with drift"),
        "ensemble_median": _("median of naive, drift, exponential smoothing and ARIMA"),
        "ensemble_naive_drift": _("mean of naive and drift"),
    }.get(model, model)


def _words(_: Gettext) -> dict[str, str]:
    """Parameters of method statements that are words (translated); formulas stay as written."""
    return {
        "quasi-independence (stayer)": _("quasi-independence (stayer)"),
        "independence": _("independence"),
        "origin-time and destination-time": _("origin-time and destination-time"),
        "origin, destination and time": _("origin, destination and time"),
    }


@cache
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    out = []
    for key, template in _templates(lambda s: s).items():
        pattern = re.escape(template)
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", pattern)
        out.append((key, re.compile(pattern + "$")))
    return out


def method_text(method: str, loc: Locale) -> str:
    """``method`` (a model's English statement) in ``loc``'s language, starting upper-case.

    A level such as "80%" is written in the language's percent form. A statement with no
    template is returned unchanged (the wording test catches it on ru/kk pages).
    """
    _ = loc._
    templates = _templates(_)
    for key, pattern in _patterns():
        found = pattern.match(method.strip())
        if found is None:
            continue
        params = found.groupdict()
        if "model" in params and key == "forecast":
            params["model"] = model_label(params["model"], _)
        if "level" in params:
            level = float(params["level"].rstrip("%"))
            params["level"] = loc.pct(level, 0)
        words = _words(_)
        params = {k: words.get(v, v) for k, v in params.items()}
        text = templates[key].format(**params)
        return text[:1].upper() + text[1:]
    return method
