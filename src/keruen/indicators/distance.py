"""Distance travelled by migrants (Bell et al. 2002, §7): mean, median and distance decay.

``d`` is a square matrix of distances aligned with the flow matrix; only the ``n(n−1)`` pairs of
distinct regions are used, and each needs a positive, finite distance.
"""

from __future__ import annotations

import warnings
from typing import Literal

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


MedianMethod = Literal["interpolate", "plain", "migest"]


def median_distance(m: ArrayLike, d: ArrayLike, *, method: MedianMethod = "interpolate") -> float:
    """Flow-weighted median migration distance (Bell et al. 2002, §7).

    Only pairs with a positive flow count. ``method="interpolate"`` (default) is the
    interpolated weighted median of :func:`weighted_median`, the definition of
    ``matrixStats::weightedMedian`` that migest's ``index_distance`` uses, so keruen reports
    migest's number. ``method="plain"`` is the median distance of one migrant: the smallest
    distance at which the cumulative flow reaches half of all migrants, or, if it is reached
    exactly, the mean of that distance and the next one (for integer flows, the ordinary
    median of one distance per migrant) -- a distance some migrant actually moved.
    ``method="migest"`` is migest's number to the last bits (:func:`matrixstats_weighted_median`
    on the pairs in migest's order, origins varying fastest): the same definition as
    ``"interpolate"`` with matrixStats' order of equal distances (R's unstable quicksort) instead
    of decreasing flow, so the two differ only where tied distances straddle half the migrants
    (4 of migest's 13 reference cases, by 0.1-0.7 %); it sorts in pure Python (about 13 s at
    1,000 regions against milliseconds), hence not the default.
    """
    if method == "migest":
        a = as_flow_matrix(m)
        dist = as_distance_matrix(d, a.shape[0])
        off = ~np.eye(a.shape[0], dtype=bool)
        # as.data.frame.table(m) in migest: the first index (origin) varies fastest
        return matrixstats_weighted_median(dist.T[off], a.T[off])
    flows, dist = _pairs(m, d)
    keep = flows > 0
    if not keep.any():
        return float("nan")
    if method == "interpolate":
        return weighted_median(dist[keep], flows[keep])
    if method == "plain":
        return _plain_weighted_median(dist[keep], flows[keep])
    raise ValueError(f"unknown median method {method!r}")


def weighted_median(x: ArrayLike, w: ArrayLike) -> float:
    """Interpolated weighted median, as documented for ``matrixStats::weightedMedian``.

    Sort the values ``x_(1) ≤ … ≤ x_(K)`` with their positive weights ``w_(k)``, total ``S``.
    Each value sits at the centre of its weight on the cumulative scale,
    ``c_k = Σ_{i<k} w_(i) + w_(k)/2``; the median is the linear interpolation at ``S/2``
    between the two neighbouring values ``x_(k−1)`` and ``x_(k)`` with
    ``c_(k−1) < S/2 ≤ c_k`` (``x_(1)`` or ``x_(K)`` outside ``[c_1, c_K]``). With equal
    weights this is the ordinary median. Zero weights are dropped (an empty pair is no
    observation). Equal values are ordered by decreasing weight, so the result does not depend
    on the input order; matrixStats orders ties as its internal quicksort leaves them, which is
    not documented, so with tied values next to ``S/2`` the two can differ.
    """
    xs = np.asarray(x, dtype=np.float64).ravel()
    ws = np.asarray(w, dtype=np.float64).ravel()
    if xs.shape != ws.shape:
        raise ValueError(f"x and w differ in length: {xs.size} != {ws.size}")
    keep = ws > 0
    if not keep.any():
        return float("nan")
    xs, ws = xs[keep], ws[keep]
    order = np.argsort(xs)
    xs, ws = xs[order], ws[order]
    cum = np.cumsum(ws)
    half = float(cum[-1]) / 2.0
    # Only the runs of equal values around the half-way point can change the result: the run
    # holding it and its two neighbours. Order those by decreasing weight and search there.
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    ends = np.r_[starts[1:], xs.size]
    j = int(np.searchsorted(cum[ends - 1], half, side="left"))
    lo, hi = int(starts[max(j - 1, 0)]), int(ends[min(j + 1, starts.size - 1)])
    sx, sw = xs[lo:hi], ws[lo:hi]
    local = np.lexsort((-sw, sx))
    sx, sw = sx[local], sw[local]
    centre = (float(cum[lo - 1]) if lo > 0 else 0.0) + np.cumsum(sw) - sw / 2.0
    k = int(np.searchsorted(centre, half, side="left"))
    if k == 0:
        return float(sx[0])
    if k == sx.size:
        return float(sx[-1])
    frac = (half - centre[k - 1]) / (centre[k] - centre[k - 1])
    return float(sx[k - 1] + frac * (sx[k] - sx[k - 1]))


def matrixstats_weighted_median(x: ArrayLike, w: ArrayLike) -> float:
    """``matrixStats::weightedMedian(x, w)`` with its defaults (``interpolate = TRUE``), exactly.

    Non-positive weights are dropped; the values are sorted as R's ``R_qsort_I`` sorts them
    (:func:`keruen.indicators._rsort.r_qsort_order`: equal values end in an order set by the
    input order); with ``c_k = (Σ_{i≤k} w_(i) − w_(k)/2) / S``, the first ``k`` with
    ``c_k ≥ 1/2`` gives ``x_(k) + (1/2 − c_k) / (c_k − c_(k−1)) · (x_(k) − x_(k−1))``
    (``x_(1)`` when ``k`` is the first), in matrixStats' order of floating-point operations.
    """
    from keruen.indicators._rsort import r_qsort_order

    xs = np.asarray(x, dtype=np.float64).ravel()
    ws = np.asarray(w, dtype=np.float64).ravel()
    if xs.shape != ws.shape:
        raise ValueError(f"x and w differ in length: {xs.size} != {ws.size}")
    keep = ws > 0
    xs, ws = xs[keep], ws[keep]
    if xs.size <= 1:
        return float(xs[0]) if xs.size else float("nan")
    total = float(np.cumsum(ws)[-1])  # summed in order, as matrixStats does
    order = r_qsort_order(xs.tolist())
    xs, ws = xs[order], ws[order]
    share = ws / total
    centre = np.cumsum(share) - share / 2.0
    k = int(np.argmax(centre >= 0.5)) if (centre >= 0.5).any() else xs.size - 1
    if k == 0:
        return float(xs[0])
    return float((0.5 - centre[k]) / (centre[k] - centre[k - 1]) * (xs[k] - xs[k - 1]) + xs[k])


def _plain_weighted_median(x: FloatArray, w: FloatArray) -> float:
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    cum = np.cumsum(ws)
    half = cum[-1] / 2.0
    k = int(np.searchsorted(cum, half, side="left"))
    if np.isclose(cum[k], half, rtol=1e-12, atol=0.0) and k + 1 < len(xs):
        return float((xs[k] + xs[k + 1]) / 2.0)
    return float(xs[k])


def distance_decay(
    m: ArrayLike, d: ArrayLike, *, method: Literal["auto", "glm", "profile"] = "auto"
) -> float:
    """Distance-decay coefficient ``β`` of the Poisson model ``flow ~ orig + dest + log(dist)``.

    Fitted on the ``n(n−1)`` flows between distinct regions, as migest's ``index_distance``;
    usually negative. ``method="profile"`` (used by ``"auto"``) finds the maximum-likelihood
    ``β`` by profiling out the origin and destination effects: for a given ``β`` they are the
    iterative proportional fit of the seed ``d_ij^β`` to the observed margins (the Poisson
    likelihood equations of the two sets of effects), and ``β`` solves the profile score
    equation ``Σ (M_ij − μ_ij(β))·log d_ij = 0`` by safeguarded Newton steps whose curvature is
    ``Σ μ_ij x̃_ij²``, ``x̃`` being ``log d`` with the effects partialled out under weights ``μ``.
    This is the same estimate as the GLM at any size, in seconds at 1000 regions.
    ``method="glm"`` fits statsmodels' GLM (Poisson family, log link) on the full dummy
    design (slow and memory-hungry beyond ~100 regions; kept as a cross-check). Flows are used
    as given (migest rounds them; identical for integer flows). Raises
    :class:`EstimationError` when ``β`` is not identified or the fit fails.
    """
    a = as_flow_matrix(m)
    n = a.shape[0]
    if n < 3:
        raise EstimationError("distance decay needs at least 3 regions")
    dist = as_distance_matrix(d, n)
    off = ~np.eye(n, dtype=bool)
    if a.sum() <= 0:
        raise EstimationError("no flows to fit")
    log_d = np.where(off, np.log(np.where(off, dist, 1.0)), 0.0)
    if not _identified(log_d):
        raise EstimationError(
            "log(distance) is collinear with the origin and destination effects "
            "(e.g. 3 regions with symmetric distances): the decay is not identified"
        )
    if method == "glm":
        return _decay_glm(a, log_d)
    if method in ("profile", "auto"):
        return _decay_profile(a, log_d)
    raise ValueError(f"unknown method {method!r}")


def _decay_glm(a: FloatArray, log_d: FloatArray) -> float:
    import statsmodels.api as sm

    n = a.shape[0]
    off = ~np.eye(n, dtype=bool)
    y = a[off]
    ii, jj = np.nonzero(off)
    k = y.size
    x = np.zeros((k, 2 * n), dtype=np.float64)
    x[:, 0] = 1.0
    rows = np.arange(k)
    # Treatment coding: the first region is the reference origin and destination.
    x[rows[ii > 0], ii[ii > 0]] = 1.0
    x[rows[jj > 0], n - 1 + jj[jj > 0]] = 1.0
    x[:, -1] = log_d[off]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = sm.GLM(y, x, family=sm.families.Poisson()).fit(tol=1e-10)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
            raise EstimationError(f"distance-decay model failed: {exc}") from None
    beta = float(result.params[-1])
    if not np.isfinite(beta) or not result.converged:
        raise EstimationError("distance-decay model did not converge")
    return beta


def _matvec(a: FloatArray, v: FloatArray) -> FloatArray:
    """``a @ v`` without BLAS threads: memory-bound anyway, and steady on a busy machine."""
    return np.einsum("ij,j->i", a, v)


def _vecmat(v: FloatArray, a: FloatArray) -> FloatArray:
    """``v @ a`` without BLAS threads (see :func:`_matvec`)."""
    return np.einsum("i,ij->j", v, a)


def _ipf(
    seed: FloatArray,
    out: FloatArray,
    inn: FloatArray,
    col: FloatArray,
    *,
    tol: float = 1e-13,
    max_iter: int = 20_000,
) -> tuple[FloatArray, FloatArray]:
    """Row and column factors scaling ``seed`` to the margins ``out``, ``inn`` (from ``col``)."""
    n = seed.shape[0]
    scale = max(float(out.max()), float(inn.max()))
    denom = _matvec(seed, col)
    for _ in range(max_iter):
        row = np.divide(out, denom, out=np.zeros(n), where=denom > 0)
        cden = _vecmat(row, seed)
        col = np.divide(inn, cden, out=np.zeros(n), where=cden > 0)
        denom = _matvec(seed, col)
        if np.abs(row * denom - out).max() <= tol * scale:
            return row, col
    raise EstimationError("the origin and destination effects did not converge")


def _profile_curvature(x: FloatArray, mu: FloatArray, *, sweeps: int = 8) -> float:
    """``Σ μ x̃²``: ``x̃`` is ``x`` less its ``μ``-weighted projection on the two sets of effects.

    The projection coefficients ``r_i + c_j`` come from alternating weighted means (a few
    sweeps suffice: the value only sets the Newton step length); by orthogonality
    ``Σ μ x̃² = Σ μ x² − Σ_i r_i Σ_j μ_ij x_ij − Σ_j c_j Σ_i μ_ij x_ij``.
    """
    rw, cw = mu.sum(axis=1), mu.sum(axis=0)
    mx = mu * x
    rx, cx = mx.sum(axis=1), mx.sum(axis=0)
    r = np.zeros(x.shape[0])
    c = np.zeros(x.shape[1])
    for _ in range(sweeps):
        r = np.divide(rx - _matvec(mu, c), rw, out=np.zeros_like(rw), where=rw > 0)
        c = np.divide(cx - _vecmat(r, mu), cw, out=np.zeros_like(cw), where=cw > 0)
    return float((mx * x).sum() - r @ rx - c @ cx)


def _decay_profile(a: FloatArray, log_d: FloatArray) -> float:
    n = a.shape[0]
    off = ~np.eye(n, dtype=bool)
    # Centring log d changes only the effects, not beta, and keeps d^beta in range.
    x = np.where(off, log_d - log_d[off].mean(), 0.0)
    out, inn = a.sum(axis=1), a.sum(axis=0)
    col = np.where(inn > 0, 1.0, 0.0)

    def fitted(beta: float, col: FloatArray) -> tuple[FloatArray, FloatArray]:
        seed = np.where(off, np.exp(np.clip(beta * x, -700.0, 700.0)), 0.0)
        row, col = _ipf(seed, out, inn, col)
        return row[:, None] * seed * col[None, :], col

    # The profile log-likelihood is concave in beta, so its score decreases: Newton steps,
    # kept inside the bracket [lo, hi] known to hold the root (bisection when they leave it).
    lo, hi = -np.inf, np.inf
    beta = 0.0
    good: float | None = None  # the last beta at which the effects converged
    for _ in range(200):
        try:
            mu, col = fitted(beta, col)
        except EstimationError:
            if good is None or abs(beta - good) <= 1e-12 * max(1.0, abs(good)):
                raise
            # a trial step too long for the effects to converge (extreme d^beta): halve it
            beta = 0.5 * (good + beta)
            continue
        good = beta
        score = float(((a - mu) * x).sum())
        if score > 0:
            lo = beta
        else:
            hi = beta
        curvature = _profile_curvature(x, mu)
        step = score / curvature if curvature > 0 else np.copysign(1.0, score)
        new = beta + step
        if not lo < new < hi:
            if np.isfinite(lo) and np.isfinite(hi):
                new = 0.5 * (lo + hi)
            else:
                new = beta + np.copysign(max(1.0, 2.0 * abs(beta)), score)
        if abs(new) > 64:
            raise EstimationError("distance decay diverges (no finite maximum likelihood)")
        if abs(new - beta) <= 1e-12 * max(1.0, abs(beta)) or hi - lo <= 1e-13 * max(1.0, abs(beta)):
            return float(new)
        beta = new
    raise EstimationError("distance-decay fit did not converge")


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
