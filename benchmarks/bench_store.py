"""Benchmark: keruen's store against DuckDB and pandas, as a user meets it (on demand).

Every contender is a whole process — the command a user types against the baseline a user
would write, neither importing the other — run in interleaved rounds (A, B, A, B, ...), with
medians of the per-round ratios and the load average printed with every round
(``benchmarks/measure.py``). Sections (``--only``):

* ``load``  — ``keruen load`` of N SYNTHETIC tidy rows (seeded; each run into a fresh copy of
  a store holding the bundled snapshot) against DuckDB ``CREATE TABLE AS SELECT * FROM
  read_csv`` into a new file and pandas ``read_csv``, for every size of ``--load-rows``;
* ``query`` — ``keruen query SYN --area KAZ --format csv`` (one area, all years: ``--query-rows``
  / 12 rows) and a point, read through a pipe, against a Python process running the same SQL
  on a plain DuckDB file holding the same tables and printing the rows with ``csv.writer``;
* ``serve`` — ``keruen load`` of ``--serve-rows`` rows into the store of a running
  ``keruen serve`` under 8 requests in flight on loopback, against the same load with the
  server idle; also the server's latency (p50/p99) during the loads and idle;
* ``help``  — ``keruen --help`` (target ≤ 0.3 s).

    python benchmarks/bench_store.py --only load --load-rows 1000000 5000000 10000000
    python benchmarks/bench_store.py --only query serve help
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Run, compile_keruen, load_average, print_summary, rounds, run  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
AREAS = ["KAZ", "UZB", "KGZ", "TJK", "TKM", "RUS", "CHN", "TUR", "DEU", "KOR", "USA", "GBR"]
_SCRIPT = Path(sys.executable).with_name("keruen")  # the console script a user types
KERUEN = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "keruen"]


def synthetic_tidy(path: Path, rows: int, seed: int, dataset: str = "SYN") -> None:
    """SYNTHETIC tidy rows: distinct keys (measure × area × year), seeded lognormal values."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    chunk = 2_000_000
    n_area, n_year = len(AREAS), 60
    with pacsv.CSVWriter(path, schema=_schema()) as writer:
        for start in range(0, rows, chunk):
            i = np.arange(start, min(rows, start + chunk))
            n = len(i)
            table = pa.table(
                {
                    "dataset": pa.array([dataset] * n),
                    "measure": pa.array(np.char.add("m", (i // (n_area * n_year)).astype(str))),
                    "ref_area": pa.array(np.array(AREAS)[i % n_area]),
                    "counterpart_area": pa.nulls(n, pa.string()),
                    "breakdown": pa.nulls(n, pa.string()),
                    "period": pa.array((1960 + (i // n_area) % n_year).astype(str)),
                    "value": pa.array(np.round(rng.lognormal(8, 2, n), 4)),
                    "unit": pa.array(["persons"] * n),
                    "obs_status": pa.array(["A"] * n),
                },
                schema=_schema(),
            )
            writer.write_table(table)


def _schema():  # type: ignore[no-untyped-def]
    import pyarrow as pa

    text = ["dataset", "measure", "ref_area", "counterpart_area", "breakdown", "period"]
    fields = [pa.field(c, pa.string()) for c in text] + [
        pa.field("value", pa.float64()),
        pa.field("unit", pa.string()),
        pa.field("obs_status", pa.string()),
    ]
    return pa.schema(fields)


def keruen_env(home: Path) -> dict[str, str]:
    env = dict(os.environ, KERUEN_HOME=str(home))
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def snapshot_home(work: Path) -> Path:
    """A KERUEN_HOME whose store holds the bundled snapshot (made once, untimed)."""
    home = work / "template"
    if not home.exists():
        run([*KERUEN, "sources"], keruen_env(home))
    return home


def fresh_copy(template: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(template, target)


def load_cmd(path: Path, dataset: str, vintage: str = "bench") -> list[str]:
    return [*KERUEN, "load", str(path), "--dataset", dataset, "--vintage", vintage,
            "--publisher", "benchmark", "--release", "2024-01-01"]  # fmt: skip


DUCKDB_CTAS = """
import duckdb, sys
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [sys.argv[2]])
con.close()
"""

PANDAS_READ = """
import sys
import pandas as pd
pd.read_csv(sys.argv[1])
"""


def _resetter(template: Path, home: Path, db: Path):  # type: ignore[no-untyped-def]
    """Untimed, before each contender: a fresh store copy for keruen, no table for DuckDB."""

    def before(name: str) -> None:
        if name == "keruen load":
            fresh_copy(template, home)
        db.unlink(missing_ok=True)
        Path(str(db) + ".wal").unlink(missing_ok=True)

    return before


def bench_load(work: Path, sizes: list[int], repeats: int, seed: int) -> None:
    template = snapshot_home(work)
    for rows in sizes:
        csv = work / f"tidy_{rows}.csv"
        synthetic_tidy(csv, rows, seed)
        home = work / "home_load"
        db = work / "ctas.duckdb"
        before = _resetter(template, home, db)
        results = rounds(
            {
                "keruen load": lambda c=csv, h=home: run(load_cmd(c, "SYN"), keruen_env(h)),
                "DuckDB CREATE TABLE AS read_csv": lambda c=csv, d=db: run(
                    [sys.executable, "-c", DUCKDB_CTAS, str(d), str(c)]
                ),
                "pandas read_csv": lambda c=csv: run([sys.executable, "-c", PANDAS_READ, str(c)]),
            },
            repeats,
            f"load {rows:,}",
            before,
        )
        print_summary(
            f"load of {rows:,} SYNTHETIC tidy rows ({csv.stat().st_size / 1e6:.0f} MB CSV)",
            results,
            "DuckDB CREATE TABLE AS read_csv",
        )
        csv.unlink()


QUERY_BASELINE = """
import csv, json, sys
import duckdb
db, sql, params = sys.argv[1:]
con = duckdb.connect(db, read_only=True)
cur = con.execute(sql, json.loads(params))
out = csv.writer(sys.stdout, lineterminator="\\n")
out.writerow([d[0] for d in cur.description])
out.writerows(cur.fetchall())
"""


def query_sql(home: Path, args: dict[str, str]) -> tuple[str, list[str]]:
    """The SQL `keruen query` runs for ``args`` (without the formula neutralisation)."""
    sys.path.insert(0, str(ROOT / "src"))
    os.environ["KERUEN_HOME"] = str(home)
    from keruen.cli.query_plan import QUERY_COLUMNS, _answer_sql
    from keruen.store import Store
    from keruen.store.schema import OBSERVATION_KEY

    with Store(home / "keruen.duckdb", read_only=True) as store:
        sql, params = _answer_sql(
            store, "SYN", [args["measure"]] if "measure" in args else None,
            [args["area"]], None, [args["period"]] if "period" in args else None, "*", None,
        )  # fmt: skip
    cols = ", ".join(f"q.{c}" for c in QUERY_COLUMNS)
    order = ", ".join(f"q.{k}" for k in (*OBSERVATION_KEY, "release", "sid"))
    return (
        f"SELECT {cols} FROM ({sql}) AS q WHERE q.breakdown IS NULL ORDER BY {order}",
        params,
    )


def plain_copy(home: Path, target: Path) -> None:
    """The store's tables in one plain DuckDB file: what the baseline queries (untimed)."""
    import duckdb

    sys.path.insert(0, str(ROOT / "src"))
    from keruen.store import Store

    target.unlink(missing_ok=True)
    with Store(home / "keruen.duckdb", read_only=True) as store:
        con = store.con
        con.execute(f"ATTACH '{target}' AS plain")
        for table in ("sources", "observations", "paper_figures"):
            con.execute(f"CREATE TABLE plain.{table} AS SELECT * FROM {table}")
        con.execute("DETACH plain")
    duckdb.connect(str(target)).close()


def bench_query(work: Path, rows: int, repeats: int, seed: int) -> None:
    home = work / "home_query"
    fresh_copy(snapshot_home(work), home)
    csv = work / "query.csv"
    synthetic_tidy(csv, rows, seed)
    run(load_cmd(csv, "SYN"), keruen_env(home))
    csv.unlink()
    plain = work / "plain.duckdb"
    plain_copy(home, plain)
    for label, args in (
        (f"one area, all years ({rows // len(AREAS):,} rows)", {"area": "KAZ"}),
        ("a point", {"area": "KAZ", "measure": "m0", "period": "1960"}),
    ):
        sql, params = query_sql(home, args)
        cli = [*KERUEN, "query", "SYN", "--format", "csv", "--area", args["area"]]
        if "measure" in args:
            cli += ["--measure", args["measure"], "--period", args["period"]]
        results = rounds(
            {
                "keruen query --format csv": lambda c=cli: run(c, keruen_env(home)),
                "same SQL in Python DuckDB, rows printed": lambda s=sql, p=params: run(
                    [sys.executable, "-c", QUERY_BASELINE, str(plain), s, json.dumps(p)]
                ),
            },
            repeats,
            f"query {label}",
        )
        print_summary(f"query: {label}", results, "same SQL in Python DuckDB, rows printed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Traffic:
    """8 client threads sending GETs to the server while ``on`` is set (bounded count)."""

    ROUTES = (
        "/api/v1/vintages",
        "/api/v1/series?measure=remittances_received&area=KAZ,UZB&start=2015&end=2023",
        "/api/v1/sources",
        "/api/v1/bilateral?dataset=UNDESA_IMS&year=2020&destination=KAZ",
    )

    def __init__(self, base: str, limit: int = 200_000) -> None:
        self.base = base
        self.on = threading.Event()
        self.done = threading.Event()
        self.limit = limit
        self.sent = 0
        self.errors = 0
        self.latencies: list[float] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.work, daemon=True) for _ in range(8)]
        for t in self.threads:
            t.start()

    def work(self) -> None:
        import httpx

        with httpx.Client(base_url=self.base, timeout=120) as client:
            while not self.done.is_set():
                if not self.on.wait(0.1):
                    continue
                with self.lock:
                    if self.sent >= self.limit:
                        return
                    self.sent += 1
                    route = self.ROUTES[self.sent % len(self.ROUTES)]
                t0 = time.perf_counter()
                try:
                    ok = client.get(route).status_code == 200
                except httpx.HTTPError:
                    ok = False
                with self.lock:
                    self.latencies.append(time.perf_counter() - t0)
                    self.errors += not ok

    def take(self) -> tuple[list[float], int]:
        with self.lock:
            lat, err = self.latencies, self.errors
            self.latencies, self.errors = [], 0
        return lat, err


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if values else 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its children alive now."""
    import psutil

    top = psutil.Process(pid)
    total = 0.0
    for proc in [top, *top.children(recursive=True)]:
        try:
            t = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def own_cpu_seconds() -> float:
    """User + system CPU seconds of this process (its threads; not its finished children)."""
    t = os.times()
    return t.user + t.system


def bench_serve(work: Path, rows: int, repeats: int) -> None:
    import duckdb

    home = work / "home_serve"
    fresh_copy(snapshot_home(work), home)
    files = []
    for k in range(2 * repeats):  # distinct files (datasets), so each load adds rows
        path = work / f"serve_{k}.csv"
        duckdb.sql(
            f"COPY (SELECT 'SRV{k}' AS dataset, 'm' || (i // 1000) AS measure, "
            f"['KAZ','UZB','KGZ','TJK','TKM','RUS','CHN','TUR','DEU','KOR'][(i % 10) + 1] "
            f"AS ref_area, NULL AS counterpart_area, NULL AS breakdown, "
            f"(1900 + (i // 10) % 100)::VARCHAR AS period, ((i * 7919) % 100003) / 8.0 AS value, "
            f"'persons' AS unit, 'A' AS obs_status FROM range({rows}) t(i)) "
            f"TO '{path}' (HEADER, DELIMITER ',')"
        )
        files.append(path)
    port = free_port()
    server = subprocess.Popen(
        [*KERUEN, "serve", "--port", str(port)], env=keruen_env(home), stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    import httpx

    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(base + Traffic.ROUTES[0], timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.5)
        traffic = Traffic(base)
        traffic.on.set()  # idle latency: traffic alone, no writer
        time.sleep(20)
        idle, idle_errors = traffic.take()
        traffic.on.clear()
        k = iter(range(len(files)))
        shares: list[tuple[float, float, float]] = []  # (wall s, server CPU s, client CPU s)

        def busy() -> Run:
            i = next(k)
            traffic.on.set()
            time.sleep(1)
            traffic.take()
            server_cpu, client_cpu = cpu_seconds(server.pid), own_cpu_seconds()
            try:
                r = run(load_cmd(files[i], f"SRV{i}"), keruen_env(home))
                shares.append(
                    (
                        r.seconds,
                        cpu_seconds(server.pid) - server_cpu,
                        own_cpu_seconds() - client_cpu,
                    )
                )
                return r
            finally:
                traffic.on.clear()

        def alone() -> Run:
            i = next(k)
            time.sleep(1)
            return run(load_cmd(files[i], f"SRV{i}"), keruen_env(home))

        results = rounds(
            {"keruen load, server under 8 in flight": busy, "keruen load, server idle": alone},
            repeats,
            "serve",
        )
        during, during_errors = traffic.take()
        traffic.done.set()
        print_summary(
            f"load of {rows:,} rows beside a running `keruen serve`",
            results,
            "keruen load, server idle",
        )
        print(
            f"  server, traffic alone: {len(idle)} requests, p50 {pct(idle, 50) * 1e3:.0f} ms, "
            f"p99 {pct(idle, 99) * 1e3:.0f} ms, errors {idle_errors}"
        )
        print(
            f"  server, during the loads: {len(during)} requests, p50 "
            f"{pct(during, 50) * 1e3:.0f} ms, p99 {pct(during, 99) * 1e3:.0f} ms, errors "
            f"{during_errors}; p99 ratio {pct(during, 99) / max(pct(idle, 99), 1e-9):.2f}"
        )
        wall = sum(w for w, _, _ in shares)
        print(
            f"  CPU during the loads beside traffic ({os.cpu_count()} CPUs): the server "
            f"{sum(c for _, c, _ in shares) / wall:.2f} cores, this script's 8 client threads "
            f"{sum(c for _, _, c in shares) / wall:.2f} cores (what is left is the load's)"
        )
    finally:
        server.terminate()
        server.wait(timeout=60)


def bench_help(repeats: int) -> None:
    """``keruen --help`` (target ≤ 0.3 s), beside a bare ``python -c pass`` in the same rounds."""
    results = rounds(
        {
            "keruen --help": lambda: run([*KERUEN, "--help"]),
            "python -c pass (start-up alone)": lambda: run([sys.executable, "-c", "pass"]),
        },
        repeats,
        "help",
    )
    print_summary("`keruen --help` (target ≤ 0.3 s)", results, "python -c pass (start-up alone)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=["load", "query", "serve", "help"])
    parser.add_argument("--load-rows", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--query-rows", type=int, default=7_500_000)
    parser.add_argument("--serve-rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3, help="rounds (≥ 3 pairs)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    compile_keruen()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}, "
        f"Python {platform.python_version()}; load average at start {load_average():.2f}"
    )
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        if "load" in args.only:
            bench_load(work, args.load_rows, args.repeats, args.seed)
        if "query" in args.only:
            bench_query(work, args.query_rows, args.repeats, args.seed)
        if "serve" in args.only:
            bench_serve(work, args.serve_rows, args.repeats)
        if "help" in args.only:
            bench_help(max(5, args.repeats))
    print(f"\nload average at the end {load_average():.2f}")


if __name__ == "__main__":
    main()
