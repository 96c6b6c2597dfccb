"""Allocation rules judged against a published bilateral remittance matrix.

Agreement of estimated corridors ``E`` with a reference matrix ``R`` (the World Bank's 2017
bilateral remittance matrix) over the reference corridors above ``min_value`` (US$ 1 M):

* ``log_correlation``: Pearson correlation of ``log E`` and ``log R`` over corridors with
  ``E > 0``;
* ``within_factor_2``: share of the corridors with ``R / 2 <= E <= 2 R`` (``E = 0`` counts as
  outside).

The income elasticity of remittances per migrant is fitted by least squares of
``log(R_ij / M_ij)`` on ``log y_j`` within receivers (receiver effects absorb the receipt
totals, which the allocation fixes anyway).  For the comparison the ``stock_income_elasticity``
rule is cross-fitted: the elasticity used for one half of the receivers is fitted on the other
half, so the rule is not judged on the corridors it was fitted to.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from keruen.errors import InputError
from keruen.models.remittance_allocation import RULES, allocate_remittances

MIN_VALUE = 1e6


def agreement(
    estimated: pd.Series, reference: pd.Series, min_value: float = MIN_VALUE
) -> dict[str, float]:
    """Log-correlation and share within a factor of 2 over reference corridors > ``min_value``.

    Both series are indexed by ``(sender, receiver)``.
    """
    ref = reference[reference > min_value]
    if ref.empty:
        raise InputError(f"no reference corridor above {min_value:g}", field="reference")
    est = estimated.groupby(level=[0, 1]).sum().reindex(ref.index).fillna(0.0)
    pos = est > 0
    log_corr = (
        float(np.corrcoef(np.log(est[pos]), np.log(ref[pos]))[0, 1]) if pos.sum() > 2 else np.nan
    )
    with np.errstate(divide="ignore"):
        ratio = np.abs(np.log(est.to_numpy() / ref.to_numpy()))
    return {
        "corridors": float(len(ref)),
        "estimated": float(pos.sum()),
        "log_correlation": log_corr,
        "within_factor_2": float((ratio <= np.log(2)).mean()),
    }


def fit_income_elasticity(stocks: pd.DataFrame, reference: pd.Series, income: pd.Series) -> float:
    """Within-receiver least-squares slope of ``log(R_ij / M_ij)`` on ``log y_host``."""
    st = stocks.rename(columns={"dest": "sender", "orig": "receiver"})
    st = st.set_index(["sender", "receiver"])["stock"]
    d = pd.concat([st.rename("stock"), reference.rename("R")], axis=1, join="inner")
    d = d[(d["stock"] > 0) & (d["R"] > 0)].reset_index()
    d["ly"] = np.log(income.reindex(d["sender"]).to_numpy())
    d["lr"] = np.log(d["R"] / d["stock"])
    d = d.replace([np.inf, -np.inf], np.nan).dropna(subset=["ly", "lr"])
    if len(d) < 3:
        raise InputError("too few corridors to fit an income elasticity", field="reference")
    yt = d["ly"] - d.groupby("receiver")["ly"].transform("mean")
    rt = d["lr"] - d.groupby("receiver")["lr"].transform("mean")
    denom = float((yt**2).sum())
    if denom <= 0:
        raise InputError("host incomes do not vary within receivers", field="income")
    return float((yt * rt).sum() / denom)


def _corridors(res_corridors: pd.DataFrame) -> pd.Series:
    return res_corridors.set_index(["sender", "receiver"])["remittances"]


def compare_rules(
    stocks: pd.DataFrame,
    received: pd.Series,
    income: pd.Series,
    reference: pd.Series,
    *,
    rules: Sequence[str] = RULES,
    min_value: float = MIN_VALUE,
) -> pd.DataFrame:
    """Agreement of each allocation rule with ``reference``, best first (log-correlation).

    The ``stock_income_elasticity`` row is cross-fitted over two halves of the receivers (see
    the module docstring); its ``income_elasticity`` column holds the full-sample fit.
    """
    rows = []
    for rule in rules:
        row: dict[str, object] = {"rule": rule}
        if rule == "stock_income_elasticity":
            receivers = sorted(set(stocks["orig"]))
            halves = [set(receivers[0::2]), set(receivers[1::2])]
            pieces = []
            for k in (0, 1):
                fit_on = reference[reference.index.get_level_values(1).isin(halves[1 - k])]
                e = fit_income_elasticity(
                    stocks[stocks["orig"].isin(halves[1 - k])], fit_on, income
                )
                rec = received[received.index.isin(halves[k])]
                res = allocate_remittances(
                    stocks, rec, income, rule="stock_income_elasticity", income_elasticity=e
                )
                pieces.append(_corridors(res.corridors))
            est = pd.concat(pieces)
            row["income_elasticity"] = fit_income_elasticity(stocks, reference, income)
        else:
            res = allocate_remittances(stocks, received, income, rule=rule)  # type: ignore[arg-type]
            est = _corridors(res.corridors)
        row.update(agreement(est, reference, min_value))
        rows.append(row)
    table = pd.DataFrame(rows).set_index("rule")
    return table.sort_values(["log_correlation", "within_factor_2"], ascending=False)
