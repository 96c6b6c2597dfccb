"""Aggregating a synthetic register: keruen against hand-written DuckDB SQL, pandas and polars,
plus a scaling curve of keruen's DuckDB and Spark engines.

    python benchmarks/bench_registers.py --persons 1000000 --sizes 1000000,3000000,10000000

Every contender computes the same five aggregates (flows by region x month x citizenship, stock
on three dates, durations of completed stays, overstays on a date, internal OD by year) of the
same seeded SYNTHETIC register (no deliberately bad records), each in a fresh subprocess
whose wall time (after its imports) and peak resident memory (the process and all its
children, JVM included, sampled every 50 ms) are recorded. keruen also runs its record
checks (quarantine rules), which the others do not — except ``duckdb-sql-checked``, the same
checks written by hand the direct way (a window over each person's stays, the rules as a
filter into a table of clean records). Ratios are against hand-written DuckDB SQL without
checks, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

STOCK = [date(2021, 1, 1), date(2022, 1, 1), date(2023, 12, 31)]
OVER = date(2023, 12, 31)
BANDS = [(0, "0-29d"), (30, "30-89d"), (90, "90-179d"), (180, "180-364d"), (365, "365d+")]


# -- contenders (each runs in its own subprocess) ------------------------------------------------
def validate_untimed(root: Path, memory_limit: str) -> None:
    """What `keruen register validate` does: checks, then a validation record beside ROOT."""
    from keruen.registers.aggregate import file_digests
    from keruen.registers.checks import resolve_span, run_checks
    from keruen.registers.engines import make_engine
    from keruen.registers.schema import check_files
    from keruen.registers.validated import write_record

    files = check_files(root)
    span = resolve_span(files)
    eng = make_engine("duckdb", memory_limit=memory_limit)
    try:
        report = run_checks(eng, files, span, quarantine=Path(tempfile.mkdtemp()) / "q.parquet")
    finally:
        eng.close()
    write_record(files, span, report, file_digests(files))


def run_keruen(root: Path, engine: str, memory_limit: str, reuse: bool = False) -> dict[str, int]:
    from keruen.registers.aggregate import aggregate
    from keruen.registers.checks import resolve_span
    from keruen.registers.engines import make_engine
    from keruen.registers.schema import check_files
    from keruen.registers.validated import read_record

    files = check_files(root)
    span = resolve_span(files)
    record = read_record(files, span) if reuse else None
    if reuse and record is None:
        raise SystemExit("no matching validation record")
    eng = make_engine(engine, memory_limit=memory_limit)
    try:
        res = aggregate(
            eng,
            files,
            span,
            stock_dates=STOCK,
            overstay_date=OVER,
            quarantine=Path(tempfile.mkdtemp()) / "q.parquet",
            dup_keys=record.dup_keys if record else None,
        )
    finally:
        eng.close()
    t = res.tables
    return _summary(
        t["flows"]["arrivals"].sum(),
        t["stock"]["stock"].sum(),
        t["durations"]["days"].sum(),
        t["overstays"]["overstayers"].sum(),
        t["od"]["moves"].sum(),
    )


def rule_costs(root: Path, memory_limit: str) -> dict[str, float]:
    """CPU seconds of each pass of keruen's checks, and of the cells pass without each rule.

    The marginal cost of a row-local rule is the cells pass with every rule minus the cells
    pass without that one; the duplicate rule also costs the whole person pass. CPU time (all
    threads) rather than wall time, as other jobs on a shared machine inflate the latter.
    """
    import resource

    from keruen.registers import sql
    from keruen.registers.checks import day_number, ref_codes, resolve_span
    from keruen.registers.engines import DuckDBEngine
    from keruen.registers.schema import check_files

    files = check_files(root)
    span = resolve_span(files)
    first, last = day_number(span[0]), day_number(span[1])
    stock, over = [day_number(d) for d in STOCK], day_number(OVER)
    flags = sql._CELL_FLAGS
    out: dict[str, float] = {}

    def timed(label: str, queries: list[tuple[str, str | None]]) -> None:
        eng = DuckDBEngine(memory_limit=memory_limit)
        try:
            eng.open(files.files)
            eng.register_frame("ref_codes", ref_codes())
            eng.view("dup_keys", sql.NO_DUP_KEYS)
            start = resource.getrusage(resource.RUSAGE_SELF)
            for name, query in queries:  # None: the engine's count of repeated persons
                if query is None:
                    eng.repeated_persons(name)
                else:
                    eng.materialise(name, query)
            end = resource.getrusage(resource.RUSAGE_SELF)
            cpu = end.ru_utime + end.ru_stime - start.ru_utime - start.ru_stime
            out[label] = cpu
        finally:
            eng.close()

    timed(
        "person pass (duplicate rule)",
        [("multi", None), ("persons", sql.persons("duckdb"))],
    )
    timed("cells, every rule", [("cells", sql.cells("duckdb", first, last, stock, over))])
    timed("cells, no rule", [("cells", sql.cells("duckdb", first, last, stock, over, ()))])
    for flag in flags:
        rest = tuple(f for f in flags if f != flag)
        query = sql.cells("duckdb", first, last, stock, over, rest)
        timed(f"cells without {flag}", [("cells", query)])
    return out


def _summary(arrivals, stock, days, over, moves) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {
        "arrivals": int(arrivals),
        "stock": int(stock),
        "stay_days": int(days),
        "overstayers": int(over),
        "moves": int(moves),
    }


def run_duckdb_sql(root: Path, memory_limit: str) -> dict[str, int]:
    """The five aggregates by hand, over every record (no checks)."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"CREATE VIEW r AS SELECT * FROM read_parquet('{root}/*/*.parquet')")
    return _five_by_hand(con)


def run_duckdb_sql_checked(root: Path, memory_limit: str) -> dict[str, int]:
    """The same checks as keruen's, written the direct way, then the five aggregates by hand.

    Duplicates by a window over each person's stays; every row rule as a filter into a table
    of clean records. Only the code lists come from keruen (data, not logic).
    """
    import duckdb

    from keruen.registers.checks import ref_codes
    from keruen.registers.schema import PERMIT_KINDS, SECTORS

    start, end = json.loads((root / "_register.json").read_text("utf-8"))["span"]
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    con.register("codes_frame", ref_codes())
    con.execute("CREATE TABLE codes AS SELECT * FROM codes_frame")
    con.execute(f"CREATE VIEW raw AS SELECT * FROM read_parquet('{root}/*/*.parquet')")
    con.execute("""
        CREATE TEMP TABLE dups AS SELECT DISTINCT person_id, arrival_date FROM (
          SELECT person_id, arrival_date,
            count(*) OVER (PARTITION BY person_id, arrival_date) > 1 AS same_day,
            max(coalesce(departure_date, DATE '9999-12-31')) OVER (
              PARTITION BY person_id ORDER BY arrival_date
              RANGE BETWEEN UNBOUNDED PRECEDING AND INTERVAL 1 DAY PRECEDING) > arrival_date
              AS open_before
          FROM raw WHERE person_id IS NOT NULL AND arrival_date IS NOT NULL)
        WHERE same_day OR open_before""")
    filled = " AND ".join(
        f"{c} IS NOT NULL"
        for c in ("person_id", "citizenship", "sex", "birth_year", "region", "sector",
                  "permit_kind", "arrival_date", "permitted_until")
    )  # fmt: skip
    sectors = ", ".join(f"'{c}'" for c in SECTORS)
    kinds = ", ".join(f"'{c}'" for c in PERMIT_KINDS)
    con.execute(f"""
        CREATE TEMP TABLE r AS SELECT raw.* FROM raw ANTI JOIN dups USING (person_id, arrival_date)
        WHERE {filled} AND sex IN ('F', 'M') AND sector IN ({sectors})
          AND permit_kind IN ({kinds})
          AND citizenship IN (SELECT code FROM codes WHERE kind = 'country')
          AND region IN (SELECT code FROM codes WHERE kind = 'region')
          AND (previous_region IS NULL
               OR previous_region IN (SELECT code FROM codes WHERE kind = 'region'))
          AND (departure_date IS NULL OR departure_date >= arrival_date)
          AND arrival_date BETWEEN DATE '{start}' AND DATE '{end}'
          AND (departure_date IS NULL OR departure_date <= DATE '{end}')""")
    return _five_by_hand(con)


def _five_by_hand(con) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The five aggregates over relation ``r``, written by hand."""
    flows = con.execute("""
        WITH a AS (SELECT region, strftime(arrival_date, '%Y-%m') m, citizenship, count(*) n,
                     count(*) FILTER (WHERE previous_region IS NULL) ab FROM r GROUP BY ALL),
             d AS (SELECT region, strftime(departure_date, '%Y-%m') m, citizenship, count(*) n
                   FROM r WHERE departure_date IS NOT NULL GROUP BY ALL)
        SELECT coalesce(a.region, d.region), coalesce(a.m, d.m), coalesce(a.citizenship,
               d.citizenship), coalesce(a.n, 0) arr, coalesce(d.n, 0) dep,
               coalesce(a.n, 0) - coalesce(d.n, 0) net
        FROM a FULL JOIN d ON a.region = d.region AND a.m = d.m AND a.citizenship = d.citizenship
    """).df()
    sums = ", ".join(
        f"count(*) FILTER (WHERE arrival_date <= DATE '{t}' AND (departure_date IS NULL "
        f"OR departure_date > DATE '{t}')) s{i}"
        for i, t in enumerate(STOCK)
    )
    stock = con.execute(f"SELECT region, citizenship, {sums} FROM r GROUP BY ALL").df()
    dur = con.execute("""
        SELECT citizenship, region, CASE WHEN d < 30 THEN 1 WHEN d < 90 THEN 2 WHEN d < 180
               THEN 3 WHEN d < 365 THEN 4 ELSE 5 END band, count(*) n, sum(d) AS days
        FROM (SELECT *, departure_date - arrival_date d FROM r WHERE departure_date IS NOT NULL)
        GROUP BY ALL""").df()
    over = con.execute(f"""
        SELECT citizenship, region, count(*) n, sum(DATE '{OVER}' - permitted_until) AS days FROM r
        WHERE arrival_date <= DATE '{OVER}' AND (departure_date IS NULL OR departure_date >
              DATE '{OVER}') AND permitted_until < DATE '{OVER}' GROUP BY ALL""").df()
    od = con.execute("""
        SELECT year(arrival_date) y, previous_region, region, count(*) n FROM r
        WHERE previous_region IS NOT NULL GROUP BY ALL""").df()
    stock_total = sum(stock[f"s{i}"].sum() for i in range(len(STOCK)))
    return _summary(
        flows["arr"].sum(), stock_total, dur["days"].sum(), over["n"].sum(), od["n"].sum()
    )


def run_pandas(root: Path) -> dict[str, int]:
    import pandas as pd
    import pyarrow.dataset as ds

    cols = [
        "citizenship",
        "region",
        "previous_region",
        "arrival_date",
        "departure_date",
        "permitted_until",
    ]
    df = ds.dataset(root, format="parquet").to_table(columns=cols).to_pandas(date_as_object=False)
    for c in ("citizenship", "region", "previous_region"):
        df[c] = df[c].astype("category")
    arr, dep, until = df["arrival_date"], df["departure_date"], df["permitted_until"]
    am = arr.dt.year * 100 + arr.dt.month
    a = df.groupby(["region", am, "citizenship"], observed=True).size()
    has_dep = dep.notna()
    dm = (dep.dt.year * 100 + dep.dt.month)[has_dep].astype("int64")
    d = df[has_dep].groupby(["region", dm, "citizenship"], observed=True).size()
    flows = pd.concat([a.rename("arr"), d.rename("dep")], axis=1).fillna(0)
    flows["net"] = flows["arr"] - flows["dep"]
    stock_total = 0
    for t in STOCK:
        ts = pd.Timestamp(t)
        present = (arr <= ts) & (dep.isna() | (dep > ts))
        stock_total += df[present].groupby(["region", "citizenship"], observed=True).size().sum()
    days = (dep - arr).dt.days[has_dep]
    band = pd.cut(days, [b for b, _ in BANDS] + [10**9], right=False, labels=[n for _, n in BANDS])
    dur = days.groupby(
        [df["citizenship"][has_dep], df["region"][has_dep], band], observed=True
    ).agg(["size", "sum"])
    ts = pd.Timestamp(OVER)
    mask = (arr <= ts) & (dep.isna() | (dep > ts)) & (until < ts)
    over = (
        (ts - until[mask])
        .dt.days.groupby([df["citizenship"][mask], df["region"][mask]], observed=True)
        .agg(["size", "sum"])
    )
    moved = df["previous_region"].notna()
    od = df[moved].groupby([arr[moved].dt.year, "previous_region", "region"], observed=True).size()
    return _summary(flows["arr"].sum(), stock_total, dur["sum"].sum(), over["size"].sum(), od.sum())


def run_polars(root: Path) -> dict[str, int]:
    import polars as pl

    lf = pl.scan_parquet(f"{root}/*/*.parquet", hive_partitioning=True)

    def ym(c: str) -> pl.Expr:
        return pl.col(c).dt.year() * 100 + pl.col(c).dt.month()

    a = lf.group_by("region", ym("arrival_date").alias("m"), "citizenship").agg(
        pl.len().alias("arr")
    )
    d = (
        lf.filter(pl.col("departure_date").is_not_null())
        .group_by("region", ym("departure_date").alias("m"), "citizenship")
        .agg(pl.len().alias("dep"))
    )
    flows = (
        a.join(d, on=["region", "m", "citizenship"], how="full", coalesce=True)
        .with_columns(pl.col("arr").fill_null(0), pl.col("dep").fill_null(0))
        .collect()
    )

    def present(t: date) -> pl.Expr:
        dep = pl.col("departure_date")
        return (pl.col("arrival_date") <= t) & (dep.is_null() | (dep > t))

    stock = (
        lf.group_by("region", "citizenship")
        .agg([present(t).sum().alias(f"s{i}") for i, t in enumerate(STOCK)])
        .collect()
    )
    days = (pl.col("departure_date") - pl.col("arrival_date")).dt.total_days()
    band = (
        pl.when(days < 30)
        .then(1)
        .when(days < 90)
        .then(2)
        .when(days < 180)
        .then(3)
        .when(days < 365)
        .then(4)
        .otherwise(5)
    )
    dur = (
        lf.filter(pl.col("departure_date").is_not_null())
        .group_by("citizenship", "region", band.alias("band"))
        .agg(pl.len(), days.sum().alias("d"))
        .collect()
    )
    over = (
        lf.filter(present(OVER) & (pl.col("permitted_until") < OVER))
        .group_by("citizenship", "region")
        .agg(pl.len().alias("n"), (pl.lit(OVER) - pl.col("permitted_until")).dt.total_days().sum())
        .collect()
    )
    od = (
        lf.filter(pl.col("previous_region").is_not_null())
        .group_by(pl.col("arrival_date").dt.year(), "previous_region", "region")
        .agg(pl.len())
        .collect()
    )
    stock_total = sum(stock[f"s{i}"].sum() for i in range(len(STOCK)))
    return _summary(
        flows["arr"].sum(), stock_total, dur["d"].sum(), over["n"].sum(), od["len"].sum()
    )


#: Modules each contender imports before its clock starts (interpreter start-up and imports
#: are not what is compared).
IMPORTS = {
    "keruen-duckdb": ["keruen.registers.aggregate", "keruen.registers.checks", "duckdb"],
    "keruen-spark": ["keruen.registers.aggregate", "keruen.registers.checks", "pyspark.sql"],
    "keruen-validated": ["keruen.registers.aggregate", "keruen.registers.validated", "duckdb"],
    "duckdb-sql": ["duckdb", "pandas"],
    "duckdb-sql-checked": ["duckdb", "pandas", "keruen.registers.checks"],
    "pandas": ["pandas", "pyarrow.dataset"],
    "polars": ["polars"],
}


def child(args: argparse.Namespace) -> None:
    import importlib

    root = Path(args.data)
    for module in IMPORTS.get(args.one, []):
        importlib.import_module(module)
    if args.one == "keruen-validated":  # `keruen register validate` first, not timed
        validate_untimed(root, args.memory_limit)
    if args.one == "rule-costs":
        costs = rule_costs(root, args.memory_limit)
        print(json.dumps({"seconds": sum(costs.values()), "summary": costs}))
        return
    start = time.perf_counter()
    if args.one == "keruen-duckdb":
        out = run_keruen(root, "duckdb", args.memory_limit)
    elif args.one == "keruen-validated":
        out = run_keruen(root, "duckdb", args.memory_limit, reuse=True)
    elif args.one == "keruen-spark":
        out = run_keruen(root, "spark", args.memory_limit)
    elif args.one == "duckdb-sql":
        out = run_duckdb_sql(root, args.memory_limit)
    elif args.one == "duckdb-sql-checked":
        out = run_duckdb_sql_checked(root, args.memory_limit)
    elif args.one == "pandas":
        out = run_pandas(root)
    elif args.one == "polars":
        out = run_polars(root)
    else:
        raise SystemExit(f"unknown contender {args.one}")
    print(json.dumps({"seconds": time.perf_counter() - start, "summary": out}))


# -- parent: generate, run each contender in a subprocess, sample its memory -------------------
def measure(name: str, data: Path, memory_limit: str) -> dict[str, object]:
    import psutil

    cmd = [
        sys.executable,
        __file__,
        "--one",
        name,
        "--data",
        str(data),
        "--memory-limit",
        memory_limit,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            rss = ps.memory_info().rss + sum(
                c.memory_info().rss for c in ps.children(recursive=True)
            )
        except psutil.Error:
            rss = 0
        peak = max(peak, rss)
        time.sleep(0.05)
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode != 0:
        return {"name": name, "error": f"exit {proc.returncode}", "peak_mb": peak / 2**20}
    result = json.loads(out.strip().splitlines()[-1])
    return {
        "name": name,
        "seconds": result["seconds"],
        "peak_mb": peak / 2**20,
        "summary": result["summary"],
    }


def make_register(persons: int, where: Path) -> tuple[Path, int, float]:
    from keruen.registers.generate import Spec, generate
    from keruen.registers.margins import from_store
    from keruen.sources.snapshot import open_store

    root = where / f"reg_{persons}"
    if (root / "_register.json").exists():  # made by an earlier run with the same seed
        info = json.loads((root / "_register.json").read_text("utf-8"))
        return root, int(info["rows"]), float("nan")
    with open_store(where / "store.duckdb", quiet=True) as store:
        margins = from_store(store)
    start = time.perf_counter()
    info = generate(
        root,
        Spec(persons=persons, start_year=2019, end_year=2023, seed=1, chunk_rows=1_000_000),
        margins,
        progress=True,
    )
    return root, int(info["rows"]), time.perf_counter() - start  # type: ignore[call-overload]


def bench_cli(root: Path, work: Path, repeats: int, memory_limit: str) -> None:
    """Whole processes, interleaved: `keruen register aggregate` as typed (cold with
    ``--recheck``, and after `keruen register validate`), each storing its results into a fresh
    copy of a store holding the snapshot, against the hand-written DuckDB SQL and polars as
    scripts (start-up and imports included on every side)."""
    import importlib.util
    import os
    import shutil

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from measure import print_summary, rounds, run

    script = Path(sys.executable).with_name("keruen")
    keruen = [str(script)] if script.exists() else [sys.executable, "-m", "keruen"]
    template, home = work / "cli_template", work / "cli_home"
    env = dict(os.environ, KERUEN_HOME=str(home), KERUEN_REGISTER_MEMORY_LIMIT=memory_limit)
    if not template.exists():
        run([*keruen, "sources"], dict(env, KERUEN_HOME=str(template)))
    run([*keruen, "register", "validate", str(root)], dict(env, KERUEN_HOME=str(template)))

    def fresh(name: str) -> None:
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(template, home)

    def child_cmd(name: str) -> list[str]:
        return [sys.executable, __file__, "--one", name, "--data", str(root),
                "--memory-limit", memory_limit]  # fmt: skip

    aggregate = [*keruen, "register", "aggregate", str(root)]
    results = rounds(
        {
            "keruen register aggregate --recheck (cold)": lambda: run(
                [*aggregate, "--recheck"], env
            ),
            "keruen register aggregate (after validate)": lambda: run(aggregate, env),
            "hand DuckDB SQL (script)": lambda: run(child_cmd("duckdb-sql")),
            **(
                {"polars (script)": lambda: run(child_cmd("polars"))}
                if importlib.util.find_spec("polars")
                else {}
            ),
        },
        repeats,
        "register CLI",
        fresh,
    )
    print_summary("register aggregate, whole processes", results, "hand DuckDB SQL (script)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--persons", type=int, default=1_000_000, help="size of the comparison")
    p.add_argument("--sizes", default="", help="comma-separated sizes of the scaling curve")
    p.add_argument("--engines", default="duckdb,spark", help="engines of the scaling curve")
    p.add_argument("--contenders", default="keruen-duckdb,duckdb-sql,polars,pandas")
    p.add_argument("--rule-costs", action="store_true", help="time each pass and rule")
    p.add_argument("--memory-limit", default="1.5GB")
    p.add_argument("--workdir", default=None)
    p.add_argument(
        "--cli", type=int, default=0, metavar="ROUNDS",
        help="also time the commands as typed, whole processes, in ROUNDS interleaved rounds",
    )  # fmt: skip
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)
    p.add_argument("--data", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        child(args)
        return
    from measure import compile_keruen

    compile_keruen()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="keruen-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"SYNTHETIC registers in {work}; DuckDB memory limit {args.memory_limit}")
    root, rows, gen_s = make_register(args.persons, work)
    print(f"\ncomparison: {args.persons:,} persons, {rows:,} rows (generated in {gen_s:.1f} s)")
    runs = [measure(name, root, args.memory_limit) for name in args.contenders.split(",") if name]
    base = next((r for r in runs if r["name"] == "duckdb-sql" and "seconds" in r), None)
    print(f"{'contender':<18}{'seconds':>10}{'ratio':>8}{'peak MB':>10}  checksum")
    for r in runs:
        if "error" in r:
            print(f"{r['name']:<18}{'failed':>10}{'':>8}{r['peak_mb']:>10.0f}  {r['error']}")
            continue
        ratio = r["seconds"] / base["seconds"] if base else float("nan")  # type: ignore[operator]
        print(
            f"{r['name']:<18}{r['seconds']:>10.2f}{ratio:>8.2f}{r['peak_mb']:>10.0f}  "
            f"{json.dumps(r['summary'])}"
        )
    if args.cli:
        bench_cli(root, work, args.cli, args.memory_limit)
    if args.rule_costs:
        costs = measure("rule-costs", root, args.memory_limit)
        print("\ncost of keruen's checks (DuckDB, one fresh engine per line, CPU seconds)")
        for label, secs in costs.get("summary", {}).items():  # type: ignore[union-attr]
            print(f"  {label:<42}{secs:>8.2f}")
    sizes = [int(float(s)) for s in args.sizes.split(",") if s]
    if sizes:
        print(f"\nscaling ({args.engines})")
        print(
            f"{'persons':>12}{'rows':>12}{'engine':>8}{'seconds':>10}{'rows/s':>12}{'peak MB':>10}"
        )
    for n in sizes:
        reg, nrows, _ = (root, rows, 0.0) if n == args.persons else make_register(n, work)
        for engine in args.engines.split(","):
            r = measure(f"keruen-{engine}", reg, args.memory_limit)
            if "error" in r:
                print(f"{n:>12,}{nrows:>12,}{engine:>8}{'failed':>10}")
                continue
            print(
                f"{n:>12,}{nrows:>12,}{engine:>8}{r['seconds']:>10.1f}"
                f"{nrows / r['seconds']:>12,.0f}{r['peak_mb']:>10.0f}"
            )


if __name__ == "__main__":
    main()
