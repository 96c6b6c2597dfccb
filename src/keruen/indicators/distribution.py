"""Concentration of a distribution over categories: shares, top-k share, Herfindahl–Hirschman.

Used for origins, destinations, corridors or regions alike. Values are non-negative amounts
(migrants, flows, remittances); a pandas Series keeps its labels in the results.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from keruen.errors import InputError


def _amounts(values: ArrayLike | pd.Series) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    if arr.size == 0:
        raise InputError("the distribution is empty", field="value")
    if (~np.isfinite(arr)).any():
        raise InputError("the distribution has missing or infinite values", field="value")
    if (arr < 0).any():
        raise InputError("the distribution has negative values", field="value")
    if arr.sum() <= 0:
        raise InputError("the distribution sums to zero", field="value")
    return arr


def shares(values: ArrayLike | pd.Series) -> np.ndarray | pd.Series:
    """Each category's share of the total, ``s_k = x_k / Σx`` (same labels if a Series)."""
    arr = _amounts(values)
    out = arr / arr.sum()
    if isinstance(values, pd.Series):
        return pd.Series(out, index=values.index, name="share")
    return out


def top_k_share(values: ArrayLike | pd.Series, k: int) -> float:
    """Share of the total held by the ``k`` largest categories (``k`` ≥ number → 1)."""
    if k < 1:
        raise InputError(f"k must be at least 1, got {k}", field="k")
    arr = _amounts(values)
    top = np.sort(arr)[::-1][:k]
    return float(top.sum() / arr.sum())


def hhi(values: ArrayLike | pd.Series, *, normalized: bool = False) -> float:
    """Herfindahl–Hirschman index ``Σ s_k²`` of the shares (Hirschman 1964), in [1/n, 1].

    With ``normalized=True``: ``(HHI − 1/n) / (1 − 1/n)`` in [0, 1] (0 for a single category).
    Multiply by 10,000 for the antitrust convention.
    """
    arr = _amounts(values)
    s = arr / arr.sum()
    h = float((s * s).sum())
    if not normalized:
        return h
    n = s.size
    return 0.0 if n == 1 else (h - 1.0 / n) / (1.0 - 1.0 / n)
