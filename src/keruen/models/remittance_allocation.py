"""Bilateral remittance corridors: each country's remittance receipts allocated over partners.

Following Ratha & Shaw (2007), the method behind the World Bank/KNOMAD bilateral remittance
matrix, the remittances ``R_i`` received by country ``i`` are split over the host countries
``j`` of its emigrants:

``R_ij = R_i * w_ij / sum_k w_ik``, with weights by rule

* ``stock``: ``w_ij = M_ij``, the stock of migrants born in ``i`` living in ``j``;
* ``stock_host_income``: ``w_ij = M_ij * y_j``, migrants in richer hosts send more;
* ``stock_host_origin_income``: ``w_ij = M_ij * max(y_j - y_i, 0)``, remittances grow with the
  income gap between host and origin (keruen's reading of Ratha & Shaw's third variant); when
  every host is poorer than the origin the host-income weights are used and the fallback is
  recorded in the result;
* ``stock_income_elasticity`` (the default): ``w_ij = M_ij * y_j ** e``, remittances per
  migrant rising with host income at elasticity ``e`` (default
  :data:`DEFAULT_INCOME_ELASTICITY`, fitted on the World Bank's 2017 matrix); ``e = 0`` is
  ``stock`` and ``e = 1`` is ``stock_host_income``.  Chosen as the default because it is the
  closest of the rules to the World Bank's matrix (``keruen.models.corridor_comparison``).

``y`` is income per head (GDP or GNI per capita, one consistent measure).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from keruen.errors import InputError

AllocationRule = Literal[
    "stock", "stock_host_income", "stock_host_origin_income", "stock_income_elasticity"
]
RULES: tuple[str, ...] = (
    "stock",
    "stock_host_income",
    "stock_host_origin_income",
    "stock_income_elasticity",
)
#: Elasticity of remittances per migrant to host income per head fitted on the World Bank's
#: 2017 bilateral matrix (``corridor_comparison.fit_income_elasticity``; recomputed in tests).
DEFAULT_INCOME_ELASTICITY = 0.12
#: The rule closest to the World Bank's 2017 matrix (docs/models.md; recomputed in tests).
DEFAULT_RULE: AllocationRule = "stock_income_elasticity"


@dataclass(frozen=True)
class RemittanceCorridors:
    """Estimated corridors ``sender, receiver, remittances, share`` with provenance."""

    corridors: pd.DataFrame
    rule: str
    method: str
    assumptions: tuple[str, ...]
    parameters: Mapping[str, object] = field(default_factory=dict)
    fallbacks: tuple[str, ...] = ()

    def matrix(self) -> pd.DataFrame:
        """Sender × receiver matrix of remittances (zeros where no corridor)."""
        return self.corridors.pivot_table(
            index="sender",
            columns="receiver",
            values="remittances",
            aggfunc="sum",
            fill_value=0.0,
        )


def _check_columns(df: pd.DataFrame, cols: list[str], name: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(f"{name} lacks columns {missing}", field=missing[0])


def _non_negative(values: pd.Series, name: str, col: str) -> pd.Series:
    num = pd.to_numeric(values, errors="coerce")
    bad = num.isna() | (num < 0)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{name}: {col} must be a non-negative number", row=pos + 1, field=col)
    return num.astype(float)


def allocate_remittances(
    stocks: pd.DataFrame,
    received: pd.Series,
    income: pd.Series | None = None,
    *,
    rule: AllocationRule = DEFAULT_RULE,
    income_elasticity: float = DEFAULT_INCOME_ELASTICITY,
) -> RemittanceCorridors:
    """Allocate each country's remittance receipts over the hosts of its emigrants.

    ``stocks`` has columns ``orig`` (country of birth, the receiver), ``dest`` (host, the
    sender) and ``stock``; ``received`` maps receiver → total remittances received; ``income``
    maps country → income per head (needed by the income rules).  See the module docstring for
    the formula.  Raises :class:`InputError` for unknown rules, negative or missing values,
    missing incomes and receivers with remittances but no emigrants in ``stocks``.
    """
    if rule not in RULES:
        raise InputError(f"unknown allocation rule {rule!r}; use one of {RULES}", field="rule")
    _check_columns(stocks, ["orig", "dest", "stock"], "stocks")
    st = stocks[["orig", "dest"]].astype(str).copy()
    st["stock"] = _non_negative(stocks["stock"], "stocks", "stock").to_numpy()
    st = st[(st["orig"] != st["dest"]) & (st["stock"] > 0)]
    rec = _non_negative(pd.Series(received), "received", "remittances")
    rec.index = rec.index.astype(str)
    inc: pd.Series | None = None
    if rule != "stock":
        if income is None:
            raise InputError(f"rule {rule!r} needs incomes per head", field="income")
        inc = _non_negative(pd.Series(income), "income", "income")
        inc.index = inc.index.astype(str)
        needed = set(st["dest"]) | (set(st["orig"]) & set(rec.index))
        lacking = sorted(needed - set(inc.index))
        if lacking:
            raise InputError(f"no income per head for {lacking}", field="income")
    pieces, fallbacks = [], []
    for receiver, total in rec.items():
        if total == 0:
            continue
        rows = st[st["orig"] == receiver]
        if rows.empty:
            raise InputError(
                f"{receiver!r} receives remittances but has no emigrant stock to allocate over",
                field="stocks",
            )
        w = rows["stock"].to_numpy()
        if rule == "stock_income_elasticity":
            assert inc is not None
            w = w * inc.reindex(rows["dest"]).to_numpy() ** income_elasticity
        elif rule == "stock_host_income" or rule == "stock_host_origin_income":
            assert inc is not None
            host = inc.reindex(rows["dest"]).to_numpy()
            if rule == "stock_host_origin_income":
                gap = np.maximum(host - inc[receiver], 0.0)
                if (w * gap).sum() > 0:
                    host = gap
                else:
                    fallbacks.append(str(receiver))
            w = w * host
        if w.sum() <= 0:
            raise InputError(f"all allocation weights of {receiver!r} are zero", field="income")
        share = w / w.sum()
        pieces.append(
            pd.DataFrame(
                {
                    "sender": rows["dest"].to_numpy(),
                    "receiver": receiver,
                    "remittances": total * share,
                    "share": share,
                }
            )
        )
    out = (
        pd.concat(pieces, ignore_index=True)
        if pieces
        else pd.DataFrame(columns=["sender", "receiver", "remittances", "share"])
    )
    weights = {
        "stock": "w_ij = M_ij",
        "stock_host_income": "w_ij = M_ij * y_j",
        "stock_host_origin_income": "w_ij = M_ij * max(y_j - y_i, 0)",
        "stock_income_elasticity": f"w_ij = M_ij * y_j^{income_elasticity:g}",
    }[rule]
    assumptions = [
        "each emigrant in a host remits alike, up to the income weighting",
        "recorded receipts are the total to allocate (informal channels are not added)",
        "only corridors with a positive migrant stock carry remittances",
    ]
    if rule != "stock":
        assumptions.append("remittances per migrant rise with host income per head")
    if fallbacks:
        assumptions.append(f"host-income weights used where no host is richer: {fallbacks}")
    return RemittanceCorridors(
        corridors=out,
        rule=rule,
        method=f"Ratha-Shaw allocation of receipts, R_ij = R_i * w_ij / sum w ({weights})",
        assumptions=tuple(assumptions),
        parameters={
            "rule": rule,
            **(
                {"income_elasticity": income_elasticity}
                if rule == "stock_income_elasticity"
                else {}
            ),
            "reference": "Ratha & Shaw (2007), World Bank WP 102",
        },
        fallbacks=tuple(fallbacks),
    )
