"""``keruen report``: regenerate the Kazakhstan report from the store."""

from __future__ import annotations

from pathlib import Path

import click

#: World Bank indicators the report reads; ``--refresh`` asks the API for newer releases.
REPORT_INDICATORS = (
    "BX.TRF.PWKR.CD.DT",
    "BM.TRF.PWKR.CD.DT",
    "BX.TRF.PWKR.DT.GD.ZS",
    "NY.GDP.MKTP.CD",
    "SP.POP.TOTL",
)


@click.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("report"), show_default=True, help="Folder to write the report into.")
@click.option("--lang", type=click.Choice(["en", "ru", "kk"]), default=None,
              help="Language of the report (default: KERUEN_LANG or en).")
@click.option("--refresh", is_flag=True,
              help="First fetch the newest World Bank release of the report's indicators; if "
                   "that fails, say so and use the latest stored vintage or the snapshot.")
def report(out_dir: Path, lang: str | None, refresh: bool) -> None:
    """Write index.html, the figures (PNG and SVG) and numbers.json for Kazakhstan."""
    from keruen import settings
    from keruen.areas import group_members
    from keruen.report.render import render_report
    from keruen.sources.snapshot import open_store

    lang = lang or settings.get("KERUEN_LANG") or "en"
    with open_store() as store:
        if refresh:
            from keruen.sources import worldbank
            from keruen.sources.fallback import latest_or_snapshot

            countries = sorted(set(group_members("post_soviet")) | {"KAZ"})
            fresh = latest_or_snapshot(
                store, "WB_WDI",
                lambda: worldbank.update(REPORT_INDICATORS, countries, "2000:2100"),
            )
            click.echo(f"keruen: World Bank data: {fresh.status} (vintage {fresh.vintage})",
                       err=True)
        index = render_report(store, out_dir, lang)
    click.echo(f"keruen: report written to {index}")
