"""The dashboard's migration-systems page: which system each country forms, period by period.

Its rows are :func:`keruen.api.systems` (the report's model, inputs and seed), the same table
``/api/v1/systems`` serves; the page only groups and formats them. A world map colours the
countries of the chosen period by system (the same colour for a system's centre in every
period), a line chart follows each system's size over time, and the tables (usable without
JavaScript) list the period's systems and every country's system per period.
"""

from __future__ import annotations

from typing import Any, Literal

import altair as alt
import pandas as pd
from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from keruen.areas import name
from keruen.errors import KeruenError
from keruen.presentation.palette import SYSTEMS, system_colours
from keruen.web.builds import Profiles, store_digest, systems_table, wait_for_build
from keruen.presentation.locale import Locale
from keruen.presentation.methods import method_text
from keruen.web.views import Lang, labels, line_chart, map_spec, num, page, source_labels


def nearest_period(held: list[str], wanted: int | None) -> str:
    """The held period closest to ``wanted`` (the latest if None; ties: the earlier)."""
    if wanted is None:
        return held[-1]
    return min(held, key=lambda p: (abs(int(p) - wanted), int(p)))


def period_systems(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per system of one period: centre, size, members, immigrants and emigrants held.

    ``in_strength`` summed over members counts the system's immigrants (from anywhere),
    ``out_strength`` its emigrants (to anywhere); hubs are members with role ``hub``.
    """
    rows = []
    for system, part in frame.groupby("system", sort=False):
        rows.append(
            {
                "system": system,
                "size": int(part["system_size"].iloc[0]),
                "members": sorted(part["country"]),
                "in_strength": float(part["in_strength"].sum()),
                "out_strength": float(part["out_strength"].sum()),
                "hubs": sorted(part.loc[part["role"] == "hub", "country"]),
            }
        )
    out = pd.DataFrame(rows, columns=["system", "size", "members", "in_strength", "out_strength"])
    if rows:
        out["hubs"] = [r["hubs"] for r in rows]
    return out.sort_values(["size", "system"], ascending=[False, True], ignore_index=True)


#: Colours of systems (one palette: :mod:`keruen.presentation.palette`).
PALETTE = SYSTEMS


def system_map_spec(
    values: list[dict[str, Any]],
    colours: dict[str, str],
    title: str,
    missing: str,
    lang: str = "en",
) -> Any:
    """World map of the period's countries coloured by system; the legend lists its systems.

    ``colours`` maps each shown system label to its colour (stable across periods).
    """
    color = alt.Color(
        "system_label:N",
        title=None,
        scale=alt.Scale(domain=list(colours), range=list(colours.values())),
        legend=alt.Legend(orient="bottom", columns=2, labelLimit=0, symbolLimit=0),
    )
    return map_spec(
        "/geo/world.geojson",
        "properties.iso3",
        values,
        "system_label",
        color,
        "datum.system_label",
        title,
        missing,
        "equalEarth",
        380,
        lang=lang,
        titles=(labels()[lang]["country"], labels()[lang]["system_centre"]),
    )


def add_routes(pages: APIRouter, run: Any, profiles: Profiles, wait: float) -> None:
    """Register ``/{lang}/systems`` on the dashboard's router.

    The systems of every period take seconds to detect: they are computed by a worker process
    of ``profiles`` (once per store version), never in the request; a request waits
    ``wait`` seconds, then answers a page saying they are being computed.
    """

    @pages.get("/{lang}/systems")
    async def systems(
        lang: str = Lang,
        period: int | None = Query(None, ge=1900, le=2100),
        network: Literal["world", "post_soviet"] = "world",
    ) -> HTMLResponse:
        t = labels()[lang]
        digest = await run(store_digest)
        future = profiles.job(digest, f"systems:{network}", systems_table, network)
        table, failure = await wait_for_build(future, wait)
        if table is None:
            if failure is not None and isinstance(future.exception(), KeruenError):
                raise future.exception()  # answered like any error of the data (e.g. 404)
            tail = f"systems?network={network}" + (f"&period={period}" if period else "")
            return page("pending.html.j2", lang, tail, title=t["systems"], failure=failure)
        held = sorted(table["period"].unique())

        def label(code: str) -> str:
            return name(code, lang)  # type: ignore[arg-type]

        chosen = nearest_period(held, period)
        now = table[table["period"] == chosen]
        palette = system_colours(list(table["system"]))
        colours = {label(c): palette[c] for c in sorted(now["system"].unique(), key=label)}
        values = [
            {"code": r.country, "name": label(r.country), "system_label": label(r.system)}
            for r in now.itertuples()
        ]
        title = t["map_systems"].format(period=chosen)
        spec = (
            system_map_spec(values, colours, title, t["not_reported"], lang) if values else None
        )
        sizes = (
            table.groupby(["period", "system"], as_index=False)["system_size"]
            .first()
            .assign(centre=lambda f: f["system"].map(label))
        )
        chart = line_chart(
            sizes,
            "period",
            "system_size",
            "centre",
            t["system_sizes"],
            lang=lang,
            colours={label(c): palette[c] for c in sorted(sizes["system"].unique(), key=label)},
            fields={
                "period": t["period"],
                "centre": t["system_centre"],
                "system_size": t["system_size"],
            },
            fmt=",d",  # a count of countries
        )
        summary = period_systems(now)
        rows = [
            {
                "centre": r.system,
                "centre_name": label(r.system),
                "size": r.size,
                "members": ", ".join(label(c) for c in r.members),
                "hubs": ", ".join(label(c) for c in r.hubs),
                "in_strength": num(r.in_strength, lang, 0),
                "out_strength": num(r.out_strength, lang, 0),
            }
            for r in summary.itertuples()
        ]
        wide = table.pivot(index="country", columns="period", values="system")
        over_time = [
            {
                "code": code,
                "name": label(code),
                "cells": [label(s) if isinstance(s, str) else "" for s in r],
            }
            for code, r in zip(wide.index, wide[held].itertuples(index=False), strict=True)
        ]
        over_time.sort(key=lambda r: r["name"])
        first = table.iloc[0]
        return page(
            "systems.html.j2",
            lang,
            f"systems?period={chosen}&network={network}",
            network=network,
            period=chosen,
            requested=period,
            held=held,
            spec=spec,
            chart=chart,
            rows=rows,
            over_time=over_time,
            modularity=num(float(now["modularity"].iloc[0]), lang, 3),
            method=method_text(str(first["method"]), Locale(lang)),
            seed=int(first["seed"]),
            source=source_labels(
                [{k: str(first[k]) for k in ("publisher", "vintage", "licence", "dataset")}], lang
            )[0],
        )
