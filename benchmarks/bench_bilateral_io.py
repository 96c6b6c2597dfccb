"""Benchmark: `keruen indices` on bilateral CSV files (issue #9, the two `indices` rows).

Run on demand (not part of the test suite):

    PYTHONPATH=src python benchmarks/bench_bilateral_io.py [--n 1000] [--wide 300 1000]
        [--repeats 3] [--pyfixest]

All data are SYNTHETIC (seeded, generated here by ``bench_bilateral.synthetic_system``): regions
scattered on a 3000 km square, Poisson flows decaying with distance, uniform populations. The
files are written to a temporary folder with "synthetic" in their names.

Rows measured (medians of ``--repeats`` runs, ratios against baselines measured in the same run):

1. a ``--n``-region long CSV of flows with a long CSV of distances:
   * read: ``keruen.sources.tables.load_bilateral`` vs a bare NumPy read (pandas' C parser with
     categorical labels and float values, matrices filled by integer codes, no checks);
   * end to end: the ``keruen indices --distance`` command vs the bare read + the NumPy
     transcription of the 16 flow measures and the mean and median distance from
     ``bench_bilateral.baseline``, each in a fresh Python process (start-up and imports included
     on both sides). The baseline has no distance-decay fit (a
     Poisson model with n(n-1) observations and 2n fixed effects), so keruen's decay fit is
     timed on its own as well, and with ``--pyfixest`` against pyfixest's ``fepois`` (the
     absorbing fixed-effects engine) on the same data, which must give the same coefficient.
2. wide ``--wide`` × ``--wide`` flow matrices vs the long form of the same data: the
   ``keruen indices`` command without distances on each, ratio wide / long.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bench_bilateral import baseline, synthetic_system  # noqa: E402  (NumPy only, no keruen)
from measure import compile_keruen, print_summary, rounds, run  # noqa: E402


def write_synthetic(folder: Path, n: int) -> dict[str, Path]:
    """Write the SYNTHETIC n-region system as long flows, long distances, wide flows, pops."""
    m, pop, d = synthetic_system(n)
    labels = np.array([f"R{k:04d}" for k in range(n)], dtype=object)
    ii, jj = np.nonzero(~np.eye(n, dtype=bool))
    paths = {key: folder / f"synthetic_n{n}_{key}.csv" for key in ("flows", "dist", "pop", "wide")}
    pd.DataFrame(
        {"orig": labels[ii], "dest": labels[jj], "flow": m[ii, jj].astype(np.int64)}
    ).to_csv(paths["flows"], index=False)
    pd.DataFrame({"orig": labels[ii], "dest": labels[jj], "dist": d[ii, jj].round(3)}).to_csv(
        paths["dist"], index=False
    )
    pd.DataFrame({"region": labels, "pop": pop.astype(np.int64)}).to_csv(paths["pop"], index=False)
    wide = pd.DataFrame(m.astype(np.int64), columns=labels)
    wide.insert(0, "region", labels)
    wide.to_csv(paths["wide"], index=False)
    return paths


def numpy_read(flows: Path, pop: Path, dist: Path | None) -> tuple:
    """The bare baseline read: no validation, labels to codes, matrices by fancy indexing."""
    p = pd.read_csv(pop, dtype={"region": str, "pop": "float64"})
    labels = p["region"].tolist()
    n = len(labels)

    def matrix(path: Path, value: str) -> np.ndarray:
        f = pd.read_csv(path, dtype={"orig": "category", "dest": "category", value: "float64"})
        oc = pd.Categorical(f["orig"], categories=labels).codes
        dc = pd.Categorical(f["dest"], categories=labels).codes
        out = np.zeros((n, n))
        out[oc, dc] = f[value].to_numpy()
        return out

    return matrix(flows, "flow"), p["pop"].to_numpy(), (matrix(dist, "dist") if dist else None)


def numpy_compute(m: np.ndarray, pop: np.ndarray, d: np.ndarray | None) -> dict[str, float]:
    """The 16 flow measures of ``bench_bilateral.baseline`` plus mean and median distance."""
    out = baseline(m, pop, None)
    if d is not None:
        off = ~np.eye(m.shape[0], dtype=bool)
        f, x = m[off], d[off]
        out["distance_mean"] = float((f * x).sum() / f.sum())
        keep = f > 0
        order = np.lexsort((-f[keep], x[keep]))  # ties by decreasing flow, as keruen
        xs, ws = x[keep][order], f[keep][order]
        centre = np.cumsum(ws) - ws / 2
        half = ws.sum() / 2
        k = int(np.searchsorted(centre, half))
        frac = (half - centre[k - 1]) / (centre[k] - centre[k - 1])
        out["distance_median"] = float(xs[k - 1] + frac * (xs[k] - xs[k - 1]))
    return out


def cli(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("keruen")  # the command a user types
    if script.exists():
        return [str(script), "indices", *args]
    return [sys.executable, "-m", "keruen", "indices", *args]


def baseline_cmd(flows: Path, pop: Path, dist: Path | None) -> list[str]:
    args = [str(flows), str(pop)] + ([str(dist)] if dist else [])
    return [sys.executable, str(Path(__file__).resolve()), "--baseline-run", *args]


def run_cli(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"keruen indices failed: {done.stdout}{done.stderr}")
    return done.stdout


def median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_long(folder: Path, n: int, repeats: int, with_pyfixest: bool) -> None:
    from keruen.indicators import bilateral_summary, distance_decay
    from keruen.sources.tables import load_bilateral

    t0 = time.perf_counter()
    paths = write_synthetic(folder, n)
    print(f"\n## {n} regions, long CSVs with distances (synthetic, seeded)")
    print(f"generated {n * (n - 1):,} pairs in {time.perf_counter() - t0:.1f} s")
    f, p, d = paths["flows"], paths["pop"], paths["dist"]

    data = load_bilateral(f, p, d)
    base_m, base_pop, base_d = numpy_read(f, p, d)
    assert np.array_equal(data.flows, base_m) and data.distances is not None
    ours = bilateral_summary(data.flows, data.population, data.distances)
    base = numpy_compute(base_m, base_pop, base_d)
    worst = max(abs(ours[k] - base[k]) / max(abs(base[k]), 1e-300) for k in base)
    print(f"max relative difference keruen vs NumPy baseline ({len(base)} measures): {worst:.1e}")

    t_read = median_time(lambda: load_bilateral(f, p, d), repeats)
    t_bread = median_time(lambda: numpy_read(f, p, d), repeats)
    t_decay = median_time(lambda: distance_decay(data.flows, data.distances), repeats)
    cmd = cli("--flows", str(f), "--population", str(p), "--distance", str(d))
    base_run = baseline_cmd(f, p, d)
    whole = rounds(
        {
            "keruen indices --distance": lambda: run(cmd),
            "NumPy read + compute": lambda: run(base_run),
        },
        repeats,
        f"indices {n}",
    )
    print_summary(f"{n} regions, whole processes, interleaved", whole, "NumPy read + compute")
    t_cli = statistics.median(r.seconds for r in whole["keruen indices --distance"])
    t_base = statistics.median(r.seconds for r in whole["NumPy read + compute"])
    print(f"  keruen read (load_bilateral)         {t_read:7.2f} s")
    print(f"  NumPy read (pandas C parser + codes) {t_bread:7.2f} s   ratio {t_read / t_bread:.2f}")
    print(f"  keruen distance-decay fit alone      {t_decay:7.2f} s")
    print(f"  `keruen indices --distance` (CLI)    {t_cli:7.2f} s")
    print(
        f"  NumPy read + compute (no decay fit)  {t_base:7.2f} s   "
        f"ratio {t_cli / t_base:.2f} (both fresh processes; keruen also fits the decay)"
    )
    print(f"  ratio less keruen's decay fit        {(t_cli - t_decay) / t_base:.2f}")
    if with_pyfixest:
        import pyfixest as pf

        off = ~np.eye(n, dtype=bool)
        ii, jj = np.nonzero(off)
        frame = pd.DataFrame(
            {"flow": base_m[off], "o": ii, "d": jj, "ld": np.log(base_d[off])}  # type: ignore[index]
        )

        def fepois() -> float:
            fit = pf.fepois("flow ~ ld | o + d", data=frame)
            return float(fit.coef()["ld"])

        fepois()  # compile (numba) outside the timing
        t_pf = median_time(fepois, repeats)
        ours_beta = distance_decay(data.flows, data.distances)
        print(
            f"  pyfixest fepois decay fit            {t_pf:7.2f} s   keruen/pyfixest "
            f"{t_decay / t_pf:.2f}; beta {ours_beta:.10f} vs {fepois():.10f}"
        )


def bench_wide(folder: Path, n: int, repeats: int) -> None:
    paths = write_synthetic(folder, n)
    print(f"\n## {n} x {n} wide flow matrix vs its long form (synthetic, seeded; no distances)")
    wide = cli("--flows", str(paths["wide"]), "--population", str(paths["pop"]))
    long = cli("--flows", str(paths["flows"]), "--population", str(paths["pop"]))
    if run_cli(wide) != run_cli(long):
        raise SystemExit("wide and long inputs gave different measures")
    both = rounds({"wide": lambda: run(wide), "long": lambda: run(long)}, repeats, f"wide {n}")
    print_summary(f"{n} x {n}, whole processes, interleaved", both, "long")
    t_wide = statistics.median(r.seconds for r in both["wide"])
    t_long = statistics.median(r.seconds for r in both["long"])
    print(f"  `keruen indices` wide  {t_wide:7.2f} s")
    print(f"  `keruen indices` long  {t_long:7.2f} s   ratio wide / long {t_wide / t_long:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="regions of the long-CSV row")
    parser.add_argument("--wide", type=int, nargs="*", default=[300, 1000], help="wide sizes")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pyfixest", action="store_true", help="also time pyfixest's fepois")
    parser.add_argument("--baseline-run", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_run:
        files = [Path(x) for x in args.baseline_run]
        m, pop, d = numpy_read(files[0], files[1], files[2] if len(files) > 2 else None)
        print(numpy_compute(m, pop, d))
        return
    compile_keruen()
    with tempfile.TemporaryDirectory(prefix="keruen-bench-") as tmp:
        folder = Path(tmp)
        bench_long(folder, args.n, args.repeats, args.pyfixest)
        for n in args.wide:
            bench_wide(folder, n, args.repeats)


if __name__ == "__main__":
    main()
