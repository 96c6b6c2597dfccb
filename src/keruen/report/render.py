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
from typing import Any

import pandas as pd

from keruen import __version__
from keruen.figures.charts import NUMBER_LOCALES
from keruen.report.analysis import COUNTRY, Section, build, paper_source
from keruen.report.files import write_text
from keruen.report.locale import Locale
from keruen.report.output import Output
from keruen.report.scope import Scope, peer_group
from keruen.report.section_figures import (
    fig_balance,
    fig_labour,
    fig_peers,
    fig_share,
    fig_trend,
    source_text,
)
from keruen.store import Store

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
    """Vega, Vega-Lite and Vega-Embed as one script (shipped by vl-convert-python; no CDN)."""
    import vl_convert as vlc

    bundle: str = vlc.javascript_bundle()  # type: ignore[call-arg]  # snippet is optional
    return bundle.replace("</script", "<\\/script")


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


def render_report(
    store: Store,
    out: str | Path,
    lang: str = "en",
    *,
    country: str = COUNTRY,
    group: str | None = None,
    keep_estimates: bool = True,
    progress: Progress | None = None,
) -> Path:
    """Compute, draw and write the report of ``country`` into ``out``; returns ``index.html``.

    With ``keep_estimates`` the model estimates are written into the store first (status E,
    idempotent), so the report's source list names them and ``keruen query`` finds them.
    """
    say = progress or (lambda _msg: None)
    loc = Locale(lang)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scope = peer_group(country, group)
    say(f"{country}: computing the sections")
    sections = build(store, scope)
    if keep_estimates and "flows" in sections:  # estimates_of skips sections not held
        from keruen.report.dynamics import estimates_of
        from keruen.store.estimates import store_estimates

        say(f"{country}: storing the estimates")
        store_estimates(store, estimates_of(sections))
    recon = None
    if scope.is_paper_country:
        from keruen.report.reconcile import reconcile

        recon = reconcile(store, sections)
    from keruen.report.swot import swot

    items = swot(sections)
    output = Output(out, lang)
    say(f"{country}: drawing the figures ({lang})")
    _figures(sections, store, loc, output)
    _tables(sections, output)
    say(f"{country}: writing index.html ({lang})")
    html = _html(store, sections, scope, recon, items, loc, output)
    index = out / "index.html"
    write_text(index, html)
    numbers = _numbers(sections, recon, items)
    write_text(
        out / "numbers.json",
        json.dumps(_clean(numbers), indent=1, ensure_ascii=False, default=str),
    )
    return index


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

    from keruen.report.render_estimates import model_label, term_label
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
        "generated": dt.date.today().isoformat(),
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
) -> Path:
    """One country: its report in ``out``. Several: ``out/<ISO3>/`` each and ``out/index.html``."""
    out = Path(out)
    if len(countries) == 1:
        return render_report(store, out, lang, country=countries[0], group=group, progress=progress)
    loc = Locale(lang)
    for code in countries:
        render_report(store, out / code, lang, country=code, group=group, progress=progress)
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
