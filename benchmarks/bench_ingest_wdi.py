"""Benchmark: ingesting a World Development Indicators bulk CSV (on demand, not a test).

Generates, with a seeded generator, a SYNTHETIC file in the shape and size of the World Bank's
WDIData.csv (``Country Name, Country Code, Indicator Name, Indicator Code, 1960 … 2023``: about
400,000 rows × 68 columns, sparse like the real file), then times three ways of getting it into
a long table in DuckDB:

1. keruen: ``wdi_bulk.load_bulk_csv`` (pandas read + melt + validation) then ``Store.ingest``;
2. DuckDB alone: ``read_csv`` + ``UNPIVOT`` into a table (no validation);
3. pandas alone: ``read_csv`` + ``melt`` + ``dropna`` (in memory, no store, no validation).

Usage: python benchmarks/bench_ingest_wdi.py [--rows 400000] [--seed 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from keruen.areas import wb_metadata  # noqa: E402
from keruen.sources import wdi_bulk  # noqa: E402
from keruen.sources.files import sha256_of  # noqa: E402
from keruen.sources.validate import validate_observations  # noqa: E402
from keruen.store import Provenance, Store  # noqa: E402

YEARS = list(range(1960, 2024))
UNITS = ["current US$", "% of GDP", "people", "% of population", "constant 2015 US$", "per 1,000"]


def generate(path: Path, rows: int, seed: int) -> None:
    """Write a synthetic WDIData.csv with ``rows`` rows (economies × indicators)."""
    rng = np.random.default_rng(seed)
    economies = sorted(wb_metadata().items())  # 217 economies + aggregates, as in the real file
    n_ind = max(1, -(-rows // len(economies)))
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(
            ["Country Name", "Country Code", "Indicator Name", "Indicator Code", *map(str, YEARS)]
        )
        written = 0
        for i in range(n_ind):
            name = f"Synthetic indicator {i:04d} ({UNITS[i % len(UNITS)]})"
            code = f"SYN.IND.{i:04d}"
            scale = 10 ** rng.uniform(0, 11)
            start = rng.integers(0, len(YEARS))  # series start at different years
            block = rng.lognormal(0, 1, size=(len(economies), len(YEARS))) * scale
            holes = rng.random((len(economies), len(YEARS))) < 0.15
            for j, (iso3, meta) in enumerate(economies):
                if written >= rows:
                    return
                cells = [
                    "" if (k < start or holes[j, k]) else f"{block[j, k]:.6g}"
                    for k in range(len(YEARS))
                ]
                out.writerow([meta["country_name"], iso3, name, code, *cells])
                written += 1


def timed(label: str, fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    took = time.perf_counter() - started
    print(f"  {label:<44} {took:8.2f} s", flush=True)
    return took, result


def run_keruen(csv_path: Path, work: Path) -> tuple[float, int]:
    t1, batch = timed("keruen: parse (read_csv + melt)", lambda: wdi_bulk.parse_bulk_csv(csv_path))
    t2, frame = timed(
        "keruen: validate (pandera + checks)", lambda: validate_observations(batch, csv_path)
    )
    store = Store(work / "keruen.duckdb")

    provenance = Provenance(
        dataset="WB_WDI",
        vintage="bench",
        release="2024-01-01",
        publisher="synthetic",
        file_name=csv_path.name,
        sha256=sha256_of(csv_path),
    )
    t3, _ = timed("keruen: Store.ingest (one transaction)", lambda: store.ingest(frame, provenance))
    store.close()
    return t1 + t2 + t3, len(frame)


def run_duckdb(csv_path: Path, work: Path) -> tuple[float, int]:
    import duckdb

    con = duckdb.connect(str(work / "duckdb.duckdb"))
    years = ", ".join(f'"{y}"' for y in YEARS)
    types = ", ".join(f"'{y}': 'DOUBLE'" for y in YEARS)
    sql = f"""
    CREATE TABLE obs AS
    SELECT "Country Code" AS ref_area, "Indicator Code" AS measure, period, value FROM (
        UNPIVOT (SELECT * FROM read_csv(?, header = true, types = {{{types}}}))
        ON {years} INTO NAME period VALUE value)
    """
    took, _ = timed(
        "duckdb: read_csv + UNPIVOT into a table", lambda: con.execute(sql, [str(csv_path)])
    )
    n = con.execute("SELECT count(*) FROM obs").fetchone()[0]  # type: ignore[index]
    con.close()
    return took, int(n)


def run_pandas(csv_path: Path) -> tuple[float, int]:
    import pandas as pd

    def go() -> Any:
        wide = pd.read_csv(csv_path, dtype={"Country Code": "string", "Indicator Code": "string"})
        long = wide.melt(
            id_vars=["Country Code", "Indicator Code"],
            value_vars=[str(y) for y in YEARS],
            var_name="period",
        )
        return long.dropna(subset=["value"])

    took, frame = timed("pandas: read_csv + melt + dropna", go)
    return took, len(frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400_000, help="rows of the CSV (real: ~400k)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, default=None, help="keep files in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        csv_path = work / f"WDIData_synthetic_{args.rows}_{args.seed}.csv"
        if not csv_path.exists():
            took, _ = timed(
                f"generate {args.rows:,} rows (seed {args.seed})",
                lambda: generate(csv_path, args.rows, args.seed),
            )
        size = csv_path.stat().st_size / 1e6
        print(f"file: {csv_path.name}, {size:,.0f} MB, {len(YEARS) + 4} columns")
        for old in ("keruen.duckdb", "duckdb.duckdb"):
            (work / old).unlink(missing_ok=True)
        k, k_rows = run_keruen(csv_path, work)
        d, d_rows = run_duckdb(csv_path, work)
        p, p_rows = run_pandas(csv_path)
    print(
        f"\nrows out: keruen {k_rows:,} (countries only), duckdb {d_rows:,}, pandas {p_rows:,} "
        "(both with aggregates)"
    )
    print(f"{'path':<10}{'seconds':>10}{'vs duckdb':>12}")
    for name, secs in (("keruen", k), ("duckdb", d), ("pandas", p)):
        print(f"{name:<10}{secs:>10.2f}{secs / d:>11.1f}x")


if __name__ == "__main__":
    main()
