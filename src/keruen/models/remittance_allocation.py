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

**Both margins.** Given the senders' recorded outflows ``P_j`` too (``paid``), the weights are a
prior fitted by biproportional fitting (IPF, :func:`keruen.models.ipf.ipf`; Deming & Stephan
1940) so that each receiver's corridors sum to its recorded receipts and each sender's to its
recorded payments, ``R_ij = a_i b_j w_ij``.  Where one margin is not held (a sender that
publishes no outflow, such as Turkmenistan; a receiver with no recorded receipts) the default,
``unreported="unallocated"``, estimates none of its corridors: what the other side's record
holds for it stays unallocated, its sender (receiver) unknown.  ``unreported="fallback"``
instead falls back to the one margin held: a sender without a recorded outflow gets its weight
share of each receiver's receipts (``margins = "receipts"``), a receiver without recorded
receipts its weight share of each sender's payments (``"payments"``).  The rest is fitted on
both margins (``"both"``).  Their totals differ (the world's recorded receipts exceed its
recorded payments), so one explicit ``unallocated`` sender (or receiver, if payments exceed
receipts) takes the difference, a priori the same share of every receiver's (sender's)
remaining total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from keruen.errors import ConvergenceError, InputError
from keruen.models.ipf import ipf

Margins = Literal["both", "receipts", "payments"]
Unreported = Literal["fallback", "unallocated"]
#: The sender (or receiver) that takes the difference between recorded receipts and payments.
UNALLOCATED = "unallocated"
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
    """Estimated corridors ``sender, receiver, remittances, share, margins`` with provenance.

    ``margins`` says which recorded totals a corridor was fitted to (``both``, ``receipts``,
    ``payments``); ``share`` is its part of the receiver's allocated receipts.  ``senders``
    puts each sender's recorded outflow (NaN: not held) beside its allocated total, with an
    ``unallocated`` row for receipts no recorded payment accounts for; ``unallocated`` lists
    that difference by receiver (or by sender, ``side``).
    """

    corridors: pd.DataFrame
    rule: str
    method: str
    assumptions: tuple[str, ...]
    parameters: Mapping[str, object] = field(default_factory=dict)
    fallbacks: tuple[str, ...] = ()
    senders: pd.DataFrame = field(default_factory=pd.DataFrame)
    unallocated: pd.DataFrame = field(default_factory=pd.DataFrame)

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


def allocation_weights(
    stocks: pd.DataFrame,
    receivers: list[str],
    income: pd.Series | None,
    rule: AllocationRule,
    income_elasticity: float,
) -> tuple[pd.DataFrame, list[str]]:
    """Weights ``w_ij`` (columns ``sender, receiver, w``) of ``receivers`` by ``rule``.

    ``stocks`` is checked (``orig, dest, stock`` with positive off-diagonal stocks). Returns
    the receivers whose income-gap weights fell back to host income.
    """
    rows = stocks[stocks["orig"].isin(receivers)]
    w = rows["stock"].to_numpy(dtype=float)
    fallbacks: list[str] = []
    if rule != "stock":
        assert income is not None
        host = income.reindex(rows["dest"]).to_numpy(dtype=float)
        if rule == "stock_income_elasticity":
            host = host**income_elasticity
        elif rule == "stock_host_origin_income":
            gap = np.maximum(host - income.reindex(rows["orig"]).to_numpy(dtype=float), 0.0)
            # no richer host: the receiver's host-income weights are used instead, and said
            none = pd.Series(w * gap).groupby(rows["orig"].to_numpy()).transform("sum") <= 0
            host = np.where(none.to_numpy(), host, gap)
            fallbacks = sorted(set(rows["orig"].to_numpy()[none.to_numpy()]))
        w = w * host
    out = pd.DataFrame({"sender": rows["dest"].to_numpy(), "receiver": rows["orig"].to_numpy()})
    return out.assign(w=w), fallbacks


def allocate_remittances(
    stocks: pd.DataFrame,
    received: pd.Series,
    income: pd.Series | None = None,
    *,
    rule: AllocationRule = DEFAULT_RULE,
    income_elasticity: float = DEFAULT_INCOME_ELASTICITY,
    paid: pd.Series | None = None,
    unreported: Unreported = "unallocated",
) -> RemittanceCorridors:
    """Allocate remittances over corridors: receipts only, or both margins given ``paid``.

    ``stocks`` has columns ``orig`` (country of birth, the receiver), ``dest`` (host, the
    sender) and ``stock``; ``received`` maps receiver → recorded remittances received,
    ``paid`` sender → recorded remittances paid (a country absent from either is "not held");
    ``income`` maps country → income per head (needed by the income rules).  See the module
    docstring for the formulas.  Raises :class:`InputError` for unknown rules, negative or
    missing values, missing incomes and receivers with remittances but no emigrants in
    ``stocks``.
    """
    if rule not in RULES:
        raise InputError(f"unknown allocation rule {rule!r}; use one of {RULES}", field="rule")
    if unreported not in ("fallback", "unallocated"):
        raise InputError(
            f"unknown treatment {unreported!r} of unreported margins; use fallback or "
            "unallocated",
            field="unreported",
        )
    _check_columns(stocks, ["orig", "dest", "stock"], "stocks")
    st = stocks[["orig", "dest"]].astype(str).copy()
    st["stock"] = _non_negative(stocks["stock"], "stocks", "stock").to_numpy()
    st = st[(st["orig"] != st["dest"]) & (st["stock"] > 0)]
    rec = _non_negative(pd.Series(received), "received", "remittances")
    rec.index = rec.index.astype(str)
    pay: pd.Series | None = None
    if paid is not None:
        pay = _non_negative(pd.Series(paid), "paid", "remittances")
        pay.index = pay.index.astype(str)
    receivers = [str(r) for r, v in rec.items() if v > 0]
    for receiver in receivers:
        if not (st["orig"] == receiver).any():
            raise InputError(
                f"{receiver!r} receives remittances but has no emigrant stock to allocate over",
                field="stocks",
            )
    if pay is not None:  # receivers without recorded receipts take a share of payments
        receivers += sorted(set(st["orig"]) - set(rec.index))
    inc: pd.Series | None = None
    if rule != "stock":
        if income is None:
            raise InputError(f"rule {rule!r} needs incomes per head", field="income")
        inc = _non_negative(pd.Series(income), "income", "income")
        inc.index = inc.index.astype(str)
        needed = set(st.loc[st["orig"].isin(receivers), "dest"]) | set(receivers)
        lacking = sorted(needed - set(inc.index))
        if lacking:
            raise InputError(f"no income per head for {lacking}", field="income")
    weights, fallbacks = allocation_weights(st, receivers, inc, rule, income_elasticity)
    wide = weights.pivot_table(
        index="sender", columns="receiver", values="w", aggfunc="sum", fill_value=0.0
    )
    for receiver in wide.columns:
        if receiver in rec.index and wide[receiver].sum() <= 0:
            raise InputError(f"all allocation weights of {receiver!r} are zero", field="income")
    if pay is None:
        fitted, margins, unalloc = _receipts_only(wide, rec)
    else:
        try:
            fitted, margins, unalloc = _both_margins(wide, rec, pay, unreported)
        except ConvergenceError as exc:
            raise ConvergenceError(
                f"rule {rule!r}: the zero weights leave some recorded payments no receiver "
                f"that can take them, so both margins cannot be met ({exc}); allocate "
                "receipts only (no paid) or use another rule"
            ) from exc
    out = _long(fitted, margins)
    weights_text = {
        "stock": "w_ij = M_ij",
        "stock_host_income": "w_ij = M_ij * y_j",
        "stock_host_origin_income": "w_ij = M_ij * max(y_j - y_i, 0)",
        "stock_income_elasticity": f"w_ij = M_ij * y_j^{income_elasticity:g}",
    }[rule]
    assumptions = [
        "each emigrant in a host remits alike, up to the income weighting",
        "recorded receipts are the total to allocate (informal channels are not added)"
        if pay is None
        else "recorded receipts and payments are the totals to match (informal channels are "
        "not added); their difference is left unallocated",
        "only corridors with a positive migrant stock carry remittances",
    ]
    if rule != "stock":
        assumptions.append("remittances per migrant rise with host income per head")
    if fallbacks:
        assumptions.append(f"host-income weights used where no host is richer: {fallbacks}")
    senders = _sender_totals(out, pay, unalloc, list(wide.index), unreported)
    if pay is None:
        method = f"Ratha-Shaw allocation of receipts, R_ij = R_i * w_ij / sum w ({weights_text})"
    else:
        method = (
            "Ratha-Shaw weights fitted to receivers' recorded receipts and senders' recorded "
            f"payments by biproportional fitting (IPF), R_ij = a_i * b_j * w_ij ({weights_text})"
        )
        listed = senders[senders["sender"] != UNALLOCATED]
        by_margin = listed.groupby("margins")["sender"].nunique().to_dict()
        assumptions.append(
            f"senders fitted to both margins: {by_margin.get('both', 0)}; outflow not held: "
            + (
                f"{by_margin.get('receipts', 0)}, fitted to receivers' receipts only"
                if unreported == "fallback"
                else f"{by_margin.get('not held', 0)}, their part left unallocated"
            )
        )
    return RemittanceCorridors(
        corridors=out,
        rule=rule,
        method=method,
        assumptions=tuple(assumptions),
        parameters={
            "rule": rule,
            **(
                {"income_elasticity": income_elasticity}
                if rule == "stock_income_elasticity"
                else {}
            ),
            "margins": "receipts" if pay is None else "both",
            **({} if pay is None else {"unreported": unreported}),
            "unallocated": float(unalloc["remittances"].sum()) if len(unalloc) else 0.0,
            "reference": "Ratha & Shaw (2007), World Bank WP 102"
            + ("" if pay is None else "; Deming & Stephan (1940) IPF"),
        },
        fallbacks=tuple(fallbacks),
        senders=senders,
        unallocated=unalloc,
    )


_EMPTY_UNALLOCATED = pd.DataFrame(
    {"side": pd.Series(dtype=str), "country": pd.Series(dtype=str), "remittances": []}
)


def _receipts_only(
    wide: pd.DataFrame, rec: pd.Series
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``R_ij = R_i * w_ij / sum_k w_kj`` for every receiver with recorded receipts."""
    cols = [c for c in wide.columns if rec.get(c, 0.0) > 0]
    w = wide[cols]
    fitted = w * (rec.reindex(cols) / w.sum(axis=0)).to_numpy()[None, :]
    margins = pd.DataFrame("receipts", index=fitted.index, columns=fitted.columns)
    return fitted, margins, _EMPTY_UNALLOCATED.copy()


def _both_margins(
    wide: pd.DataFrame, rec: pd.Series, pay: pd.Series, unreported: Unreported
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Fit ``wide`` (sender × receiver weights) to receipts and payments; see the module doc."""
    w = wide.loc[[s for s in wide.index if pay.get(s, np.nan) != 0]]  # a zero payer sends none
    w = w[[c for c in w.columns if rec.get(c, np.nan) != 0]]
    s_rep = [s for s in w.index if s in pay.index]
    s_not = [s for s in w.index if s not in pay.index]
    r_rep = [r for r in w.columns if r in rec.index]
    r_not = [r for r in w.columns if r not in rec.index]
    fitted = pd.DataFrame(0.0, index=w.index, columns=w.columns)
    margins = pd.DataFrame("", index=w.index, columns=w.columns)
    if unreported == "fallback":
        col = w[r_rep].sum(axis=0)
        fitted.loc[s_not, r_rep] = w.loc[s_not, r_rep] * (rec[r_rep] / col).to_numpy()[None, :]
        margins.loc[s_not, r_rep] = "receipts"
        row = w.loc[s_rep].sum(axis=1)
        fitted.loc[s_rep, r_not] = w.loc[s_rep, r_not] * (pay[s_rep] / row).to_numpy()[:, None]
        margins.loc[s_rep, r_not] = "payments"
    r_left = rec[r_rep] - fitted[r_rep].sum(axis=0)
    p_left = pay[s_rep] - fitted.loc[s_rep].sum(axis=1)
    core = w.loc[s_rep, r_rep].to_numpy()
    # a margin left with no weight to carry it (all of a sender's emigrant origins, or all of a
    # receiver's hosts, are outside the fit) is unallocated as a whole
    dead_rows = (core.sum(axis=1) == 0) & (p_left.to_numpy() > 0)
    dead_cols = (core.sum(axis=0) == 0) & (r_left.to_numpy() > 0)
    pieces = [
        pd.DataFrame(
            {"side": side, "country": left.index[dead], "remittances": left.to_numpy()[dead]}
        )
        for side, left, dead in (("receiver", p_left, dead_rows), ("sender", r_left, dead_cols))
    ]
    hostless = pay[(pay > 0) & ~pay.index.isin(w.index)]  # payers hosting no emigrants listed
    pieces.append(
        pd.DataFrame({"side": "receiver", "country": hostless.index, "remittances": hostless})
    )
    rows_t = np.where(dead_rows, 0.0, p_left.to_numpy())
    cols_t = np.where(dead_cols, 0.0, r_left.to_numpy())
    gap = float(cols_t.sum() - rows_t.sum())
    if core.size and (cols_t.sum() > 0 or rows_t.sum() > 0):
        col_sum = core.sum(axis=0)
        seed = core * np.divide(cols_t, col_sum, out=np.zeros(len(r_rep)), where=col_sum > 0)
        if gap >= 0:  # receipts no recorded payment accounts for: an unallocated sender
            extra = cols_t * gap / max(float(cols_t.sum()), 1e-300)
            fit = ipf(np.vstack([seed, extra]), [np.append(rows_t, gap), cols_t])
            fitted.loc[s_rep, r_rep] = fit[:-1]
            pieces.append(
                pd.DataFrame({"side": "sender", "country": r_rep, "remittances": fit[-1]})
            )
        else:  # payments no recorded receipt accounts for: an unallocated receiver
            extra = rows_t * -gap / max(float(rows_t.sum()), 1e-300)
            fit = ipf(np.hstack([seed, extra[:, None]]), [rows_t, np.append(cols_t, -gap)])
            fitted.loc[s_rep, r_rep] = fit[:, :-1]
            pieces.append(
                pd.DataFrame({"side": "receiver", "country": s_rep, "remittances": fit[:, -1]})
            )
        margins.loc[s_rep, r_rep] = "both"
    unalloc = pd.concat([_EMPTY_UNALLOCATED, *pieces], ignore_index=True)
    unalloc = unalloc.groupby(["side", "country"], as_index=False)["remittances"].sum()
    noise = 1e-9 * max(float(rec.sum()), float(pay.sum()), 1.0)  # IPF's own tolerance
    unalloc = unalloc[unalloc["remittances"] > noise].reset_index(drop=True)
    return fitted, margins, unalloc


def _long(fitted: pd.DataFrame, margins: pd.DataFrame) -> pd.DataFrame:
    """Positive cells as ``sender, receiver, remittances, share, margins``."""
    long = fitted.stack().rename("remittances").rename_axis(["sender", "receiver"])
    long = long[long > 0].reset_index()
    if long.empty:
        return pd.DataFrame(columns=["sender", "receiver", "remittances", "share", "margins"])
    long["share"] = long["remittances"] / long.groupby("receiver")["remittances"].transform(
        "sum"
    )
    long["margins"] = [margins.at[s, r] for s, r in zip(long["sender"], long["receiver"])]
    return long


def _sender_totals(
    corridors: pd.DataFrame,
    pay: pd.Series | None,
    unalloc: pd.DataFrame,
    hosts: list[str],
    unreported: Unreported,
) -> pd.DataFrame:
    """Each sender's recorded outflow (NaN: not held) beside its allocated total.

    ``unallocated`` is the part of a sender's payments no receiver's weight could carry.
    """
    allocated = corridors.groupby("sender")["remittances"].sum()
    senders = sorted(set(allocated.index) | set(hosts) | (set() if pay is None else set(pay.index)))
    recorded = (
        pay.reindex(senders) if pay is not None else pd.Series(np.nan, index=senders)
    ).astype(float)
    table = pd.DataFrame(
        {
            "sender": senders,
            "recorded": recorded.to_numpy(),
            "allocated": allocated.reindex(senders).fillna(0.0).to_numpy(),
        }
    )
    side = unalloc[unalloc["side"] == "receiver"].groupby("country")["remittances"].sum()
    table["unallocated"] = side.reindex(senders).fillna(0.0).to_numpy()
    # fitted to its recorded outflow ("both"), to receipts only, or "not held": left unallocated
    unheld = "receipts" if pay is None or unreported == "fallback" else "not held"
    table["margins"] = np.where(table["recorded"].notna(), "both", unheld)
    lost = float(unalloc.loc[unalloc["side"] == "sender", "remittances"].sum())
    if lost > 0:  # receipts that no recorded payment accounts for: the sender is unknown
        row = {"sender": UNALLOCATED, "recorded": np.nan, "allocated": lost, "unallocated": 0.0}
        table = pd.concat([table, pd.DataFrame([row | {"margins": "receipts"}])])
    table = table[(table["allocated"] > 0) | table["recorded"].notna() | (pay is not None)]
    return table.reset_index(drop=True)
