"""``keruen export``: the store's contents as files other systems read."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "--sdmx",
    "sdmx_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to write SDMX 2.1 messages to: structure.xml, DSD_KERUEN.xsd and "
    "data/<DATAFLOW>.xml|.csv|.json.",
)
@click.option(
    "--flow",
    "flows",
    multiple=True,
    help="Only this dataflow (a dataset name, e.g. WB_WDI); repeat for several. Default: all.",
)
@click.option(
    "--format",
    "formats",
    default="xml,csv,json",
    show_default=True,
    help="Data formats: xml (SDMX-ML 2.1 structure-specific), csv (SDMX-CSV 1.0), "
    "json (SDMX-JSON 1.0).",
)
def export(sdmx_dir: Path, flows: tuple[str, ...], formats: str) -> None:
    """Write the store as SDMX files: the messages `keruen serve` answers under /sdmx/2.1.

    For offices that publish files rather than run a service. See docs/sdmx.md.
    """
    from keruen.sdmx_export.export import export as write
    from keruen.sources.snapshot import open_store

    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    with open_store(read_only=True) as store:
        written = write(store, sdmx_dir, flows, wanted)
    for path in written:
        click.echo(str(path))
    click.echo(f"keruen: wrote {len(written)} SDMX files to {sdmx_dir}", err=True)
