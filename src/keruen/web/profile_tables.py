"""The country profile's tables and charts as data, and their CSV files.

Each table of the profile (and the data of each chart) is defined once here, as the rows it
shows: the page formats them, ``/{lang}/country/{code}/{table}.csv`` writes them unrounded,
with ``source``, ``vintage`` and ``unit`` columns (the report's CSV convention). A table of a
report section waits for the country's build like the page does; one whose section is not held
for the country is a 404.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter, Path
from fastapi.responses import Response

from keruen import api
from keruen.analysis.section import Section, is_held
from keruen.areas import area
from keruen.presentation.locale import Locale
from keruen.presentation.palette import series_colours
from keruen.web.problems import ApiProblem
from keruen.web.builds import RETRY_AFTER, Profiles, store_digest, wait_for_build
from keruen.web.profile import SECTION_TABLES, section_rows
from keruen.web.views import Lang, line_chart
from keruen.writing import csv_text

#: The measures of the migration-balance chart (UN WPP), in the chart's order.
BALANCE_MEASURES = ("net_migration", "births", "deaths")
#: The first year the migration-balance chart shows.
BALANCE_FROM = 1990


def migration_balance(store: Any, code: str) -> pd.DataFrame:
    """The migration-balance chart's rows: UN WPP net migration, births and deaths from 1990.

    Columns: measure, period, value, unit, publisher, vintage (one row per measure and year).
    """
    parts = [
        api.series(m, code, None, dataset="UN_WPP", store=store) for m in BALANCE_MEASURES
    ]
    held = [p for p in parts if not p.empty]
    if not held:
        return pd.DataFrame(columns=["measure", "period", "value", "unit", "publisher", "vintage"])
    frame = pd.concat(held, ignore_index=True)
    frame = frame[frame["period"].astype(int) >= BALANCE_FROM]
    return frame[["measure", "period", "value", "unit", "publisher", "vintage"]].reset_index(
        drop=True
    )


def migrant_share_chart(sections: dict[str, Section] | None, lang: str) -> Any | None:
    """The profile's line chart of the ``migrant_share`` section (None when it is not held).

    Two lines in percent: the international migrants as a share of the population and, where
    UN DESA gives the stock by sex, the women's share of the migrants.
    """
    section = (sections or {}).get("migrant_share")
    if not is_held(section):
        return None
    assert section is not None
    _ = Locale(lang)._
    names = {
        "share": _("International migrants, % of the population"),
        "female_pct": _("Women, % of the international migrants"),
    }
    frame = section.tables["shares"].melt(
        id_vars=["year"], value_vars=list(names), var_name="series"
    )
    frame = frame.dropna(subset=["value"]).assign(series=lambda f: f["series"].map(names))
    colours = series_colours(
        {names["share"]: "migrant_share", names["female_pct"]: "female_pct"}
    )
    title = _("International migrant stock as a share of the population")
    return line_chart(frame, "year", "value", "series", title, lang=lang, colours=colours)


#: Every CSV of the profile (the remittance table and the bilateral tops link the API's).
TABLES = (*SECTION_TABLES, "balance")


def table_csv(frame: pd.DataFrame, unit: str, sources: list[dict[str, str]]) -> str:
    """``frame`` as CSV with ``source``, ``vintage`` and ``unit`` columns (cells made inert)."""
    publishers = "; ".join(dict.fromkeys(s.get("publisher", "") for s in sources if s))
    vintages = "; ".join(dict.fromkeys(s.get("vintage", "") for s in sources if s))
    out = frame.copy()
    if "source" not in out:
        out = out.assign(source=publishers)
    if "vintage" not in out:
        out = out.assign(vintage=vintages)
    if "unit" not in out:
        out = out.assign(unit=unit)
    return csv_text(out, crlf=True)


def add_routes(pages: APIRouter, run: Any, profiles: Profiles, wait: float) -> None:
    """``GET /{lang}/country/{code}/{table}.csv`` for every table of :data:`TABLES`."""

    @pages.get("/{lang}/country/{code}/{table}.csv")
    async def profile_csv(
        lang: str = Lang,
        code: str = Path(pattern="^[A-Za-z]{3}$"),
        table: str = Path(pattern="^(" + "|".join(TABLES) + ")$"),
    ) -> Response:
        code = area(code.upper()).code
        if table == "balance":
            frame = await run(lambda store: migration_balance(store, code))
            frame = frame.rename(columns={"publisher": "source"})
            text = table_csv(frame, "", [])
        else:
            digest = await run(store_digest)
            sections, failure = await wait_for_build(profiles.get(digest, code), wait)
            if sections is None:
                raise ApiProblem(
                    503,
                    "being_computed",
                    failure or f"{code}'s sections are being computed",
                    headers={} if failure else {"Retry-After": str(RETRY_AFTER)},
                )
            rows = section_rows(sections, table)
            if rows is None:
                raise ApiProblem(404, "not_found", f"{table!r} is not held for {code}")
            key, unit, _rows = SECTION_TABLES[table]
            text = table_csv(rows, unit, sections[key].sources)
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{code}_{table}.csv"'},
        )
