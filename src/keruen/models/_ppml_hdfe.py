"""PPML with fixed effects absorbed by weighted alternating projections (no dummy matrix).

Each IRLS step regresses the working response ``z = eta + (y - mu)/mu`` on the regressors with
weights ``mu`` after both are demeaned within every fixed-effect group (method of alternating
projections, Guimarães & Portugal 2010; Gaure 2013).  By the Frisch–Waugh–Lovell theorem this
gives the same ``beta`` as the dummy-variable fit, and ``eta = z - residual`` carries the
fixed effects implicitly (Correia, Guimarães & Zylkin 2020, the ``ppmlhdfe`` algorithm).
Memory grows with the number of observations only, so large panels fit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import linalg, sparse
from scipy.sparse.csgraph import connected_components

from keruen.errors import ConvergenceError, SingularDesignError

#: use pyfixest's compiled demeaning (False: the NumPy reference loop, for tests)
_FAST = True
#: demeaning tolerance of the step that gives the reported estimates
FINAL_TOL = 1e-12


def _indicators(codes: Sequence[np.ndarray]) -> list[sparse.csr_matrix]:
    n = len(codes[0])
    return [
        sparse.csr_matrix((np.ones(n), (np.arange(n), c)), shape=(n, int(c.max()) + 1))
        for c in codes
    ]


def demean(
    v: np.ndarray,
    w: np.ndarray,
    codes: Sequence[np.ndarray],
    *,
    tol: float = 1e-12,
    maxiter: int = 10_000,
) -> np.ndarray:
    """Remove weighted group means of every factor in ``codes`` from the columns of ``v``.

    Uses pyfixest's compiled alternating projections (``pyfixest.demean``); the NumPy/SciPy
    loop below is the reference it is tested against (``engine="absorb-numpy"``).
    """
    if _FAST:
        from pyfixest.estimation import demean as _pf_demean

        flist = np.column_stack([np.asarray(c, dtype=np.uint64) for c in codes])
        out2d, ok = _pf_demean(
            np.ascontiguousarray(v, dtype=np.float64).reshape(len(w), -1),
            flist,
            np.asarray(w, dtype=np.float64),
            tol=tol,
            maxiter=maxiter,
        )
        if not ok:
            raise ConvergenceError(
                "alternating projections did not converge while absorbing effects"
            )
        return np.asarray(out2d).reshape(v.shape)
    return _demean_numpy(v, w, codes, tol=tol, maxiter=maxiter)


def _demean_numpy(
    v: np.ndarray,
    w: np.ndarray,
    codes: Sequence[np.ndarray],
    *,
    tol: float = 1e-12,
    maxiter: int = 10_000,
) -> np.ndarray:
    out = v.astype(float).copy()
    mats = _indicators(codes)
    wsum = [m.T @ w for m in mats]
    scale = max(float(np.abs(v).max()), 1.0)
    for _ in range(maxiter):
        change = 0.0
        for m, ws in zip(mats, wsum, strict=True):
            sums = m.T @ (out * w[:, None])
            means = np.divide(sums, ws[:, None], out=np.zeros_like(sums), where=ws[:, None] > 0)
            step = m @ means
            out -= step
            change = max(change, float(np.abs(step).max()))
        if change <= tol * scale or len(codes) == 1:
            return out
    raise ConvergenceError("alternating projections did not converge while absorbing effects")


def fe_rank(codes: Sequence[np.ndarray]) -> int:
    """Count the free fixed-effect parameters: exact for one or two factors.

    Two factors: levels minus connected components of their bipartite graph; more factors:
    levels minus (factors - 1), which assumes a connected design.
    """
    sizes = [int(c.max()) + 1 for c in codes]
    if len(codes) == 1:
        return sizes[0]
    if len(codes) == 2:
        a, b = codes
        adj = sparse.coo_matrix(
            (np.ones(len(a)), (a, b + sizes[0])), shape=(sum(sizes), sum(sizes))
        )
        n_comp, _ = connected_components(adj, directed=False)
        return sum(sizes) - n_comp
    return sum(sizes) - (len(codes) - 1)


def irls_poisson_absorbed(
    y: np.ndarray,
    x: np.ndarray,
    codes: Sequence[np.ndarray],
    maxiter: int,
    tol: float = 1e-10,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Return ``beta``, fitted ``mu``, the final demeaned regressors and the iteration count.

    The demeaning tolerance follows the IRLS progress (loose while the deviance still moves,
    as in ppmlhdfe) and the result always comes from a step demeaned to ``FINAL_TOL``.
    """
    mu = (y + y.mean()) / 2.0
    eta = np.log(mu)
    dev_old = np.inf
    inner = 1e-6
    prev: tuple[np.ndarray, np.ndarray] | None = None
    for it in range(1, maxiter + 1):
        z = eta + (y - mu) / mu
        raw = np.column_stack([z, x])
        # warm start: M_w(v - D a) = M_w v, so the previous residual, moved by the change of
        # the raw columns, demeans to the same result in fewer sweeps (as in ppmlhdfe)
        start = raw if prev is None else raw - prev[0] + prev[1]
        both = demean(start, mu, codes, tol=inner)
        prev = (raw, both)
        zt, xt = both[:, 0], both[:, 1:]
        xw = xt * mu[:, None]
        try:
            beta = linalg.solve(xw.T @ xt, xw.T @ zt, assume_a="pos")
        except (linalg.LinAlgError, ValueError) as exc:
            raise SingularDesignError(f"singular PPML design: {exc}") from exc
        eta = np.clip(z - (zt - xt @ beta), -700, 700)
        mu = np.exp(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = 2.0 * np.sum(np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu))
        change = abs(dev - dev_old) / (abs(dev) + 0.1) if np.isfinite(dev) else np.inf
        if change <= tol:
            if inner <= FINAL_TOL:
                return beta, mu, xt, it
            inner = FINAL_TOL  # one more step with exact demeaning
        elif np.isfinite(change):
            inner = max(FINAL_TOL, min(inner, 0.1 * change))
        dev_old = dev
    raise ConvergenceError(f"PPML (IRLS) did not converge in {maxiter} iterations")
