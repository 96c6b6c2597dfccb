"""What every dashboard page shares: its words, its template, its maps and charts, its headers.

Pages (:mod:`keruen.web.pages`, :mod:`keruen.web.systems_page`) build on these helpers; they
never import each other.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from typing import Any

import altair as alt
import pandas as pd
from fastapi import Path
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from keruen.i18n import LANGUAGES, format_date, format_number, release_label, translations
from keruen.presentation.formats import d3_locale
from keruen.presentation.labels import publisher_label
from keruen.presentation.locale import Locale
from keruen.presentation.vega import script_json

#: Content-Security-Policy of dashboard pages: Vega compiles its expressions with Function(),
#: so these pages (not the API) allow 'unsafe-eval'; scripts still come from the server only.
PAGE_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

#: An embeddable chart (``/{lang}/embed/…``) may be framed by any page.
EMBED_CSP = PAGE_CSP.replace("frame-ancestors 'none'", "frame-ancestors *")

Lang = Path(pattern="^(en|ru|kk)$", description="Page language: en, ru or kk.")


@cache
def labels() -> dict[str, dict[str, str]]:
    """The dashboard's words per language (``web/labels.toml``)."""
    text = resources.files("keruen.web").joinpath("labels.toml").read_text("utf-8")
    return tomllib.loads(text)


@cache
def env() -> Environment:
    """The dashboard's template environment (every value escaped)."""
    return Environment(
        loader=PackageLoader("keruen.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


@cache
def geojson(name: str) -> bytes:
    """A bundled outline file (``data/geo``): ``world`` or ``kz_regions``."""
    files = {
        "world": "world_countries_ne110m.geojson",
        "kz_regions": "kz_regions_2022_osm_simplified.geojson",
    }
    return resources.files("keruen.data.geo").joinpath(files[name]).read_bytes()


def map_spec(
    shapes_url: str,
    key: str,
    values: list[dict[str, Any]],
    field: str,
    color: Any,
    shown: str,
    title: str,
    missing: str,
    projection: str,
    height: int,
    *,
    lang: str = "en",
    titles: tuple[str, str] | None = None,
) -> Markup:
    """A choropleth in two layers: every shape grey, then the reported ones coloured.

    An area with no value stays grey and says ``missing`` in its tooltip; it is never
    coloured as zero. ``values`` are records with ``code``, ``name`` and ``field``. The
    tooltip's two lines are titled ``titles`` (area, value), by default the words of ``lang``
    for country and value; numbers follow the page's d3 locale (see ``page``).
    """
    t = labels()[lang]
    area_title, value_title = titles or (t["country"], t["value"])
    shapes = alt.Data(url=shapes_url, format=alt.DataFormat(property="features", type="json"))
    looked_up = (
        alt.Chart(shapes)
        .transform_lookup(
            lookup=key,
            from_=alt.LookupData(alt.Data(values=values), key="code", fields=[field, "name"]),
        )
        .transform_calculate(
            label="isValid(datum.name) ? datum.name : datum.properties.name",
            shown=f"isValid(datum.{field}) ? {shown} : '{missing}'",
        )
    )
    tooltip = [
        alt.Tooltip("label:N", title=area_title),
        alt.Tooltip("shown:N", title=value_title),
    ]
    base = looked_up.mark_geoshape(fill="#d9d9d9", stroke="#fff", strokeWidth=0.5).encode(
        tooltip=tooltip
    )
    top = (
        looked_up.transform_filter(f"isValid(datum.{field})")
        .mark_geoshape(stroke="#fff", strokeWidth=0.5)
        .encode(color=color, tooltip=tooltip)
    )
    chart = (
        alt.layer(base, top)
        .project(projection)  # type: ignore[arg-type]
        .properties(title=title, width="container", height=height)
        .configure_title(fontSize=14)
        .configure_legend(labelFontSize=12)
    )
    return script_markup(chart.to_dict())


def choropleth(
    values: list[dict[str, Any]], title: str, missing: str, *, lang: str = "en"
) -> Markup:
    """A world map coloured by ``value`` per ISO3 (log scale); countries without one grey."""
    color = alt.Color(
        "value:Q",
        scale=alt.Scale(type="log", scheme="blues"),
        title=None,
        legend=alt.Legend(orient="bottom", format=",~r"),
    )
    records = [{"code": v["iso3"], "name": v["name"], "value": v["value"]} for v in values]
    return map_spec(
        "/geo/world.geojson",
        "properties.iso3",
        records,
        "value",
        color,
        "format(datum.value, ',')",
        title,
        missing,
        "equalEarth",
        380,
        lang=lang,
    )


def region_map(
    values: list[dict[str, Any]], title: str, missing: str, *, lang: str = "en"
) -> Markup:
    """Kazakhstan's regions coloured by location quotient (diverging around 1)."""
    color = alt.Color(
        "lq:Q",
        title=None,
        legend=alt.Legend(orient="bottom"),
        scale=alt.Scale(scheme="redblue", domainMid=1, reverse=True),
    )
    return map_spec(
        "/geo/kz_regions.geojson",
        "properties.iso_3166_2",
        values,
        "lq",
        color,
        "format(datum.lq, '.2f')",
        title,
        missing,
        "mercator",
        360,
        lang=lang,
        titles=(labels()[lang]["region"], labels()[lang]["location_quotient"]),
    )


def held_year(asked: int | None, held: list[int]) -> int:
    """The year to show: ``asked`` if held, else the nearest held one (ties: the earlier; the
    latest when none is asked; ``asked`` itself, or 2019, when nothing is held)."""
    if not held:
        return asked if asked is not None else 2019
    if asked is None:
        return held[-1]
    return min(held, key=lambda y: (abs(y - asked), y))


def num(value: Any, lang: str, digits: int = 1) -> str:
    """``value`` in ``lang``'s number format, or the page's word for "not reported"."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return labels()[lang]["not_reported"]
    return format_number(float(value), lang, digits)


def line_chart(
    frame: pd.DataFrame,
    x: str,
    y: str,
    series: str,
    title: str,
    *,
    lang: str = "en",
    colours: dict[str, str] | None = None,
    fields: dict[str, str] | None = None,
    fmt: str = ",.1f",
) -> Markup:
    """A Vega-Lite line chart (tooltips, legend selection) as JSON; gaps stay gaps.

    Tooltip titles are the page's words in ``lang`` (``fields`` maps a column to its word; by
    default ``x`` is the year, ``series`` the series and ``y`` the value); ``colours`` gives
    each series value its colour (see :mod:`keruen.presentation.palette`), the same in every
    language; ``fmt`` is the d3 format of the value in the tooltip.
    """
    t = labels()[lang]
    words = {x: t["year"], series: t["series"], y: t["value"]} | (fields or {})
    select = alt.selection_point(fields=[series], bind="legend")
    shown = {k: v for k, v in (colours or {}).items() if k in set(frame[series])}
    scale = (
        alt.Scale(domain=list(shown), range=list(shown.values())) if shown else alt.Undefined
    )
    chart = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            # years upright, as many as fit: on a phone every other (or fewer) is labelled
            x=alt.X(f"{x}:O", title=None, axis=alt.Axis(labelAngle=0, labelOverlap="parity")),
            y=alt.Y(f"{y}:Q", title=None),
            color=alt.Color(
                f"{series}:N",
                title=None,
                scale=scale,
                legend=alt.Legend(orient="bottom", columns=2, labelLimit=0, symbolLimit=0),
            ),
            opacity=alt.condition(select, alt.value(1), alt.value(0.2)),
            tooltip=[
                alt.Tooltip(f"{x}:O", title=words[x]),
                alt.Tooltip(f"{series}:N", title=words[series]),
                alt.Tooltip(f"{y}:Q", format=fmt, title=words[y]),
            ],
        )
        .add_params(select)
        .properties(title=title, width="container", height=260)
        .configure_axis(labelFontSize=12, titleFontSize=12)
        .configure_legend(labelFontSize=12, labelLimit=0)
        .configure_title(fontSize=14)
    )
    return script_markup(chart.to_dict())


def source_labels(records: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Source records with publisher, release (``vintage``) and licence named in ``lang``."""
    loc = Locale(lang)
    out = []
    for record in records:
        shown = dict(record)
        for key in ("publisher", "licence"):
            if isinstance(shown.get(key), str):
                shown[key] = publisher_label(shown[key], loc._)
        if isinstance(shown.get("vintage"), str):
            shown["vintage"] = release_label(shown["vintage"], lang)
        release = str(shown.get("release") or "")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", release):
            shown["release"] = format_date(release, lang)
        out.append(shown)
    return out


def script_markup(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">`` (the report's own encoding)."""
    return Markup(script_json(value))


def page(name: str, lang: str, tail: str, **context: Any) -> HTMLResponse:
    """Render page ``name``; ``tail`` is its path after the language (for language links)."""
    html = (
        env()
        .get_template(name)
        .render(
            lang=lang,
            t=labels()[lang],
            _=translations(lang).gettext,
            languages=LANGUAGES,
            tail=tail,
            vega_locale=script_markup(d3_locale(lang)),
            **context,
        )
    )
    csp = EMBED_CSP if context.get("embed") else PAGE_CSP
    return HTMLResponse(html, headers={"Content-Security-Policy": csp})
