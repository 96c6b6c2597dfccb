"""Whole-process measurements for the benchmarks: a command as a user types it against the
baseline a user would write, interleaved A, B, A, B, with the load average beside each pair.

Each run is one process (``subprocess.Popen``): its wall time from start to exit and its peak
resident memory (``ru_maxrss`` from ``wait4``, that process alone). Ratios are medians over
pairs measured back to back, so a machine shared with other jobs inflates both sides alike;
the load average (1 minute) is printed with every pair so a loaded run shows as one.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Run:
    """One process: wall seconds, peak resident MB, exit code, what it printed."""

    seconds: float
    peak_mb: float
    code: int
    stdout: bytes = b""
    stderr: bytes = b""


def run(
    cmd: Sequence[str],
    env: dict[str, str] | None = None,
    *,
    discard_stdout: bool = True,
    check: bool = True,
) -> Run:
    """Run ``cmd`` to completion; its stdout is read through a pipe (as `| consumer` would).

    The process is started by GNU ``time`` (``/usr/bin/time``), which reports its peak
    resident memory: a process forked straight from this (large) Python process would
    report this process's memory as its own peak (Linux carries it over the fork and exec).
    The wall time is measured here, around the whole command.
    """
    import tempfile

    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        started = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", report.name, *cmd],
            env=env,
            capture_output=True,
        )
        seconds = time.perf_counter() - started
        lines = [ln for ln in report.read().splitlines() if ln.strip().isdigit()]
    peak = int(lines[-1]) / 1024 if lines else float("nan")
    out = b"" if discard_stdout else proc.stdout
    result = Run(seconds, peak, proc.returncode, out, proc.stderr or b"")
    if check and result.code != 0:
        raise SystemExit(
            f"benchmark step failed ({result.code}): {' '.join(cmd)}\n"
            + result.stderr.decode(errors="replace")[-3000:]
        )
    return result


def compile_keruen() -> None:
    """Write the bytecode of keruen's modules, as ``pip install`` does, before any timing.

    An editable install under ``PYTHONDONTWRITEBYTECODE=1`` (set on the development machines)
    never caches it, so every ``keruen`` process would compile its modules again (tens of ms a
    command, a third of ``keruen --help``): a cost no installed copy pays. Python still reads
    bytecode under that variable, so compiling once here is enough.
    """
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("keruen")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("keruen is not importable: install it (pip install -e .) first")
    folder = list(spec.submodule_search_locations)[0]
    ok = compileall.compile_dir(folder, quiet=1)
    print(f"bytecode of keruen's modules written (as pip install does): {folder}, ok={bool(ok)}")


def load_average() -> float:
    """The 1-minute load average."""
    return os.getloadavg()[0]


@dataclass
class Pairs:
    """Interleaved runs of two commands and what they give."""

    a: list[Run] = field(default_factory=list)
    b: list[Run] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """Median of the per-pair ratios a / b."""
        return statistics.median(x.seconds / y.seconds for x, y in zip(self.a, self.b, strict=True))

    def median(self, side: str) -> float:
        """Median wall seconds of one side."""
        return statistics.median(r.seconds for r in getattr(self, side))

    def peak(self, side: str) -> float:
        """Largest peak memory (MB) of one side."""
        return max(r.peak_mb for r in getattr(self, side))


def interleave(
    a: Callable[[], Run],
    b: Callable[[], Run],
    pairs: int,
    label: str = "",
    before: Callable[[], None] | None = None,
) -> Pairs:
    """``pairs`` times: ``before()`` (untimed), A, then ``before()``, B; prints each pair."""
    out = Pairs()
    for i in range(pairs):
        load = load_average()
        if before:
            before()
        ra = a()
        if before:
            before()
        rb = b()
        out.a.append(ra)
        out.b.append(rb)
        out.loads.append(load)
        print(
            f"  {label} pair {i + 1}: A {ra.seconds:.2f} s {ra.peak_mb:.0f} MB, "
            f"B {rb.seconds:.2f} s {rb.peak_mb:.0f} MB, ratio {ra.seconds / rb.seconds:.2f}, "
            f"load {load:.2f}",
            flush=True,
        )
    return out


def rounds(
    contenders: dict[str, Callable[[], Run]],
    n: int,
    label: str = "",
    before: Callable[[str], None] | None = None,
) -> dict[str, list[Run]]:
    """``n`` rounds running every contender once, in order (A, B, C, A, B, C, ...).

    ``before(name)`` runs untimed before each contender (e.g. a fresh store). Prints each
    round with the load average at its start; the first contender's ratios to the others
    are per round, so their median is from one run each.
    """
    out: dict[str, list[Run]] = {name: [] for name in contenders}
    for i in range(n):
        load = load_average()
        parts = []
        for name, fn in contenders.items():
            if before:
                before(name)
            r = fn()
            out[name].append(r)
            parts.append(f"{name} {r.seconds:.2f} s {r.peak_mb:.0f} MB")
        print(f"  {label} round {i + 1} (load {load:.2f}): " + "; ".join(parts), flush=True)
    return out


def summary(results: dict[str, list[Run]], base: str) -> list[tuple[str, float, float, float]]:
    """(name, median seconds, peak MB, median per-round ratio to ``base``) per contender."""
    rows = []
    for name, runs in results.items():
        ratio = statistics.median(
            r.seconds / b.seconds for r, b in zip(runs, results[base], strict=True)
        )
        rows.append(
            (name, statistics.median(r.seconds for r in runs), max(r.peak_mb for r in runs), ratio)
        )
    return rows


def print_summary(title: str, results: dict[str, list[Run]], base: str) -> None:
    """A table of :func:`summary` (ratios to ``base``)."""
    print(f"\n{title}")
    print(f"  {'contender':<44}{'median s':>10}{'peak MB':>9}{'ratio':>8}")
    for name, seconds, peak, ratio in summary(results, base):
        print(f"  {name:<44}{seconds:>10.2f}{peak:>9.0f}{ratio:>8.2f}")
