"""Migration impact: how much migration redistributes population (Bell et al. 2002, §6).

Flows are those between regions (diagonal ignored); ``population`` is aligned to the matrix rows.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from keruen.errors import InputError
from keruen.indicators.flows import FloatArray, as_flow_matrix


def _population(population: ArrayLike, n: int) -> FloatArray:
    p = np.asarray(population, dtype=np.float64)
    if p.shape != (n,):
        raise InputError(f"{p.size} populations for {n} regions", field="pop")
    if (~np.isfinite(p) | (p <= 0)).any():
        raise InputError("populations must be positive numbers", field="pop")
    return p


def effectiveness(m: ArrayLike) -> float:
    """Migration effectiveness index, Shryock & Siegel (1976): ``100·Σ|N_i| / Σ T_i``.

    ``N_i`` is net migration and ``T_i`` turnover (in + out) of region ``i``; 0 means perfectly
    balanced exchanges, 100 entirely one-way flows. NaN when there are no flows.
    """
    a = as_flow_matrix(m)
    inn, out = a.sum(axis=0), a.sum(axis=1)
    total = float((inn + out).sum())
    return 100.0 * float(np.abs(inn - out).sum()) / total if total > 0 else float("nan")


def anmr(m: ArrayLike, population: ArrayLike) -> float:
    """Aggregate net migration rate, Bell et al. (2002), eq. 7: ``100·½Σ|N_i| / Σ P_i``.

    The net redistribution per 100 residents: equal to CMP × effectiveness / 100.
    """
    a = as_flow_matrix(m)
    p = _population(population, a.shape[0])
    return 100.0 * 0.5 * float(np.abs(a.sum(axis=0) - a.sum(axis=1)).sum()) / float(p.sum())


def preference_matrix(m: ArrayLike, population: ArrayLike) -> FloatArray:
    """Index of preference of each flow (Bachi 1957; UN Manual VI, 1970): ``M_ij / E_ij``.

    ``E_ij = M·(P_i/P)·(P_j/P)`` is the flow expected if the ``M`` migrants chose origins and
    destinations in proportion to population; the diagonal is 0.
    """
    a = as_flow_matrix(m)
    p = _population(population, a.shape[0])
    s = p / p.sum()
    total = float(a.sum())
    if total <= 0:
        return np.full_like(a, np.nan)
    out = a / (total * np.outer(s, s))
    np.fill_diagonal(out, 0.0)
    return out


def preference(m: ArrayLike, population: ArrayLike) -> float:
    """Summary index of preference: the sum of the flow indices ``Σ_{i≠j} M_ij / E_ij``.

    The same summary as migest's ``index_impact`` (``preference``); it is invariant to the scale
    of flows and of populations.
    """
    return float(preference_matrix(m, population).sum())


def velocity_matrix(m: ArrayLike, population: ArrayLike) -> FloatArray:
    """Index of velocity of each flow (Bogue, Shryock & Hoermann 1957; UN Manual VI, 1970).

    ``V_ij = M_ij · P / (P_i · P_j)``: migrants per pair of residents, scaled by total population.
    """
    a = as_flow_matrix(m)
    p = _population(population, a.shape[0])
    out = a * p.sum() / np.outer(p, p)
    np.fill_diagonal(out, 0.0)
    return out


def velocity(m: ArrayLike, population: ArrayLike) -> float:
    """Summary index of velocity ``Σ_{i≠j} M_ij·P/(P_i·P_j)`` (as migest ``index_impact``)."""
    return float(velocity_matrix(m, population).sum())
