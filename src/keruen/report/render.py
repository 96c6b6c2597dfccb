"""Render the report: figures (PNG, SVG, CSV), ``index.html``, tables as CSV, ``numbers.json``.

One report structure for any country: :func:`render_report` writes one country's folder;
:func:`render_countries` writes one folder per country and an index linking them. The numbers
come from :func:`keruen.analysis.run`; this module only draws and writes them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

from markupsafe import escape

from keruen.analysis.cache import ReportCache, active
from keruen.analysis.paper import paper_source
from keruen.analysis.runner import run
from keruen.analysis.scope import Scope, peer_group
from keruen.analysis.section import Section, estimates_of
from keruen.presentation.locale import Locale
from keruen.report.numbers import clean, numbers
from keruen.report.output import Output
from keruen.report.page import GENERATED, html
from keruen.report.render_estimates import estimate_figures, estimate_tables
from keruen.report.section_figures import fig_balance, fig_labour, fig_peers, fig_share, fig_trend
from keruen.store import Store
from keruen.store.estimates import store_estimates
from keruen.writing import staged_folder, write_bytes, write_text

Progress = Callable[[str], None]


def _figures(sections: dict[str, Section], store: Store, loc: Locale, out: Output) -> None:
    """Draw every figure the sections hold data for (one builder per section)."""
    paper = paper_source(store)
    country = sections["trend"].values["country"]
    fig_trend(sections["trend"], paper, loc, out)
    fig_peers(sections["cis"], loc, out)
    fig_share(sections["share_gdp"], country, loc, out)
    if "labour" in sections:
        fig_labour(sections["labour"], paper, loc, out)
    if "balance" in sections:
        fig_balance(sections["balance"], country, loc, out)
    if "flows" in sections:  # the estimated sections (each drawn where its inputs are held)
        estimate_figures(sections, loc, out)


def _tables(sections: dict[str, Section], out: Output) -> None:
    """Every HTML table's numbers as a CSV beside it (same rows, unit and provenance)."""
    t, c, g, m = (sections[k] for k in ("trend", "cis", "share_gdp", "measures"))
    out.table("trend", t.tables["series"], "current US$ (ratio, index: none)", t.sources)
    for key in ("inflows_latest", "inflows_paper_year", "outflows_latest"):
        out.table(key, c.tables[key], "current US$", c.sources)
    out.table("share_gdp", g.tables["shares"], "percent of GDP", g.sources)
    out.table("measures", m.tables["measures"], "current US$; persons", m.sources)
    rc = sections.get("remittance_cost")
    if rc is not None and rc.held:
        out.table("remittance_cost", rc.tables["costs"], "percent of amount sent", rc.sources)
        unit = "percent of amount sent"
        out.table("remittance_cost_peers", rc.tables["peers"], unit, rc.sources)
    if "balance" in sections and not sections["balance"].tables["balance"].empty:
        b = sections["balance"]
        out.table("balance", b.tables["balance"], "thousand persons; current US$", b.sources)
    if "labour" in sections:
        lab = sections["labour"]
        # immigrants, emigrants and specialists are figures only: their CSV sits by the figure
        for key, unit in (("regions", "percent"), ("quota", "persons")):
            out.table(key, lab.tables[key], unit, lab.sources)
    if "flows" in sections:
        estimate_tables(sections, out)


def render_report(
    store: Store,
    out: str | Path,
    lang: str = "en",
    *,
    country: str = "KAZ",
    group: str | None = None,
    keep_estimates: bool = True,
    progress: Progress | None = None,
    cache: ReportCache | None = None,
) -> Path:
    """Compute, draw and write the report of ``country`` into ``out``; returns ``index.html``.

    With ``keep_estimates`` the model estimates are written into the store first (status E,
    idempotent), so the report's source list names them and ``keruen query`` finds them.
    Every part (section, estimate, figure, the page) is reused from ``cache`` (default: the
    cache in KERUEN_HOME, :mod:`keruen.analysis.cache`) while its code, parameters and data
    hold; pass ``ReportCache(mode="off")`` to compute everything afresh. The report is written
    into a folder beside ``out`` and moved into place whole (:func:`keruen.writing.staged_folder`):
    a failure leaves ``out`` as it was.
    """
    say = progress or (lambda _msg: None)
    if cache is None:
        cache = ReportCache(warn=lambda msg: say(f"WARNING: {msg}"))
    with staged_folder(out) as stage:
        _render_into(store, stage, lang, peer_group(country, group), keep_estimates, say, cache)
    return Path(out) / "index.html"


def _render_into(
    store: Store,
    out: Path,
    lang: str,
    scope: Scope,
    keep_estimates: bool,
    say: Progress,
    cache: ReportCache,
) -> None:
    """One country's report written into the (staging) folder ``out``, counting cache use."""
    before = cache.stats.copy()
    with cache.active():
        _render(store, out, lang, scope, keep_estimates, say)
    say(f"{scope.country}: {cache.stats.since(before).line()}")


def _render(
    store: Store, out: Path, lang: str, scope: Scope, keep_estimates: bool, say: Progress
) -> Path:
    """The body of :func:`render_report`, inside the active cache."""
    cache = active()
    assert cache is not None
    country = scope.country
    say(f"{country}: computing the sections")
    sections = run(store, scope, cache=cache)
    if keep_estimates and "flows" in sections:  # estimates_of skips sections not held
        say(f"{country}: storing the estimates")
        store_estimates(store, estimates_of(sections))
    page: dict[str, bytes] = cache.part(
        store,
        f"page {lang}",
        {"lang": lang, "scope": scope},
        lambda s: _page(s, sections, scope, lang, out, say),
        inputs=[sections],
    )
    today = dt.date.today().isoformat()
    for name, data in page.items():
        if name == "index.html":
            data = data.replace(GENERATED.encode(), today.encode())
        write_bytes(out / name, data, root=out)
    return out / "index.html"


def _page(
    store: Store, sections: dict[str, Section], scope: Scope, lang: str, out: Path, say: Progress
) -> dict[str, bytes]:
    """Draw the figures and write the tables, index.html and numbers.json of one language.

    Returns every file as (path in ``out`` → bytes), index.html with :data:`GENERATED` in place
    of the date.
    """
    country = scope.country
    loc = Locale(lang)
    output = Output(out, lang, cache=active())
    say(f"{country}: drawing the figures ({lang})")
    try:
        _figures(sections, store, loc, output)
        _tables(sections, output)
    except BaseException:
        output.discard()
        raise
    output.finish()
    say(f"{country}: writing index.html ({lang})")
    page = html(store, sections, scope, loc, output)
    text = json.dumps(clean(numbers(sections)), indent=1, ensure_ascii=False, default=str)
    return output.files | {
        "numbers.json": text.encode("utf-8"),
        "index.html": page.encode("utf-8"),
    }


def render_countries(
    store: Store,
    out: str | Path,
    countries: list[str],
    lang: str = "en",
    *,
    group: str | None = None,
    progress: Progress | None = None,
    cache: ReportCache | None = None,
) -> Path:
    """One country: its report in ``out``. Several: ``out/<ISO3>/`` each and ``out/index.html``.

    ``cache`` as in :func:`render_report` (one cache serves every country).
    """
    out = Path(out)
    say = progress or (lambda _msg: None)
    if cache is None:
        cache = ReportCache(warn=lambda msg: say(f"WARNING: {msg}"))
    if len(countries) == 1:
        return render_report(
            store, out, lang, country=countries[0], group=group, progress=progress, cache=cache
        )
    with staged_folder(out) as stage:
        _index_of_countries(store, stage, countries, lang, group, say, cache)
    return out / "index.html"


def _index_of_countries(
    store: Store,
    out: Path,
    countries: list[str],
    lang: str,
    group: str | None,
    say: Progress,
    cache: ReportCache,
) -> None:
    """Each country's report in ``out/<ISO3>/`` and ``out/index.html`` linking them."""
    loc = Locale(lang)
    for code in countries:
        _render_into(store, out / code, lang, peer_group(code, group), True, say, cache)
    links = "\n".join(
        f'<li><a href="{code}/index.html">{escape(loc.area(code))}</a> ({code})</li>'
        for code in countries
    )
    title = escape(loc._("Reports by country"))
    page = (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title} — keruen</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n{links}\n</ul>\n"
        "</body>\n</html>\n"
    )
    write_text(out / "index.html", page, root=out)
