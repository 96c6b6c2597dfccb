"""Remittance-based indicators of a country's place in labour migration (pure functions).

Remittances are the proxy the literature falls back on where migration flows are not observed
(World Bank, *Migration and Development Briefs*; Kelinbayeva et al. 2025 for Kazakhstan): money
paid abroad tracks the foreign workers a country employs, money received tracks its own
citizens working abroad.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def outflow_inflow_ratio(
    outflow: pd.Series | float, inflow: pd.Series | float
) -> pd.Series | float:
    """Outflow/inflow ratio: remittances paid ÷ remittances received (NaN where inflow ≤ 0)."""
    inflow_arr = np.asarray(inflow, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(inflow_arr > 0, np.asarray(outflow, dtype=float) / inflow_arr, np.nan)
    return pd.Series(ratio, index=outflow.index) if isinstance(outflow, pd.Series) else float(ratio)


def donor_recipient_index(
    outflow: pd.Series | float, inflow: pd.Series | float
) -> pd.Series | float:
    """Donor–recipient index (O − I) / (O + I), in [−1, 1].

    +1: only remittances paid (the country employs foreign workers: a recipient of labour);
    −1: only remittances received (its workers are abroad: a donor of labour); 0: balance.
    """
    o = np.asarray(outflow, dtype=float)
    i = np.asarray(inflow, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        index = np.where(o + i > 0, (o - i) / (o + i), np.nan)
    return pd.Series(index, index=outflow.index) if isinstance(outflow, pd.Series) else float(index)


def share_of_gdp(inflow: pd.Series, gdp: pd.Series) -> pd.Series:
    """Remittances received as a percentage of GDP: 100 · inflow / GDP (both current US$)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.Series(np.where(gdp > 0, 100.0 * inflow / gdp, np.nan), index=inflow.index)


def growth_rate(values: pd.Series) -> pd.Series:
    """Year-on-year growth in percent: 100 · (x_t / x_{t−1} − 1), for a series indexed by year."""
    ordered = values.sort_index()
    return 100.0 * (ordered / ordered.shift(1) - 1.0)


def remittance_measures(panel: pd.DataFrame) -> pd.DataFrame:
    """Per country and year: net paid, outflow/inflow ratio, donor–recipient index, % of GDP, per capita.

    ``panel`` has columns ``ref_area, period, inflow, outflow`` (current US$) and optionally
    ``gdp`` (current US$), ``population`` and ``migrant_stock`` (persons). Adds
    ``net_paid = outflow − inflow`` (positive: the country pays out more than it receives, the
    sign of the donor–recipient index), ``ratio``, ``dri``, ``share_gdp``,
    ``inflow_per_capita``, ``outflow_per_migrant`` (outflow ÷ immigrant stock) where the inputs
    exist.
    """
    out = panel.copy()
    out["net_paid"] = out["outflow"] - out["inflow"]
    out["ratio"] = outflow_inflow_ratio(out["outflow"], out["inflow"])
    out["dri"] = donor_recipient_index(out["outflow"], out["inflow"])
    if "gdp" in out:
        out["share_gdp"] = share_of_gdp(out["inflow"], out["gdp"])
    if "population" in out:
        out["inflow_per_capita"] = out["inflow"] / out["population"]
    if "migrant_stock" in out:
        out["outflow_per_migrant"] = out["outflow"] / out["migrant_stock"]
    return out


def rank_within(
    values: pd.Series, *, descending: bool = True, by: pd.Series | None = None
) -> pd.Series:
    """Rank of each value in its group (1 = largest when ``descending``); ties share a rank.

    With ``by``, values are ranked within each group of ``by`` (e.g. per year) in one pass.
    """
    grouped = values if by is None else values.groupby(by)
    return grouped.rank(ascending=not descending, method="min").astype("Int64")


def ratio_summary(outflow: pd.Series, inflow: pd.Series) -> dict[str, float]:
    """Summary of the outflow/inflow ratio over the years both are known.

    ``mean_of_ratios`` = mean over years of O_t/I_t (how the paper reads "on average");
    ``ratio_of_sums`` = ΣO_t / ΣI_t (weights years by volume); plus min, max and the years used.
    """
    both = pd.concat({"o": outflow, "i": inflow}, axis=1).dropna()
    both = both[both["i"] > 0]
    ratios = both["o"] / both["i"]
    return {
        "mean_of_ratios": float(ratios.mean()) if len(ratios) else float("nan"),
        "ratio_of_sums": float(both["o"].sum() / both["i"].sum()) if len(both) else float("nan"),
        "min": float(ratios.min()) if len(ratios) else float("nan"),
        "max": float(ratios.max()) if len(ratios) else float("nan"),
        "first_year": float(both.index.min()) if len(both) else float("nan"),
        "last_year": float(both.index.max()) if len(both) else float("nan"),
        "n_years": float(len(ratios)),
    }
