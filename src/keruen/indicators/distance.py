"""Distance travelled by migrants (Bell et al. 2002, §7): mean, median and distance decay.

``d`` is a square matrix of distances aligned with the flow matrix; only the ``n(n−1)`` pairs of
distinct regions are used, and each needs a positive, finite distance.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike

from keruen.errors import EstimationError, InputError
from keruen.indicators.flows import FloatArray, as_flow_matrix


def as_distance_matrix(d: ArrayLike, n: int, *, source: str | None = None) -> FloatArray:
    """Validate an ``n × n`` matrix of positive finite distances off the diagonal."""
    try:
        arr = np.array(d, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("distances are not all numbers", file=source, field="dist") from None
    if arr.shape != (n, n):
        raise InputError(
            f"distance matrix must be {n} x {n}, got shape {arr.shape}", file=source, field="dist"
        )
    off = ~np.eye(n, dtype=bool)
    bad = off & ~(np.isfinite(arr) & (arr > 0))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputError(
            f"distance must be a positive number (column {j + 1}), got {arr[i, j]:g}",
            file=source,
            row=int(i) + 1,
            field="dist",
        )
    arr[~off] = 0.0
    return arr


def _pairs(m: ArrayLike, d: ArrayLike) -> tuple[FloatArray, FloatArray]:
    a = as_flow_matrix(m)
    dist = as_distance_matrix(d, a.shape[0])
    off = ~np.eye(a.shape[0], dtype=bool)
    return a[off], dist[off]


def mean_distance(m: ArrayLike, d: ArrayLike) -> float:
    """Flow-weighted mean migration distance, Bell et al. (2002) Table 6: ``Σ M_ij d_ij / M``."""
    flows, dist = _pairs(m, d)
    total = float(flows.sum())
    return float((flows * dist).sum()) / total if total > 0 else float("nan")


def median_distance(m: ArrayLike, d: ArrayLike) -> float:
    """Median distance moved by a migrant, Bell et al. (2002): the flow-weighted median.

    The smallest distance at which the cumulative flow reaches half of all migrants; if it is
    reached exactly, the mean of that distance and the next one. For integer flows this is the
    ordinary median of one distance per migrant. Deliberately differs from migest, which uses
    ``matrixStats::weightedMedian``'s interpolation between neighbouring distances, a value no
    migrant need have moved.
    """
    flows, dist = _pairs(m, d)
    keep = flows > 0
    if not keep.any():
        return float("nan")
    order = np.argsort(dist[keep], kind="stable")
    x, w = dist[keep][order], flows[keep][order]
    cum = np.cumsum(w)
    half = cum[-1] / 2.0
    k = int(np.searchsorted(cum, half, side="left"))
    if np.isclose(cum[k], half, rtol=1e-12, atol=0.0) and k + 1 < len(x):
        return float((x[k] + x[k + 1]) / 2.0)
    return float(x[k])


def distance_decay(m: ArrayLike, d: ArrayLike) -> float:
    """Distance-decay coefficient ``β`` of the Poisson model ``flow ~ orig + dest + log(dist)``.

    Fitted with statsmodels' GLM (Poisson family, log link) on the ``n(n−1)`` flows between
    distinct regions, as migest's ``index_distance``; usually negative. Flows are used as given
    (migest rounds them; identical for integer flows). Raises :class:`EstimationError` when the
    model cannot be fitted.
    """
    import statsmodels.api as sm

    a = as_flow_matrix(m)
    n = a.shape[0]
    if n < 3:
        raise EstimationError("distance decay needs at least 3 regions")
    dist = as_distance_matrix(d, n)
    off = ~np.eye(n, dtype=bool)
    y = a[off]
    if y.sum() <= 0:
        raise EstimationError("no flows to fit")
    log_d = np.log(dist[off])
    if not _identified(np.where(off, np.log(np.where(off, dist, 1.0)), 0.0)):
        raise EstimationError(
            "log(distance) is collinear with the origin and destination effects "
            "(e.g. 3 regions with symmetric distances): the decay is not identified"
        )
    ii, jj = np.nonzero(off)
    k = y.size
    x = np.zeros((k, 2 * n), dtype=np.float64)
    x[:, 0] = 1.0
    rows = np.arange(k)
    # Treatment coding: the first region is the reference origin and destination.
    x[rows[ii > 0], ii[ii > 0]] = 1.0
    x[rows[jj > 0], n - 1 + jj[jj > 0]] = 1.0
    x[:, -1] = log_d
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = sm.GLM(y, x, family=sm.families.Poisson()).fit()
        except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
            raise EstimationError(f"distance-decay model failed: {exc}") from None
    beta = float(result.params[-1])
    if not np.isfinite(beta) or not result.converged:
        raise EstimationError("distance-decay model did not converge")
    return beta


def _identified(log_d: FloatArray, *, sweeps: int = 500, tol: float = 1e-9) -> bool:
    """Whether ``log d`` has variation left after removing origin and destination effects.

    Alternating projections (row then column demeaning over the off-diagonal cells) converge to
    the residual of ``log d`` on the two sets of dummies; a vanishing residual means the decay
    coefficient is aliased, which R reports as NA and a pseudo-inverse would silently hide.
    """
    n = log_d.shape[0]
    off = ~np.eye(n, dtype=bool)
    r = np.where(off, log_d - log_d[off].mean(), 0.0)
    scale = float(np.sqrt((r**2).sum()))
    if scale == 0.0:
        return False
    for _ in range(sweeps):
        r = np.where(off, r - (r.sum(axis=1, keepdims=True) / (n - 1)), 0.0)
        r = np.where(off, r - (r.sum(axis=0, keepdims=True) / (n - 1)), 0.0)
        row_means = np.abs(r.sum(axis=1)).max() / (n - 1)
        if row_means <= tol * scale:
            break
    return float(np.sqrt((r**2).sum())) > 1e-6 * scale
