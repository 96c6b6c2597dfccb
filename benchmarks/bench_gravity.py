"""Benchmark: PPML gravity with origin-year and destination-year effects, keruen vs pyfixest.

Run on demand (not part of the test suite):

    PYTHONPATH=src python benchmarks/bench_gravity.py [--countries 200] [--years 10] [--repeats 3]

The data are SYNTHETIC (seeded, ``keruen.models.synthetic.gravity_panel``): every ordered pair
of ``--countries`` countries over ``--years`` years with pair regressors. Both sides fit the
same model after one warm-up run each (imports, compilation): keruen's ``ppml_gravity``
(``fixed_effects="ot_dt"``, pair-clustered errors, separation checks included) and pyfixest's
``fepois`` with the same effects and ``vcov={"CRV1": "pair"}``. Prints the median times, the
ratio keruen / pyfixest (target <= 1) and the largest coefficient difference.
"""

from __future__ import annotations

import argparse
import statistics
import time

import pandas as pd
import pyfixest as pf

from keruen.models.gravity import ppml_gravity
from keruen.models.synthetic import gravity_panel

REGRESSORS = [
    "log_distance",
    "contiguity",
    "common_language",
    "former_ussr",
    "eaeu",
    "log_diaspora",
]


def _pyfixest(df: pd.DataFrame) -> pd.Series:
    data = df.assign(
        orig_time=df["orig"] + "|" + df["year"].astype(str),
        dest_time=df["dest"] + "|" + df["year"].astype(str),
        pair=df["orig"] + "->" + df["dest"],
    )
    fml = "flow ~ " + " + ".join(REGRESSORS) + " | orig_time + dest_time"
    fit = pf.fepois(fml, data=data, vcov={"CRV1": "pair"})
    return fit.coef()


def _keruen(df: pd.DataFrame) -> pd.Series:
    return ppml_gravity(df, regressors=REGRESSORS).coefficients["estimate"]


def _time(fn, df: pd.DataFrame, repeats: int) -> tuple[float, pd.Series]:
    out = fn(df)  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn(df)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--countries", type=int, default=200)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20261128)
    args = ap.parse_args()
    syn = gravity_panel(args.seed, n_countries=args.countries, years=range(2010, 2010 + args.years))
    df = syn.data
    assert df["synthetic"].all()
    print(
        f"SYNTHETIC panel: {args.countries} countries x {args.years} years = {len(df):,} rows, "
        f"seed {args.seed}"
    )
    t_pf, c_pf = _time(_pyfixest, df, args.repeats)
    t_k, c_k = _time(_keruen, df, args.repeats)
    diff = float((c_k - c_pf.reindex(c_k.index)).abs().max())
    print(f"pyfixest fepois: {t_pf:.2f} s   keruen ppml_gravity: {t_k:.2f} s")
    print(f"ratio keruen / pyfixest: {t_k / t_pf:.2f} (target <= 1.0)")
    print(f"largest coefficient difference: {diff:.2e}")


if __name__ == "__main__":
    main()
