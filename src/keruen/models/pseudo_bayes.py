"""Pseudo-Bayes closed demographic accounting (Azose & Raftery 2019), beside the minimum one.

Closed demographic accounting (:func:`keruen.models.flows_from_stocks.demographic_accounting`)
fits, per birthplace ``b``, an origin × destination transition table ``x`` whose row sums are
the start stocks (net of deaths) and column sums the end stocks (net of births). With the
stayer (quasi-independence) model it holds the most stayers the stocks allow, hence the
fewest migrants consistent with the stock change: every return or onward move that the net
stock change hides is left out. Azose & Raftery (2019, PNAS 116(1):116–122) relax that by a
pseudo-Bayes estimator (Bishop, Fienberg & Holland 1975, ch. 12) that smooths the minimum
table toward a simpler one with fewer structural zeros: the independence-model fit ``m`` of
the same margins (migest's ``ffs_demo(stayer_assumption = FALSE)``, documented there as "the
independent model as used as part of Azose and Raftery (2019)")::

    x̂ = N / (N + K) · x + K / (N + K) · m,        N = Σ x = Σ m

Bishop, Fienberg & Holland's choice of the shrinkage constant (the one that minimises the
expected squared error of the cell proportions) is ``K = (N² − Σ x²) / Σ (x − m)²``.

Both tables meet the same margins, so any convex combination of them meets them too: the
estimate closes without a further fit. Abel & Cohen (2019, Scientific Data 6:82) publish it as
``da_pb_closed``; their replication script weights the two tables with a fixed
``1 − w = 0.87`` (minimum) and ``w = 0.13`` (independence), keruen's default
(:data:`ABEL_COHEN_PRIOR_WEIGHT`). The data-driven ``K`` of the formula above
is offered as ``prior_weight="bfh"``, per birthplace. How Azose & Raftery themselves computed
``K`` (over which table, with which ``N``) could not be read from an accessible source; see
docs/models.md.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from keruen.errors import EstimationError, InputError
from keruen.models.flows_from_stocks import (
    FlowsFromStocksResult,
    PobTotMethod,
    demographic_accounting,
)

#: Weight on the independence table in Abel & Cohen's (2019) ``da_pb_closed`` estimates.
ABEL_COHEN_PRIOR_WEIGHT = 0.13
#: :func:`pseudo_bayes_accounting`'s weight on independence: a number in [0, 1] or ``"bfh"``.
PriorWeight = float | Literal["bfh"]


def shrinkage_constant(data: np.ndarray, prior: np.ndarray) -> float:
    """Bishop, Fienberg & Holland's (1975, §12.2) ``K = (N² − Σ x²) / Σ (x − N·λ)²``.

    ``data`` are counts ``x`` summing to ``N``; ``prior`` is a table whose proportions are
    ``λ`` (it is rescaled to ``N``). Returns ``inf`` when the data equal the prior (any ``K``
    gives the same estimate) and ``0`` when all of ``N`` sits in one cell.
    """
    x = np.asarray(data, dtype=float)
    lam = np.asarray(prior, dtype=float)
    if x.shape != lam.shape:
        raise EstimationError(f"pseudo-Bayes: data {x.shape} and prior {lam.shape} differ")
    if (x < 0).any() or (lam < 0).any():
        raise EstimationError("pseudo-Bayes: negative cells in the data or the prior")
    n, total = float(x.sum()), float(lam.sum())
    if n <= 0 or total <= 0:
        return 0.0
    expected = lam * (n / total)
    spread = float(((x - expected) ** 2).sum())
    if spread <= 1e-12 * n * n:
        return float("inf")
    return max(n * n - float((x * x).sum()), 0.0) / spread


def pseudo_bayes_table(data: np.ndarray, prior: np.ndarray, k: float) -> np.ndarray:
    """``N/(N+K) · x + K/(N+K) · N·λ`` (the prior rescaled to the data's total ``N``)."""
    x = np.asarray(data, dtype=float)
    lam = np.asarray(prior, dtype=float)
    n, total = float(x.sum()), float(lam.sum())
    if k < 0 or np.isnan(k):
        raise EstimationError(f"pseudo-Bayes: the shrinkage constant must be >= 0, got {k}")
    if n <= 0 or total <= 0:
        return x.copy()
    w = 1.0 if np.isinf(k) else k / (n + k)
    return (1.0 - w) * x + w * lam * (n / total)


def pseudo_bayes_accounting(
    stock_start: pd.DataFrame,
    stock_end: pd.DataFrame,
    births: pd.Series | None = None,
    deaths: pd.Series | None = None,
    *,
    prior_weight: PriorWeight = ABEL_COHEN_PRIOR_WEIGHT,
    birthplace_totals: PobTotMethod = "rescale",
) -> FlowsFromStocksResult:
    """Pseudo-Bayes closed accounting: the minimum table shrunk toward independence.

    The method and its sources: the module docstring. Both tables come from
    :func:`~keruen.models.flows_from_stocks.demographic_accounting` on the same inputs
    (``stayers=True`` and ``False``). ``prior_weight`` is the weight ``w = K/(N+K)`` on the
    independence table, the same for every birthplace (default
    :data:`ABEL_COHEN_PRIOR_WEIGHT`), or ``"bfh"``: ``K`` from
    :func:`shrinkage_constant` per birthplace. ``w = 0`` gives the
    minimum table back.
    """
    if isinstance(prior_weight, str):
        if prior_weight != "bfh":
            raise InputError(
                f"prior_weight must be a number in [0, 1] or 'bfh', got {prior_weight!r}",
                field="prior_weight",
            )
    elif not 0.0 <= float(prior_weight) <= 1.0:
        raise InputError(
            f"prior_weight must lie in [0, 1], got {prior_weight}", field="prior_weight"
        )
    minimum = demographic_accounting(
        stock_start, stock_end, births, deaths, stayers=True, birthplace_totals=birthplace_totals
    )
    indep = demographic_accounting(
        stock_start, stock_end, births, deaths, stayers=False, birthplace_totals=birthplace_totals
    )
    x, m = minimum.flows, indep.flows
    n_b = x.sum(axis=(0, 1))
    if prior_weight == "bfh":
        ks = np.array([shrinkage_constant(x[:, :, b], m[:, :, b]) for b in range(x.shape[2])])
        w = np.where(np.isinf(ks), 1.0, ks / np.where(n_b + ks > 0, n_b + ks, 1.0))
        fitted = np.stack(
            [pseudo_bayes_table(x[:, :, b], m[:, :, b], k) for b, k in enumerate(ks)], axis=2
        )
    else:  # one weight: the same combination, without a round trip through K
        weight = float(prior_weight)
        w = np.full(x.shape[2], weight)
        ks = np.divide(w * n_b, 1.0 - w, out=np.full_like(n_b, np.inf), where=w < 1.0)
        fitted = (1.0 - weight) * x + weight * m
    od = fitted.sum(axis=2)
    moved = float(od.sum() - np.trace(od))
    moved_min = float(x.sum() - np.trace(x.sum(axis=2)))
    weight_text = (
        "K per birthplace by Bishop, Fienberg & Holland's rule"
        if prior_weight == "bfh"
        else f"weight {float(prior_weight):g} on the independence table"
        + (" as Abel & Cohen (2019)" if float(prior_weight) == ABEL_COHEN_PRIOR_WEIGHT else "")
    )
    return FlowsFromStocksResult(
        regions=minimum.regions,
        flows=fitted,
        method="pseudo-Bayes closed demographic accounting (Azose & Raftery 2019): minimum "
        f"(stayer) table shrunk toward the independence table, {weight_text}",
        assumptions=(
            *minimum.assumptions[:4],
            "the minimum-migration table understates moves (returns and onward moves within "
            "the period); the truth lies between it and the independence table",
        ),
        parameters={
            **{k: v for k, v in minimum.parameters.items() if k not in {"stayers", "reference"}},
            "prior_weight": prior_weight,
            "prior_weight_mean": float(np.average(w, weights=n_b)) if n_b.sum() > 0 else 0.0,
            "prior_weight_range": (float(w.min()), float(w.max())),
            "shrinkage_k_median": float(np.median(ks)),
            "migrants_minimum": moved_min,
            "migrants": moved,
            "iterations_independence": indep.iterations,
            "reference": "Azose & Raftery (2019); Bishop, Fienberg & Holland (1975, ch. 12); "
            "Abel & Cohen (2019) da_pb_closed",
        },
        iterations=minimum.iterations,
    )
