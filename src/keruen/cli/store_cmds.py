"""Store commands: ``keruen sources``, ``keruen query`` and ``keruen load``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from keruen.cli.output import emit, format_option


@click.command()
@format_option
def sources(fmt: str) -> None:
    """List every file held in the store with its provenance."""
    from keruen.sources.snapshot import open_store

    with open_store() as store:
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

    with open_store() as store:
        known = set(store.sources()["dataset"])
        if dataset not in known:
            raise DataNotAvailableError(
                f"no dataset {dataset!r} in the store; held: {', '.join(sorted(known))}"
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
    from keruen.errors import InputError
    from keruen.sources.files import read_table, sha256_of
    from keruen.sources.snapshot import open_store
    from keruen.sources.validate import validate_observations
    from keruen.store import Provenance

    frame = validate_observations(read_table(file), file)
    wrong = frame.index[frame["dataset"] != dataset]
    if len(wrong):
        raise InputError(
            f"dataset {frame.loc[wrong[0], 'dataset']!r} differs from --dataset {dataset!r}",
            file=file,
            row=int(wrong[0]) + 1,
            field="dataset",
        )
    today = dt.date.today().isoformat()
    prov = Provenance(
        dataset=dataset,
        vintage=vintage,
        release=release or today,
        publisher=publisher,
        file_name=file.name,
        sha256=sha256_of(file),
        url=url,
        licence=licence,
        retrieved=today,
        origin=str(file.resolve()),
    )
    with open_store() as store:
        result = store.ingest(frame, prov)
    if result.already_present:
        click.echo(
            f"keruen: {file} is already in the store (vintage {result.vintage}); nothing added"
        )
    else:
        click.echo(
            f"keruen: added {result.rows_added} observations from {file} as vintage "
            f"{result.vintage}"
        )
