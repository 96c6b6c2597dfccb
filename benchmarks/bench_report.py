"""Issue #9's report row: `keruen report` cold (no cache) against a second run (unchanged data).

Each run is a separate process (`python -m keruen report`). A cold run starts from a fresh
KERUEN_HOME holding only a copy of the store built from the bundled snapshot (so it includes
storing the estimates, as a first report does); the second run repeats the command in the
same home, with the report cache the first run left. Medians of ``--repeats`` pairs; the ratio
second / cold is the figure of merit (target: <= 10 %).

    python benchmarks/bench_report.py --repeats 3 [--country KAZ] [--lang en] [--no-cache-run]
    python benchmarks/bench_report.py --figure-threads --repeats 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(home: Path, out: Path, *extra: str) -> tuple[float, str]:
    env = os.environ | {"KERUEN_HOME": str(home)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "keruen", "report", "--out", str(out), *extra],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"keruen report failed:\n{done.stderr}")
    parts = [ln for ln in done.stderr.splitlines() if "parts reused" in ln]
    return took, parts[-1] if parts else ""


def _base_store(root: Path) -> Path:
    """A store holding the bundled snapshot (built once, not timed)."""
    home = root / "base"
    env = os.environ | {"KERUEN_HOME": str(home)}
    code = "from keruen.sources.snapshot import open_store; open_store(quiet=True).close()"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return home / "keruen.duckdb"


def figure_threads(repeats: int) -> None:
    """Draw the report's 17 figures (no cache) with 1 and with 2 threads; medians, ratio."""
    from keruen.analysis import peer_group, run
    from keruen.presentation.locale import Locale
    from keruen.report.output import Output
    from keruen.report.render import _figures
    from keruen.sources.snapshot import open_store

    with tempfile.TemporaryDirectory(prefix="keruen-bench-figures-") as tmp:
        store = open_store(Path(tmp) / "keruen.duckdb", quiet=True)
        sections = run(store, peer_group("KAZ"))
        times: dict[int, list[float]] = {1: [], 2: []}
        for i in range(repeats):
            for workers in (1, 2):
                out = Output(Path(tmp) / f"w{workers}-{i}", "en", workers=workers)
                start = time.perf_counter()
                _figures(sections, store, Locale("en"), out)
                out.finish()
                times[workers].append(time.perf_counter() - start)
        one, two = statistics.median(times[1]), statistics.median(times[2])
        print(f"17 figures, median of {repeats}: 1 thread {one:.2f} s, 2 threads {two:.2f} s")
        print(f"2 threads / 1 thread = {two / one:.0%}; CPUs: {os.cpu_count()}")
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--country", default="KAZ")
    ap.add_argument("--lang", default="en")
    ap.add_argument(
        "--no-cache-run", action="store_true", help="also time `--no-cache` (today's behaviour)"
    )
    ap.add_argument(
        "--figure-threads",
        action="store_true",
        help="only time drawing the 17 figures with 1 and 2 threads (in this process)",
    )
    args = ap.parse_args()
    if args.figure_threads:
        figure_threads(args.repeats)
        print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
        return
    extra = ("--country", args.country, "--lang", args.lang)
    with tempfile.TemporaryDirectory(prefix="keruen-bench-report-") as tmp:
        root = Path(tmp)
        store = _base_store(root)
        cold, warm, plain = [], [], []
        for i in range(args.repeats):
            home = root / f"home{i}"
            home.mkdir()
            shutil.copytree(store, home / "keruen.duckdb")
            t, line = _run(home, root / f"cold{i}", *extra)
            cold.append(t)
            print(f"cold   {i + 1}: {t:6.2f} s  {line}", flush=True)
            t, line = _run(home, root / f"warm{i}", *extra)
            warm.append(t)
            print(f"second {i + 1}: {t:6.2f} s  {line}", flush=True)
            if args.no_cache_run:
                t, _ = _run(home, root / f"plain{i}", *extra, "--no-cache")
                plain.append(t)
                print(f"--no-cache {i + 1}: {t:6.2f} s", flush=True)
        c, w = statistics.median(cold), statistics.median(warm)
        print(f"\nmedian of {args.repeats}: cold {c:.2f} s, second run {w:.2f} s")
        print(f"second / cold = {w / c:.1%} (target <= 10 %)")
        if plain:
            p = statistics.median(plain)
            print(f"--no-cache (every part recomputed, estimates already stored): {p:.2f} s")
        print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
