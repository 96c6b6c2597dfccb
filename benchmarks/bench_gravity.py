"""Benchmark: PPML gravity with origin-year and destination-year effects, keruen vs pyfixest.

Run on demand (not part of the test suite):

    python benchmarks/bench_gravity.py [--countries 200] [--years 10] [--repeats 3]

The data are SYNTHETIC (seeded, ``keruen.models.synthetic.gravity_panel``): every ordered pair
of ``--countries`` countries over ``--years`` years with pair regressors, written once to a
Parquet file (untimed) together with the effect columns pyfixest needs (``orig_time``,
``dest_time``, ``pair``), so building them is not counted against pyfixest. Each side is a
whole process, as a user runs it — Python start-up, imports, reading the file and the fit —
interleaved A, B, A, B (``benchmarks/measure.py``): keruen's ``ppml_gravity``
(``fixed_effects="ot_dt"``, pair-clustered errors, separation checks included) against
pyfixest's ``fepois`` with the same effects and ``vcov={"CRV1": "pair"}``. Prints each pair
with the load average, the median ratio keruen / pyfixest (target <= 1) and the largest
coefficient difference.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import compile_keruen, load_average, print_summary, rounds, run  # noqa: E402

REGRESSORS = [
    "log_distance",
    "contiguity",
    "common_language",
    "former_ussr",
    "eaeu",
    "log_diaspora",
]

KERUEN = """
import json, sys
import pandas as pd
from keruen.models.gravity import ppml_gravity
path, regressors = sys.argv[1], json.loads(sys.argv[2])
df = pd.read_parquet(path)
est = ppml_gravity(df, regressors=regressors).coefficients["estimate"]
print(json.dumps({k: float(v) for k, v in est.items()}))
"""

PYFIXEST = """
import json, sys
import pandas as pd
import pyfixest as pf
path, regressors = sys.argv[1], json.loads(sys.argv[2])
df = pd.read_parquet(path)
fml = "flow ~ " + " + ".join(regressors) + " | orig_time + dest_time"
fit = pf.fepois(fml, data=df, vcov={"CRV1": "pair"})
print(json.dumps({k: float(v) for k, v in fit.coef().items()}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--countries", type=int, default=200)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=20261128)
    args = ap.parse_args()
    compile_keruen()
    from keruen.models.synthetic import gravity_panel

    syn = gravity_panel(args.seed, n_countries=args.countries, years=range(2010, 2010 + args.years))
    df = syn.data
    assert df["synthetic"].all()
    df = df.assign(
        orig_time=df["orig"] + "|" + df["year"].astype(str),
        dest_time=df["dest"] + "|" + df["year"].astype(str),
        pair=df["orig"] + "->" + df["dest"],
    )
    print(
        f"SYNTHETIC panel: {args.countries} countries x {args.years} years = {len(df):,} rows, "
        f"seed {args.seed}; load average {load_average():.2f}"
    )
    with tempfile.TemporaryDirectory(prefix="keruen-bench-gravity-") as tmp:
        path = Path(tmp) / "synthetic_gravity_panel.parquet"
        df.to_parquet(path)
        regs = json.dumps(REGRESSORS)
        runs = rounds(
            {
                "keruen ppml_gravity (process)": lambda: run(
                    [sys.executable, "-c", KERUEN, str(path), regs], discard_stdout=False
                ),
                "pyfixest fepois (process)": lambda: run(
                    [sys.executable, "-c", PYFIXEST, str(path), regs], discard_stdout=False
                ),
            },
            args.repeats,
            "gravity",
        )
    print_summary("PPML gravity, whole processes", runs, "pyfixest fepois (process)")
    ours = json.loads(runs["keruen ppml_gravity (process)"][-1].stdout)
    theirs = json.loads(runs["pyfixest fepois (process)"][-1].stdout)
    diff = max(abs(ours[k] - theirs[k]) for k in ours)
    print(f"largest coefficient difference: {diff:.2e}")


if __name__ == "__main__":
    main()
