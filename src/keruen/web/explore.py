"""Two explorers of one measure: countries compared over time, and the world in one year.

``/{lang}/compare?measure=&area=KAZ,UZB,KGZ`` draws a line per country (by default the peer
group of ``country``, as the report chooses it); ``/{lang}/explore?measure=&year=`` colours the
world map for a year, the slider stepping over the years held. Both read
:func:`keruen.api.series` — the rows the REST API's ``/api/v1/series`` answers, whose CSV each
page links — and keep their whole state in the URL (a GET form), so a view can be shared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from keruen import api
from keruen.analysis.scope import peer_group
from keruen.areas import area, name
from keruen.i18n import translations
from keruen.presentation.palette import area_colours
from keruen.web.views import (
    Lang,
    choropleth,
    held_year,
    labels,
    line_chart,
    num,
    page,
    source_labels,
)

Gettext = Callable[[str], str]

#: Measures offered: key → (measure for api.series, dataset or None, divisor, map allowed).
MEASURES: dict[str, tuple[str, str | None, float, bool]] = {
    "remittances_received": ("remittances_received", None, 1e6, True),
    "remittances_paid": ("remittances_paid", None, 1e6, True),
    "remittances_received_pct_gdp": ("remittances_received_pct_gdp", None, 1.0, True),
    "remittance_cost_to": ("remittance_cost_to", None, 1.0, True),
    "remittance_cost_from": ("remittance_cost_from", None, 1.0, True),
    "migrant_stock": ("migrant_stock", None, 1.0, True),
    "net_migration": ("net_migration", "UN_WPP", 1.0, False),
}
#: Most countries one comparison draws.
MAX_AREAS = 30


def measure_title(key: str, _: Gettext) -> str:
    """The translated name of a measure, with the unit shown."""
    return {
        "remittances_received": _("Remittances received, US$ million"),
        "remittances_paid": _("Remittances paid, US$ million"),
        "remittances_received_pct_gdp": _("Remittances received, % of GDP"),
        "remittance_cost_to": _("Cost of sending remittances to the country, % of amount sent"),
        "remittance_cost_from": _(
            "Cost of sending remittances from the country, % of amount sent"
        ),
        "migrant_stock": _("International migrant stock, persons"),
        "net_migration": _("Net migration, thousand persons"),
    }[key]


def series_rows(store: Any, key: str, codes: list[str] | None) -> pd.DataFrame:
    """The rows of measure ``key`` for ``codes`` (every area when None), countries only."""
    measure, dataset, _divisor, _map = MEASURES[key]
    frame = api.series(measure, codes, None, dataset=dataset, store=store)
    frame = frame.dropna(subset=["value"])
    is_country = [area(str(c)).kind == "country" for c in frame["ref_area"]]
    return frame[pd.Series(is_country, index=frame.index, dtype=bool)].reset_index(drop=True)


def csv_link(key: str, codes: list[str] | None, year: int | None = None) -> str:
    """The REST API call answering the page's rows as CSV."""
    measure, dataset, _divisor, _map = MEASURES[key]
    query: dict[str, Any] = {"measure": measure}
    if codes:
        query["area"] = ",".join(codes)
    if year is not None:
        query |= {"start": year, "end": year}
    if dataset:
        query["dataset"] = dataset
    return "/api/v1/series?" + urlencode(query | {"limit": 10000, "format": "csv"})


def _choice(key: str) -> str:
    return key if key in MEASURES else "remittances_received"


def add_routes(pages: APIRouter, run: Any) -> None:
    """``/{lang}/compare`` and ``/{lang}/explore``."""

    @pages.get("/{lang}/compare")
    @pages.get("/{lang}/embed/compare")
    async def compare(
        request: Request,
        lang: str = Lang,
        measure: str = Query("remittances_received", max_length=60),
        area_list: str | None = Query(
            None, alias="area", max_length=400, pattern=r"^[A-Za-z]{3}(,[A-Za-z]{3})*$"
        ),
        country: str = Query("KAZ", pattern="^[A-Za-z]{3}$"),
    ) -> HTMLResponse:
        _ = translations(lang).gettext
        key = _choice(measure)
        if area_list:
            codes = list(dict.fromkeys(area(c.upper()).code for c in area_list.split(",")))
        else:
            codes = list(peer_group(area(country.upper()).code).members)
        codes = codes[:MAX_AREAS]
        frame = await run(lambda store: series_rows(store, key, codes))
        divisor = MEASURES[key][2]
        shown = frame.assign(
            series=[name(c, lang) for c in frame["ref_area"]],  # type: ignore[arg-type]
            value=frame["value"] / divisor,
            year=frame["period"].astype(str),
        )
        title = measure_title(key, _)
        t = labels()[lang]
        named = {c: name(c, lang) for c in codes}  # type: ignore[arg-type]
        colours = {named[c]: v for c, v in area_colours(codes).items()}
        spec = (
            line_chart(
                shown,
                "year",
                "value",
                "series",
                title,
                lang=lang,
                colours=colours,
                fields={"series": t["country"]},
                fmt=",.2f",
            )
            if len(shown)
            else None
        )
        latest = shown.sort_values("period").groupby("ref_area", as_index=False).last()
        rows = [
            {"code": r.ref_area, "name": r.series, "year": r.period, "value": num(r.value, lang, 2)}
            for r in latest.sort_values("value", ascending=False).itertuples()
        ]
        state = {"measure": key, "area": ",".join(codes)}
        held = set(frame["ref_area"])
        return page(
            "compare.html.j2",
            lang,
            "compare?" + urlencode(state),
            measure=key,
            measures=[(k, measure_title(k, _)) for k in MEASURES],
            codes=",".join(codes),
            spec=spec,
            rows=rows,
            missing=[name(c, lang) for c in codes if c not in held],  # type: ignore[arg-type]
            csv=csv_link(key, codes),
            title=title,
            sources=source_labels(
                frame[["publisher", "vintage"]].drop_duplicates().to_dict(orient="records"), lang
            ),
            embed="/embed/" in request.url.path,
        )

    @pages.get("/{lang}/explore")
    @pages.get("/{lang}/embed/explore")
    async def explore(
        request: Request,
        lang: str = Lang,
        measure: str = Query("remittances_received", max_length=60),
        year: int | None = Query(None, ge=1900, le=2100),
    ) -> HTMLResponse:
        _ = translations(lang).gettext
        key = _choice(measure)
        if not MEASURES[key][3]:
            key = "remittances_received"
        frame = await run(lambda store: series_rows(store, key, None))
        held = sorted({int(p) for p in frame["period"]})
        shown_year = held_year(year, held) if held else None
        now = frame[frame["period"].astype(str) == str(shown_year)]
        now = now[now["value"] > 0]  # a log-scaled map: a zero or a missing value stays grey
        divisor = MEASURES[key][2]
        values = [
            {"iso3": c, "value": float(v) / divisor, "name": name(c, lang)}  # type: ignore[arg-type]
            for c, v in zip(now["ref_area"].astype(str), now["value"], strict=True)
        ]
        title = f"{measure_title(key, _)}, {shown_year}"
        spec = choropleth(values, title, _("not reported"), lang=lang) if values else None
        best = sorted(values, key=lambda v: -v["value"])[:20]
        rows = [
            {"code": v["iso3"], "name": v["name"], "value": num(v["value"], lang, 2)} for v in best
        ]
        return page(
            "explore.html.j2",
            lang,
            "explore?" + urlencode({"measure": key, "year": shown_year or ""}),
            measure=key,
            measures=[(k, measure_title(k, _)) for k, m in MEASURES.items() if m[3]],
            year=shown_year,
            asked=year,
            years=held,
            spec=spec,
            rows=rows,
            n=len(values),
            csv=csv_link(key, None, shown_year),
            title=title,
            sources=source_labels(
                now[["publisher", "vintage"]].drop_duplicates().to_dict(orient="records"), lang
            ),
            embed="/embed/" in request.url.path,
        )
