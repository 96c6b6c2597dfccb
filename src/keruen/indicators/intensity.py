"""Migration intensity: how much of a population moves between regions (Bell et al. 2002, §4)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from keruen.errors import InputError
from keruen.indicators.flows import as_flow_matrix


def crude_migration_probability(total_migrants: float, total_population: float) -> float:
    """Crude migration probability, Bell et al. (2002): ``CMP = 100·M / P`` (per cent).

    ``M`` counts migrants (or moves) between regions, ``P`` the population at risk.
    """
    if not math.isfinite(total_population) or total_population <= 0:
        raise InputError(f"total population must be positive: {total_population:g}", field="pop")
    if not math.isfinite(total_migrants) or total_migrants < 0:
        raise InputError(f"total migrants must be non-negative: {total_migrants:g}", field="flow")
    return 100.0 * total_migrants / total_population


def courgeau_k(cmp_value: float, n_regions: int) -> float:
    """Courgeau's k (Courgeau 1973; Bell et al. 2002, eq. 2): ``k = CMP / ln(n²)``.

    It removes the part of the CMP that grows with the number of regions ``n`` the territory is
    divided into, so systems with different zonings can be compared.
    """
    if n_regions < 2:
        raise InputError(f"Courgeau's k needs at least 2 regions, got {n_regions}", field="region")
    return cmp_value / math.log(n_regions**2)


def cmp(m: ArrayLike, population: ArrayLike) -> float:
    """CMP of a flow matrix: ``100·Σ_{i≠j} M_ij / Σ P_i`` (same as migest ``index_intensity``)."""
    a = as_flow_matrix(m)
    p = np.asarray(population, dtype=np.float64)
    return crude_migration_probability(float(a.sum()), float(p.sum()))


def courgeau_k_matrix(m: ArrayLike, population: ArrayLike) -> float:
    """Courgeau's k of a flow matrix, ``n`` being its number of regions."""
    a = as_flow_matrix(m)
    return courgeau_k(cmp(a, population), a.shape[0])
