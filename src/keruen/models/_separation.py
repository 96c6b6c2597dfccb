"""Exact detection of Poisson separation by regressors and fixed effects (ReLU method).

An observation with ``y = 0`` is separated when some ``z = X g + D a`` (regressors ``X``, fixed
effect dummies ``D``) is zero on every ``y > 0`` row, non-negative on every ``y = 0`` row and
positive on it: the likelihood then improves without bound as ``beta`` moves along ``g`` and the
row's fitted mean collapses to zero (Santos Silva & Tenreyro 2010).  Correia, Guimarães & Zylkin
(2021, "Verifying the existence of maximum likelihood estimates for generalized linear models",
section 4.2) find such ``z`` by the iterated rectifier: regress ``U`` on ``X`` and the effects by
least squares with a very large weight on the ``y > 0`` rows (which pins ``z`` to zero there),
replace ``U`` on the ``y = 0`` rows by ``max(fitted, 0)``, and stop when no fitted value is
negative; rows with a positive fitted value are the separated ones.  The weighted least squares
with absorbed effects uses pyfixest's compiled weighted demeaning (as pyfixest's ``feols`` does);
pyfixest's own ``fepois(separation_check=["ir"])`` runs the same algorithm but does not say which
regressors separate, which this module does: those with a non-zero coefficient in ``z``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from keruen.errors import ConvergenceError


def relu_separation(
    y: np.ndarray,
    x: np.ndarray,
    names: Sequence[str],
    fixed_effects: Mapping[str, pd.Series | np.ndarray],
    *,
    tol: float = 1e-5,
    maxiter: int = 100,
) -> tuple[np.ndarray, list[str]]:
    """Return (mask of separated rows, names of the regressors in the separating combination)."""
    zero = y == 0
    if not zero.any() or (not len(names) and not fixed_effects):
        return np.zeros(len(y), dtype=bool), []
    from keruen.models._ppml_hdfe import demean

    codes = [pd.factorize(pd.Series(np.asarray(v)))[0] for v in fixed_effects.values()]
    n_pos = int((~zero).sum())
    omega = np.where(zero, 1.0, max(n_pos, 1) / tol**2)
    sw = np.sqrt(omega)
    xt = demean(x, omega, codes, tol=1e-10) if codes else x - np.average(x, 0, omega)
    u = zero.astype(float)
    fitted = np.zeros(len(y))
    gamma = np.zeros(x.shape[1])
    for _ in range(maxiter):
        ut = (
            demean(u[:, None], omega, codes, tol=1e-10)[:, 0]
            if codes
            else u - np.average(u, weights=omega)
        )
        if x.shape[1]:
            gamma, *_ = np.linalg.lstsq(xt * sw[:, None], ut * sw, rcond=None)
        resid = ut - xt @ gamma
        fitted = u - resid  # regressors' part plus the absorbed effects
        fitted[~zero] = 0.0
        fitted[np.abs(fitted) < tol] = 0.0
        if (fitted >= 0).all():
            break
        u = np.where(zero, np.maximum(fitted, 0.0), 0.0)
    else:
        raise ConvergenceError(f"separation check (ReLU) did not converge in {maxiter} rounds")
    separated = fitted > 0
    involved: list[str] = []
    if separated.any():
        for j, name in enumerate(names):
            g = float(gamma[j])
            spread = float(np.ptp(x[:, j]))
            if abs(g) * spread > tol and np.isfinite(g):
                involved.append(name)
    return separated, involved
