"""Push–pull gravity model of bilateral migration, fitted by Poisson pseudo-maximum likelihood.

``E[flow_odt] = exp(x_odt' beta + fixed effects)`` with either origin-time and destination-time
effects (``ot_dt``, the structural gravity specification of Anderson & van Wincoop 2003 as used
for migration by Beine, Bertoli & Fernández-Huertas Moraga 2016) or origin, destination and time
effects (``o_d_t``).  PPML (Santos Silva & Tenreyro 2006) keeps zero flows and is consistent
under heteroskedasticity; standard errors are clustered by origin–destination pair.

Regressors that the fixed effects absorb (e.g. wage or unemployment gaps under ``ot_dt``) are
dropped and reported; observations in a fixed-effect group whose flows are all zero carry no
information about ``beta`` and make the effect diverge to minus infinity, so they are removed
iteratively and counted (Correia, Guimarães & Zylkin 2020).  Zero flows separated by a
combination of regressors and effects are found exactly by the ReLU method
(:mod:`keruen.models._separation`), dropped, and the separating regressors named.  Fitted by
IRLS on explicit dummy variables (checked against statsmodels' GLM in the tests) for panels of
up to about a thousand fixed effects, by absorption (or pyfixest) beyond.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import linalg, stats

from keruen.errors import ConvergenceError, InputError, SingularDesignError
from keruen.models import _ppml_hdfe as _hdfe
from keruen.models._separation import relu_separation

FixedEffects = Literal["ot_dt", "o_d_t"]

#: ``engine="auto"`` fits explicit dummies while rows x effect levels stay below this; beyond,
#: absorbing the effects (pyfixest's compiled demeaning) is faster (benchmarks/bench_gravity.py)
DUMMY_CELLS = 250_000

#: Regressors used when none are named, in the order reported.
DEFAULT_REGRESSORS: tuple[str, ...] = (
    "log_distance",
    "contiguity",
    "common_language",
    "former_ussr",
    "eaeu",
    "log_diaspora",
    "wage_gap",
    "unemployment_gap",
)


@dataclass(frozen=True)
class GravityResult:
    """PPML estimates with what was dropped and why."""

    coefficients: pd.DataFrame
    n_obs: int
    n_separated: int
    dropped_regressors: Mapping[str, str]
    fixed_effects: str
    converged: bool
    iterations: int
    method: str
    assumptions: tuple[str, ...]
    parameters: Mapping[str, object] = field(default_factory=dict)
    separated: pd.DataFrame = field(default_factory=pd.DataFrame)
    separating_regressors: tuple[str, ...] = ()

    def covers(self, truth: Mapping[str, float]) -> dict[str, bool]:
        """Whether each true coefficient lies inside its confidence interval."""
        c = self.coefficients
        return {
            k: bool(c.loc[k, "ci_low"] <= v <= c.loc[k, "ci_high"])
            for k, v in truth.items()
            if k in c.index
        }


def _fe_keys(
    df: pd.DataFrame, orig: str, dest: str, time: str, fe: FixedEffects
) -> dict[str, pd.Series]:
    if fe == "ot_dt":
        return {
            "orig_time": df[orig].astype(str) + "|" + df[time].astype(str),
            "dest_time": df[dest].astype(str) + "|" + df[time].astype(str),
        }
    if fe == "o_d_t":
        return {
            "orig": df[orig].astype(str),
            "dest": df[dest].astype(str),
            "time": df[time].astype(str),
        }
    raise InputError(f"unknown fixed effects {fe!r}; use 'ot_dt' or 'o_d_t'", field="fixed_effects")


def drop_separated(
    df: pd.DataFrame, outcome: str, keys: Mapping[str, pd.Series]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Remove, until none is left, fixed-effect groups whose outcomes are all zero.

    Returns ``(kept, dropped)``.  Dropping one group can empty another, hence the loop.
    """
    keep = pd.Series(True, index=df.index)
    while True:
        changed = False
        for key in keys.values():
            total = df[outcome].where(keep, 0.0).groupby(key[keep]).transform("sum")
            zero = keep & (total.reindex(df.index).fillna(0.0) <= 0)
            if zero.any():
                keep &= ~zero
                changed = True
        if not changed:
            break
    return df[keep], df[~keep]


def _dummies(keys: Mapping[str, pd.Series]) -> tuple[np.ndarray, np.ndarray]:
    """Independent fixed-effect dummy columns and an orthonormal basis of their span."""
    blocks = []
    for key in keys.values():
        codes, levels = pd.factorize(key, sort=True)
        block = np.zeros((len(key), len(levels)))
        block[np.arange(len(key)), codes] = 1.0
        blocks.append(block)
    d = np.hstack(blocks)
    # keep a linearly independent subset of the dummies (rank-revealing QR)
    q, r, piv = linalg.qr(d, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int((diag > diag[0] * 1e-9).sum())
    return d[:, np.sort(piv[:rank])], q[:, :rank]


def _norm(v: np.ndarray) -> float:
    return float(np.sqrt(np.einsum("i,i->", v, v)))


def _identified(
    x: np.ndarray, names: list[str], resid: np.ndarray
) -> tuple[list[int], dict[str, str]]:
    """Find the regressors identified given the fixed effects; give reasons for the others.

    A regressor whose residual ``resid`` after projection on the fixed effects vanishes is
    absorbed; one whose residual is spanned by earlier residuals is collinear.
    """
    kept: list[int] = []
    dropped: dict[str, str] = {}
    x, resid = np.asfortranarray(x), np.asfortranarray(resid)  # contiguous columns
    for j, name in enumerate(names):
        scale = max(float(_norm(x[:, j])), 1.0)
        rj = resid[:, j]
        if np.ptp(x[:, j]) == 0:
            dropped[name] = "constant in the estimation sample"
            continue
        if _norm(rj) <= 1e-8 * scale:
            dropped[name] = "absorbed by the fixed effects"
            continue
        if kept:
            b, *_ = np.linalg.lstsq(resid[:, kept], rj, rcond=None)
            if _norm(rj - resid[:, kept] @ b) <= 1e-8 * scale:
                dropped[name] = "collinear with " + ", ".join(names[k] for k in kept)
                continue
        kept.append(j)
    return kept, dropped


def _irls_poisson(
    y: np.ndarray, x: np.ndarray, maxiter: int, tol: float = 1e-10
) -> tuple[np.ndarray, np.ndarray, int]:
    """Poisson maximum likelihood by iteratively reweighted least squares.

    Working response ``z = eta + (y - mu) / mu`` and weights ``mu``; stops when the deviance
    changes by less than ``tol`` relatively (McCullagh & Nelder 1989, ch. 2.5).
    """
    mu = (y + y.mean()) / 2.0
    eta = np.log(mu)
    dev_old = np.inf
    beta = np.zeros(x.shape[1])
    for it in range(1, maxiter + 1):
        z = eta + (y - mu) / mu
        xw = x * mu[:, None]
        try:
            beta = linalg.solve(xw.T @ x, xw.T @ z, assume_a="pos")
        except (linalg.LinAlgError, ValueError) as exc:
            raise SingularDesignError(f"singular PPML design: {exc}") from exc
        eta = np.clip(x @ beta, -700, 700)
        mu = np.exp(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            dev = 2.0 * np.sum(np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu))
        if not np.isfinite(dev):
            break
        if abs(dev - dev_old) <= tol * (abs(dev) + 0.1):
            return beta, mu, it
        dev_old = dev
    raise ConvergenceError(f"PPML (IRLS) did not converge in {maxiter} iterations")


def _sandwich(
    x: np.ndarray, y: np.ndarray, mu: np.ndarray, groups: np.ndarray, n_params: int | None = None
) -> np.ndarray:
    """Cluster-robust covariance ``B^-1 M B^-1`` of the Poisson estimating equations.

    ``B = X' diag(mu) X``, ``M = sum_g s_g s_g'`` with ``s_g = sum_{i in g} x_i (y_i - mu_i)``,
    times ``G/(G-1) * (N-1)/(N-K)`` (Cameron & Miller 2015; the statsmodels default), ``K``
    counting absorbed fixed effects when ``x`` holds demeaned regressors (``n_params``).
    """
    n, k = x.shape
    big_k = k if n_params is None else n_params
    bread = linalg.inv((x * mu[:, None]).T @ x)
    scores = x * (y - mu)[:, None]
    g_codes, g_index = np.unique(groups, return_inverse=True)
    summed = np.zeros((len(g_codes), k))
    np.add.at(summed, g_index, scores)
    g = len(g_codes)
    factor = g / (g - 1) * (n - 1) / (n - big_k) if g > 1 and n > big_k else 1.0
    return factor * bread @ (summed.T @ summed) @ bread


def _fit_sample(
    kept_df: pd.DataFrame,
    keys: Mapping[str, pd.Series],
    names: list[str],
    outcome: str,
    orig: str,
    dest: str,
    cluster: str,
    engine: str,
    maxiter: int,
) -> tuple[list[str], dict[str, str], np.ndarray, np.ndarray, np.ndarray, int, str]:
    """Identify regressors, fit PPML and return terms, drops, estimates, errors, mu, engine."""
    x = kept_df[names].to_numpy(dtype=float)
    y = kept_df[outcome].to_numpy()
    codes = [pd.factorize(v)[0] for v in keys.values()]
    n_levels = sum(int(c.max()) + 1 for c in codes)
    if engine == "auto":
        engine = "dummies" if n_levels * len(y) <= DUMMY_CELLS else "absorb"
    if engine == "dummies":
        d, basis = _dummies(keys)
        resid = x - basis @ (basis.T @ x)
    else:
        resid = _hdfe.demean(x, np.ones(len(y)), codes)
    kept_idx, dropped = _identified(x, names, resid)
    collinear = {k: v for k, v in dropped.items() if v.startswith("collinear")}
    if collinear:
        raise SingularDesignError(f"regressors are collinear: {collinear}")
    if not kept_idx:
        raise SingularDesignError(f"no regressor is identified: {dropped}")
    k = len(kept_idx)
    if cluster == "pair":
        groups = pd.factorize(kept_df[orig].astype(str) + "->" + kept_df[dest].astype(str))[0]
    else:
        groups = np.arange(len(y))
    if engine == "dummies":
        design = np.hstack([x[:, kept_idx], d])
        beta, mu, iterations = _irls_poisson(y, design, maxiter)
        cov = _sandwich(design, y, mu, groups)
    else:
        beta, mu, xt_last, iterations = _hdfe.irls_poisson_absorbed(
            y, x[:, kept_idx], codes, maxiter
        )
        xt = _hdfe.demean(xt_last, mu, codes)  # warm start: same result as demeaning x
        cov = _sandwich(xt, y, mu, groups, n_params=k + _hdfe.fe_rank(codes))
    est, se = beta[:k], np.sqrt(np.clip(np.diag(cov)[:k], 0.0, None))
    if not (np.isfinite(est).all() and np.isfinite(se).all()) or (se == 0).any():
        raise SingularDesignError("non-finite estimates or zero standard errors")
    return [names[i] for i in kept_idx], dropped, est, se, mu, iterations, engine


def ppml_gravity(
    data: pd.DataFrame,
    *,
    outcome: str = "flow",
    regressors: Sequence[str] | None = None,
    orig: str = "orig",
    dest: str = "dest",
    time: str = "year",
    fixed_effects: FixedEffects = "ot_dt",
    cluster: Literal["pair", "none"] = "pair",
    alpha: float = 0.05,
    maxiter: int = 100,
    engine: Literal["auto", "dummies", "absorb"] = "auto",
) -> GravityResult:
    """Fit a PPML gravity model with fixed effects; see the module docstring for the model.

    Raises :class:`InputError` for missing columns, missing values or negative flows,
    :class:`SingularDesignError` when no regressor is identified or regressors are collinear
    among themselves, and :class:`ConvergenceError` when IRLS does not converge.  Standard
    errors are clustered by pair (``cluster="pair"``) or robust to heteroskedasticity only.
    ``engine="dummies"`` fits explicit dummy variables, ``"absorb"`` demeans by alternating
    projections (for large panels); ``"auto"`` picks dummies while the dummy matrix has at
    most :data:`DUMMY_CELLS` cells.
    """
    names = list(DEFAULT_REGRESSORS if regressors is None else regressors)
    if regressors is None:
        names = [n for n in names if n in data.columns]
    need = [outcome, orig, dest, time, *names]
    missing = [c for c in need if c not in data.columns]
    if missing:
        raise InputError(f"gravity data lack columns {missing}", field=missing[0])
    df = data[need].reset_index(drop=True)
    for col in [outcome, *names]:
        vals = pd.to_numeric(df[col], errors="coerce")
        bad = vals.isna() | ~np.isfinite(vals.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            raise InputError("missing or non-numeric value", row=int(bad.idxmax()) + 1, field=col)
        df[col] = vals.astype(float)
    if (df[outcome] < 0).any():
        raise InputError(
            "flows must be non-negative", row=int((df[outcome] < 0).idxmax()) + 1, field=outcome
        )
    all_keys = _fe_keys(df, orig, dest, time, fixed_effects)
    kept_df, separated = drop_separated(df, outcome, all_keys)
    separated = separated.assign(reason="all-zero fixed-effect group")
    separating: list[str] = []
    if not kept_df.empty:
        # exact check (ReLU, Correia, Guimaraes & Zylkin 2021): rows separated by the regressors
        usable = [c for c in names if np.ptp(kept_df[c].to_numpy()) > 0]
        mask, separating = relu_separation(
            kept_df[outcome].to_numpy(),
            kept_df[usable].to_numpy(dtype=float),
            usable,
            {k: v.loc[kept_df.index] for k, v in all_keys.items()},
        )
        if mask.any():
            by = ", ".join(separating) if separating else "the fixed effects"
            separated = pd.concat([separated, kept_df[mask].assign(reason=f"separated by {by}")])
            rest = kept_df[~mask]
            kept_df, more = drop_separated(
                rest, outcome, {k: v.loc[rest.index] for k, v in all_keys.items()}
            )
            separated = pd.concat([separated, more.assign(reason="all-zero fixed-effect group")])
    for _ in range(10):
        if kept_df.empty:
            raise SingularDesignError("every fixed-effect group has only zero flows")
        keys = {k: v.loc[kept_df.index] for k, v in all_keys.items()}
        fit = _fit_sample(kept_df, keys, names, outcome, orig, dest, cluster, engine, maxiter)
        used, dropped, est, se, mu, iterations, engine_used = fit
        y = kept_df[outcome].to_numpy()
        # zero flows whose fitted mean collapses to zero are separated by the regressors
        # (Correia, Guimaraes & Zylkin 2019): drop them and refit
        tiny = (y == 0) & (mu < 1e-9 * max(float(y.mean()), 1e-300))
        if not tiny.any():
            break
        separated = pd.concat(
            [separated, kept_df[tiny].assign(reason="separated by the regressors")]
        )
        rest = kept_df[~tiny]
        kept_df, more = drop_separated(
            rest, outcome, {k: v.loc[rest.index] for k, v in all_keys.items()}
        )
        separated = pd.concat([separated, more.assign(reason="all-zero fixed-effect group")])
    else:
        raise ConvergenceError("separation could not be resolved in 10 rounds")
    for name in separating:
        n_rows = int(separated["reason"].str.contains(name, regex=False).sum())
        if name in dropped:  # e.g. constant once the rows it separates are gone
            dropped[name] = f"separates {n_rows} zero-flow rows (dropped); then {dropped[name]}"
    zcrit = stats.norm.ppf(1 - alpha / 2)
    table = pd.DataFrame(
        {
            "estimate": est,
            "std_error": se,
            "z": est / se,
            "p_value": 2 * stats.norm.sf(np.abs(est / se)),
            "ci_low": est - zcrit * se,
            "ci_high": est + zcrit * se,
        },
        index=pd.Index(used, name="term"),
    )
    fe_text = (
        "origin-time and destination-time"
        if fixed_effects == "ot_dt"
        else "origin, destination and time"
    )
    return GravityResult(
        coefficients=table,
        n_obs=len(kept_df),
        n_separated=len(separated),
        dropped_regressors=dropped,
        fixed_effects=fixed_effects,
        converged=True,
        iterations=iterations,
        method=f"Poisson pseudo-maximum likelihood with {fe_text} fixed effects",
        assumptions=(
            "E[flow] = exp(x'beta + fixed effects); only the mean is assumed, not Poisson counts",
            "pairs are independent clusters"
            if cluster == "pair"
            else "observations are independent (heteroskedasticity-robust HC1)",
            "groups with only zero flows carry no information and are dropped",
        ),
        parameters={
            "engine": engine_used,
            "outcome": outcome,
            "regressors": names,
            "cluster": cluster,
            "alpha": alpha,
            "fixed_effects": fixed_effects,
            "reference": "Santos Silva & Tenreyro (2006); Beine et al. (2016)",
        },
        separated=separated[[orig, dest, time, outcome, "reason"]].reset_index(drop=True),
        separating_regressors=tuple(separating),
    )
