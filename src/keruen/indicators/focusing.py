"""Connectivity and spatial focusing of a migration system (Bell et al. 2002, §5).

All measures use the ``n(n−1)`` flows between distinct regions; the diagonal is ignored. Notation:
``M_ij`` flow from ``i`` to ``j``, ``O_i`` out-flow, ``D_j`` in-flow, ``M`` total flow.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from keruen.errors import EstimationError, InputError
from keruen.indicators.flows import FloatArray, as_flow_matrix

#: Keys of :func:`focusing_measures`, in output order.
FOCUSING_KEYS: tuple[str, ...] = (
    "connectivity",
    "inequality_equal",
    "inequality_sim",
    "gini_total",
    "gini_orig_standardized",
    "gini_dest_standardized",
    "mwg_orig",
    "mwg_dest",
    "mwg_mean",
    "acv",
)


def _off_diagonal(a: FloatArray) -> FloatArray:
    """Return the ``n × (n−1)`` array of each row's flows to the other regions, in column order."""
    n = a.shape[0]
    return a[~np.eye(n, dtype=bool)].reshape(n, n - 1)


def _pairwise_abs_sum(sorted_values: FloatArray) -> FloatArray:
    """``Σ_a Σ_b |x_a − x_b|`` over ordered pairs along the last axis of already sorted values.

    Uses the identity ``Σ_a Σ_b |x_a − x_b| = 2·Σ_k (2k − N − 1)·x_(k)`` (k = 1..N, ascending),
    which costs a sort instead of N² differences.
    """
    n_items = sorted_values.shape[-1]
    weights = 2.0 * np.arange(1, n_items + 1) - n_items - 1
    return 2.0 * (sorted_values * weights).sum(axis=-1)


def connectivity(m: ArrayLike) -> float:
    """Index of connectivity, Bell et al. 2002: share of the n(n−1) flows that are non-zero."""
    a = as_flow_matrix(m)
    n = a.shape[0]
    return float(np.count_nonzero(_off_diagonal(a))) / (n * (n - 1))


def independence_fit(m: ArrayLike, *, tol: float = 1e-12, max_iter: int = 100_000) -> FloatArray:
    """Fitted flows of the Poisson quasi-independence model ``flow ~ orig + dest`` (diagonal out).

    The maximum-likelihood fit ``F_ij = a_i·b_j`` (``i≠j``) has the observed out- and in-flows as
    margins, so it is found by iterative proportional fitting with a structural-zero diagonal
    (Bishop, Fienberg & Holland 1975, ch. 5) rather than by a GLM with ``2n−1`` dummies: the same
    estimate, far cheaper for large ``n``. Flows need not be integers (migest rounds them first;
    for integer flows the two agree). Raises :class:`EstimationError` if it does not converge.
    """
    a = as_flow_matrix(m)
    n = a.shape[0]
    if n < 3:
        raise EstimationError("the quasi-independence model needs at least 3 regions")
    out, inn = a.sum(axis=1), a.sum(axis=0)
    total = out.sum()
    if total <= 0:
        raise EstimationError("no flows to fit")
    col = np.where(inn > 0, 1.0, 0.0)
    row = np.zeros(n)
    scale = max(float(out.max()), float(inn.max()))
    for _ in range(max_iter):
        # Row step: a_i·Σ_{j≠i} b_j = O_i; then column step: b_j·Σ_{i≠j} a_i = D_j.
        denom = col.sum() - col
        row = np.divide(out, denom, out=np.zeros(n), where=denom > 0)
        denom = row.sum() - row
        col = np.divide(inn, denom, out=np.zeros(n), where=denom > 0)
        fitted_out = row * (col.sum() - col)
        if np.abs(fitted_out - out).max() <= tol * scale:
            break
    else:
        raise EstimationError(f"quasi-independence fit did not converge in {max_iter} iterations")
    fitted = np.outer(row, col)
    np.fill_diagonal(fitted, 0.0)
    return fitted


def inequality_equal(m: ArrayLike) -> float:
    """Index of migration inequality against equal flows, Bell et al. (2002).

    ``½·Σ_{i≠j} |M_ij/M − 1/(n(n−1))|``; 0 when every flow is the same size, towards 1 when one
    flow holds all migrants.
    """
    a = as_flow_matrix(m)
    n = a.shape[0]
    total = float(a.sum())
    if total <= 0:
        return float("nan")
    return 0.5 * float(np.abs(_off_diagonal(a) / total - 1.0 / (n * (n - 1))).sum())


def inequality_sim(m: ArrayLike) -> float:
    """Index of migration inequality against the independence model, Bell et al. (2002).

    ``½·Σ_{i≠j} |M_ij/M − F_ij/ΣF|`` with ``F`` the Poisson fit ``flow ~ orig + dest``
    (:func:`independence_fit`), i.e. the share of migrants that would have to change flow for the
    system to follow its own margins.
    """
    a = as_flow_matrix(m)
    total = float(a.sum())
    if total <= 0:
        return float("nan")
    fitted = independence_fit(a)
    return 0.5 * float(np.abs(a / total - fitted / fitted.sum()).sum())


def gini_total(m: ArrayLike, *, corrected: bool = True) -> float:
    """Total flows Gini index, Plane & Mulligan (1997), with Bell et al.'s (2002) correction.

    ``G = Σ_{ij≠}Σ_{kl≠}|M_ij − M_kl| / (2·(n(n−1) − 1)·M)``. Bell et al. replace P&M's
    denominator ``2·n(n−1)·M`` (``corrected=False``) so the index reaches 1 when one flow holds
    every migrant.
    """
    a = as_flow_matrix(m)
    n = a.shape[0]
    total = float(a.sum())
    if total <= 0:
        return float("nan")
    s = float(_pairwise_abs_sum(np.sort(_off_diagonal(a).ravel())))
    cells = n * (n - 1)
    denom = 2.0 * (cells - 1) if corrected else 2.0 * cells
    return s / (denom * total)


def _field_sums(a: FloatArray) -> FloatArray:
    """Per row: ``Σ_{j≠i}Σ_{h≠i} |M_ij − M_ih|`` (pairs within each row's off-diagonal flows)."""
    return _pairwise_abs_sum(np.sort(_off_diagonal(a), axis=1))


def gini_orig_standardized(m: ArrayLike) -> float:
    """Origin-standardized (rows) Gini, Plane & Mulligan (1997): ``G_R / G`` as a fraction.

    ``G_R`` sums differences between flows from the same origin, ``G`` all differences (both
    with P&M's denominator, which cancels): the share of total focusing that lies in the
    destination choices of each origin's out-migrants. migest reports the same (as a fraction).
    """
    a = as_flow_matrix(m)
    s_total = float(_pairwise_abs_sum(np.sort(_off_diagonal(a).ravel())))
    return float(_field_sums(a).sum()) / s_total if s_total > 0 else float("nan")


def gini_dest_standardized(m: ArrayLike) -> float:
    """Destination-standardized (columns) Gini, Plane & Mulligan (1997): ``G_C / G``.

    As :func:`gini_orig_standardized` for differences between flows into the same destination.
    """
    a = as_flow_matrix(m)
    return gini_orig_standardized(a.T)


def gini_orig_field(m: ArrayLike, *, corrected: bool = True) -> FloatArray:
    """Out-migration field Gini of each origin, Plane & Mulligan (1997), Bell et al. (2002).

    ``G^O_i = Σ_{j≠i}Σ_{h≠i}|M_ij − M_ih| / (2(n−2)·O_i)`` (P&M: ``2(n−1)``, ``corrected=False``).
    Regions without out-flows get 0 (migest gives NaN).
    """
    a = as_flow_matrix(m)
    n = a.shape[0]
    if n < 3:
        raise InputError("field Ginis need at least 3 regions", field="region")
    out = a.sum(axis=1)
    denom = (2.0 * (n - 2) if corrected else 2.0 * (n - 1)) * out
    return np.divide(_field_sums(a), denom, out=np.zeros(n), where=out > 0)


def gini_dest_field(m: ArrayLike, *, corrected: bool = True) -> FloatArray:
    """In-migration field Gini of each destination: :func:`gini_orig_field` of the transpose."""
    return gini_orig_field(as_flow_matrix(m).T, corrected=corrected)


def mwg_orig(m: ArrayLike) -> float:
    """Migration-weighted out-migration Gini: ``Σ_i (O_i/M)·G^O_i`` (Bell et al. 2002).

    Bell et al. weight each zone's field Gini by the zone's share of total migration and average
    the weighted values. keruen takes the weighted mean (weights summing to 1), so the index
    keeps the [0, 1] range of the field Ginis. Deliberately differs from migest 2.0 (via
    migration.indices), which divides the weighted sum by ``n`` as well, so the index shrinks
    like ``1/n`` with the number of regions, and which weights origin ``i`` by its *in*-migration
    share ``D_i/M``, contrary to its own documented formula.
    """
    a = as_flow_matrix(m)
    total = float(a.sum())
    if total <= 0:
        return float("nan")
    return float((a.sum(axis=1) / total * gini_orig_field(a)).sum())


def mwg_dest(m: ArrayLike) -> float:
    """Migration-weighted in-migration Gini: ``Σ_j (D_j/M)·G^I_j`` (see :func:`mwg_orig`)."""
    return mwg_orig(as_flow_matrix(m).T)


def mwg_mean(m: ArrayLike) -> float:
    """Mean migration-weighted Gini, Bell et al. (2002): ``(MWG^O + MWG^I) / 2``."""
    a = as_flow_matrix(m)
    return 0.5 * (mwg_orig(a) + mwg_dest(a))


def cv_orig(m: ArrayLike) -> FloatArray:
    """Coefficient of variation of each origin's out-flows, Rogers & Sweeney (1998).

    Population standard deviation over the ``n−1`` destinations divided by their mean; 0 for a
    region without out-flows (migest: NaN).
    """
    rows = _off_diagonal(as_flow_matrix(m))
    mean = rows.mean(axis=1)
    sd = rows.std(axis=1)
    return np.divide(sd, mean, out=np.zeros(rows.shape[0]), where=mean > 0)


def cv_dest(m: ArrayLike) -> FloatArray:
    """Coefficient of variation of each destination's in-flows (see :func:`cv_orig`)."""
    return cv_orig(as_flow_matrix(m).T)


def acv(m: ArrayLike) -> float:
    """Aggregate system-wide coefficient of variation, Rogers & Sweeney (1998).

    ``ACV = Σ_i (O_i/M)·CV^O_i + Σ_j (D_j/M)·CV^I_j`` — the flow-weighted out- and in-field CVs
    added, as in migest / migration.indices.
    """
    a = as_flow_matrix(m)
    total = float(a.sum())
    if total <= 0:
        return float("nan")
    out, inn = a.sum(axis=1), a.sum(axis=0)
    return float((out / total * cv_orig(a)).sum() + (inn / total * cv_dest(a)).sum())


def focusing_measures(m: ArrayLike) -> dict[str, float]:
    """All system-wide connectivity and focusing measures of this module, in one pass.

    The same values as :func:`connectivity`, :func:`inequality_equal`, :func:`inequality_sim`,
    :func:`gini_total`, :func:`gini_orig_standardized`, :func:`gini_dest_standardized`,
    :func:`mwg_orig`, :func:`mwg_dest`, :func:`mwg_mean` and :func:`acv`, sharing the sorts and
    margins they have in common (several times faster on large systems than calling each).
    """
    a = as_flow_matrix(m)
    n = a.shape[0]
    if n < 3:
        raise InputError("focusing measures need at least 3 regions", field="region")
    total = float(a.sum())
    if total <= 0:
        nan = float("nan")
        return dict.fromkeys(FOCUSING_KEYS, nan)
    rows, cols = _off_diagonal(a), _off_diagonal(a.T)
    out, inn = rows.sum(axis=1), cols.sum(axis=1)
    s_all = float(_pairwise_abs_sum(np.sort(rows.ravel())))
    s_rows = _pairwise_abs_sum(np.sort(rows, axis=1))
    s_cols = _pairwise_abs_sum(np.sort(cols, axis=1))
    g_orig = np.divide(s_rows, 2.0 * (n - 2) * out, out=np.zeros(n), where=out > 0)
    g_dest = np.divide(s_cols, 2.0 * (n - 2) * inn, out=np.zeros(n), where=inn > 0)
    mwg_o = float((out / total * g_orig).sum())
    mwg_d = float((inn / total * g_dest).sum())
    mean_r, mean_c = rows.mean(axis=1), cols.mean(axis=1)
    cv_r = np.divide(rows.std(axis=1), mean_r, out=np.zeros(n), where=mean_r > 0)
    cv_c = np.divide(cols.std(axis=1), mean_c, out=np.zeros(n), where=mean_c > 0)
    cells = n * (n - 1)
    fitted = independence_fit(a)
    return {
        "connectivity": float(np.count_nonzero(rows)) / cells,
        "inequality_equal": 0.5 * float(np.abs(rows / total - 1.0 / cells).sum()),
        "inequality_sim": 0.5 * float(np.abs(a / total - fitted / fitted.sum()).sum()),
        "gini_total": s_all / (2.0 * (cells - 1) * total),
        "gini_orig_standardized": float(s_rows.sum()) / s_all if s_all > 0 else float("nan"),
        "gini_dest_standardized": float(s_cols.sum()) / s_all if s_all > 0 else float("nan"),
        "mwg_orig": mwg_o,
        "mwg_dest": mwg_d,
        "mwg_mean": 0.5 * (mwg_o + mwg_d),
        "acv": float((out / total * cv_r).sum() + (inn / total * cv_c).sum()),
    }
