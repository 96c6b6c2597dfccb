"""A country's remittances received and paid, year by year, and their ratio."""

from __future__ import annotations

import pandas as pd

from keruen.analysis.paper import COUNTRY, paper_rows
from keruen.analysis.provenance import merge_sources, source_line
from keruen.analysis.releases import releases_used, with_older_release
from keruen.analysis.scope import Scope
from keruen.analysis.section import Section
from keruen.indicators.remittances import (
    donor_recipient_index,
    outflow_inflow_ratio,
    ratio_summary,
)
from keruen.store import Store


def _years(first: int, last: int) -> list[str]:
    return [str(y) for y in range(first, last + 1)]


def trend(store: Store, scope: Scope) -> Section:
    """The country's remittances received and paid, ``scope.first_year``–latest, and their ratio.

    ``ratio = paid / received``; ``dri = (paid − received) / (paid + received)`` (the
    donor–recipient index, positive for a net payer).

    Years with no value (or a zero standing for "not reported") are absent, not zero: the
    table lists every year from the first to the last held, so gaps stay visible. Where the
    newest release reports none of the years but an older one holds them (Turkmenistan), the
    older release is read and named (``values["older_release"]``); ``values["releases"]``
    names, per flow, the releases and years used.
    """
    country = scope.country
    years = _years(scope.first_year, 2100)
    inflow, older_in = with_older_release(store, "remittances_received", country, years)
    outflow, older_out = with_older_release(store, "remittances_paid", country, years)
    frame = (
        inflow[["period", "value"]]
        .rename(columns={"value": "inflow"})
        .merge(
            outflow[["period", "value"]].rename(columns={"value": "outflow"}),
            on="period",
            how="outer",
        )
        .assign(year=lambda f: f["period"].astype(int))
        .sort_values("year")
        .reset_index(drop=True)
    )
    if len(frame):  # every year between the first and the last held: gaps stay visible
        full = pd.DataFrame({"year": range(int(frame["year"].min()), int(frame["year"].max()) + 1)})
        frame = full.merge(frame, on="year", how="left").assign(
            period=lambda f: f["year"].astype(str)
        )
    else:
        frame = pd.DataFrame(columns=["year", "period", "inflow", "outflow"], dtype=float)
    frame["ratio"] = outflow_inflow_ratio(frame["outflow"], frame["inflow"])
    frame["dri"] = donor_recipient_index(frame["outflow"], frame["inflow"])
    summary = ratio_summary(frame.set_index("year")["outflow"], frame.set_index("year")["inflow"])
    paid_paper = paper_rows(store, "remittances_paid")
    values = {
        "country": country,
        "summary": summary,
        "last_inflow_year": _last_year(frame, "inflow"),
        "last_outflow_year": _last_year(frame, "outflow"),
        "paper_outflow": paid_paper.iloc[0].to_dict()
        if len(paid_paper) and country == COUNTRY
        else None,
        "missing_inflow_years": _gaps(frame, "inflow"),
        "missing_outflow_years": _gaps(frame, "outflow"),
        "releases": {"inflow": releases_used(inflow), "outflow": releases_used(outflow)},
        "older_release": {
            k: v for k, v in (("inflow", older_in), ("outflow", older_out)) if v is not None
        },
    }
    return Section(
        "trend", {"series": frame}, values, merge_sources(source_line(inflow), source_line(outflow))
    )


def _last_year(frame: pd.DataFrame, column: str) -> int | None:
    held = frame.dropna(subset=[column])
    return int(held["year"].max()) if len(held) else None


def _gaps(frame: pd.DataFrame, column: str) -> list[int]:
    """Years inside the table's span with no value of ``column``."""
    return [int(y) for y in frame.loc[frame[column].isna(), "year"]]
