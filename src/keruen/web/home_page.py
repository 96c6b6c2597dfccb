"""The dashboard's start page: a country search that works without JavaScript, and the icon.

The start page lists only the countries the store holds data for (never Antarctica or another
area with no observation). Its search box is a plain GET form to ``/{lang}/search?q=…``: a
query naming one country — by its ISO alpha-3 or alpha-2 code, or by its name in the page's
language or in English, ignoring case — redirects to that country's profile; several matches
are listed; none says so.
"""

from __future__ import annotations

import struct
from urllib.parse import urlencode
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd
import pycountry
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from keruen import api
from keruen.web.views import Lang, page

#: Most matches a search lists.
MAX_MATCHES = 20


def held_countries(store: Any, lang: str) -> pd.DataFrame:
    """Countries with at least one observation in the store: ``code, name`` sorted by name."""
    held = {
        str(r[0])
        for r in store.con.execute("SELECT DISTINCT ref_area FROM observations").fetchall()
    }
    countries = api.areas("country", lang)  # type: ignore[arg-type]
    countries = countries[countries["code"].isin(held)]
    return countries.sort_values("name")[["code", "name"]].reset_index(drop=True)


def find_countries(text: str, countries: pd.DataFrame, english: pd.DataFrame) -> list[str]:
    """Codes of the ``countries`` (code, name) that ``text`` names, best first.

    A code (alpha-3, or alpha-2) or a whole name (in the page's language or in English) names
    one country; otherwise every country whose name holds ``text`` matches, those whose name
    starts with it first.
    """
    wanted = " ".join(text.split()).casefold()
    if not wanted:
        return []
    codes = list(countries["code"])
    upper = wanted.upper()
    if upper in codes:
        return [upper]
    two = pycountry.countries.get(alpha_2=upper) if len(upper) == 2 else None
    if two is not None and two.alpha_3 in codes:
        return [str(two.alpha_3)]
    names = dict(zip(countries["code"], countries["name"], strict=True))
    names_en = dict(zip(english["code"], english["name"], strict=True))
    labels = {c: {names[c].casefold(), names_en.get(c, names[c]).casefold()} for c in codes}
    exact = [c for c in codes if wanted in labels[c]]
    if exact:
        return exact
    starts = [c for c in codes if any(label.startswith(wanted) for label in labels[c])]
    holds = [c for c in codes if c not in starts and any(wanted in lab for lab in labels[c])]
    return (starts + holds)[:MAX_MATCHES]


@cache
def favicon_svg() -> bytes:
    """The dashboard's icon (SVG)."""
    return resources.files("keruen.web").joinpath("static/favicon.svg").read_bytes()


@cache
def favicon_ico() -> bytes:
    """The icon as ``favicon.ico``: one 32×32 PNG image in an ICO container (PNG since Vista)."""
    import vl_convert  # used by this function only (its Rust core takes a moment to load)

    png = bytes(vl_convert.svg_to_png(favicon_svg().decode("utf-8"), scale=1))
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", 32, 32, 0, 0, 1, 32, len(png), 6 + 16)
    return header + entry + png


def add_routes(pages: APIRouter, run: Any) -> None:
    """The start page, the search and the icon."""

    @pages.get("/favicon.ico")
    async def favicon() -> Response:
        return Response(
            favicon_ico(),
            media_type="image/x-icon",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @pages.get("/favicon.svg")
    async def favicon_vector() -> Response:
        return Response(
            favicon_svg(),
            media_type="image/svg+xml",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @pages.get("/{lang}/")
    async def home(lang: str = Lang) -> HTMLResponse:
        countries = await run(lambda store: held_countries(store, lang))
        return page("home.html.j2", lang, "", countries=countries.to_dict(orient="records"))

    @pages.get("/{lang}/search")
    async def search(
        lang: str = Lang,
        q: str = Query("", max_length=100, description="A country's name or code."),
    ) -> Response:
        def work(store: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
            held = held_countries(store, lang)
            english = held if lang == "en" else held_countries(store, "en")
            return held, english

        countries, english = await run(work)
        found = find_countries(q, countries, english)
        if len(found) == 1:
            return RedirectResponse(f"/{lang}/country/{found[0]}", status_code=303)
        names = dict(zip(countries["code"], countries["name"], strict=True))
        return page(
            "search.html.j2",
            lang,
            "search?" + urlencode({"q": q}),
            q=q,
            matches=[{"code": c, "name": names[c]} for c in found],
            countries=countries.to_dict(orient="records"),
        )
