"""One palette, keyed by what is drawn (a series id, a migration system's centre), never by the
language or the page: "received" is the same blue and a system the same colour on every chart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

#: Colour of each series id; the report and the dashboard both draw with these.
SERIES: dict[str, str] = {
    "inflow": "#2b8cbe",  # remittances received
    "outflow": "#e6550d",  # remittances paid
    "net_migration": "#756bb1",
    "births": "#31a354",
    "deaths": "#636363",
    "paper": "#756bb1",
    "other": "#9e9ac8",
}
#: Other names of a series id (the dashboard's words for the same series).
ALIASES = {"received": "inflow", "paid": "outflow"}

#: Colours of migration systems: d3's category20 without its greys (grey is "not reported").
SYSTEMS = (
    "#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896",
    "#9467bd", "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#bcbd22", "#dbdb8d",
    "#17becf", "#9edae5",
)  # fmt: skip


def series_colour(series_id: str) -> str:
    """The colour of series ``series_id`` (e.g. ``inflow`` or its alias ``received``)."""
    return SERIES[ALIASES.get(series_id, series_id)]


def series_colours(shown: Mapping[str, str]) -> dict[str, str]:
    """Colour per shown (translated) label, from ``shown``: label → series id."""
    return {label: series_colour(series_id) for label, series_id in shown.items()}


def system_colours(centres: Iterable[str]) -> dict[str, str]:
    """A colour per system centre (ISO3), assigned in code order: the same on map and chart."""
    return {c: SYSTEMS[i % len(SYSTEMS)] for i, c in enumerate(sorted(set(centres)))}


def area_colours(codes: Iterable[str]) -> dict[str, str]:
    """A colour per area code (ISO3) of a comparison, assigned in code order: a country keeps
    its colour in every language and whatever order the codes were asked in."""
    return system_colours(codes)
