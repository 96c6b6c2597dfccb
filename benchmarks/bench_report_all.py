"""Issue 18.1: `keruen report --country all` — every country held builds; sections counted.

One command, `python -m keruen report --country <all|list>`, in a fresh KERUEN_HOME holding
only the store built from the bundled snapshot: the cache starts empty (cold), and the
world-level parts every country shares (closed-world flows, world corridor allocation) are
computed once and reused from the on-disk cache by every later country and worker process.
The command draws the countries in child processes of KERUEN_REPORT_COUNTRIES_PER_PROCESS
countries each (`--per-process`; 0: all in one process, as before, which ran out of memory
at the 157th country). Reads the `status.json` the command writes beside its index and prints
the countries written and the sections built / not held / failed (target: 0 failed), the
failures grouped by reason, the wall time, the peak resident memory of the command's own
process and of its largest worker, the number of workers, and the 1-minute load average
(polled every second with psutil). The command's stderr is kept in `--log`, each line after
the seconds since the start.

    python benchmarks/bench_report_all.py                   # every country
    python benchmarks/bench_report_all.py --sample 30       # a seeded sample of 30
    python benchmarks/bench_report_all.py --sample 30 --countries NIC,CIV   # these + 28 more
    python benchmarks/bench_report_all.py --countries NIC,CIV,DOM --per-process 2
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, TextIO


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
    parser.add_argument(
        "--per-process", type=int, default=None, help="KERUEN_REPORT_COUNTRIES_PER_PROCESS"
    )
    parser.add_argument("--log", type=Path, default=Path("bench_report_all.log"))
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
        if args.per_process is not None:
            env["KERUEN_REPORT_COUNTRIES_PER_PROCESS"] = str(args.per_process)
        cmd = [sys.executable, "-m", "keruen", "report", "--country", countries]
        start = time.perf_counter()
        with args.log.open("w") as log:
            proc = subprocess.Popen([*cmd, "--out", str(out)], env=env, stderr=subprocess.PIPE)
            copy = threading.Thread(target=_timestamped, args=(proc, log, start), daemon=True)
            copy.start()
            watch = _watch(proc)
            copy.join()
        took = time.perf_counter() - start
        if proc.returncode != 0:
            tail = args.log.read_text(errors="replace")[-3000:]
            raise SystemExit(f"exit {proc.returncode}:\n{tail}")
        status = json.loads((out / "status.json").read_text("utf-8"))
    reasons: collections.Counter[str] = collections.Counter()
    for row in status["by_country"].values():
        for key, why in row["failed"].items():
            reasons[f"{key}: {why}"[:140]] += 1
    s = status["sections"]
    print(f"countries held: {len(held)}; asked: {status['countries']} ({countries[:60]}…)")
    print(f"reports written: {status['written']}/{status['countries']} in {took:.0f} s, exit 0")
    print(f"sections built {s['built']}, not held {s['not_held']}, failed {s['failed']}")
    for why, n in reasons.most_common():
        print(f"  {n:4d} × {why}")
    print(
        f"peak RSS: command {watch['parent'] / 2**20:.0f} MB, largest worker "
        f"{watch['child'] / 2**20:.0f} MB; {len(watch['workers'])} worker processes; "
        f"1-min load average {min(watch['load']):.1f}–{max(watch['load']):.1f} "
        f"(median {statistics.median(watch['load']):.1f})"
    )


def _timestamped(proc: subprocess.Popen[bytes], log: TextIO, start: float) -> None:
    """Copy the command's stderr into ``log``, each line after the seconds since ``start``."""
    assert proc.stderr is not None
    for line in proc.stderr:
        log.write(f"{time.perf_counter() - start:8.1f} {line.decode(errors='replace')}")
        log.flush()


def _watch(proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    """Until ``proc`` exits, every second: the largest RSS of it and of its workers, the load."""
    import psutil

    top = psutil.Process(proc.pid)
    seen: dict[str, Any] = {"parent": 0, "child": 0, "workers": set(), "load": []}
    while proc.poll() is None:
        try:
            seen["parent"] = max(seen["parent"], top.memory_info().rss)
            for child in top.children(recursive=True):
                try:
                    rss = child.memory_info().rss
                    if "spawn_main" not in " ".join(child.cmdline()):
                        continue  # multiprocessing's resource tracker, not a worker
                except psutil.NoSuchProcess:
                    continue
                seen["child"] = max(seen["child"], rss)
                seen["workers"].add(child.pid)
        except psutil.NoSuchProcess:
            pass
        seen["load"].append(os.getloadavg()[0])
        time.sleep(1)
    return seen


if __name__ == "__main__":
    main()
