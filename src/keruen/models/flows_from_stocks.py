"""Bilateral migration flows estimated from two bilateral migrant-stock tables.

Two families of estimators:

* **Stock differencing** (Beine, Bertoli & Fernández-Huertas Moraga 2016): the flow from
  birthplace ``i`` to residence ``j`` is the increase ``S1[i, j] - S0[i, j]`` of the foreign-born
  stock, negative changes set to zero (``diff``) or read as returns ``j -> i`` (``diff-return``).
* **Closed demographic accounting** (Abel 2013; Abel & Sander 2014; Abel & Cohen 2019): stocks by
  birthplace × residence at the start and the end of a period, net of births and deaths, are the
  margins of a three-way origin × destination × birthplace flow table, filled by iterative
  proportional fitting (IPF).  The default quasi-independence ("stayer") model fixes the
  diagonal ``f[i, i, b] = min(S0[b, i], S1[b, i])`` (the most people who can have stayed) and
  fits ``log f[i, j, b] = a[i, b] + c[j, b]`` off the diagonal, which yields the minimum migration
  consistent with the stock change. :mod:`keruen.models.pseudo_bayes` shrinks that minimum
  table toward the independence fit of the same margins (Azose & Raftery 2019).

The steps and defaults follow migest 2.0.x ``ffs_demo`` (``match_global="before-demo-adjust"``,
``match_birthplace_tot_method="rescale"``, ``birth_method="native"``, ``death_method=
"proportion"``), against which ``tests/test_flows_from_stocks_migest.py`` checks agreement.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from keruen.errors import EstimationError, InputError
from keruen.models.ipf import ipf_axes

FlowMethod = Literal["demo", "diff", "diff-return"]
PobTotMethod = Literal["rescale", "open", "open-dr"]

IPF_TOL = 1e-3
IPF_MAX_ITER = 100_000
#: a stock change above this share of the start population refutes zero births and deaths
ZERO_EVENTS_TOLERANCE = 1e-3
#: a gap between the stock change and births - deaths above this share of the start population
#: cannot be reconciled by rescaling the native born without distorting them: a warning
BALANCE_WARN_SHARE = 0.01


class BalanceWarning(UserWarning):
    """The stocks' change and births minus deaths disagree more than rescaling can hide."""


def check_balance(
    m0: np.ndarray, m1: np.ndarray, births: np.ndarray, deaths: np.ndarray
) -> dict[str, float]:
    """Compare the stocks' change with births minus deaths (closed-world demographic balance).

    ``sum(S1) - sum(S0)`` must equal ``sum(B) - sum(D)`` in a closed world.  Raises
    :class:`InputError` when births and deaths are all zero but the population changes by more
    than :data:`ZERO_EVENTS_TOLERANCE` of its start size (zeros contradict the stocks); warns
    (:class:`BalanceWarning`) when the gap exceeds :data:`BALANCE_WARN_SHARE` of the start
    population or a region's native-born stock would have to change by more than half.
    """
    p0, p1 = float(m0.sum()), float(m1.sum())
    change, natural = p1 - p0, float(births.sum() - deaths.sum())
    gap = change - natural
    share = abs(gap) / p0 if p0 > 0 else 0.0
    if births.sum() == 0 and deaths.sum() == 0 and share > ZERO_EVENTS_TOLERANCE:
        raise InputError(
            f"births and deaths are all zero but the stocks' total changes by {change:,.0f} "
            f"({change / p0:+.1%} of the start population): zero vital events contradict the "
            "stocks; give births and deaths (by default keruen uses UN WPP 2024)",
            field="births",
        )
    native = np.diag(m1).sum()
    factor = (native - gap) / native if native > 0 else 1.0
    if share > BALANCE_WARN_SHARE or not 0.5 <= factor <= 2.0:
        warnings.warn(
            f"the stocks' change ({change:,.0f}) and births minus deaths ({natural:,.0f}) "
            f"differ by {gap:,.0f} ({share:.1%} of the start population); the native-born "
            f"end stocks are rescaled by about {factor:.3f} to close the balance, which "
            "distorts the flows: check the vital events or the regions covered",
            BalanceWarning,
            stacklevel=3,
        )
    return {"stock_change": change, "births_minus_deaths": natural, "balance_gap": gap}


@dataclass(frozen=True)
class FlowsFromStocksResult:
    """Estimated flows with their provenance.

    ``flows`` is the origin × destination × birthplace array (axis order as ``regions``);
    ``od`` the origin × destination table summed over birthplace, its diagonal holding the
    estimated stayers (zero for the differencing methods).
    """

    regions: tuple[str, ...]
    flows: np.ndarray
    method: str
    assumptions: tuple[str, ...]
    parameters: Mapping[str, object] = field(default_factory=dict)
    iterations: int = 0

    @property
    def od(self) -> pd.DataFrame:
        """Origin × destination flows summed over birthplace (diagonal = stayers)."""
        mat = self.flows.sum(axis=2)
        idx = pd.Index(self.regions, name="orig")
        return pd.DataFrame(mat, index=idx, columns=pd.Index(self.regions, name="dest"))

    def to_frame(self) -> pd.DataFrame:
        """Long ``orig, dest, flow`` table summed over birthplace, stayers excluded."""
        long = self.od.stack().rename("flow").reset_index()
        return long[long["orig"] != long["dest"]].reset_index(drop=True)


# --------------------------------------------------------------------------- validation


def _as_square(stock: pd.DataFrame, name: str) -> pd.DataFrame:
    if not isinstance(stock, pd.DataFrame):
        raise InputError(f"{name} must be a birthplace × residence DataFrame", field=name)
    rows, cols = [str(x) for x in stock.index], [str(x) for x in stock.columns]
    if len(set(rows)) != len(rows) or len(set(cols)) != len(cols):
        raise InputError(f"{name} has duplicated region labels", field=name)
    if set(rows) != set(cols):
        missing = sorted(set(rows) ^ set(cols))
        raise InputError(
            f"{name}: birthplaces and residences disagree (only on one side: {missing})",
            field=name,
        )
    out = stock.copy()
    out.index, out.columns = rows, cols
    values = out.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise InputError(f"{name} has missing or non-finite stocks", field=name)
    if (values < 0).any():
        i, j = np.argwhere(values < 0)[0]
        raise InputError(
            f"{name} has a negative stock ({values[i, j]:g}) for birthplace {rows[i]!r}, "
            f"residence {cols[j]!r}",
            field=name,
        )
    return out


def _as_vector(values: pd.Series | None, regions: list[str], name: str) -> np.ndarray:
    if values is None:
        return np.zeros(len(regions))
    vec = pd.Series(values)
    vec.index = [str(x) for x in vec.index]
    if set(vec.index) != set(regions):
        diff = sorted(set(vec.index) ^ set(regions))
        raise InputError(f"{name}: regions disagree with the stock tables ({diff})", field=name)
    arr = vec.reindex(regions).to_numpy(dtype=float, copy=True)
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise InputError(f"{name} must be finite and non-negative", field=name)
    return arr


def _prepare(
    stock_start: pd.DataFrame,
    stock_end: pd.DataFrame,
    births: pd.Series | None,
    deaths: pd.Series | None,
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    s0 = _as_square(stock_start, "stock_start")
    s1 = _as_square(stock_end, "stock_end")
    regions = list(s0.index)
    if set(s1.index) != set(regions):
        diff = sorted(set(s1.index) ^ set(regions))
        raise InputError(
            f"stock_start and stock_end cover different regions: {diff}", field="stock_end"
        )
    if len(regions) < 2:
        raise InputError("at least two regions are needed", field="stock_start")
    m0 = s0.loc[regions, regions].to_numpy(dtype=float, copy=True)
    m1 = s1.loc[regions, regions].to_numpy(dtype=float, copy=True)
    return (
        regions,
        m0,
        m1,
        _as_vector(births, regions, "births"),
        _as_vector(deaths, regions, "deaths"),
    )


# --------------------------------------------------------------------------- differencing


def stock_difference(
    stock_start: pd.DataFrame,
    stock_end: pd.DataFrame,
    *,
    returns: bool = False,
) -> FlowsFromStocksResult:
    """Flows as positive changes in foreign-born stocks.

    ``flow[i -> j] = max(S1[i, j] - S0[i, j], 0)`` for birthplace ``i``, residence ``j != i``;
    with ``returns=True`` a decrease of ``S[i, j]`` adds ``S0[i, j] - S1[i, j]`` to the return
    flow ``j -> i`` (Beine & Parsons 2015; Beine, Bertoli & Fernández-Huertas Moraga 2016).
    """
    regions, m0, m1, _, _ = _prepare(stock_start, stock_end, None, None)
    np.fill_diagonal(m0, 0.0)
    np.fill_diagonal(m1, 0.0)
    change = m1 - m0  # change[b, r]: stock born in b living in r
    n = len(regions)
    flows = np.zeros((n, n, n))  # flows[orig, dest, birthplace]
    for b in range(n):
        flows[b, :, b] += np.clip(change[b], 0.0, None)  # emigration b -> r
        if returns:
            flows[:, b, b] += np.clip(-change[b], 0.0, None)  # returns r -> b
    return FlowsFromStocksResult(
        regions=tuple(regions),
        flows=flows,
        method="stock differencing with returns" if returns else "stock differencing",
        assumptions=(
            "flows equal net changes in bilateral foreign-born stocks",
            "no mortality, births or onward moves among migrants",
            "decreases are returns to the birthplace"
            if returns
            else "decreases in stocks are ignored (set to zero)",
        ),
        parameters={"returns": returns, "reference": "Beine, Bertoli & Moraga (2016)"},
    )


# --------------------------------------------------------------------------- demographic


def _r_round(x: np.ndarray | float) -> np.ndarray:
    """Round half to even, as R's ``round`` does for exactly representable halves."""
    return np.round(x)


def _rescale_integer_sum(x: np.ndarray, tot: float) -> np.ndarray:
    """Scale ``x`` to sum to ``tot`` in whole numbers; the residual goes to the largest value."""
    xx = _r_round(x * (tot / x.sum()))
    d = tot - xx.sum()
    if d != 0:
        xx[int(np.argmax(np.abs(x)))] += d
    return xx


def _scale_native_born(
    m0: np.ndarray, m1: np.ndarray, b: np.ndarray, d: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Adjust native-born (diagonal) stocks so stock growth equals births minus deaths."""
    m0, m1 = m0.copy(), m1.copy()
    dd = (b - d).sum() - (m1 - m0).sum()
    if abs(dd) <= 1e-9 * max(1.0, m0.sum()):  # floating-point noise, not a discrepancy
        return m0, m1
    tot1, tot2 = np.trace(m0), np.trace(m1)
    rem = dd % 2
    if _r_round(rem) == 0 and rem != 0:
        np.fill_diagonal(m1, _rescale_integer_sum(np.diag(m1).copy(), tot2 + 1))
        dd = (b - d).sum() - (m1 - m0).sum()
        tot2 = np.trace(m1)
    if dd != 0:
        np.fill_diagonal(m0, _rescale_integer_sum(np.diag(m0).copy(), tot1 - dd / 2))
        np.fill_diagonal(m1, _rescale_integer_sum(np.diag(m1).copy(), tot2 + dd / 2))
    return m0, m1


def _scale_columns(m: np.ndarray, targets: np.ndarray) -> np.ndarray:
    sums = m.sum(axis=0)
    factor = np.divide(targets, sums, out=np.zeros_like(targets), where=(sums != 0))
    factor[targets == 0] = 0.0
    return m * factor[None, :]


def _ipf_margins(
    seed: np.ndarray, axes_targets: list[tuple[tuple[int, ...], np.ndarray]], what: str
) -> tuple[np.ndarray, int]:
    """:func:`keruen.models.ipf.ipf_axes` at migest's tolerance (``IPF_TOL``, ``IPF_MAX_ITER``)."""
    return ipf_axes(seed, axes_targets, what, tol=IPF_TOL, max_iter=IPF_MAX_ITER)


def _match_birthplace_totals(
    m0: np.ndarray, m1: np.ndarray, how: PobTotMethod
) -> tuple[np.ndarray, np.ndarray]:
    dd = m0.sum(axis=1) - m1.sum(axis=1)
    if how == "rescale":
        a, _ = _ipf_margins(
            m0, [((0,), m0.sum(axis=1) - dd / 2), ((1,), m0.sum(axis=0))], "rescaling start stocks"
        )
        b, _ = _ipf_margins(
            m1, [((0,), m1.sum(axis=1) + dd / 2), ((1,), m1.sum(axis=0))], "rescaling end stocks"
        )
        return a, b
    # "open": moves into and out of the system absorb the birthplace mismatch, spread like
    # the start stocks (arrivals) and end stocks (departures); "open-dr" (Abel 2013) swaps them
    rows0, rows1 = m0.sum(axis=1), m1.sum(axis=1)
    arrive, leave = np.maximum(-dd, 0), np.maximum(dd, 0)
    in_seed, out_seed = (m0, m1) if how == "open" else (m1, m0)
    in_rows, out_rows = (rows0, rows1) if how == "open" else (rows1, rows0)
    in_mat = (
        in_seed * np.divide(arrive, in_rows, out=np.zeros_like(dd), where=in_rows != 0)[:, None]
    )
    out_mat = (
        out_seed * np.divide(leave, out_rows, out=np.zeros_like(dd), where=out_rows != 0)[:, None]
    )
    return m0 - out_mat, m1 - in_mat


def demographic_accounting(
    stock_start: pd.DataFrame,
    stock_end: pd.DataFrame,
    births: pd.Series | None = None,
    deaths: pd.Series | None = None,
    *,
    stayers: bool = True,
    birthplace_totals: PobTotMethod = "rescale",
    seed: pd.DataFrame | None = None,
) -> FlowsFromStocksResult:
    """Estimate flows by closed demographic accounting (Abel & Sander 2014; Abel & Cohen 2019).

    Steps: (1) native-born stocks are scaled so that ``sum(S1) - sum(S0) = sum(B) - sum(D)``;
    (2) births are taken from the native-born end stock, deaths from every start stock in
    proportion to its size; (3) birthplace totals of the two tables are equalised by IPF
    (``rescale``) or by moves in and out of the system (``open``); (4) the flows
    ``f[i, j, b]`` with ``sum_j f = S0[b, i]`` and ``sum_i f = S1[b, j]`` are fitted by IPF,
    under quasi-independence with stayers ``f[i, i, b] = min(S0[b, i], S1[b, i])`` when
    ``stayers`` (default) or under independence otherwise.  ``seed`` is an origin × destination
    prior (e.g. inverse distance) used in both models; migest 2.0.x ignores it under the stayer
    assumption, so results with a seed differ from migest there.  One more deliberate
    difference: a rounding residual in the native-born rescaling goes to the largest region,
    where migest draws the region at random.
    """
    regions, m0, m1, b, d = _prepare(stock_start, stock_end, births, deaths)
    n = len(regions)
    balance = check_balance(m0, m1, b, d)
    if birthplace_totals == "rescale":
        m0, m1 = _scale_native_born(m0, m1, b, d)
    # births to the native born (spread over all birthplaces if they exceed the native born)
    b_mat = np.diag(b)
    short = np.diag(m1) - b < 0
    if short.any():
        b_mat[:, short] = _scale_columns(m1, b)[:, short]
    d_mat = _scale_columns(m0, d)
    m0, m1 = m0 - d_mat, m1 - b_mat
    if (m0 < -1e-9).any() or (m1 < -1e-9).any():
        raise InputError("deaths or births exceed the population of a region", field="deaths")
    m0, m1 = _match_birthplace_totals(m0, m1, birthplace_totals)
    if (m0 < -1e-9).any() or (m1 < -1e-9).any():
        raise EstimationError("birthplace totals cannot be matched without negative stocks")
    # axis order of the flow array: origin i, destination j, birthplace b
    start_ib, end_jb = m0.T, m1.T
    prior = np.ones((n, n)) if seed is None else _prior(seed, regions)
    if stayers:
        stay = np.minimum(start_ib, end_jb)
        x0, x1 = start_ib - stay, end_jb - stay
        x1 = _scale_columns(x1, x0.sum(axis=0))
        base = np.broadcast_to(prior[:, :, None], (n, n, n)).copy()
        base[np.arange(n), np.arange(n), :] = 0.0
        fitted, its = _ipf_margins(base, [((0, 2), x0), ((1, 2), x1)], "stayer-model IPF")
        idx = np.arange(n)
        fitted[idx, idx, :] += stay
    else:
        base = np.broadcast_to(prior[:, :, None], (n, n, n)).copy()
        fitted, its = _ipf_margins(
            base, [((0, 2), start_ib), ((1, 2), end_jb)], "independence-model IPF"
        )
    model = "quasi-independence (stayer)" if stayers else "independence"
    return FlowsFromStocksResult(
        regions=tuple(regions),
        flows=fitted,
        method=f"demographic accounting, {model} log-linear model fitted by IPF",
        assumptions=(
            "the world of the listed regions is closed: migrants move only between them"
            if birthplace_totals == "rescale"
            else "birthplace-total mismatches are moves into or out of the listed regions",
            "births belong to the native-born population of the region of residence",
            "deaths fall on each birthplace group in proportion to its start stock",
            "each person moves at most once in the period (transition, not movement, data)",
            "stayers are the most who could have stayed: min(start, end) stock"
            if stayers
            else "flows independent of origin given destination within birthplace",
        ),
        parameters={
            "stayers": stayers,
            "birthplace_totals": birthplace_totals,
            "seed": "uniform" if seed is None else "user prior",
            "ipf_tol": IPF_TOL,
            **balance,
            "reference": "Abel & Sander (2014); Abel & Cohen (2019); migest 2.0.x ffs_demo",
        },
        iterations=its,
    )


def _prior(seed: pd.DataFrame, regions: list[str]) -> np.ndarray:
    s = seed.copy()
    s.index, s.columns = [str(x) for x in s.index], [str(x) for x in s.columns]
    if set(s.index) != set(regions) or set(s.columns) != set(regions):
        raise InputError("seed regions disagree with the stock tables", field="seed")
    arr = s.loc[regions, regions].to_numpy(dtype=float, copy=True)
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise InputError("seed must be finite and non-negative", field="seed")
    return arr


def flows_from_stocks(
    stock_start: pd.DataFrame,
    stock_end: pd.DataFrame,
    births: pd.Series | None = None,
    deaths: pd.Series | None = None,
    *,
    method: FlowMethod = "demo",
) -> FlowsFromStocksResult:
    """Dispatch by ``method``: ``demo`` (:func:`demographic_accounting`, minimum migration),
    ``diff`` or ``diff-return`` (:func:`stock_difference`). The pseudo-Bayes accounting is
    :func:`keruen.models.pseudo_bayes.pseudo_bayes_accounting` (it builds on this module)."""
    if method == "demo":
        return demographic_accounting(stock_start, stock_end, births, deaths)
    if method == "diff":
        return stock_difference(stock_start, stock_end, returns=False)
    if method == "diff-return":
        return stock_difference(stock_start, stock_end, returns=True)
    raise InputError(
        f"unknown method {method!r}; use demo, diff or diff-return", field="method"
    )


def stocks_from_long(table: pd.DataFrame, name: str = "stock") -> pd.DataFrame:
    """Pivot a long ``birthplace, residence, stock`` table into a square matrix."""
    need = {"birthplace", "residence", "stock"}
    if not need.issubset(table.columns):
        raise InputError(f"{name} needs columns {sorted(need)}", field=name)
    if table.duplicated(["birthplace", "residence"]).any():
        raise InputError(f"{name} repeats a birthplace × residence pair", field=name)
    wide = table.pivot(index="birthplace", columns="residence", values="stock")
    if wide.isna().any().any():
        raise InputError(f"{name} lacks some birthplace × residence pairs", field=name)
    return wide
