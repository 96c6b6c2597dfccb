"""Issue 18.1: `keruen report --country all` — every country held builds; sections counted.

One process, `python -m keruen report --country <all|list>`, in a fresh KERUEN_HOME holding
only the store built from the bundled snapshot: the cache starts empty (cold), and the
world-level parts every country shares (closed-world flows, world corridor allocation) are
computed once and reused by the next country, as on a user's first run. (`--no-cache` would
recompute them for each of the 217 countries: benchmarks/README.md has both runs.) Reads the
`status.json` the command writes beside its index and prints the countries written and the
sections built / not held / failed (target: 0 failed), the failures grouped by reason, and
the wall time.

    python benchmarks/bench_report_all.py                   # every country (README: OOM at 157)
    python benchmarks/bench_report_all.py --sample 30       # a seeded sample of 30
    python benchmarks/bench_report_all.py --sample 30 --countries NIC,CIV   # these + 28 more
    python benchmarks/bench_report_all.py --countries NIC,CIV,DOM
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _held(home: Path) -> list[str]:
    env = os.environ | {"KERUEN_HOME": str(home)}
    code = (
        "from keruen.sources.snapshot import open_store\n"
        "from keruen.analysis.scope import held_countries\n"
        "with open_store(quiet=True) as s: print(','.join(held_countries(s)))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
    return out.stdout.decode().strip().split(",")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--countries", default="all", help="'all' or ISO3 codes, comma-separated")
    parser.add_argument(
        "--sample", type=int, default=0, help="N countries: those listed + a seeded sample"
    )
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--keep", type=Path, default=None, help="write the reports here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="keruen-bench-all-") as tmp:
        home = Path(tmp) / "home"
        countries = args.countries
        held = _held(home)  # builds the store from the snapshot (not timed)
        if args.sample:  # the countries listed, topped up with a seeded sample of the rest
            listed = [] if countries == "all" else countries.split(",")
            rest = sorted(set(held) - set(listed))
            extra = random.Random(args.seed).sample(rest, max(0, args.sample - len(listed)))
            countries = ",".join(listed + sorted(extra))
        out = args.keep or Path(tmp) / "out"
        env = os.environ | {"KERUEN_HOME": str(home)}
        cmd = [sys.executable, "-m", "keruen", "report", "--country", countries]
        start = time.perf_counter()
        done = subprocess.run([*cmd, "--out", str(out)], env=env, capture_output=True, text=True)
        took = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"exit {done.returncode}:\n{done.stderr[-3000:]}")
        status = json.loads((out / "status.json").read_text("utf-8"))
    reasons: collections.Counter[str] = collections.Counter()
    for code, row in status["by_country"].items():
        for key, why in row["failed"].items():
            reasons[f"{key}: {why}"[:140]] += 1
    s = status["sections"]
    print(f"countries held: {len(held)}; asked: {status['countries']} ({countries[:60]}…)")
    print(f"reports written: {status['written']}/{status['countries']} in {took:.0f} s, exit 0")
    print(f"sections built {s['built']}, not held {s['not_held']}, failed {s['failed']}")
    for why, n in reasons.most_common():
        print(f"  {n:4d} × {why}")


if __name__ == "__main__":
    main()
