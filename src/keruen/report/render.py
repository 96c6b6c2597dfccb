"""Render the report: figures (PNG, SVG, CSV), ``index.html``, tables as CSV, ``numbers.json``.

One report structure for any country: :func:`render_report` writes one country's folder;
:func:`render_countries` writes one folder per country and an index linking them.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from keruen import __version__
from keruen.report.analysis import COUNTRY, Section, build, estimates_of, paper_source
from keruen.report.files import write_bytes, write_text
from keruen.report.locale import Locale
from keruen.report.scope import Scope, peer_group
from keruen.store import Store

if TYPE_CHECKING:  # altair (by way of charts) is imported only when figures are drawn
    from keruen.report.cache import ReportCache
    from keruen.report.output import Output

Progress = Callable[[str], None]


def http_url(url: object) -> str | None:
    """``url`` if it is an http(s) address, else None (no ``javascript:`` or other schemes)."""
    from urllib.parse import urlsplit

    text = str(url or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    return text if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _clean(value: Any) -> Any:
    """JSON-safe numbers (NaN → None) for numbers.json."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


@cache
def vega_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one script (shipped by vl-convert-python; no CDN).

    Building it takes seconds, so it is kept in the report cache, keyed by vl-convert's version.
    """
    from keruen.report.cache import ReportCache, active, digest
    from keruen.report.output import renderer_version

    cache = active() or ReportCache()
    key = digest("vega-bundle", renderer_version())
    held = cache.get("blobs", key)
    if isinstance(held, str):
        return held
    import vl_convert as vlc

    bundle: str = vlc.javascript_bundle()  # type: ignore[call-arg]  # snippet is optional
    bundle = bundle.replace("</script", "<\\/script")
    cache.put("blobs", key, bundle)
    return bundle


def _figures(sections: dict[str, Section], store: Store, loc: Locale, out: Output) -> None:
    """Draw every figure the sections hold data for (one builder per section)."""
    from keruen.report.section_figures import (
        fig_balance,
        fig_labour,
        fig_peers,
        fig_share,
        fig_trend,
    )

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
        from keruen.report.render_estimates import estimate_figures

        estimate_figures(sections, loc, out)


def _tables(sections: dict[str, Section], out: Output) -> None:
    """Every HTML table's numbers as a CSV beside it (same rows, unit and provenance)."""
    t, c, g, m = (sections[k] for k in ("trend", "cis", "share_gdp", "measures"))
    out.table("trend", t.tables["series"], "current US$ (ratio, index: none)", t.sources)
    for key in ("inflows_latest", "inflows_paper_year", "outflows_latest"):
        out.table(key, c.tables[key], "current US$", c.sources)
    out.table("share_gdp", g.tables["shares"], "percent of GDP", g.sources)
    out.table("measures", m.tables["measures"], "current US$; persons", m.sources)
    if "balance" in sections and not sections["balance"].tables["balance"].empty:
        b = sections["balance"]
        out.table("balance", b.tables["balance"], "thousand persons; current US$", b.sources)
    if "labour" in sections:
        lab = sections["labour"]
        # immigrants, emigrants and specialists are figures only: their CSV sits by the figure
        for key, unit in (("regions", "percent"), ("quota", "persons")):
            out.table(key, lab.tables[key], unit, lab.sources)
    if "flows" in sections:
        from keruen.report.render_estimates import estimate_tables

        estimate_tables(sections, out)


#: Stands for the generation date in a cached page; replaced by today's date when written.
GENERATED = "@@keruen-generated-date@@"


def render_report(
    store: Store,
    out: str | Path,
    lang: str = "en",
    *,
    country: str = COUNTRY,
    group: str | None = None,
    keep_estimates: bool = True,
    progress: Progress | None = None,
    cache: ReportCache | None = None,
) -> Path:
    """Compute, draw and write the report of ``country`` into ``out``; returns ``index.html``.

    With ``keep_estimates`` the model estimates are written into the store first (status E,
    idempotent), so the report's source list names them and ``keruen query`` finds them.
    Every part (section, estimate, figure, the page) is reused from ``cache`` (default: the
    cache in KERUEN_HOME, :mod:`keruen.report.cache`) while its code, parameters and data hold;
    pass ``ReportCache(mode="off")`` to compute everything afresh.
    """
    from keruen.report.cache import ReportCache

    say = progress or (lambda _msg: None)
    if cache is None:
        cache = ReportCache(warn=lambda msg: say(f"WARNING: {msg}"))
    before = cache.stats.copy()
    with cache.active():
        index = _render(store, Path(out), lang, peer_group(country, group), keep_estimates, say)
    say(f"{country}: {cache.stats.since(before).line()}")
    return index


def _render(
    store: Store, out: Path, lang: str, scope: Scope, keep_estimates: bool, say: Progress
) -> Path:
    """The body of :func:`render_report`, inside the active cache."""
    from keruen.report.cache import active

    cache = active()
    assert cache is not None
    country = scope.country
    out.mkdir(parents=True, exist_ok=True)
    say(f"{country}: computing the sections")
    sections: dict[str, Section] = cache.part(
        store, "sections", {"scope": scope}, lambda s: build(s, scope), count=False
    )
    if keep_estimates and "flows" in sections:  # estimates_of skips sections not held
        from keruen.store.estimates import store_estimates

        say(f"{country}: storing the estimates")
        store_estimates(store, estimates_of(sections))
    recon = None
    if scope.is_paper_country:
        from keruen.report.reconcile import reconcile

        used = [sections[k] for k in ("trend", "cis", "share_gdp", "labour")]
        recon = cache.part(store, "reconcile", None, lambda s: reconcile(s, sections), inputs=used)
    page: dict[str, bytes] = cache.part(
        store,
        f"page {lang}",
        {"lang": lang, "scope": scope},
        lambda s: _page(s, sections, scope, recon, lang, out, say),
        inputs=[sections, recon],
    )
    today = dt.date.today().isoformat()
    for name, data in page.items():
        if name == "index.html":
            data = data.replace(GENERATED.encode(), today.encode())
        write_bytes(out / name, data)
    return out / "index.html"


def _page(
    store: Store,
    sections: dict[str, Section],
    scope: Scope,
    recon: pd.DataFrame | None,
    lang: str,
    out: Path,
    say: Progress,
) -> dict[str, bytes]:
    """Draw the figures and write the tables, index.html and numbers.json of one language.

    Returns every file as (path in ``out`` → bytes), index.html with :data:`GENERATED` in place
    of the date.
    """
    from keruen.report.cache import active
    from keruen.report.output import Output
    from keruen.report.swot import swot

    country = scope.country
    loc = Locale(lang)
    items = swot(sections)
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
    html = _html(store, sections, scope, recon, items, loc, output)
    numbers = _numbers(sections, recon, items)
    text = json.dumps(_clean(numbers), indent=1, ensure_ascii=False, default=str)
    return output.files | {
        "numbers.json": text.encode("utf-8"),
        "index.html": html.encode("utf-8"),
    }


def _numbers(
    sections: dict[str, Section], recon: pd.DataFrame | None, items: list[Any]
) -> dict[str, Any]:
    """Every number the report shows, language-independent (missing values are null)."""
    numbers: dict[str, Any] = {
        "country": sections["trend"].values["country"],
        "trend": sections["trend"].tables["series"].to_dict("records"),
        "trend_values": {k: v for k, v in sections["trend"].values.items()},
        "cis": {k: v.to_dict("records") for k, v in sections["cis"].tables.items()},
        "cis_values": sections["cis"].values,
        "share_gdp": sections["share_gdp"].tables["shares"].to_dict("records"),
        "share_gdp_values": sections["share_gdp"].values,
        "measures": sections["measures"].tables["measures"].to_dict("records"),
        "position": sections["position"].values,
        "swot": [
            {
                "key": i.key,
                "value": i.value,
                "period": i.period,
                "verdict": i.verdict,
                "threshold": i.threshold,
            }
            for i in items
        ],
    }
    if "balance" in sections:
        numbers["balance"] = sections["balance"].tables["balance"].to_dict("records")
    if "labour" in sections:
        numbers["labour"] = {k: v.to_dict("records") for k, v in sections["labour"].tables.items()}
    if recon is not None:
        numbers["reconciliation"] = recon.drop(columns=["params"]).to_dict("records")
    if "flows" in sections:
        from keruen.report.render_estimates import estimate_numbers

        numbers["estimates"] = estimate_numbers(sections)
    return numbers


def _html(
    store: Store,
    sections: dict[str, Section],
    scope: Scope,
    recon: pd.DataFrame | None,
    items: list[Any],
    loc: Locale,
    output: Output,
) -> str:
    import jinja2

    from keruen.figures.charts import NUMBER_LOCALES
    from keruen.report.render_estimates import model_label, term_label
    from keruen.report.section_figures import source_text
    from keruen.report.text import (
        group_label,
        measure_label,
        publisher_label,
        quadrant_label,
        swot_text,
        verdict_label,
    )

    _ = loc._
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("keruen.report", "templates"),
        # the template is report.html.j2, which select_autoescape(["html"]) does not match:
        # escape everything, and mark only keruen's own generated markup (inline SVG) safe
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_translations(loc.tr, newstyle=False)  # type: ignore[attr-defined]
    env.filters["num"] = lambda v, d=1: loc.num(v, d)
    env.filters["musd"] = loc.musd
    env.filters["pct"] = lambda v, d=1: loc.pct(v, d)
    env.filters["area"] = loc.area
    env.filters["areas"] = lambda codes: ", ".join(loc.area(c) for c in codes)
    env.filters["term"] = lambda t: term_label(t, _)
    env.filters["permille"] = lambda xs: ", ".join(loc.num(1000 * x, 0) for x in xs)
    env.filters["model"] = lambda m: model_label(m, _)
    env.filters["measure"] = lambda m: measure_label(m, _)
    env.filters["publisher"] = lambda p: publisher_label(p, _)
    env.filters["http_url"] = http_url
    country = scope.country
    recon_rows = None
    if recon is not None:
        from keruen.report.reconcile_view import recon_view

        recon_rows = recon_view(recon, loc)
    swot_rows: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        statement, indicator = swot_text(item, loc.lang, _, country)
        swot_rows.setdefault(item.quadrant, []).append(
            {
                "statement": statement,
                "indicator": indicator,
                "threshold": item.threshold,
                "verdict": item.verdict,
                "verdict_text": verdict_label(item.verdict, _),
                "source": publisher_label(item.source, _),
            }
        )
    paper_swot = None
    if scope.is_paper_country:
        from keruen.report.paper_swot import paper_swot_rows

        paper_swot = paper_swot_rows(sections, loc)
    context = {
        "lang": loc.lang,
        "loc": loc,
        "version": __version__,
        "generated": GENERATED,
        "s": sections,
        "figs": output.figures,
        "csv": output.tables,
        "recon": recon_rows,
        "swot": [
            (q, quadrant_label(q, _), swot_rows.get(q, []))
            for q in ("strengths", "weaknesses", "opportunities", "threats")
        ],
        "paper_swot": paper_swot,
        "sources": store.sources().to_dict("records"),
        "src": lambda sec: source_text(sec.sources, loc),
        "country": country,
        "country_name": loc.area(country),
        "group_name": group_label(scope.group, _),
        "paper_country": scope.is_paper_country,
        "vega_js": vega_bundle() if output.figures else "",
        "number_locale": json.dumps(NUMBER_LOCALES.get(loc.lang, NUMBER_LOCALES["en"])),
    }
    return env.get_template("report.html.j2").render(**context)


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
    from keruen.report.cache import ReportCache

    out = Path(out)
    if cache is None:
        say = progress or (lambda _msg: None)
        cache = ReportCache(warn=lambda msg: say(f"WARNING: {msg}"))
    if len(countries) == 1:
        return render_report(
            store, out, lang, country=countries[0], group=group, progress=progress, cache=cache
        )
    loc = Locale(lang)
    for code in countries:
        render_report(
            store, out / code, lang, country=code, group=group, progress=progress, cache=cache
        )
    links = "\n".join(
        f'<li><a href="{code}/index.html">{_esc(loc.area(code))}</a> ({code})</li>'
        for code in countries
    )
    title = _esc(loc._("Reports by country"))
    html = (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title} — keruen</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n{links}\n</ul>\n"
        "</body>\n</html>\n"
    )
    index = out / "index.html"
    write_text(index, html)
    return index


def _esc(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))
