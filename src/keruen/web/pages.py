"""The dashboard: server-rendered pages in Kazakh, Russian and English.

The language is the first part of the URL (``/kk/…``, ``/ru/…``, ``/en/…``). Each page's
tables are plain HTML (usable without JavaScript); its charts are Vega-Lite specs
embedded as JSON and drawn by the Vega libraries served from the package (``/static/vega.js``,
built from vl-convert-python's bundle: no CDN). Every table links the CSV of the REST API call
that holds its rows, so what is shown can be downloaded as data.
"""

from __future__ import annotations

import logging
import tomllib
from collections import OrderedDict
from functools import cache
from importlib import resources
from typing import Any, Literal

import pandas as pd
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from keruen import api
from keruen.i18n import LANGUAGES, format_number
from keruen.report.output import script_json
from keruen.report.render import vega_bundle
from keruen.web.profile import SECTIONS, Profiles, store_digest, wait_for_build
from keruen.web.profile import context as profile_context

log = logging.getLogger("keruen.web")
#: Complete profile pages kept in memory per (store digest, language, country).
MAX_PAGES = 128

#: Content-Security-Policy of dashboard pages: Vega compiles its expressions with Function(),
#: so these pages (not the API) allow 'unsafe-eval'; scripts still come from the server only.
PAGE_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

Lang = Path(pattern="^(en|ru|kk)$", description="Page language: en, ru or kk.")


@cache
def labels() -> dict[str, dict[str, str]]:
    """The dashboard's words per language (``web/labels.toml``)."""
    text = resources.files("keruen.web").joinpath("labels.toml").read_text("utf-8")
    return tomllib.loads(text)


@cache
def _env() -> Environment:
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


def _map(
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
) -> Markup:
    """A choropleth in two layers: every shape grey, then the reported ones coloured.

    An area with no value stays grey and says ``missing`` in its tooltip; it is never
    coloured as zero. ``values`` are records with ``code``, ``name`` and ``field``.
    """
    import altair as alt

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
    tooltip = [alt.Tooltip("label:N", title=None), alt.Tooltip("shown:N", title=None)]
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
    return _script_json(chart.to_dict())


def _choropleth(values: list[dict[str, Any]], title: str, missing: str) -> Markup:
    """A world map coloured by ``value`` per ISO3 (log scale); countries without one grey."""
    import altair as alt

    color = alt.Color(
        "value:Q",
        scale=alt.Scale(type="log", scheme="blues"),
        title=None,
        legend=alt.Legend(orient="bottom", format="~s"),
    )
    records = [{"code": v["iso3"], "name": v["name"], "value": v["value"]} for v in values]
    return _map(
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
    )


def _region_map(values: list[dict[str, Any]], title: str, missing: str) -> Markup:
    """Kazakhstan's regions coloured by location quotient (diverging around 1)."""
    import altair as alt

    color = alt.Color(
        "lq:Q",
        title=None,
        legend=alt.Legend(orient="bottom"),
        scale=alt.Scale(scheme="redblue", domainMid=1, reverse=True),
    )
    return _map(
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
    )


def _num(value: Any, lang: str, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return labels()[lang]["not_reported"]
    return format_number(float(value), lang, digits)


def _line_chart(frame: pd.DataFrame, x: str, y: str, series: str, title: str) -> Markup:
    """A Vega-Lite line chart (tooltips, legend selection) as JSON; gaps stay gaps."""
    import altair as alt

    select = alt.selection_point(fields=[series], bind="legend")
    chart = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{x}:O", title=None),
            y=alt.Y(f"{y}:Q", title=None),
            color=alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="bottom")),
            opacity=alt.condition(select, alt.value(1), alt.value(0.2)),
            tooltip=[
                alt.Tooltip(f"{x}:O"),
                alt.Tooltip(f"{series}:N"),
                alt.Tooltip(f"{y}:Q", format=",.1f"),
            ],
        )
        .add_params(select)
        .properties(title=title, width="container", height=260)
        .configure_axis(labelFontSize=12, titleFontSize=12)
        .configure_legend(labelFontSize=12, labelLimit=0)
        .configure_title(fontSize=14)
    )
    return _script_json(chart.to_dict())


def _script_json(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">`` (the report's own encoding)."""
    return Markup(script_json(value))


def _page(name: str, lang: str, tail: str, **context: Any) -> HTMLResponse:
    """Render page ``name``; ``tail`` is its path after the language (for language links)."""
    html = (
        _env()
        .get_template(name)
        .render(lang=lang, t=labels()[lang], languages=LANGUAGES, tail=tail, **context)
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": PAGE_CSP})


def router(run: Any, profiles: Profiles, wait: float) -> APIRouter:
    """Dashboard routes; ``run`` executes a store function under the app's time limit.

    ``profiles`` holds the report's builds per country; a profile request waits ``wait``
    seconds for its build before rendering without it.
    """
    pages = APIRouter(include_in_schema=False)
    #: complete profile pages per (store digest, language, country)
    rendered: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()

    @pages.get("/")
    async def root(request: Request) -> Response:
        return RedirectResponse("/en/", status_code=307)

    @pages.get("/static/vega.js")
    async def vega_js() -> Response:
        return Response(
            vega_bundle(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @pages.get("/{lang}/")
    async def home(lang: str = Lang) -> HTMLResponse:
        countries = api.areas("country", lang)  # type: ignore[arg-type]
        options = countries.sort_values("name")[["code", "name"]].to_dict(orient="records")
        return _page("home.html.j2", lang, "", countries=options)

    @pages.get("/{lang}/country")
    async def choose(
        lang: str = Lang,
        code: str = Query(pattern="^[A-Za-z]{3}$"),
    ) -> Response:
        return RedirectResponse(f"/{lang}/country/{code.upper()}", status_code=303)

    @pages.get("/{lang}/country/{code}")
    async def country(lang: str = Lang, code: str = Path(pattern="^[A-Za-z]{3}$")) -> HTMLResponse:
        from keruen.areas import area, groups
        from keruen.report.locale import Locale
        from keruen.report.scope import peer_group
        from keruen.report.text import group_label

        code = area(code.upper()).code
        scope = peer_group(code)  # the report's peer group, so ranks agree with its sections
        group = scope.group if scope.group in groups() else ",".join(scope.members)
        t = labels()[lang]

        digest = await run(store_digest)
        kept = rendered.get((digest, lang, code))
        if kept is not None:  # the same store and country: the same page
            rendered.move_to_end((digest, lang, code))
            return HTMLResponse(kept, headers={"Content-Security-Policy": PAGE_CSP})

        def work(store: Any) -> dict[str, Any]:
            ind = api.indicators(code, range(2000, 2025), group, store=store)
            wpp = api.series("net_migration", code, None, dataset="UN_WPP", store=store)
            births = api.series("births", code, None, dataset="UN_WPP", store=store)
            deaths = api.series("deaths", code, None, dataset="UN_WPP", store=store)
            origins = api.bilateral("UNDESA_IMS", 2019, destination=code, store=store)
            dests = api.bilateral("UNDESA_IMS", 2019, origin=code, store=store)
            return {
                "ind": ind,
                "wpp": (wpp, births, deaths),
                "origins": origins,
                "dests": dests,
            }

        data = await run(work)
        sections, failure = await wait_for_build(profiles.get(digest, code), wait)
        report = (
            profile_context(sections, code, lang, lambda v, d=1: _num(v, lang, d))
            if sections is not None
            else None
        )
        ind: pd.DataFrame = data["ind"]
        money = ind.assign(
            **{t["received"]: ind["inflow"] / 1e6, t["paid"]: ind["outflow"] / 1e6}
        ).melt(id_vars=["year"], value_vars=[t["received"], t["paid"]], var_name="series")
        money = money.dropna(subset=["value"])  # missing is missing: no point, a gap
        wpp, births, deaths = data["wpp"]
        balance = (
            pd.concat(
                [
                    f.assign(series=label)
                    for f, label in (
                        (wpp, t["net_migration"]),
                        (births, t["births"]),
                        (deaths, t["deaths"]),
                    )
                    if not f.empty
                ],
                ignore_index=True,
            )
            if not (wpp.empty and births.empty and deaths.empty)
            else pd.DataFrame()
        )
        charts = []
        if not money.empty:
            charts.append(
                ("remittances", _line_chart(money, "year", "value", "series", t["remittances"]))
            )
        if not balance.empty:
            balance = balance[balance["period"].astype(int) >= 1990]
            charts.append(
                ("balance", _line_chart(balance, "period", "value", "series", t["balance"]))
            )
        rows = [
            {
                "year": int(r.year),
                "inflow": _num(r.inflow / 1e6, lang),
                "outflow": _num(r.outflow / 1e6, lang),
                "net": _num(r.net / 1e6, lang),
                "dri": _num(r.dri, lang, 2),
                "share_gdp": _num(r.share_gdp, lang, 2),
                "rank": _num(r.inflow_rank, lang, 0),
            }
            for r in ind.sort_values("year", ascending=False).itertuples()
            if not (pd.isna(r.inflow) and pd.isna(r.outflow))
        ]
        from keruen.areas import name

        def top(frame: pd.DataFrame, column: str) -> list[dict[str, str]]:
            best = frame.sort_values("value", ascending=False).head(10)
            return [
                {"code": c, "name": name(c, lang), "value": _num(v, lang, 0)}  # type: ignore[arg-type]
                for c, v in zip(best[column], best["value"], strict=True)
            ]

        page = _page(
            "country.html.j2",
            lang,
            f"country/{code}",
            code=code,
            country_name=name(code, lang),  # type: ignore[arg-type]
            group=group,
            group_name=group_label(scope.group, Locale(lang)._),
            members=", ".join(ind.attrs.get("group", [])),
            report=report,
            failure=failure,
            all_sections=SECTIONS,
            rows=rows,
            charts=charts,
            origins=top(data["origins"], "origin"),
            destinations=top(data["dests"], "destination"),
            sources=ind.attrs.get("sources", []),
        )
        if sections is not None:  # complete: kept until the store changes
            rendered[(digest, lang, code)] = bytes(page.body)
            while len(rendered) > MAX_PAGES:
                rendered.popitem(last=False)
        return page

    @pages.get("/geo/{name}.geojson")
    async def geo(name: str = Path(pattern="^(world|kz_regions)$")) -> Response:
        return Response(
            geojson(name),
            media_type="application/geo+json",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @pages.get("/{lang}/bilateral")
    async def bilateral(
        lang: str = Lang,
        country: str = Query("KAZ", pattern="^[A-Za-z]{3}$"),
        role: Literal["destination", "origin"] = "destination",
        year: int = Query(2019, ge=1900, le=2100),
        dataset: Literal[
            "UNDESA_IMS", "WB_BILATERAL_MIGRANT_STOCKS", "WB_BILATERAL_REMITTANCES"
        ] = "UNDESA_IMS",
    ) -> HTMLResponse:
        from keruen.areas import area, name

        code = area(country.upper()).code
        t = labels()[lang]

        def work(store: Any) -> tuple[pd.DataFrame, list[int]]:
            years = sorted(
                int(p)
                for p in store.con.execute(
                    "SELECT DISTINCT o.period FROM observations o JOIN sources s USING (source_id) "
                    "WHERE o.dataset = ? AND o.counterpart_area <> 'WLD'",
                    [dataset],
                ).df()["period"]
            )
            where = {"destination": code} if role == "destination" else {"origin": code}
            frame = api.bilateral(dataset, year, store=store, **where)  # type: ignore[arg-type]
            return frame, years

        frame, years = await run(work)
        other = "origin" if role == "destination" else "destination"
        is_country = [area(c).kind == "country" for c in frame[other]]
        frame = frame.loc[pd.Series(is_country, index=frame.index, dtype=bool)]
        values = [
            {"iso3": c, "value": float(v), "name": name(c, lang)}  # type: ignore[arg-type]
            for c, v in zip(frame[other], frame["value"], strict=True)
        ]
        unit = str(frame["unit"].iloc[0]) if len(frame) else ""
        kind = "map_rem_" if dataset == "WB_BILATERAL_REMITTANCES" else "map_"
        title = t[f"{kind}{role}"].format(country=name(code, lang))  # type: ignore[arg-type]
        spec = _choropleth(values, title, t["not_reported"]) if values else None
        best = frame.sort_values("value", ascending=False).head(20)
        rows = [
            {"code": c, "name": name(c, lang), "value": _num(v, lang, 0)}  # type: ignore[arg-type]
            for c, v in zip(best[other], best["value"], strict=True)
        ]
        countries = api.areas("country", lang).sort_values("name")  # type: ignore[arg-type]
        return _page(
            "bilateral.html.j2",
            lang,
            f"bilateral?country={code}&role={role}&year={year}",
            code=code,
            country_name=name(code, lang),  # type: ignore[arg-type]
            role=role,
            year=year,
            years=years,  # type: ignore[arg-type]
            dataset=dataset,
            spec=spec,
            rows=rows,
            unit=unit,
            other=other,
            countries=countries[["code", "name"]].to_dict(orient="records"),
            source=frame[["publisher", "vintage", "licence"]]
            .drop_duplicates()
            .to_dict(orient="records"),
        )

    @pages.get("/{lang}/regions")
    async def regions(lang: str = Lang) -> HTMLResponse:
        from keruen.areas import name

        table = await run(lambda store: api.kz_regions(store=store))
        t = labels()[lang]
        values = [
            {
                "code": r.region,
                "name": name(r.region, lang),  # type: ignore[arg-type]
                "lq": None if pd.isna(r.location_quotient) else float(r.location_quotient),
                "share": None if pd.isna(r.migrant_share) else float(r.migrant_share),
            }
            for r in table.itertuples()
        ]
        spec = _region_map(values, t["map_regions"], t["not_reported"]) if values else None
        rows = [
            {
                "name": v["name"],
                "share": _num(v["share"], lang, 1),
                "pop_share": _num(r.population_share, lang, 1),
                "lq": _num(v["lq"], lang, 2),
            }
            for v, r in zip(values, table.itertuples(), strict=True)
        ]
        period = table["period"].iloc[0] if len(table) else ""
        source = table["migrant_share_source"].iloc[0] if len(table) else ""
        return _page(
            "regions.html.j2", lang, "regions", spec=spec, rows=rows, period=period, source=source
        )

    @pages.get("/{lang}/sources")
    async def sources(lang: str = Lang) -> HTMLResponse:
        frame = await run(lambda store: api.vintages(store=store))
        rows = frame.assign(n_rows=frame["n_rows"].map(lambda v: _num(v, lang, 0))).to_dict(
            orient="records"
        )
        return _page("sources.html.j2", lang, "sources", rows=rows)

    from keruen.web.systems_page import add_routes

    add_routes(pages, run)
    return pages
