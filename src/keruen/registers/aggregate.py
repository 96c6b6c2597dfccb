"""Run the aggregations of :mod:`keruen.registers.sql` and write them to the store.

:func:`aggregate` runs the checks, then every aggregation, on one engine, and returns plain
tables; :func:`tidy` turns them into store observations; :func:`store_results` writes each as
a new vintage (one dataset per aggregation) whose provenance names the input files' sha256,
the engine and the parameters. Aggregates of a synthetic register go to datasets
``KERUEN_REGISTER_SYNTHETIC_*`` with vintages and publisher saying so.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from keruen.errors import ConfigError, Interrupted
from keruen.registers import sql
from keruen.registers.checks import STOPPED, CheckReport, run_checks
from keruen.registers.engines import Engine, interrupted
from keruen.registers.schema import RegisterFiles
from keruen.store import IngestResult, Provenance, Store
from keruen.writing import output_folder, write_csv

AGGREGATES: tuple[str, ...] = ("flows", "stock", "durations", "overstays", "od")


@dataclass
class Results:
    """The aggregates of one register (plain tables, sorted) and the checks' report."""

    tables: dict[str, pd.DataFrame]
    checks: CheckReport
    parameters: dict[str, object] = field(default_factory=dict)


#: Most stock dates one aggregation computes (each is a column summed over every record).
MAX_STOCK_DATES = 400


def default_stock_dates(span: tuple[date, date]) -> list[date]:
    """1 January of every year after the span's start, and its last day."""
    days = [date(y, 1, 1) for y in range(span[0].year + 1, span[1].year + 1)]
    return [*days, span[1]]


def check_stock_dates(stock_dates: list[date]) -> list[date]:
    """``stock_dates``, refused when more than :data:`MAX_STOCK_DATES` (bounded work)."""
    if len(stock_dates) > MAX_STOCK_DATES:
        raise ConfigError(
            f"{len(stock_dates):,} stock dates asked, at most {MAX_STOCK_DATES}: give fewer "
            "--stock-on dates, or a shorter span (--start, --end)"
        )
    return stock_dates


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if col in keys and out[col].dtype.kind in "iuf":
            out[col] = out[col].astype("int64")
        elif col not in keys:
            out[col] = out[col].fillna(0).astype("int64")
        else:
            out[col] = out[col].astype(str)
    return out.sort_values(keys).reset_index(drop=True)


def run_aggregations(
    engine: Engine, stock_dates: list[date], overstay_date: date
) -> dict[str, pd.DataFrame]:
    """Every aggregation on relation ``good`` of ``engine``.

    The checks must have run with the same ``stock_dates`` and ``overstay_date``: the stocks
    and overstays are summed in the checks' cells.
    """
    flows = _sorted(engine.fetch(sql.FLOWS), ["region", "month", "citizenship"])
    wide = engine.fetch(sql.stock(len(stock_dates)))
    stock = wide.melt(
        id_vars=["region", "citizenship"],
        value_vars=[f"s{i}" for i in range(len(stock_dates))],
        var_name="date",
        value_name="stock",
    )
    stock["date"] = stock["date"].map({f"s{i}": d.isoformat() for i, d in enumerate(stock_dates)})
    stock = _sorted(stock, ["date", "region", "citizenship"])
    durations = _sorted(engine.fetch(sql.DURATIONS), ["citizenship", "region", "band"])
    over = engine.fetch(sql.OVERSTAYS)
    over.insert(0, "date", overstay_date.isoformat())
    overstays = _sorted(over, ["date", "citizenship", "region"])
    od = _sorted(engine.fetch(sql.OD), ["year", "origin", "destination"])
    return {"flows": flows, "stock": stock, "durations": durations, "overstays": overstays,
            "od": od}  # fmt: skip


def aggregate(
    engine: Engine,
    register: RegisterFiles,
    span: tuple[date, date],
    *,
    stock_dates: list[date] | None = None,
    overstay_date: date | None = None,
    quarantine: Path | None = None,
    max_bad_share: float = 0.01,
    dup_keys: pd.DataFrame | None = None,
) -> Results:
    """Check the register, then compute every aggregate of its clean records.

    ``dup_keys``: the duplicate person-periods of a matching validation record
    (:func:`keruen.registers.validated.read_record`), which spares the person pass.
    """
    stock_dates = check_stock_dates(stock_dates or default_stock_dates(span))
    overstay_date = overstay_date or span[1]
    checks = run_checks(
        engine, register, span, quarantine=quarantine, max_bad_share=max_bad_share,
        stock_dates=stock_dates, overstay_date=overstay_date, dup_keys=dup_keys,
    )  # fmt: skip
    try:
        tables = run_aggregations(engine, stock_dates, overstay_date)
    except BaseException as exc:
        if interrupted(exc):
            raise Interrupted(STOPPED.format(what="aggregating the register")) from None
        raise
    params = {
        "span": [span[0].isoformat(), span[1].isoformat()],
        "stock_dates": [d.isoformat() for d in stock_dates],
        "overstay_date": overstay_date.isoformat(),
        "max_bad_share": max_bad_share,
        "rules": list(sql.RULES),
    }
    return Results(tables, checks, params)


def _month(m: int) -> str:
    return f"{m // 100:04d}-{m % 100:02d}"


def _long(
    table: pd.DataFrame,
    measures: tuple[tuple[str, str, str], ...],
    ref: str,
    counterpart: str,
    period: pd.Series | str,
    breakdown: pd.Series | str | None = None,
) -> pd.DataFrame:
    """Store rows of ``table``: one block per ``(measure, value column, unit)``."""
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "measure": measure,
                    "ref_area": table[ref],
                    "counterpart_area": table[counterpart],
                    "breakdown": breakdown,
                    "period": period,
                    "value": table[col],
                    "unit": unit,
                }
            )  # fmt: skip
            for measure, col, unit in measures
        ],
        ignore_index=True,
    )


def tidy(results: Results) -> dict[str, pd.DataFrame]:
    """Store observations of each aggregate; see docs/registers.md for the measures.

    Columns: measure, ref_area, counterpart_area, breakdown, period, value, unit, obs_status.
    """
    t = results.tables
    f, d, o, m = t["flows"], t["durations"], t["overstays"], t["od"]
    span = "/".join(results.parameters["span"])  # type: ignore[arg-type]
    flow_cols = ("arrivals", "arrivals_from_abroad", "departures", "net")
    out = {
        "flows": _long(
            f, tuple((f"register_{c}", c, "person-periods") for c in flow_cols),
            "region", "citizenship", f["month"].map(_month),
        ),
        "stock": _long(
            t["stock"], (("register_stock", "stock", "persons"),), "region", "citizenship",
            t["stock"]["date"],
        ),
        "durations": _long(
            d, (("register_completed_stays", "stays", "stays"),
                ("register_stay_days", "days", "days")),
            "region", "citizenship", span, "duration=" + d["band"],
        ),
        "overstays": _long(
            o, (("register_overstayers", "overstayers", "persons"),
                ("register_overstay_days", "overstay_days", "days")),
            "region", "citizenship", o["date"],
        ),
        "od": _long(
            m, (("register_internal_moves", "moves", "moves"),), "destination", "origin",
            m["year"].astype(str),
        ),
    }  # fmt: skip
    for frame in out.values():
        frame["value"] = frame["value"].astype(float)
        frame["obs_status"] = "A"
    return out


def file_digests(register: RegisterFiles) -> list[dict[str, str]]:
    """sha256 of every file of the register (path relative to the register's root)."""
    out = []
    base = register.root if register.root.is_dir() else register.root.parent
    for path in register.files:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        out.append({"file": str(path.relative_to(base)), "sha256": digest.hexdigest()})
    return out


def combined_digest(digests: list[dict[str, str]]) -> str:
    """One sha256 over the sorted (file, sha256) list."""
    text = "\n".join(f"{d['file']} {d['sha256']}" for d in sorted(digests, key=lambda d: d["file"]))
    return hashlib.sha256(text.encode()).hexdigest()


def content_digest(header: str, frame: pd.DataFrame) -> str:
    """sha256 of ``header`` and the rows of ``frame``, column by column.

    Per column: its name, then its values — numbers as little-endian float64, anything else as
    text joined by the unit separator (U+001F), a missing value as an empty field. Equal tables
    give equal digests; it costs a few milliseconds where writing the table as CSV to hash it
    cost about 0.4 s of a 10^7-person aggregate.
    """
    digest = hashlib.sha256(header.encode())
    for name in frame.columns:
        col = frame[name]
        digest.update(f"\x1e{name}\x1e".encode())
        if col.dtype.kind in "iufb":
            digest.update(col.to_numpy(dtype="<f8", na_value=float("nan")).tobytes())
        else:
            digest.update("\x1f".join(col.fillna("").astype(str).tolist()).encode())
    return digest.hexdigest()


def dataset_name(name: str, synthetic: bool) -> str:
    """``KERUEN_REGISTER[_SYNTHETIC]_<AGGREGATE>``."""
    return f"KERUEN_REGISTER{'_SYNTHETIC' if synthetic else ''}_{name.upper()}"


def provenances(
    results: Results,
    register: RegisterFiles,
    engine: str,
    rows: dict[str, pd.DataFrame],
    digests: list[dict[str, str]],
    computed: str | None = None,
) -> dict[str, Provenance]:
    """One provenance per aggregate: inputs' digests, engine, parameters, checks."""
    synthetic = register.synthetic
    inputs = combined_digest(digests)
    label = "SYNTHETIC register" if synthetic else "register"
    computed = computed or date.today().isoformat()
    out = {}
    for name, frame in rows.items():
        dataset = dataset_name(name, synthetic)
        body = {
            "aggregate": name,
            "dataset": dataset,
            "engine": engine,
            "parameters": results.parameters,
            "input_digest": inputs,
            "synthetic": synthetic,
        }
        sha = content_digest(json.dumps(body, sort_keys=True), frame)
        notes = body | {
            "input_files": digests[:1000],
            "input_file_count": len(digests),
            "checks": {
                "records": results.checks.records,
                "quarantined": results.checks.bad,
                "by_rule": results.checks.by_rule,
            },  # fmt: skip
            "label": register.metadata.get("label", ""),
        }
        out[name] = Provenance(
            dataset=dataset,
            vintage=f"{label} {inputs[:12]} {name} ({engine})",
            release=computed,
            publisher=f"keruen (aggregates of a {label})",
            file_name=register.root.name,
            sha256=sha,
            title=f"{name} of {label} {register.root.name}",
            licence="CC0 1.0 (synthetic data made by keruen)" if synthetic else "",
            origin=f"computed by keruen ({engine}) from the register files named in notes",
            notes=json.dumps(notes, sort_keys=True, default=str),
        )
    return out


def store_results(
    store: Store,
    results: Results,
    register: RegisterFiles,
    engine: str,
    digests: list[dict[str, str]] | None = None,
) -> dict[str, IngestResult]:
    """Write every aggregate to ``store`` in one transaction (all land or none)."""
    rows = tidy(results)
    digests = digests if digests is not None else file_digests(register)
    provs = provenances(results, register, engine, rows, digests)
    for name, frame in rows.items():
        frame.insert(0, "dataset", provs[name].dataset)
    done = store.ingest_many((rows[name], provs[name]) for name in rows)
    return dict(zip(rows, done, strict=True))


def write_od_files(results: Results, population: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Per year, ``od_<year>.csv`` and ``population_<year>.csv`` for ``keruen indices``.

    Columns orig,dest,flow and region,pop. Each region's population is its latest value held
    up to that year, else its earliest (regions formed in 2022 have no earlier figure).
    """
    out_dir = output_folder(out_dir)
    pop = population[population["ref_area"].str.startswith("KZ-")].copy()
    pop["year"] = pop["period"].astype(int)
    pop = pop.sort_values("year")
    written = []
    for year, moves in results.tables["od"].groupby("year"):
        flows = moves.rename(columns={"origin": "orig", "destination": "dest", "moves": "flow"})
        path = out_dir / f"od_{year}.csv"
        write_csv(path, flows[["orig", "dest", "flow"]])
        upto = pop[pop["year"] <= int(year)].groupby("ref_area")["value"].last()
        first = pop.groupby("ref_area")["value"].first()
        held = upto.combine_first(first)
        ppath = out_dir / f"population_{year}.csv"
        write_csv(ppath, held.rename_axis("region").rename("pop").reset_index())
        written += [path, ppath]
    return written
