"""Store commands: ``keruen sources``, ``keruen query`` and ``keruen load``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from keruen.cli.output import emit, format_option


@click.command()
@format_option
def sources(fmt: str) -> None:
    """List every file held in the store with its provenance."""
    from keruen.sources.snapshot import open_store

    with open_store(read_only=True) as store:
        frame = store.sources()[
            [
                "source_id",
                "dataset",
                "vintage",
                "release",
                "publisher",
                "licence",
                "n_rows",
                "sha256",
                "file_name",
                "url",
            ]
        ]
    emit(frame, fmt)


@click.command()
@click.argument("dataset")
@click.option("--measure", multiple=True, help="Measure code(s); repeat for several.")
@click.option("--area", "areas", multiple=True, help="Reference area code(s), e.g. KAZ.")
@click.option("--counterpart", multiple=True, help="Counterpart area code(s) (bilateral data).")
@click.option("--period", "periods", multiple=True, help="Period(s), e.g. 2023.")
@click.option("--vintage", default=None, help="A vintage name (default: newest per value).")
@format_option
def query(
    dataset: str,
    measure: tuple[str, ...],
    areas: tuple[str, ...],
    counterpart: tuple[str, ...],
    periods: tuple[str, ...],
    vintage: str | None,
    fmt: str,
) -> None:
    """Print observations of DATASET with their vintage and publisher."""
    from keruen.errors import DataNotAvailableError
    from keruen.sources.snapshot import open_store

    with open_store(read_only=True) as store:
        if store.resolve_dataset(dataset) is None:
            raise DataNotAvailableError(
                f"no dataset {dataset!r} in the store; held: {', '.join(store.datasets())}"
            )
        frame = store.observations(
            dataset,
            measure or None,
            areas or None,
            counterpart or None,
            periods or None,
            vintage=vintage,
        )
    cols = [
        "dataset",
        "measure",
        "ref_area",
        "counterpart_area",
        "period",
        "value",
        "unit",
        "obs_status",
        "vintage",
        "publisher",
    ]
    emit(frame[cols], fmt)


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
    """Stage and validate ``file`` outside the store's lock, then commit it in one short write."""
    from keruen.sources.files import sha256_of, stage_file
    from keruen.settings import store_path
    from keruen.sources.snapshot import open_store
    from keruen.store import Provenance, Store

    sha256 = sha256_of(file) if file.is_file() else ""
    if store_path().exists():  # a file already held is not read again
        with Store(read_only=True) as store:
            held = store.held(sha256)
        if held is not None:
            return held
    with stage_file(file) as staged:
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
        with open_store() as store:
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
