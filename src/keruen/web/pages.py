"""The dashboard: server-rendered pages in Kazakh, Russian and English.

The language is the first part of the URL (``/kk/…``, ``/ru/…``, ``/en/…``). Each page's
tables are plain HTML (usable without JavaScript); its charts are Vega-Lite specs
embedded as JSON and drawn by the Vega libraries served from the package (``/static/vega.js``,
built from vl-convert-python's bundle: no CDN). Every table links the CSV of the REST API call
that holds its rows, so what is shown can be downloaded as data.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, Literal

import pandas as pd
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keruen import api
from keruen.analysis.scope import peer_group
from keruen.areas import area, groups, name
from keruen.presentation.labels import group_label
from keruen.presentation.locale import Locale
from keruen.presentation.palette import series_colours
from keruen.presentation.vega import vega_bundle
from keruen.web.explore import add_routes as add_explore_routes
from keruen.web.home_page import add_routes as add_home_routes
from keruen.web.builds import Profiles, store_digest, wait_for_build
from keruen.web.profile import SECTIONS, trend_figures
from keruen.web.profile import context as profile_context
from keruen.web.profile_tables import add_routes as add_table_routes
from keruen.web.profile_tables import migrant_share_chart, migration_balance
from keruen.web.systems_page import add_routes
from keruen.web.views import (
    EMBED_CSP,
    PAGE_CSP,
    Lang,
    choropleth,
    geojson,
    held_year,
    labels,
    line_chart,
    num,
    page,
    region_map,
    source_labels,
)

log = logging.getLogger("keruen.web")
#: Complete profile pages kept in memory per (store digest, language, country).
MAX_PAGES = 128


def router(run: Any, profiles: Profiles, wait: float) -> APIRouter:
    """Dashboard routes; ``run`` executes a store function under the app's time limit.

    ``profiles`` holds the report's builds per country; a profile request waits ``wait``
    seconds for its build before rendering without it.
    """
    pages = APIRouter(include_in_schema=False)
    #: complete profile pages per (store digest, language, country, embed)
    rendered: OrderedDict[tuple[str, str, str, bool], bytes] = OrderedDict()
    #: pages sent while their build runs (a reload every few seconds renders nothing again)
    pending: OrderedDict[tuple[str, str, str, bool], bytes] = OrderedDict()
    #: the profile's observed part per (store digest, country)
    observed: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()

    def keep(kept: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        kept[key] = value
        while len(kept) > MAX_PAGES:
            kept.popitem(last=False)

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

    add_home_routes(pages, run)
    add_explore_routes(pages, run)

    @pages.get("/{lang}/country")
    async def choose(
        lang: str = Lang,
        code: str = Query(pattern="^[A-Za-z]{3}$"),
    ) -> Response:
        return RedirectResponse(f"/{lang}/country/{code.upper()}", status_code=303)

    @pages.get("/{lang}/country/{code}")
    @pages.get("/{lang}/embed/country/{code}")
    async def country(
        request: Request, lang: str = Lang, code: str = Path(pattern="^[A-Za-z]{3}$")
    ) -> HTMLResponse:
        code = area(code.upper()).code
        embed = "/embed/" in request.url.path
        scope = peer_group(code)  # the report's peer group, so ranks agree with its sections
        group = scope.group if scope.group in groups() else ",".join(scope.members)
        t = labels()[lang]

        digest = await run(store_digest)
        key = (digest, lang, code, embed)
        csp = EMBED_CSP if embed else PAGE_CSP
        kept = rendered.get(key)
        if kept is not None:  # the same store and country: the same page
            rendered.move_to_end(key)
            return HTMLResponse(kept, headers={"Content-Security-Policy": csp})
        # the build (a worker process; 503 when its queue is full), waited for a little
        sections, failure = await wait_for_build(profiles.get(digest, code), wait)
        if sections is None and failure is None and key in pending:  # still running
            return HTMLResponse(pending[key], headers={"Content-Security-Policy": csp})

        def work(store: Any) -> dict[str, Any]:
            ind = api.indicators(code, range(2000, 2025), group, store=store)
            balance = migration_balance(store, code)
            origins = api.bilateral("UNDESA_IMS", 2019, destination=code, store=store)
            dests = api.bilateral("UNDESA_IMS", 2019, origin=code, store=store)
            return {
                "ind": ind,
                "balance": balance,
                "origins": origins,
                "dests": dests,
            }

        data = observed.get((digest, code))
        if data is None:
            data = await run(work)
            keep(observed, (digest, code), data)
        report = (
            profile_context(sections, code, lang, lambda v, d=1: num(v, lang, d))
            if sections is not None
            else None
        )
        # the trend's release choice, where it read an older release (the report's figures)
        ind, older_release = trend_figures(data["ind"], sections)
        money = ind.assign(
            **{t["received"]: ind["inflow"] / 1e6, t["paid"]: ind["outflow"] / 1e6}
        ).melt(id_vars=["year"], value_vars=[t["received"], t["paid"]], var_name="series")
        money = money.dropna(subset=["value"])  # missing is missing: no point, a gap
        balance: pd.DataFrame = data["balance"]
        balance = balance.assign(series=balance["measure"].map(lambda m: t[m]))
        charts = []
        ids = ("received", "paid", "net_migration", "births", "deaths")
        colours = series_colours({t[i]: i for i in ids})
        if not money.empty:
            chart = line_chart(
                money, "year", "value", "series", t["remittances"], lang=lang, colours=colours
            )
            charts.append(("remittances", chart))
        if not balance.empty:
            balance = balance[balance["period"].astype(int) >= 1990]
            chart = line_chart(
                balance,
                "period",
                "value",
                "series",
                t["balance"],
                lang=lang,
                colours=colours,
                fields={"period": t["year"]},
            )
            charts.append(("balance", chart))
        share_chart = migrant_share_chart(sections, lang)
        if share_chart is not None:
            charts.append(("migrant_share", share_chart))
        rows = [
            {
                "year": int(r.year),
                "inflow": num(r.inflow / 1e6, lang),
                "outflow": num(r.outflow / 1e6, lang),
                "net": num(r.net_paid / 1e6, lang),
                "dri": num(r.dri, lang, 2),
                "share_gdp": num(r.share_gdp, lang, 2),
                "rank": num(r.inflow_rank, lang, 0),
            }
            for r in ind.sort_values("year", ascending=False).itertuples()
            if not (pd.isna(r.inflow) and pd.isna(r.outflow))
        ]

        def top(frame: pd.DataFrame, column: str) -> list[dict[str, str]]:
            best = frame.sort_values("value", ascending=False).head(10)
            return [
                {"code": c, "name": name(c, lang), "value": num(v, lang, 0)}  # type: ignore[arg-type]
                for c, v in zip(best[column], best["value"], strict=True)
            ]

        response = page(
            "country.html.j2",
            lang,
            f"country/{code}",
            code=code,
            country_name=name(code, lang),  # type: ignore[arg-type]
            group=group,
            group_name=group_label(scope.group, Locale(lang)._),
            members=", ".join(name(c, lang) for c in ind.attrs.get("group", [])),  # type: ignore[arg-type]
            report=report,
            failure=failure,
            all_sections=SECTIONS,
            rows=rows,
            charts=charts,
            origins=top(data["origins"], "origin"),
            destinations=top(data["dests"], "destination"),
            sources=source_labels(ind.attrs.get("sources", []), lang),
            older_release=older_release,
            balance_sources=balance[["publisher", "vintage"]].drop_duplicates().to_dict("records")
            if not balance.empty
            else [],
            embed=embed,
        )
        if sections is not None or failure is not None:
            # complete, or its build failed (a failure is remembered per store version too):
            # kept until the store changes, so neither part is recomputed per request
            keep(rendered, key, bytes(response.body))
            pending.pop(key, None)
        else:
            keep(pending, key, bytes(response.body))
        return response

    @pages.get("/geo/{name}.geojson")
    async def geo(name: str = Path(pattern="^(world|kz_regions)$")) -> Response:
        return Response(
            geojson(name),
            media_type="application/geo+json",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @pages.get("/{lang}/bilateral")
    @pages.get("/{lang}/embed/bilateral")
    async def bilateral(
        request: Request,
        lang: str = Lang,
        country: str = Query("KAZ", pattern="^[A-Za-z]{3}$"),
        role: Literal["destination", "origin"] = "destination",
        year: int | None = Query(None, ge=1900, le=2100),
        dataset: Literal[
            "UNDESA_IMS", "WB_BILATERAL_MIGRANT_STOCKS", "WB_BILATERAL_REMITTANCES"
        ] = "UNDESA_IMS",
    ) -> HTMLResponse:
        code = area(country.upper()).code
        t = labels()[lang]

        def work(store: Any) -> tuple[pd.DataFrame, list[int], int]:
            years = sorted(
                int(p)
                for p in store.con.execute(
                    "SELECT DISTINCT o.period FROM observations o JOIN sources s USING (source_id) "
                    "WHERE o.dataset = ? AND o.counterpart_area <> 'WLD'",
                    [dataset],
                ).df()["period"]
            )
            shown = held_year(year, years)
            where = {"destination": code} if role == "destination" else {"origin": code}
            frame = api.bilateral(dataset, shown, store=store, **where)  # type: ignore[arg-type]
            return frame, years, shown

        frame, years, shown = await run(work)
        other = "origin" if role == "destination" else "destination"
        is_country = [area(c).kind == "country" for c in frame[other]]
        frame = frame.loc[pd.Series(is_country, index=frame.index, dtype=bool)]
        values = [
            {"iso3": c, "value": float(v), "name": name(c, lang)}  # type: ignore[arg-type]
            for c, v in zip(frame[other], frame["value"], strict=True)
        ]
        unit = str(frame["unit"].iloc[0]) if len(frame) else ""
        unit = {"USD million": t["musd"], "persons": t["persons"]}.get(unit, unit)
        kind = "map_rem_" if dataset == "WB_BILATERAL_REMITTANCES" else "map_"
        title = t[f"{kind}{role}"].format(country=name(code, lang))  # type: ignore[arg-type]
        spec = choropleth(values, title, t["not_reported"], lang=lang) if values else None
        best = frame.sort_values("value", ascending=False).head(20)
        rows = [
            {"code": c, "name": name(c, lang), "value": num(v, lang, 0)}  # type: ignore[arg-type]
            for c, v in zip(best[other], best["value"], strict=True)
        ]
        countries = api.areas("country", lang).sort_values("name")  # type: ignore[arg-type]
        return page(
            "bilateral.html.j2",
            lang,
            f"bilateral?country={code}&role={role}&dataset={dataset}&year={shown}",
            code=code,
            country_name=name(code, lang),  # type: ignore[arg-type]
            role=role,
            year=shown,
            asked=year,
            years=years,  # type: ignore[arg-type]
            dataset=dataset,
            spec=spec,
            rows=rows,
            unit=unit,
            other=other,
            countries=countries[["code", "name"]].to_dict(orient="records"),
            source=source_labels(
                frame[["publisher", "vintage", "licence"]]
                .drop_duplicates()
                .to_dict(orient="records"),
                lang,
            ),
            embed="/embed/" in request.url.path,
        )

    @pages.get("/{lang}/regions")
    async def regions(lang: str = Lang) -> HTMLResponse:

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
        spec = (
            region_map(values, t["map_regions"], t["not_reported"], lang=lang) if values else None
        )
        rows = [
            {
                "name": v["name"],
                "share": num(v["share"], lang, 1),
                "pop_share": num(r.population_share, lang, 1),
                "lq": num(v["lq"], lang, 2),
            }
            for v, r in zip(values, table.itertuples(), strict=True)
        ]
        period = table["period"].iloc[0] if len(table) else ""
        source = "; ".join(
            f"{s.get('publisher', '')} ({s.get('vintage', '')})"
            for s in source_labels(table.attrs.get("sources", []), lang)
        )
        return page(
            "regions.html.j2", lang, "regions", spec=spec, rows=rows, period=period, source=source
        )

    @pages.get("/{lang}/sources")
    async def sources(lang: str = Lang) -> HTMLResponse:
        frame = await run(lambda store: api.vintages(store=store))
        rows = source_labels(
            frame.assign(n_rows=frame["n_rows"].map(lambda v: num(v, lang, 0))).to_dict(
                orient="records"
            ),
            lang,
        )
        return page("sources.html.j2", lang, "sources", rows=rows)

    add_routes(pages, run, profiles, wait)
    add_table_routes(pages, run, profiles, wait)
    return pages
