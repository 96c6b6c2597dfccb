"""Benchmark: keruen's store and data path against DuckDB and pandas (on demand, not a test).

Reproduces the store rows of issue #9's table, each against its baseline measured in the same
run, printing seconds, peak memory (max RSS of the process) and ratios:

* ``wdi``      — ``keruen load`` of the World Bank WDI long CSV (shared data, real values) put in
  tidy form, replicated ``--wdi-copies`` times with distinct measure codes to reach a size;
  baselines: DuckDB ``CREATE TABLE AS … read_csv`` and pandas ``read_csv`` + ``melt`` of the
  same rows in wide form;
* ``tidy``     — ``keruen load`` of ``--rows`` SYNTHETIC tidy rows from a seeded generator;
  baselines: DuckDB ``CREATE TABLE AS … read_csv``; pandas ``read_csv``;
* ``build``    — building a store of ``--build-rows`` SYNTHETIC rows with ``keruen load`` (in
  ``--build-files`` files); baseline: hand-written DuckDB SQL creating the table and inserting
  the same files;
* ``query``    — ``keruen query`` of one point and of a slice (one measure) from the built store;
  baseline: a Python process running the same SQL in DuckDB (start-up included in both);
* ``groupby``  — in-process count/sum/mean per measure over ``--groupby-rows`` observations:
  ``Store.summarise``; baselines: DuckDB group-by on the table; pandas ``groupby`` on the rows
  held in a DataFrame (time to read them excluded).

Every process runs separately so its peak memory is its own. Usage (small sizes here)::

    python benchmarks/bench_store.py --rows 200000 --build-rows 1000000 --groupby-rows 1000000

Issue sizes: ``--wdi-copies 25 --rows 5000000 --build-rows 100000000 --groupby-rows 10000000``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WDI_LONG = ROOT.parent.parent / "shared" / "data" / "wb_wdi" / "wdi_long.csv"
COLUMNS = "dataset,measure,ref_area,counterpart_area,breakdown,period,value,unit,obs_status"
AREAS = ["KAZ", "UZB", "KGZ", "TJK", "TKM", "RUS", "CHN", "TUR", "DEU", "KOR", "USA", "GBR"]

#: Runs a Python snippet or module and reports its wall time and peak RSS as JSON on stderr.
PEAK = r"""
import json, runpy, sys, time
mode, target, *rest = sys.argv[1:]
started = time.perf_counter()
code = 0
try:
    if mode == "module":
        sys.argv = [target, *rest]
        runpy.run_module(target, run_name="__main__")
    else:
        exec(compile(target, "<bench>", "exec"), {"ARGS": rest})
except SystemExit as exc:
    code = exc.code or 0
took = time.perf_counter() - started
# VmHWM: this process's own peak (ru_maxrss would include the forking parent's pages)
status = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
peak = int(status) / 1024
print("BENCH " + json.dumps({"seconds": took, "peak_mb": peak, "code": code}), file=sys.stderr)
"""


def run(mode: str, target: str, *args: str, env: dict[str, str] | None = None) -> dict:
    """One measured process (its whole life, start-up included)."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", PEAK, mode, target, *args],
        capture_output=True,
        text=True,
        env=env,
    )
    wall = time.perf_counter() - started
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("BENCH ")]
    if not lines or json.loads(lines[-1][6:])["code"] not in (0, None):
        raise SystemExit(f"benchmark step failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    out = json.loads(lines[-1][6:])
    call = [ln for ln in proc.stdout.splitlines() if ln.startswith("CALL_SECONDS")]
    out["wall"] = float(call[-1].split()[1]) if call else wall  # in-process timing if given
    return out


def median_of(repeats: int, fn) -> dict:  # type: ignore[no-untyped-def]
    runs = [fn() for _ in range(repeats)]
    return {
        "wall": statistics.median(r["wall"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
    }


# -- data generators ----------------------------------------------------------------------------
def wdi_tidy(path: Path, copies: int) -> int:
    """The shared WDI long CSV in keruen's tidy columns (real values), ``copies`` times.

    The file holds two WDI releases; the release goes into ``breakdown`` so keys stay distinct.
    Also writes the same rows in wide form (years as columns) for the pandas melt baseline.
    """
    import duckdb

    con = duckdb.connect()
    known = con.execute(
        f"SELECT count(*) FROM read_csv('{WDI_LONG}', all_varchar = true)"
    ).fetchall()[0][0]
    con.execute(
        f"""COPY (
        SELECT 'WB_WDI_BENCH' AS dataset,
               CASE WHEN c.i = 0 THEN indicator ELSE indicator || '.C' || c.i END AS measure,
               country_iso3 AS ref_area, NULL AS counterpart_area, vintage AS breakdown,
               year AS period, value, NULL AS unit,
               CASE WHEN value IS NULL THEN 'M' ELSE 'A' END AS obs_status
        FROM read_csv('{WDI_LONG}', all_varchar = true), range({copies}) c(i)
        ) TO '{path}' (HEADER, DELIMITER ',')"""
    )
    wide = path.with_name("wdi_wide.csv")
    con.execute(
        f"""COPY (PIVOT (SELECT * EXCLUDE (country_name, is_aggregate),
                  range AS copy FROM read_csv('{WDI_LONG}', all_varchar = true), range({copies}))
            ON year USING first(value)) TO '{wide}' (HEADER, DELIMITER ',')"""
    )
    return int(known) * copies


def synthetic_tidy(path: Path, rows: int, seed: int, dataset: str = "SYN") -> None:
    """SYNTHETIC tidy rows: distinct keys (measure × area × period), seeded lognormal values."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    i = np.arange(rows)
    n_area, n_year = len(AREAS), 60
    table = pa.table(
        {
            "dataset": pa.array([dataset] * rows),
            "measure": pa.array(np.char.add("m", (i // (n_area * n_year)).astype(str))),
            "ref_area": pa.array(np.array(AREAS)[i % n_area]),
            "counterpart_area": pa.nulls(rows, pa.string()),
            "breakdown": pa.nulls(rows, pa.string()),
            "period": pa.array((1960 + (i // n_area) % n_year).astype(str)),
            "value": pa.array(np.round(rng.lognormal(8, 2, rows), 4)),
            "unit": pa.array(["persons"] * rows),
            "obs_status": pa.array(["A"] * rows),
        }
    )
    pacsv.write_csv(table, path)


# -- steps ---------------------------------------------------------------------------------------
def keruen_env(home: Path) -> dict[str, str]:
    env = dict(os.environ, KERUEN_HOME=str(home))
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


def fresh_home(work: Path, name: str) -> Path:
    """A KERUEN_HOME whose store already holds the bundled snapshot (not timed)."""
    import shutil

    home = work / name
    shutil.rmtree(home, ignore_errors=True)
    run("module", "keruen", "sources", env=keruen_env(home))
    return home


def keruen_load(home: Path, path: Path, dataset: str, vintage: str) -> dict:
    return run(
        "module",
        "keruen",
        "load",
        str(path),
        "--dataset",
        dataset,
        "--vintage",
        vintage,
        "--publisher",
        "benchmark",
        "--release",
        "2024-01-01",
        env=keruen_env(home),
    )


DUCKDB_CTAS = """
import duckdb, os
db, csv = ARGS
con = duckdb.connect(db)
con.execute("CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv(?)", [csv])
con.close()
"""

PANDAS_READ = """
import pandas as pd
csv, wide = ARGS
frame = pd.read_csv(csv)
if wide == "wide":
    ids = [c for c in frame.columns if not c.isdigit()]
    frame = frame.melt(id_vars=ids, var_name="period").dropna(subset=["value"])
"""


def bench_ingest(
    work: Path, label: str, tidy: Path, pandas_input: Path, wide: bool, dataset: str, repeats: int
) -> list[tuple[str, dict]]:
    def keruen_once() -> dict:
        home = fresh_home(work, "home_" + label)
        return keruen_load(home, tidy, dataset, "bench")

    def duck_once() -> dict:
        db = work / f"{label}_duck.duckdb"
        db.unlink(missing_ok=True)
        return run("code", DUCKDB_CTAS, str(db), str(tidy))

    rows = [
        ("keruen load", median_of(repeats, keruen_once)),
        ("DuckDB CREATE TABLE AS read_csv", median_of(repeats, duck_once)),
        (
            "pandas read_csv" + (" + melt" if wide else ""),
            median_of(
                repeats,
                lambda: run("code", PANDAS_READ, str(pandas_input), "wide" if wide else "long"),
            ),
        ),
    ]
    return rows


HAND_BUILD = """
import duckdb
db, *csvs = ARGS
con = duckdb.connect(db)
con.execute('''CREATE TABLE observations (dataset VARCHAR, measure VARCHAR, ref_area VARCHAR,
    counterpart_area VARCHAR, breakdown VARCHAR, period VARCHAR, value DOUBLE, unit VARCHAR,
    obs_status VARCHAR, source_id INTEGER)''')
for i, csv in enumerate(csvs):
    con.execute("INSERT INTO observations SELECT *, ? FROM read_csv(?, all_varchar = true)",
                [i, csv])
con.close()
"""


def bench_build(work: Path, rows: int, files: int, seed: int) -> tuple[Path, list]:
    parts = []
    for k in range(files):
        part = work / f"build_{k}.csv"
        synthetic_tidy(part, rows // files, seed + k, dataset=f"BUILD{k}")
        parts.append(part)
    home = fresh_home(work, "home_build")
    started = time.perf_counter()
    peak = 0.0
    for k, part in enumerate(parts):
        step = keruen_load(home, part, f"BUILD{k}", "bench")
        peak = max(peak, step["peak_mb"])
    k_res = {"wall": time.perf_counter() - started, "peak_mb": peak}
    db = work / "hand.duckdb"
    db.unlink(missing_ok=True)
    h_res = run("code", HAND_BUILD, str(db), *map(str, parts))
    return home, [("keruen load × files", k_res), ("hand DuckDB SQL", h_res)]


QUERY_SQL = """
import duckdb, json
db, sql, params = ARGS
con = duckdb.connect(db, read_only=True)
rows = con.execute(sql, json.loads(params)).fetchall()
"""


def bench_queries(home: Path, repeats: int) -> list[tuple[str, dict]]:
    sys.path.insert(0, str(ROOT / "src"))
    from keruen.store import Store

    db = home / "keruen.duckdb"
    out = []
    for label, args, kw in (
        (
            "point",
            ["--measure", "m0", "--area", "KAZ", "--period", "1960"],
            {"measure": "m0", "ref_area": "KAZ", "period": "1960"},
        ),
        ("slice", ["--measure", "m1"], {"measure": "m1"}),
    ):
        with Store(db, read_only=True) as store:
            sql, params = store._observations_sql(
                "BUILD0", kw.get("measure"), kw.get("ref_area"), None, kw.get("period"), None, None
            )
        sql = f"SELECT * FROM ({sql}) WHERE obs_status <> 'M' ORDER BY ALL"
        out.append(
            (
                f"keruen query ({label})",
                median_of(
                    repeats,
                    lambda a=args: run(
                        "module",
                        "keruen",
                        "query",
                        "BUILD0",
                        *a,
                        "--format",
                        "csv",
                        env=keruen_env(home),
                    ),
                ),
            )
        )
        out.append(
            (
                f"same SQL in DuckDB ({label})",
                median_of(
                    repeats,
                    lambda s=sql, p=params: run("code", QUERY_SQL, str(db), s, json.dumps(p)),
                ),
            )
        )
    return out


GROUP_KERUEN = """
import time
from keruen.store import Store
import pandas  # imported before timing: every path below returns pandas at the edge
db, dataset = ARGS
with Store(db, read_only=True) as store:
    started = time.perf_counter()
    table = store.summarise(dataset, ["measure"])
    print("CALL_SECONDS", time.perf_counter() - started)
"""

GROUP_DUCKDB = """
import time, duckdb
import pandas
db, dataset = ARGS
con = duckdb.connect(db, read_only=True)
started = time.perf_counter()
con.execute("SELECT measure, count(value), sum(value), avg(value), min(value), max(value) "
            "FROM observations WHERE dataset = ? AND breakdown IS NULL AND obs_status <> 'M' "
            "GROUP BY measure ORDER BY measure", [dataset]).df()
print("CALL_SECONDS", time.perf_counter() - started)
"""

GROUP_PANDAS = """
import time, duckdb
db, dataset = ARGS
con = duckdb.connect(db, read_only=True)
frame = con.execute("SELECT measure, value FROM observations WHERE dataset = ?", [dataset]).df()
started = time.perf_counter()
frame.groupby("measure")["value"].agg(["count", "sum", "mean", "min", "max"])
print("CALL_SECONDS", time.perf_counter() - started)
"""

GROUP_OLD = """
import time
from keruen.store import Store
import pandas
db, dataset = ARGS
with Store(db, read_only=True) as store:
    started = time.perf_counter()
    frame = store.observations(dataset)
    frame.groupby("measure")["value"].agg(["count", "sum", "mean", "min", "max"])
    print("CALL_SECONDS", time.perf_counter() - started)
"""


def bench_groupby(
    work: Path, rows: int, seed: int, repeats: int, old: bool = True
) -> list[tuple[str, dict]]:
    """In-process: each path runs in its own process, timed from after its imports.

    ``old=False`` skips the former way (every row into pandas: about 1 GB per million rows).
    """
    path = work / "groupby.csv"
    synthetic_tidy(path, rows, seed, dataset="GROUPBY")
    home = fresh_home(work, "home_groupby")
    keruen_load(home, path, "GROUPBY", "bench")
    db = str(home / "keruen.duckdb")
    env = keruen_env(home)
    paths = [
        (
            "Store.summarise (SQL group-by)",
            median_of(repeats, lambda: run("code", GROUP_KERUEN, db, "GROUPBY", env=env)),
        ),
        (
            "DuckDB group-by, same process",
            median_of(repeats, lambda: run("code", GROUP_DUCKDB, db, "GROUPBY")),
        ),
        (
            "pandas groupby (rows in memory)",
            median_of(repeats, lambda: run("code", GROUP_PANDAS, db, "GROUPBY")),
        ),
    ]
    if old:
        paths.append(
            (
                "Store.observations + pandas groupby",
                median_of(repeats, lambda: run("code", GROUP_OLD, db, "GROUPBY", env=env)),
            )
        )
    return paths


def report(title: str, rows: list[tuple[str, dict]]) -> None:
    base = rows[1][1]["wall"]
    print(f"\n{title}")
    print(f"  {'path':<38}{'seconds':>9}{'peak MB':>10}{'× baseline':>12}")
    for name, res in rows:
        print(f"  {name:<38}{res['wall']:>9.2f}{res['peak_mb']:>10.0f}{res['wall'] / base:>12.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wdi-copies", type=int, default=1)
    parser.add_argument("--rows", type=int, default=200_000, help="synthetic tidy rows")
    parser.add_argument("--build-rows", type=int, default=1_000_000)
    parser.add_argument("--build-files", type=int, default=4)
    parser.add_argument("--groupby-rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--query-repeats", type=int, default=None, help="runs per query path (default: --repeats)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--no-old-groupby",
        action="store_true",
        help="skip the former group-by (all rows into pandas), which needs ~1 GB per M rows",
    )
    parser.add_argument("--only", nargs="*", default=["wdi", "tidy", "build", "groupby"])
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}, "
        f"Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "wdi" in args.only:
            tidy = work / "wdi_tidy.csv"
            n = wdi_tidy(tidy, args.wdi_copies)
            report(
                f"WDI long CSV, {n:,} rows (real values)",
                bench_ingest(
                    work, "wdi", tidy, work / "wdi_wide.csv", True, "WB_WDI_BENCH", args.repeats
                ),
            )
        if "tidy" in args.only:
            tidy = work / "tidy.csv"
            synthetic_tidy(tidy, args.rows, args.seed)
            report(
                f"{args.rows:,} SYNTHETIC tidy rows",
                bench_ingest(work, "tidy", tidy, tidy, False, "SYN", args.repeats),
            )
        if "build" in args.only:
            home, rows = bench_build(work, args.build_rows, args.build_files, args.seed)
            report(f"store of {args.build_rows:,} SYNTHETIC rows in {args.build_files} files", rows)
            q = bench_queries(home, args.query_repeats or args.repeats)
            report("point query", q[:2])
            report("slice query (one measure)", q[2:])
        if "groupby" in args.only:
            report(
                f"group-by over {args.groupby_rows:,} SYNTHETIC observations",
                bench_groupby(
                    work, args.groupby_rows, args.seed, args.repeats, not args.no_old_groupby
                ),
            )


if __name__ == "__main__":
    main()
