"""Seeded synthetic data with known truth, for testing the estimators.

Every table made here is labelled: a ``synthetic`` column set to ``True`` and
``DataFrame.attrs["synthetic"] = True``.  None of it describes any real country; the region
names are placeholders (``C01``, ``C02``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Coefficients used by :func:`gravity_panel` unless others are given.
DEFAULT_GRAVITY_COEFS: dict[str, float] = {
    "log_distance": -1.1,
    "contiguity": 0.6,
    "common_language": 0.4,
    "former_ussr": 0.8,
    "eaeu": 0.5,
    "log_diaspora": 0.3,
    "wage_gap": 0.7,
    "unemployment_gap": -0.05,
}


def _label(df: pd.DataFrame) -> pd.DataFrame:
    df["synthetic"] = True
    df.attrs["synthetic"] = True
    return df


def _names(n: int) -> list[str]:
    return [f"C{i:02d}" for i in range(1, n + 1)]


@dataclass(frozen=True)
class SyntheticGravity:
    """A synthetic bilateral panel and the coefficients it was drawn from."""

    data: pd.DataFrame
    coefficients: Mapping[str, float]
    fixed_effects: str
    synthetic: bool = True


def gravity_panel(
    seed: int,
    *,
    n_countries: int = 12,
    years: range = range(2012, 2020),
    coefficients: Mapping[str, float] | None = None,
    fixed_effects: str = "ot_dt",
    scale: float = 3.0,
) -> SyntheticGravity:
    """Draw Poisson flows from a gravity model with known coefficients.

    ``flow[o, d, t] ~ Poisson(exp(scale + x[o, d, t] @ beta + a[o, t] + g[d, t]))`` for
    ``fixed_effects="ot_dt"``, or with ``a[o] + g[d] + h[t]`` for ``"o_d_t"``.  Countries get
    random coordinates (distance), a random former-USSR group, EAEU membership within it from
    a random year, languages from three groups, a slowly moving log wage and unemployment rate;
    the diaspora term is a fixed log stock per pair.
    """
    rng = np.random.default_rng(seed)
    beta = dict(DEFAULT_GRAVITY_COEFS if coefficients is None else coefficients)
    names = _names(n_countries)
    xy = rng.uniform(0, 40, size=(n_countries, 2))
    ussr = rng.random(n_countries) < 0.5
    eaeu_from = np.where(
        ussr & (rng.random(n_countries) < 0.7),
        rng.integers(years.start, years.stop, n_countries),
        10_000,
    )
    lang = rng.integers(0, 3, n_countries)
    wage0 = rng.normal(0, 0.6, n_countries)
    unemp0 = rng.uniform(3, 12, n_countries)
    yrs = list(years)
    wage = wage0[:, None] + np.cumsum(rng.normal(0.02, 0.05, (n_countries, len(yrs))), axis=1)
    unemp = unemp0[:, None] + np.cumsum(rng.normal(0, 0.4, (n_countries, len(yrs))), axis=1)
    diaspora = rng.normal(5, 0.8, (n_countries, n_countries))
    if fixed_effects == "ot_dt":
        fe_o = rng.normal(0, 0.3, (n_countries, len(yrs)))
        fe_d = rng.normal(0, 0.3, (n_countries, len(yrs)))
    else:
        fe_o = np.repeat(rng.normal(0, 0.3, (n_countries, 1)), len(yrs), axis=1)
        fe_d = np.repeat(rng.normal(0, 0.3, (n_countries, 1)), len(yrs), axis=1)
        fe_d = fe_d + rng.normal(0, 0.3, len(yrs))[None, :]
    rows = []
    for o in range(n_countries):
        for d in range(n_countries):
            if o == d:
                continue
            dist = float(np.hypot(*(xy[o] - xy[d]))) + 1.0
            contig = float(dist < 8.0)
            for ti, year in enumerate(yrs):
                x = {
                    "log_distance": np.log(dist),
                    "contiguity": contig,
                    "common_language": float(lang[o] == lang[d]),
                    "former_ussr": float(ussr[o] and ussr[d]),
                    "eaeu": float(eaeu_from[o] <= year and eaeu_from[d] <= year),
                    "log_diaspora": diaspora[o, d],
                    "wage_gap": wage[d, ti] - wage[o, ti],
                    "unemployment_gap": unemp[d, ti] - unemp[o, ti],
                }
                eta = scale + sum(beta.get(k, 0.0) * v for k, v in x.items())
                eta += fe_o[o, ti] + fe_d[d, ti]
                rows.append(
                    {"orig": names[o], "dest": names[d], "year": year, **x, "mu": np.exp(eta)}
                )
    df = pd.DataFrame(rows)
    df["flow"] = rng.poisson(df["mu"].to_numpy()).astype(float)
    df = df.drop(columns="mu")
    return SyntheticGravity(_label(df), beta, fixed_effects)


@dataclass(frozen=True)
class SyntheticStocks:
    """Stock tables generated from a known flow array, with the births and deaths used.

    ``flows[i, j, b]`` are moves (or stays, ``i == j``) of people born in ``b`` from ``i`` to
    ``j``; ``stock_start[b, i] = sum_j flows[i, j, b] + deaths[b, i]`` and
    ``stock_end[b, j] = sum_i flows[i, j, b] + births[b, j]``.
    """

    regions: tuple[str, ...]
    flows: np.ndarray
    stock_start: pd.DataFrame
    stock_end: pd.DataFrame
    births: pd.Series
    deaths: pd.Series
    synthetic: bool = True
    extra: Mapping[str, object] = field(default_factory=dict)


def stocks_from_flows(
    seed: int,
    *,
    n_regions: int = 6,
    migration_rate: float = 0.01,
    vital: bool = False,
) -> SyntheticStocks:
    """Generate start and end stock tables from a known birthplace-specific flow array.

    The flows follow the minimum-migration structure that the stayer model recovers: every
    person who moves leaves a stock that shrinks and joins one that grows, and within each
    birthplace the movers follow a quasi-independent pattern
    ``f[i, j, b] = r[i, b] * c[j, b]`` (``i != j``), with origin rows and destination columns
    disjoint so that ``min(start, end)`` equals the true stayers.  With ``vital=True`` births
    go to the native born and deaths are proportional to start stocks (the accounting
    assumptions of the demographic method).
    """
    rng = np.random.default_rng(seed)
    n = n_regions
    regions = tuple(_names(n))
    pop = rng.uniform(1e5, 5e6, n)
    base = rng.uniform(0.0, 0.03, (n, n)) * pop[None, :]  # base[b, i]: born b living in i
    np.fill_diagonal(base, pop)
    flows = np.zeros((n, n, n))
    for b in range(n):
        order = rng.permutation(n)
        k = int(rng.integers(1, n))
        senders, receivers = order[:k], order[k:]
        out = base[b, senders] * migration_rate * rng.uniform(0.5, 2.0, k)
        pull = rng.uniform(0.2, 1.0, n - k)
        block = out[:, None] * (pull / pull.sum())[None, :]
        flows[np.ix_(senders, receivers, np.array([b]))] = block[:, :, None]
        moved_out = flows[:, :, b].sum(axis=1)
        flows[np.arange(n), np.arange(n), b] = base[b] - moved_out
    start = flows.sum(axis=1).T  # [b, i]
    end = flows.sum(axis=0).T  # [b, j]
    births = np.zeros(n)
    deaths = np.zeros(n)
    if vital:
        dr = rng.uniform(0.005, 0.015, n)
        br = rng.uniform(0.01, 0.02, n)
        # deaths proportional to start stocks at each residence's death rate
        death_mat = start * dr[None, :]
        start = start + death_mat
        deaths = death_mat.sum(axis=0)
        births = br * np.diag(end)
        end = end + np.diag(births)
    idx = pd.Index(regions, name="birthplace")
    cols = pd.Index(regions, name="residence")
    s0 = pd.DataFrame(start, index=idx, columns=cols)
    s1 = pd.DataFrame(end, index=idx, columns=cols)
    s0.attrs["synthetic"] = s1.attrs["synthetic"] = True
    b_s = pd.Series(births, index=pd.Index(regions, name="region"), name="births")
    d_s = pd.Series(deaths, index=pd.Index(regions, name="region"), name="deaths")
    b_s.attrs["synthetic"] = d_s.attrs["synthetic"] = True
    return SyntheticStocks(regions, flows, s0, s1, b_s, d_s)


def yearly_series(
    seed: int,
    *,
    n_years: int = 30,
    start_year: int = 1995,
    level: float = 1000.0,
    drift: float = 20.0,
    noise: float = 30.0,
    ar: float = 0.0,
) -> pd.DataFrame:
    """Draw a yearly series ``y_t = level + drift * t + u_t``, ``u_t = ar * u_{t-1} + e_t``."""
    rng = np.random.default_rng(seed)
    e = rng.normal(0, noise, n_years)
    u = np.zeros(n_years)
    for t in range(n_years):
        u[t] = (ar * u[t - 1] if t else 0.0) + e[t]
    y = level + drift * np.arange(n_years) + u
    return _label(pd.DataFrame({"year": np.arange(start_year, start_year + n_years), "value": y}))


@dataclass(frozen=True)
class SyntheticRemittances:
    """Migrant stocks, incomes and the true corridors they imply under one allocation rule."""

    stocks: pd.DataFrame
    income: pd.Series
    corridors: pd.DataFrame
    received: pd.Series
    rule: str
    synthetic: bool = True


def remittance_world(
    seed: int, *, n_countries: int = 8, rule: str = "stock_host_income", per_migrant: float = 2.0
) -> SyntheticRemittances:
    """Random bilateral stocks and incomes, and corridors built from a known rule.

    True corridors: ``R_ij = per_migrant * M_ij * h_ij`` with ``h = 1`` (``stock``),
    ``y_j / mean(y)`` (``stock_host_income``) or ``max(y_j - y_i, 0) / mean(y)``
    (``stock_host_origin_income``) or ``(y_j / mean(y)) ** e`` at the default elasticity
    (``stock_income_elasticity``); ``received`` sums them by receiver ``i``.
    """
    rng = np.random.default_rng(seed)
    names = _names(n_countries)
    st = rng.lognormal(8, 1.5, (n_countries, n_countries)) * (
        rng.random((n_countries, n_countries)) < 0.8
    )
    np.fill_diagonal(st, 0.0)
    y = rng.lognormal(9, 0.8, n_countries)
    if rule == "stock":
        h = np.ones((n_countries, n_countries))
    elif rule == "stock_host_income":
        h = np.broadcast_to(y[None, :] / y.mean(), st.shape)
    elif rule == "stock_income_elasticity":  # at the default elasticity of the allocation
        from keruen.models.remittance_allocation import DEFAULT_INCOME_ELASTICITY

        h = np.broadcast_to((y[None, :] / y.mean()) ** DEFAULT_INCOME_ELASTICITY, st.shape)
    else:
        h = np.maximum(y[None, :] - y[:, None], 0.0) / y.mean()
    rem = per_migrant * st * h
    rows = [
        {"orig": names[o], "dest": names[d], "stock": st[o, d]}
        for o in range(n_countries)
        for d in range(n_countries)
        if o != d
    ]
    corr = [
        {"sender": names[d], "receiver": names[o], "remittances": rem[o, d]}
        for o in range(n_countries)
        for d in range(n_countries)
        if rem[o, d] > 0
    ]
    income = pd.Series(y, index=pd.Index(names, name="country"), name="income")
    received = pd.Series(rem.sum(axis=1), index=pd.Index(names, name="country"), name="received")
    income.attrs["synthetic"] = received.attrs["synthetic"] = True
    return SyntheticRemittances(
        _label(pd.DataFrame(rows)), income, _label(pd.DataFrame(corr)), received, rule
    )


def remittance_outflows(
    seed: int,
    *,
    n_years: int = 10,
    migrants: float = 5e5,
    per_migrant: float = 3000.0,
    remitter_share: float = 0.8,
) -> tuple[pd.DataFrame, pd.Series]:
    """Yearly remittance outflows sent by a known number of migrants.

    Returns ``(table, true_migrants)``; outflow ``= N_t * p * r_t`` with ``r_t`` drawn within
    ±20 % of ``per_migrant``, so the truth lies inside a ±30 % sensitivity range.
    """
    rng = np.random.default_rng(seed)
    years = np.arange(2010, 2010 + n_years)
    n = migrants * np.exp(np.cumsum(rng.normal(0.02, 0.1, n_years)))
    r = per_migrant * rng.uniform(0.8, 1.2, n_years)
    table = _label(pd.DataFrame({"year": years, "outflow": n * remitter_share * r}))
    return table, pd.Series(n, index=years, name="migrants")


def network_with_blocks(
    seed: int, *, n_blocks: int = 3, size: int = 5, within: float = 100.0, between: float = 2.0
) -> pd.DataFrame:
    """Bilateral flows with planted communities: heavy flows within blocks, light between."""
    rng = np.random.default_rng(seed)
    n = n_blocks * size
    names = _names(n)
    block = np.repeat(np.arange(n_blocks), size)
    rows = []
    for o in range(n):
        for d in range(n):
            if o == d:
                continue
            lam = within if block[o] == block[d] else between
            rows.append(
                {
                    "orig": names[o],
                    "dest": names[d],
                    "value": float(rng.poisson(lam)),
                    "block": int(block[o]),
                }
            )
    return _label(pd.DataFrame(rows))
