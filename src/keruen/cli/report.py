"""``keruen report``: regenerate the Kazakhstan report from the store."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("report"), show_default=True, help="Folder to write the report into.")
@click.option("--lang", type=click.Choice(["en", "ru", "kk"]), default=None,
              help="Language of the report (default: KERUEN_LANG or en).")
def report(out_dir: Path, lang: str | None) -> None:
    """Write index.html, the figures (PNG and SVG) and numbers.json for Kazakhstan."""
    from keruen import settings
    from keruen.report.render import render_report
    from keruen.sources.snapshot import open_store

    lang = lang or settings.get("KERUEN_LANG") or "en"
    with open_store() as store:
        index = render_report(store, out_dir, lang)
    click.echo(f"keruen: report written to {index}")
