"""Benchmark: every bilateral measure on a synthetic 250 × 250 system, keruen vs plain NumPy.

Run on demand (not part of the test suite):

    PYTHONPATH=src python benchmarks/bench_bilateral.py [--n 250] [--repeats 7]

The data are SYNTHETIC (seeded): regions scattered on a 3000 km square, Poisson flows with
gamma-distributed means decaying with distance, uniform populations. The baseline below is a
direct NumPy transcription of the same formulas (no validation, no statsmodels), checked to give
the same numbers; the ratio is keruen time / baseline time (median of the repeats).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def synthetic_system(n: int, seed: int = 20260328):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 3000, (n, 2))
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)) + 5.0
    m = rng.poisson(rng.gamma(0.8, 150.0, (n, n)) * 500.0 / d).astype(float)
    np.fill_diagonal(m, 0.0)
    pop = rng.uniform(2e5, 5e6, n).round()
    return m, pop, d


def _pair_sum(sorted_x: np.ndarray) -> np.ndarray:
    k = sorted_x.shape[-1]
    w = 2.0 * np.arange(1, k + 1) - k - 1
    return 2.0 * (sorted_x * w).sum(axis=-1)


def _ipf(m: np.ndarray, seed: np.ndarray, tol: float = 1e-13) -> np.ndarray:
    out, inn = m.sum(1), m.sum(0)
    a, b = np.ones(len(out)), np.ones(len(out))
    while True:
        a = out / np.maximum(seed @ b, 1e-300)
        b = inn / np.maximum(a @ seed, 1e-300)
        if np.abs(a * (seed @ b) - out).max() <= tol * out.max():
            return a[:, None] * seed * b[None, :]


def baseline(m: np.ndarray, pop: np.ndarray, d: np.ndarray | None = None) -> dict[str, float]:
    n = m.shape[0]
    off = ~np.eye(n, dtype=bool)
    f = m[off]
    total = f.sum()
    o, i = m.sum(1), m.sum(0)
    net, turn = i - o, i + o
    s = pop / pop.sum()
    rows = m[off].reshape(n, n - 1)
    cols = m.T[off].reshape(n, n - 1)
    s_all = _pair_sum(np.sort(f))
    s_rows, s_cols = _pair_sum(np.sort(rows, 1)), _pair_sum(np.sort(cols, 1))
    g_o, g_i = s_rows / (2 * (n - 2) * o), s_cols / (2 * (n - 2) * i)
    indep = _ipf(m, off.astype(float))
    cv_o, cv_i = rows.std(1) / rows.mean(1), cols.std(1) / cols.mean(1)
    cmp = 100 * total / pop.sum()
    mwg_o, mwg_i = (o / total * g_o).sum(), (i / total * g_i).sum()
    out = {
        "effectiveness": 100 * np.abs(net).sum() / turn.sum(),
        "anmr": 50 * np.abs(net).sum() / pop.sum(),
        "preference": (m / (total * np.outer(s, s)))[off].sum(),
        "velocity": (m * pop.sum() / np.outer(pop, pop))[off].sum(),
        "connectivity": np.count_nonzero(f) / f.size,
        "inequality_equal": 0.5 * np.abs(f / total - 1 / f.size).sum(),
        "inequality_sim": 0.5 * np.abs(f / total - indep[off] / indep.sum()).sum(),
        "gini_total": s_all / (2 * (f.size - 1) * total),
        "gini_orig_standardized": s_rows.sum() / s_all,
        "gini_dest_standardized": s_cols.sum() / s_all,
        "mwg_orig": mwg_o,
        "mwg_dest": mwg_i,
        "mwg_mean": (mwg_o + mwg_i) / 2,
        "acv": (o / total * cv_o).sum() + (i / total * cv_i).sum(),
        "cmp": cmp,
        "courgeau_k": cmp / np.log(n**2),
    }
    if d is None:
        return out
    logd = np.where(off, np.log(np.where(off, d, 1.0)), 0.0)
    xc = np.where(off, logd - logd[off].mean(), 0.0)

    def score(beta: float) -> float:
        return float(((m - _ipf(m, np.where(off, np.exp(beta * xc), 0.0))) * logd).sum())

    lo, hi = -4.0, 4.0
    for _ in range(45):  # bisection on the decreasing profile score
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if score(mid) > 0 else (lo, mid)
    # Interpolated weighted median (matrixStats' definition, as migest): values at the centre
    # of their weight, ties by decreasing weight, linear interpolation at half the total.
    keep = f > 0
    order = np.lexsort((-f[keep], d[off][keep]))
    xs, ws = d[off][keep][order], f[keep][order]
    centre = np.cumsum(ws) - ws / 2
    half = ws.sum() / 2
    k = int(np.searchsorted(centre, half))
    median = xs[k - 1] + (half - centre[k - 1]) / (centre[k] - centre[k - 1]) * (xs[k] - xs[k - 1])
    out["distance_mean"] = (f * d[off]).sum() / total
    out["distance_median"] = median
    out["distance_decay"] = 0.5 * (lo + hi)
    return out


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    from keruen.indicators import bilateral_summary  # not at import: the baselines import this file

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=250)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    m, pop, d = synthetic_system(args.n)
    ours = bilateral_summary(m, pop, d)  # also warms up imports
    base = baseline(m, pop, d)
    worst = max(abs(ours[k] - base[k]) / max(abs(base[k]), 1e-300) for k in base)
    if worst > 1e-6:
        raise SystemExit(f"keruen and the baseline disagree (max relative difference {worst:g})")
    print(f"synthetic system: {args.n} x {args.n} regions, {int(m.sum()):,} migrants (seeded)")
    print(f"measures: {len(ours)}; max relative difference keruen vs baseline: {worst:.1e}")
    for label, dist in (("all 19 measures", d), ("16 without distances", None)):
        t_ours = _median_time(lambda dist=dist: bilateral_summary(m, pop, dist), args.repeats)
        t_base = _median_time(lambda dist=dist: baseline(m, pop, dist), args.repeats)
        print(f"{label}:")
        print(f"  keruen bilateral_summary: median {t_ours * 1000:8.1f} ms ({args.repeats} runs)")
        print(f"  plain NumPy baseline    : median {t_base * 1000:8.1f} ms ({args.repeats} runs)")
        print(f"  ratio keruen / baseline : {t_ours / t_base:.2f}")


if __name__ == "__main__":
    main()
