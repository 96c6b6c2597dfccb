"""``keruen report``: regenerate the report of one or several countries from the store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from keruen.report.countries import Outcome

#: World Bank indicators the report reads; ``--refresh`` asks the API for newer releases.
REPORT_INDICATORS = (
    "BX.TRF.PWKR.CD.DT",
    "BM.TRF.PWKR.CD.DT",
    "BX.TRF.PWKR.DT.GD.ZS",
    "NY.GDP.MKTP.CD",
    "SP.POP.TOTL",
)


def _refresh(store: object, countries: list[str]) -> None:
    """Fetch the newest World Bank release; on failure print ONE line naming what is used.

    The fallback names, per indicator, the release the report will actually read (the newest
    stored vintage holding that indicator), not the newest vintage of the whole dataset.
    """
    from keruen.errors import SourceError
    from keruen.sources import worldbank
    from keruen.sources.common import ingest_batches

    try:
        results = ingest_batches(
            store,  # type: ignore[arg-type]
            worldbank.update(REPORT_INDICATORS, countries, "2000:2100"),
        )
    except SourceError as exc:
        used = _releases_used(store)
        click.echo(
            f"keruen: WARNING: update of WB_WDI failed ({exc}); falling back to the latest "
            f"stored vintage of each indicator: {used}",
            err=True,
        )
        return
    added = sorted({r.vintage for r in results if not r.already_present})
    status = f"updated ({', '.join(added)})" if added else "unchanged upstream"
    click.echo(f"keruen: World Bank data: {status}", err=True)


def _releases_used(store: object) -> str:
    """'indicator vintage' of the newest stored vintage of each report indicator."""
    parts = []
    for ind in REPORT_INDICATORS:
        obs = store.observations("WB_WDI", ind)  # type: ignore[attr-defined]
        if obs.empty:
            parts.append(f"{ind} none held")
            continue
        newest = obs.sort_values("release").iloc[-1]
        parts.append(f"{ind} {newest['vintage']} (released {newest['release']})")
    return "; ".join(parts)


@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("report"),
    show_default=True,
    help="Folder to write the report into.",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "ru", "kk"]),
    default=None,
    help="Language of the report (default: KERUEN_LANG or en).",
)
@click.option(
    "--country",
    "countries",
    default="KAZ",
    show_default=True,
    help="ISO3 code of the country, several separated by commas, or 'all' (every country "
    "the store holds); several: one folder each plus an index counting each country's "
    "sections built, not held and failed. Several are drawn in child processes, each "
    "replaced after KERUEN_REPORT_COUNTRIES_PER_PROCESS countries (default 20), so memory "
    "stays bounded.",
)
@click.option(
    "--group",
    default=None,
    help="Peer group to compare with (e.g. cis_and_former, central_asia, eaeu, "
    "post_soviet); default: chosen from the country's memberships, else its "
    "World Bank region.",
)
@click.option(
    "--pdf",
    is_flag=True,
    help="Also print each report to report.pdf beside its index.html (needs Chromium and the "
    "playwright package).",
)
@click.option(
    "--refresh",
    is_flag=True,
    help="First fetch the newest World Bank release of the report's indicators; if "
    "that fails, say so and use the latest stored vintage or the snapshot.",
)
@click.option(
    "--no-cache",
    "no_cache",
    is_flag=True,
    help="Compute every section, estimate and figure afresh; read and write no cache.",
)
@click.option(
    "--rebuild",
    is_flag=True,
    help="Compute every part afresh and replace its cache entry (the cache lives in "
    "<KERUEN_HOME>/cache/report, or KERUEN_REPORT_CACHE_DIR, and may be deleted at any time).",
)
def report(
    out_dir: Path,
    lang: str | None,
    countries: str,
    group: str | None,
    pdf: bool,
    refresh: bool,
    no_cache: bool,
    rebuild: bool,
) -> None:
    """Write index.html, the figures (PNG and SVG), CSV files and numbers.json.

    Every section, model estimate and figure is kept in a cache in <KERUEN_HOME>/cache/report
    (KERUEN_REPORT_CACHE_DIR moves it), keyed by the code, its parameters and the vintages of
    the datasets it reads: a second run on unchanged data reuses them, and a new vintage
    rebuilds only the parts that read it.

    A section that cannot be computed (a model that cannot be fitted, say) is shown as not
    built with its reason and is not cached; the rest is written, a warning lists the
    failed sections on stderr, and the exit code stays 0.
    """
    from keruen import settings
    from keruen.analysis.cache import ReportCache
    from keruen.analysis.scope import held_countries, parse_countries
    from keruen.areas import group_members
    from keruen.report.render import render_countries
    from keruen.sources.snapshot import open_store

    if no_cache and rebuild:
        raise click.UsageError("--no-cache and --rebuild exclude each other")
    lang = lang or settings.get("KERUEN_LANG") or "en"
    every = countries.strip().lower() == "all"
    codes = [] if every else parse_countries(countries)
    cache = ReportCache(
        mode="off" if no_cache else "rebuild" if rebuild else "on",
        warn=lambda msg: click.echo(f"keruen: WARNING: {msg}", err=True),
    )
    def say(msg: str) -> None:
        click.echo(f"keruen: {msg}", err=True)

    outcomes: dict[str, Outcome] = {}
    with open_store() as store:
        if every:
            codes = held_countries(store)
            say(f"{len(codes)} countries held; writing one report each")
        if refresh:
            _refresh(store, sorted(set(group_members("post_soviet")) | set(codes)))
        index = render_countries(
            store,
            out_dir,
            codes,
            lang,
            group=group,
            progress=say,
            cache=cache,
            outcomes=outcomes,
        )
    if cache.writes:
        cache.prune()
    if pdf:
        from keruen.report.browser import write_pdf

        written = [c for c in codes if c not in outcomes or outcomes[c].written]
        folders = [out_dir] if len(codes) == 1 else [out_dir / c for c in written]
        for folder in folders:
            click.echo(f"keruen: printing {folder / 'report.pdf'}", err=True)
            write_pdf(folder / "index.html", folder / "report.pdf")
    _warn_failed(outcomes, say)
    click.echo(f"keruen: report written to {index}")


def _warn_failed(outcomes: dict[str, Outcome], say: Callable[[str], None]) -> None:
    """One warning line per country with failed sections (the exit code stays 0)."""
    for code, outcome in outcomes.items():
        if outcome.failed:
            parts = "; ".join(f"{k} ({v})" for k, v in outcome.failed.items())
            say(f"WARNING: {code}: not built: {parts}")
    bad = sum(1 for o in outcomes.values() if o.failed)
    if len(outcomes) > 1:
        built = sum(o.count("built") for o in outcomes.values())
        held = sum(o.count("not_held") for o in outcomes.values())
        failed = sum(o.count("failed") for o in outcomes.values())
        written = sum(1 for o in outcomes.values() if o.written)
        say(
            f"{written}/{len(outcomes)} reports written; sections built {built}, not held "
            f"{held}, failed {failed}; {bad} countries with a failure"
        )
