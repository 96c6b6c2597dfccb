"""``keruen register generate|validate|aggregate``: record-level migration registers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from keruen.errors import Interrupted

_ENGINE = click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default=None,
    help="Engine (default: setting KERUEN_REGISTER_ENGINE, else duckdb).",
)
_SPAN = [
    click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None,
                 help="First day the register covers (default: from its _register.json)."),
    click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None,
                 help="Last day the register covers (default: from its _register.json)."),
    click.option("--quarantine", type=click.Path(dir_okay=True), default=None,
                 help="Where bad records go (default: <REGISTER>.quarantine.parquet beside it)."),
    click.option("--max-bad-share", type=click.FloatRange(0, 1), default=None,
                 help="Fail when more than this share of records break the checks "
                 "(default: setting KERUEN_REGISTER_MAX_BAD_SHARE, 0.01)."),
    click.option("--memory-limit", default=None,
                 help="DuckDB memory limit, e.g. 2GB (default: KERUEN_REGISTER_MEMORY_LIMIT)."),
]  # fmt: skip


def _span_options(func):  # type: ignore[no-untyped-def]
    for option in reversed(_SPAN):
        func = option(func)
    return _ENGINE(func)


@click.group("register")
def register() -> None:
    """Record-level registers of foreign workers: generate, check and aggregate them."""


@register.command("generate")
@click.argument("out", type=click.Path(file_okay=False))
@click.option(
    "--persons",
    type=click.IntRange(1),
    default=100_000,
    show_default=True,
    help="Persons arriving from abroad (rows: about 10% more, for address changes).",
)
@click.option("--start-year", type=int, default=2019, show_default=True)
@click.option("--end-year", type=int, default=2023, show_default=True)
@click.option("--seed", type=int, default=12, show_default=True)
@click.option(
    "--chunk-rows",
    type=click.IntRange(1),
    default=1_000_000,
    show_default=True,
    help="Persons generated and written per chunk (bounds memory).",
)
@click.option(
    "--bad-share",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of records deliberately corrupted, to exercise the checks.",
)
@click.option("--progress/--no-progress", default=True, show_default=True)
def generate(out: str, persons: int, start_year: int, end_year: int, seed: int,
             chunk_rows: int, bad_share: float, progress: bool) -> None:  # fmt: skip
    """Write a seeded SYNTHETIC register to folder OUT, calibrated to the store's margins."""
    from keruen.registers.generate import SYNTHETIC_LABEL, Spec
    from keruen.registers.generate import generate as run
    from keruen.registers.margins import from_store
    from keruen.sources.snapshot import open_store

    spec = Spec(persons=persons, start_year=start_year, end_year=end_year, seed=seed,
                chunk_rows=chunk_rows, bad_share=bad_share)  # fmt: skip
    with open_store() as store:
        margins = from_store(store)
    info = run(out, spec, margins, progress=progress)
    click.echo(f"{SYNTHETIC_LABEL}")
    click.echo(f"wrote {info['rows']:,} rows ({persons:,} persons, {start_year}-{end_year}, "
               f"seed {seed}) to {out}")  # fmt: skip


def _prepare(register_path: str, start: dt.datetime | None, end: dt.datetime | None,
             max_bad_share: float | None):  # type: ignore[no-untyped-def]  # fmt: skip
    from keruen import settings
    from keruen.registers.checks import resolve_span
    from keruen.registers.schema import check_files

    files = check_files(register_path)
    span = resolve_span(files, start.date() if start else None, end.date() if end else None)
    share = (
        max_bad_share
        if max_bad_share is not None
        else settings.number("KERUEN_REGISTER_MAX_BAD_SHARE")
    )
    return files, span, share


def _echo_checks(files, report, engine: str) -> None:  # type: ignore[no-untyped-def]
    label = "SYNTHETIC register" if files.synthetic else "register"
    click.echo(f"{label} {files.root} ({len(files.files)} files, engine {engine})")
    for line in report.lines():
        click.echo(line)


@register.command("validate")
@click.argument("register_path", metavar="REGISTER", type=click.Path())
@_span_options
def validate(register_path: str, engine: str | None, start: dt.datetime | None,
             end: dt.datetime | None, quarantine: str | None, max_bad_share: float | None,
             memory_limit: str | None) -> None:  # fmt: skip
    """Check REGISTER (a folder of Parquet files): schema, then every record, per rule.

    A passed validation is recorded in <REGISTER>.validated.json, which a later `aggregate` of
    the unchanged files reuses instead of grouping all records by person again.
    """
    from keruen.registers.aggregate import file_digests
    from keruen.registers.checks import run_checks
    from keruen.registers.engines import make_engine
    from keruen.registers.validated import write_record

    files, span, share = _prepare(register_path, start, end, max_bad_share)
    eng = make_engine(engine, memory_limit=memory_limit)
    try:
        report = run_checks(eng, files, span, quarantine=Path(quarantine) if quarantine else None,
                            max_bad_share=share)  # fmt: skip
        _echo_checks(files, report, eng.name)
        digests = file_digests(files)
    except KeyboardInterrupt:
        raise Interrupted("interrupted (Ctrl-C); no validation was recorded") from None
    finally:
        eng.close()
    click.echo(f"validation recorded in {write_record(files, span, report, digests)}")


@register.command("aggregate")
@click.argument("register_path", metavar="REGISTER", type=click.Path())
@_span_options
@click.option(
    "--stock-on",
    "stock_on",
    multiple=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="Date of a stock (repeat; default: 1 January of each year and the last day).",
)
@click.option(
    "--overstays-on",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Date on which overstays are counted (default: the last day).",
)
@click.option(
    "--od-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Also write od_<year>.csv and population_<year>.csv for `keruen indices`.",
)
@click.option(
    "--no-store", is_flag=True, help="Print the summary only; write nothing to the store."
)
@click.option(
    "--recheck",
    is_flag=True,
    help="Run every check again even if <REGISTER>.validated.json matches the files.",
)
def aggregate(register_path: str, engine: str | None, start: dt.datetime | None,
              end: dt.datetime | None, quarantine: str | None, max_bad_share: float | None,
              memory_limit: str | None, stock_on: tuple[dt.datetime, ...],
              overstays_on: dt.datetime | None, od_dir: str | None,
              no_store: bool, recheck: bool) -> None:  # fmt: skip
    """Aggregate REGISTER (flows, stocks, stays, overstays, internal moves) into the store."""
    stored: dict[str, Any] = {}
    try:
        from tqdm import tqdm

        from keruen.registers.aggregate import aggregate as run
        from keruen.registers.aggregate import file_digests, store_results, write_od_files
        from keruen.registers.engines import make_engine
        from keruen.registers.validated import read_record, record_path, write_record
        from keruen.sources.snapshot import open_store
        from keruen.writing import output_folder

        if od_dir:  # checked (and made) before the work: a link to nothing is a clear error
            output_folder(od_dir)
        files, span, share = _prepare(register_path, start, end, max_bad_share)
        record = None if recheck else read_record(files, span)
        with tqdm(total=3, desc="register", unit="step", disable=None) as bar:
            bar.set_postfix_str("input digests")
            digests = record.digests if record else file_digests(files)
            bar.update()
            eng = make_engine(engine, memory_limit=memory_limit)
            bar.set_postfix_str(f"checks and aggregates ({eng.name})")
            try:
                results = run(
                    eng, files, span,
                    stock_dates=[d.date() for d in stock_on] or None,
                    overstay_date=overstays_on.date() if overstays_on else None,
                    quarantine=Path(quarantine) if quarantine else None,
                    max_bad_share=share,
                    dup_keys=record.dup_keys if record else None,
                )  # fmt: skip
            finally:
                eng.close()
            if record is None:
                write_record(files, span, results.checks, digests)
            bar.update()
            bar.set_postfix_str("store")
            with open_store() as store:
                if not no_store:
                    stored.update(store_results(store, results, files, eng.name, digests))
                # the regions' population is read only for the files of `--od-dir`
                population = (
                    store.observations("KZ_BNS_POPULATION", "population") if od_dir else None
                )
            bar.update()
        if record:
            click.echo(f"reused the duplicate check of {record_path(files.root)} (same files, "
                       "span and rules); every other rule checked again")  # fmt: skip
        _echo_checks(files, results.checks, eng.name)
        for name, table in results.tables.items():
            line = f"{name:<10} {len(table):>9,} rows"
            if name in stored:
                res = stored[name]
                what = (
                    "already held" if res.already_present else f"{res.rows_added:,} observations"
                )
                line += f" -> store: {what}, vintage {res.vintage!r}"
            click.echo(line)
        if od_dir and population is not None:
            written = write_od_files(results, population, Path(od_dir))
            click.echo(f"wrote {len(written)} files for `keruen indices` to {od_dir}")
    except KeyboardInterrupt:
        raise Interrupted(_interrupted(stored)) from None


def _interrupted(stored: dict[str, Any]) -> str:
    """What a Ctrl-C during ``aggregate`` leaves: nothing, or the vintages already stored."""
    if not stored:
        return "interrupted (Ctrl-C); nothing was stored"
    return (
        f"interrupted (Ctrl-C) after the aggregates were stored: the store keeps {len(stored)} "
        f"new vintages ({', '.join(sorted(stored))}); run the command again for the summary "
        "and any --od-dir files"
    )
