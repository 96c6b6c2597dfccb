"""``index.html`` of a report: the template filled with a country's sections in one language."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jinja2

from keruen import __version__
from keruen.analysis.scope import Scope
from keruen.analysis.section import Section
from keruen.i18n import release_label
from keruen.presentation.formats import d3_time_locale, local_numbers, sentence
from keruen.presentation.charts import NUMBER_LOCALES
from keruen.presentation.labels import (
    group_label,
    measure_label,
    publisher_label,
    quadrant_label,
    swot_text,
    verdict_label,
)
from keruen.presentation.estimate_notes import (
    no_contradiction,
    plausibility_header,
    plausibility_intro,
    plausibility_rows,
    plausibility_title,
)
from keruen.presentation.locale import Locale
from keruen.presentation.source_labels import dataset_label, vintage_label
from keruen.presentation.vega import vega_bundle
from keruen.report.output import Output
from keruen.report.paper_swot import paper_swot_rows
from keruen.report.reconcile_view import recon_view
from keruen.report.render_estimates import model_label, term_label
from keruen.report.section_figures import source_text

if TYPE_CHECKING:
    import pandas as pd

#: Stands for the generation date in a cached page; replaced by today's date when written.
GENERATED = "@@keruen-generated-date@@"


def http_url(url: object) -> str | None:
    """``url`` if it is an http(s) address, else None (no ``javascript:`` or other schemes)."""
    text = str(url or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    return text if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def html(
    sources: pd.DataFrame, sections: dict[str, Section], scope: Scope, loc: Locale, output: Output
) -> str:
    """The report page of ``sections`` in ``loc``'s language, figures and tables from ``output``.

    ``sources`` are the stored files behind the sections
    (:func:`~keruen.analysis.provenance.sources_used`), listed at the end of the page.
    """
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
    env.filters["release"] = lambda v: release_label(v, loc.lang)
    env.filters["http_url"] = http_url
    env.filters["dataset"] = lambda d: dataset_label(str(d), _)
    env.filters["vintage"] = lambda v: vintage_label(str(v), _, loc.lang)
    country = scope.country
    recon_rows = None
    if "reconcile" in sections and not sections["reconcile"].failed:
        recon_rows = recon_view(sections["reconcile"].tables["reconciliation"], loc)
    swot_rows: dict[str, list[dict[str, Any]]] = {}
    for item in sections["swot"].values.get("items", []):
        statement, indicator = swot_text(item, loc.lang, _, country)
        swot_rows.setdefault(item.quadrant, []).append(
            {
                "statement": statement,
                "indicator": indicator,
                "threshold": local_numbers(item.threshold, loc.lang),
                "verdict": item.verdict,
                "verdict_text": sentence(verdict_label(item.verdict, _)),
                "source": sentence(publisher_label(item.source, _)),
            }
        )
    paper_swot = None
    if scope.is_paper_country and not sections["swot"].failed:
        paper_swot = paper_swot_rows(sections, loc)
    context = {
        "lang": loc.lang,
        "loc": loc,
        "version": __version__,
        "generated": GENERATED,
        "s": sections,
        "failed": {k: sec.failed for k, sec in sections.items() if sec.failed},
        "figs": output.figures,
        "csv": output.tables,
        "recon": recon_rows,
        "swot": [
            (q, quadrant_label(q, _), swot_rows.get(q, []))
            for q in ("strengths", "weaknesses", "opportunities", "threats")
        ],
        "paper_swot": paper_swot,
        "sources": sources.to_dict("records"),
        "src": lambda sec: source_text(sec.sources, loc),
        "plausibility": plausibility_rows(sections.get("flows"), loc),
        "plausibility_title": plausibility_title(loc),
        "plausibility_intro": plausibility_intro(loc),
        "plausibility_header": plausibility_header(loc),
        "no_contradiction": no_contradiction(loc),
        "country": country,
        "country_name": loc.area(country),
        "group_name": group_label(scope.group, _),
        "paper_country": scope.is_paper_country,
        "vega_js": vega_bundle() if output.figures else "",
        "number_locale": json.dumps(NUMBER_LOCALES.get(loc.lang, NUMBER_LOCALES["en"])),
        "time_locale": json.dumps(d3_time_locale(loc.lang)),
    }
    return env.get_template("report.html.j2").render(**context)
