"""``keruen update``, ``keruen import``, ``keruen diff`` and ``keruen vintages``.

``update`` fetches a source and ingests a new vintage (nothing if upstream did not change);
``import`` ingests a file downloaded by hand; ``diff`` lists values revised between a dataset's
newest vintage and the one before; ``vintages`` lists the vintages held per dataset.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from keruen.cli.output import emit, format_option
from keruen.cli.params import AreaList, flat
from keruen.errors import ConfigError

#: source name on the command line -> dataset it fills (for ``diff`` and messages).
DATASETS = {
    "worldbank": "WB_WDI",
    "undesa": "UNDESA_IMS",
    "ilostat": "ILOSTAT",
    "taldau": "KZ_BNS_MIGRATION",
    "bns": "KZ_BNS_MIGRATION",
    "wdi": "WB_WDI",
}
UPDATABLE = ("worldbank", "ilostat", "taldau", "undesa")
IMPORTABLE = ("undesa", "bns", "sdmx", "taldau", "wdi")


def _split(values: Sequence[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _fetch(  # type: ignore[no-untyped-def]
    source: str, indicators: list[str], countries: list[str], years: str | None, aggregates: bool
):
    if source == "worldbank":
        from keruen.sources import worldbank

        return worldbank.update(indicators, countries or None, years, include_aggregates=aggregates)
    if source == "ilostat":
        from keruen.sources import sdmx

        return sdmx.update_ilostat(indicators, countries or None, years)
    if source == "taldau":
        from keruen.sources import taldau

        return taldau.update(indicators)
    if source == "undesa":
        from keruen.sources import undesa

        return undesa.update()
    raise ConfigError(f"unknown source {source!r}; updatable: {', '.join(UPDATABLE)}")


def _report(results, batches, budget=None, restored=None) -> None:  # type: ignore[no-untyped-def]
    """One line per batch; "unchanged upstream" only when the server was asked this run.

    ``restored``: {batch index: older vintage} of the batches that are reversions.
    """
    for i, (result, batch) in enumerate(zip(results, batches, strict=True)):
        prov = batch.provenance
        if not result.already_present and i in (restored or {}):
            click.echo(
                f"{prov.dataset}: reverted upstream: the answer equals the older vintage "
                f"{restored[i]!r}, not the newest; added it again as vintage {result.vintage!r} "
                f"({result.rows_added} observations), which queries now return"
            )
        elif result.already_present and budget is not None and budget.offline:
            click.echo(
                f"{prov.dataset}: the cached answer equals vintage {result.vintage!r} "
                "(offline: upstream was NOT asked)"
            )
        elif result.already_present and budget is not None:
            how = (
                f"; {budget.not_modified} of {budget.asked} answers were 304 Not Modified"
                if budget.not_modified
                else ""
            )
            click.echo(
                f"{prov.dataset}: unchanged upstream (the server was asked; its answer equals "
                f"vintage {result.vintage!r}{how})"
            )
        elif result.already_present:
            click.echo(
                f"{prov.dataset}: unchanged (this content is already held as vintage "
                f"{result.vintage!r})"
            )
        else:
            click.echo(
                f"{prov.dataset}: added vintage {result.vintage!r} "
                f"({result.rows_added} observations; {prov.title})"
            )


@click.command()
@click.argument("source", type=click.Choice(UPDATABLE))
@click.option("--indicators", "-i", multiple=True, help="Indicator codes (comma-separated).")
@click.option(
    "--countries",
    "-c",
    multiple=True,
    type=AreaList(("country", "aggregate"), expand_groups=True),
    help="ISO alpha-3 codes, comma-separated or repeated (default: all).",
)
@click.option("--years", "-y", default=None, help="YYYY or YYYY:YYYY.")
@click.option("--aggregates/--no-aggregates", default=False, help="Keep regional aggregates.")
@click.option(
    "--refresh",
    is_flag=True,
    help="Download every answer whole (no conditional request against the HTTP cache).",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Do not ask the servers: use the answers cached by earlier updates (said loudly).",
)
def update(
    source: str,
    indicators: tuple[str, ...],
    countries: tuple[str, ...],
    years: str | None,
    aggregates: bool,
    refresh: bool,
    offline: bool,
) -> None:
    """Ask SOURCE for its data and ingest a new vintage if the answer differs from what is held.

    Every run asks the server (conditionally where it supports ETag or Last-Modified); a server
    that fails, hangs past KERUEN_UPDATE_DEADLINE or answers too much ends the run with an
    error and the store unchanged. --offline uses cached answers instead and says so.
    """
    import datetime as dt

    from keruen.sources.common import ingest_batches
    from keruen.sources.http import update_run
    from keruen.sources.snapshot import open_store

    if refresh and offline:
        raise ConfigError("--refresh and --offline contradict each other; give one")
    with update_run(offline=offline, conditional=not refresh) as budget:
        batches = _fetch(source, _split(indicators), flat(countries), years, aggregates)
    if offline:
        when = (
            dt.datetime.fromtimestamp(budget.oldest_cached, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
            if budget.oldest_cached
            else "?"
        )
        click.echo(
            f"keruen: WARNING: --offline: upstream was not asked; using answers cached by "
            f"earlier updates (oldest fetched {when})",
            err=True,
        )
    from keruen.sources import reversions

    with open_store() as store, store.writing():
        batches, restored = reversions.mark(store, batches)
        results = ingest_batches(store, batches)
    _report(results, batches, budget, restored)


@click.command(name="import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--source", "-s", required=True, type=click.Choice(IMPORTABLE))
@click.option("--mapping", "-m", type=click.Path(path_type=Path), help="Column mapping (TOML).")
@click.option("--index", "index_key", default=None, help="Taldau registry key of the file.")
@click.option("--release", default=None, help="Release date of the file (YYYY-MM-DD).")
def import_(
    file: Path, source: str, mapping: Path | None, index_key: str | None, release: str | None
) -> None:
    """Ingest FILE downloaded by hand from SOURCE.

    undesa: IMS workbook or tidy CSV; bns: CSV/XLSX table with --mapping; sdmx: SDMX-ML/JSON
    message; taldau: saved Taldau JSON answer (--index KEY); wdi: WDI bulk CSV (--release).
    """
    from keruen.sources.common import ingest_batches
    from keruen.sources.snapshot import open_store

    if source == "undesa":
        from keruen.sources import undesa

        batch = undesa.load(file, release=release)
    elif source == "bns":
        from keruen.sources import bns

        if mapping is None:
            raise ConfigError(
                "--mapping is required for --source bns (see keruen/data/bns_mapping_example.toml)"
            )
        batch = bns.load(file, mapping, release=release)
    elif source == "wdi":
        from keruen.sources import wdi_bulk

        if release is None:
            raise ConfigError("--release is required for a WDI bulk CSV (its 'Last Updated' date)")
        batch = wdi_bulk.load_bulk_csv(file, release=release)
    elif source == "sdmx":
        from keruen.sources import sdmx

        batch = sdmx.load(file, release=release)
    else:
        from keruen.sources import taldau

        batch = taldau.load(file, index_key, release=release)
    with open_store() as store:
        results = ingest_batches(store, [batch])
    _report(results, [batch])


@click.command()
@click.argument("source")
@click.option("--vintage", default=None, help="Vintage to compare with its predecessor.")
@click.option("--limit", default=50, show_default=True, help="Rows to show (0: all).")
def diff(source: str, vintage: str | None, limit: int) -> None:
    """List values revised between SOURCE's newest vintage and the previous one.

    SOURCE is a source name (worldbank, undesa, ilostat, taldau) or a dataset (e.g. WB_WDI).
    """
    from keruen.cli.store_cmds import dataset_name
    from keruen.sources.revisions import revisions
    from keruen.sources.snapshot import open_store

    with open_store(quiet=True) as store:
        dataset = dataset_name(store.sources()["dataset"], DATASETS.get(source.lower(), source))
        changed = revisions(store, dataset, vintage)
    if changed.empty:
        click.echo(f"{dataset}: no value revised in the newest vintage")
        return
    click.echo(f"{dataset}: {len(changed)} value(s) revised in {changed['new_vintage'].iloc[0]!r}")
    shown = changed if limit == 0 else changed.head(limit)
    cols = [
        "measure",
        "ref_area",
        "counterpart_area",
        "breakdown",
        "period",
        "old_value",
        "new_value",
        "old_vintage",
    ]
    click.echo(shown[cols].to_string(index=False, na_rep="-"))


@click.command()
@click.argument("dataset", required=False)
@format_option
def vintages(dataset: str | None, fmt: str) -> None:
    """List the vintages held, per dataset (newest last); DATASET in any letter case."""
    from keruen.cli.store_cmds import dataset_name
    from keruen.sources.snapshot import open_store

    with open_store(quiet=True) as store:
        table = store.source_rows()  # no pandas: printed by the rows writers
    if dataset:
        wanted = dataset_name(table.column("dataset"), DATASETS.get(dataset.lower(), dataset))
        table = table.where(lambda r: r["dataset"] == wanted)
    table = table.sorted_by(["dataset", "release", "source_id"])
    cols = ["dataset", "vintage", "release", "n_rows", "retrieved", "title"]
    emit(table.select(cols + [c for c in table.columns if c not in cols]), fmt, table_columns=cols)
