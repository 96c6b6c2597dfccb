"""The corridor range: an ensemble of stated, plausible allocation variants.

Each variant fits the same recorded totals (receivers' receipts and senders' payments, both
margins, :func:`keruen.models.remittance_allocation.allocate_remittances`) and differs in one
choice the data do not settle:

* the income elasticity ``e`` of remittances per migrant in ``w_ij = M_ij * y_j^e``: 0 (stocks
  alone, Ratha & Shaw's first variant), 0.12 (fitted within receivers on the World Bank's 2017
  matrix, the central value), 0.25 and 0.5 (remittances per migrant rising faster with host
  income; at ``e = 1``, host income in full, agreement with the Bank's matrix collapses);
* corridors of a country whose other margin is not held: left unallocated (central) or
  fitted to the one margin held (``unreported="fallback"``).

The range of a corridor is the lowest and highest value over the ``4 × 2 = 8`` variants: how
much the corridor moves under these choices, given the recorded totals.  It is not a
confidence interval: errors in the recorded totals and in the migrant stocks are not in it.
The income-gap rule (``M_ij * max(y_j - y_i, 0)``) is not a variant: it gives an exact zero
wherever the host is poorer than the origin (Uzbekistan → Russia), a structural zero of one
rule, not a plausible value.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from keruen.models.remittance_allocation import (
    DEFAULT_INCOME_ELASTICITY,
    RemittanceCorridors,
    Unreported,
    allocate_remittances,
)


@dataclass(frozen=True)
class Variant:
    """One allocation of the ensemble: elasticity and treatment of unreported margins."""

    name: str
    income_elasticity: float
    unreported: Unreported


ELASTICITIES: tuple[float, ...] = (0.0, DEFAULT_INCOME_ELASTICITY, 0.25, 0.5)
TREATMENTS: tuple[Unreported, ...] = ("unallocated", "fallback")
ENSEMBLE: tuple[Variant, ...] = tuple(
    Variant(f"e={e:g},{u}", e, u) for u in TREATMENTS for e in ELASTICITIES
)
#: The central variant: the default elasticity, unreported margins left unallocated.
CENTRAL = ENSEMBLE[1]


def allocate_ensemble(
    stocks: pd.DataFrame, received: pd.Series, income: pd.Series, paid: pd.Series
) -> dict[str, RemittanceCorridors]:
    """Every variant of :data:`ENSEMBLE`, fitted to both margins, keyed by variant name."""
    return {
        v.name: allocate_remittances(
            stocks,
            received,
            income,
            rule="stock_income_elasticity",
            income_elasticity=v.income_elasticity,
            paid=paid,
            unreported=v.unreported,
        )
        for v in ENSEMBLE
    }


def corridor_range(results: dict[str, RemittanceCorridors]) -> pd.DataFrame:
    """Per corridor ``(sender, receiver)``: ``low`` and ``high`` over the variants (0 if absent)."""
    wide = pd.concat(
        {
            name: r.corridors.groupby(["sender", "receiver"])["remittances"].sum()
            for name, r in results.items()
        },
        axis=1,
    ).fillna(0.0)
    return pd.DataFrame({"low": wide.min(axis=1), "high": wide.max(axis=1)})
