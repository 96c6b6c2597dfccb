"""Store commands: ``keruen sources``, ``keruen query`` and ``keruen load``."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from keruen.cli.output import emit, format_option
from keruen.cli.params import CodeList, YearRange, Years
from keruen.cli.query_plan import QUERY_COLUMNS

if TYPE_CHECKING:
    pass


#: Columns of ``sources`` shown in a table; CSV and JSON carry every column.
SOURCE_TABLE_COLUMNS = [
    "source_id",
    "dataset",
    "vintage",
    "release",
    "publisher",
    "licence",
    "n_rows",
    "file_name",
    "url",
]
#: Answers of more rows than this are written by DuckDB (``query --format csv``); smaller ones
#: through Python, which costs less than starting DuckDB's CSV writer for a few rows.
STREAM_FROM_ROWS = 10_000
#: Extra columns of a publication's figures (``paper_figures``).
PAPER_EXTRA_COLUMNS = ["original_source", "where_in_paper"]


@click.command()
@format_option
def sources(fmt: str) -> None:
    """List every file held in the store with its provenance."""
    from keruen.sources.snapshot import open_store

    with open_store(read_only=True) as store:
        table = store.source_rows()  # ingested_at comes as text, as pandas' astype(str) writes it
    first = [c for c in [*SOURCE_TABLE_COLUMNS, "sha256"] if c in table.columns]
    table = table.select(first + [c for c in table.columns if c not in first])
    emit(table, fmt, table_columns=SOURCE_TABLE_COLUMNS)


def dataset_name(held: Iterable[str], name: str) -> str:
    """``name`` as the store spells it (case ignored); unknown: an error naming the held ones."""
    from keruen.cli.params import closest, did_you_mean
    from keruen.errors import DataNotAvailableError

    held_set = sorted(set(held))
    by_upper = {d.upper(): d for d in held_set}
    if name in held_set:
        return name
    if name.upper() in by_upper:
        return by_upper[name.upper()]
    hint = did_you_mean(closest(name, held_set))
    raise DataNotAvailableError(
        f"no dataset {name!r} in the store{hint}{' Held' if hint else '; held'}: "
        + ", ".join(held_set)
    )


@click.command()
@click.argument("dataset")
@click.option(
    "--measure",
    "measures",
    multiple=True,
    type=CodeList(),
    help="Measure code(s): A,B or repeat; a concept name (e.g. remittance_cost_from) stands for "
    "its code in DATASET.",
)
@click.option(
    "--area", "areas", multiple=True, type=CodeList(), help="Reference area code(s), e.g. KAZ."
)
@click.option(
    "--counterpart",
    "counterparts",
    multiple=True,
    type=CodeList(),
    help="Counterpart area code(s) (bilateral data).",
)
@click.option(
    "--period",
    "periods",
    type=YearRange(),
    default=None,
    help="Year(s): 2023, 2010:2020, 2015: or 2000,2010 (must lie within the years held).",
)
@click.option(
    "--breakdown",
    default=None,
    help="A breakdown (e.g. sex=female) or * for all; default: totals, or every breakdown "
    "when the selection holds no totals.",
)
@click.option("--vintage", default=None, help="A vintage name (default: newest per value).")
@format_option
def query(
    dataset: str,
    measures: tuple[tuple[str, ...], ...],
    areas: tuple[tuple[str, ...], ...],
    counterparts: tuple[tuple[str, ...], ...],
    periods: Years | None,
    breakdown: str | None,
    vintage: str | None,
    fmt: str,
) -> None:
    """Print observations of DATASET with their provenance (exit 1 when no row matches).

    DATASET is any name `keruen vintages` lists, in any letter case: sources, stored estimates
    (KERUEN_ESTIMATES_*) and publications' figures (PAPER_*).
    """
    from keruen.cli.params import concept_measures, flat
    from keruen.cli.query_plan import _exact_rows, _resolved_rows, csv_answer
    from keruen.sources.snapshot import open_store

    with open_store(read_only=True) as store:
        catalogue = store.source_rows().select(["dataset", "kind"]).rows
        dataset = dataset_name([d for d, _ in catalogue], dataset)
        paper = {k for d, k in catalogue if d == dataset} == {"paper_figures"}
        measures = concept_measures(dataset, measures)
        table = None
        if fmt.lower() == "csv" and not paper:  # a large answer: DuckDB writes the CSV
            table = csv_answer(
                store, dataset, measures, areas, counterparts, periods, breakdown, vintage,
                STREAM_FROM_ROWS,
            )  # fmt: skip
            if table is None:
                return
        if table is None and not paper:  # one scan; else resolve names, hints, open years
            table = _exact_rows(
                store, dataset, flat(measures), flat(areas), flat(counterparts), periods,
                breakdown, vintage,
            )  # fmt: skip
        if table is None:
            table = _resolved_rows(
                store, dataset, paper, measures, areas, counterparts, periods, breakdown, vintage
            )
    if breakdown is None and None in table.column("breakdown"):
        table = table.where(lambda r: r["breakdown"] is None)
    if table.empty:
        click.echo(f"keruen: no rows of {dataset} match this query", err=True)
        sys.exit(1)
    columns = QUERY_COLUMNS + [c for c in PAPER_EXTRA_COLUMNS if c in table.columns]
    table = table.select(columns)
    shown = [c for c in columns if c not in ("release", "licence", "url", "title", "source_id")]
    if all(v is None for v in table.column("breakdown")):
        shown.remove("breakdown")
    if all(v is None for v in table.column("counterpart_area")):
        shown.remove("counterpart_area")
    emit(table, fmt, table_columns=shown)


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dataset", required=True, help="Dataset the file's rows belong to (checked).")
@click.option("--vintage", required=True, help="Name of this release, e.g. '2024-06'.")
@click.option("--publisher", required=True, help="Who published the data.")
@click.option("--release", default=None, help="Release date (ISO); default: today.")
@click.option("--url", default="", help="Where the data came from.")
@click.option("--licence", default="", help="Licence of the data.")
def load(
    file: Path,
    dataset: str,
    vintage: str,
    publisher: str,
    release: str | None,
    url: str,
    licence: str,
) -> None:
    """Ingest a tidy CSV/Parquet FILE (the store's observation columns) as a new vintage."""
    from keruen.store.connect import interruptible

    result = interruptible(
        lambda: _load(file, dataset, vintage, publisher, release, url, licence), "the load"
    )
    if result.already_present:
        click.echo(
            f"keruen: {file} is already in the store (vintage {result.vintage}); nothing added"
        )
    else:
        click.echo(
            f"keruen: added {result.rows_added} observations from {file} as vintage "
            f"{result.vintage}"
        )


def _load(
    file: Path,
    dataset: str,
    vintage: str,
    publisher: str,
    release: str | None,
    url: str,
    licence: str,
) -> Any:
    """Parse and validate ``file`` straight into the store's next segment, then publish it.

    Readers go on reading the current version meanwhile; another writer waits its turn.
    """
    from keruen.sources.common import release_date
    from keruen.sources.files import sha256_of, stage_file
    from keruen.sources.snapshot import open_store
    from keruen.store import Provenance

    release = release_date(release) if release is not None else None
    sha256 = sha256_of(file) if file.is_file() else ""
    from keruen.settings import store_path

    # a first command makes the store and loads the snapshot: quietly, so a bad file still
    # ends in one line
    with open_store(quiet=not store_path().exists()) as store:
        held = store.held(sha256)  # a file already held is not read again
        if held is not None:
            return held
        with store.writing() as turn:
            held = store.held(sha256)  # the newest version: another writer may have added it
            if held is not None:
                return held
            with stage_file(file, into=turn.segment, source_id=turn.source_id) as staged:
                _check_dataset(staged, dataset, file)
                today = dt.date.today().isoformat()
                prov = Provenance(
                    dataset=dataset,
                    vintage=vintage,
                    release=release or today,
                    publisher=publisher,
                    file_name=file.name,
                    sha256=sha256,
                    url=url,
                    licence=licence,
                    retrieved=today,
                    origin=str(file.resolve()),
                )
                return store.ingest(staged, prov)


def _check_dataset(staged: object, dataset: str, file: Path) -> None:
    """Every row of a staged file must belong to ``--dataset``."""
    from keruen.errors import InputError

    rows = staged.con.execute(  # type: ignore[attr-defined]
        "SELECT _row, dataset FROM raw WHERE dataset <> ? ORDER BY _row LIMIT 1", [dataset]
    ).fetchall()
    if rows:
        raise InputError(
            f"dataset {rows[0][1]!r} differs from --dataset {dataset!r}",
            file=file,
            row=int(rows[0][0]),
            field="dataset",
        )
