"""Figures and tables as files: PNG, SVG, the chart's Vega-Lite spec and a CSV of its data.

Every figure and table of the report gets a CSV beside it holding exactly the numbers shown,
with ``source``, ``vintage`` and ``unit`` columns, so a reader can take the data away with its
provenance. The interactive chart in the HTML is drawn from the same data (its spec is kept).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from keruen.cli.output import neutralise_cell
from keruen.figures import charts
from keruen.report.files import ensure_dir, write_text


def _provenance(sources: list[dict[str, str]]) -> tuple[str, str]:
    pubs = "; ".join(dict.fromkeys(s.get("publisher", "") for s in sources if s.get("publisher")))
    vints = "; ".join(dict.fromkeys(s.get("vintage", "") for s in sources if s.get("vintage")))
    return pubs, vints


def data_csv(frame: pd.DataFrame, unit: str, sources: list[dict[str, str]]) -> str:
    """CSV text of ``frame`` with ``source``, ``vintage`` and ``unit`` columns appended.

    Text cells starting with ``= + - @``, tab or carriage return (and not a plain number) are
    prefixed with ``'`` so a spreadsheet does not run them as formulas (the CLI's
    :func:`~keruen.cli.output.neutralise_cell`); missing values stay empty (never 0).
    """
    pubs, vints = _provenance(sources)
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(_defuse)
    out = out.assign(source=_defuse(pubs), vintage=_defuse(vints), unit=unit)
    # RFC 4180 line ends: with "\r\n" as the terminator the csv writer quotes any cell holding
    # a carriage return or a line feed, so such a cell can never split a row
    return out.to_csv(index=False, lineterminator="\r\n")


def _defuse(value: Any) -> Any:
    """A cell made inert in a spreadsheet; a list becomes one comma-separated (inert) text."""
    if isinstance(value, list | tuple):
        value = ", ".join(map(str, value))
    return neutralise_cell(value)


@dataclass
class Figure:
    """One figure: inline SVG, spec for the interactive view, title, source and file names."""

    key: str
    name: str
    svg: str
    spec: str
    title: str
    source: str
    files: dict[str, str] = field(default_factory=dict)


@dataclass
class Output:
    """Writes figures and tables of one report folder and remembers their file names."""

    out: Path
    lang: str
    figures: dict[str, Figure] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)

    def figure(
        self,
        key: str,
        name: str,
        chart: alt.TopLevelMixin,
        data: pd.DataFrame,
        unit: str,
        sources: list[dict[str, str]],
    ) -> None:
        """Save ``chart`` as PNG and SVG and ``data`` (what it draws) as CSV."""
        fig_dir = ensure_dir(self.out / "figures")
        svg = charts.save(chart, fig_dir, name, self.lang)
        write_text(fig_dir / f"{name}.csv", data_csv(data, unit, sources))
        spec = chart.to_dict()
        title = spec.get("title", {})
        text = title.get("text", "") if isinstance(title, dict) else str(title)
        text = " ".join(text) if isinstance(text, list) else text
        subtitle = title.get("subtitle", []) if isinstance(title, dict) else []
        subtitle = " ".join(s.strip() for s in subtitle) if isinstance(subtitle, list) else subtitle
        self.figures[key] = Figure(
            key,
            name,
            svg,
            script_json(spec),
            text,
            subtitle,
            {ext: f"figures/{name}.{ext}" for ext in ("png", "svg", "csv")},
        )

    def table(
        self, key: str, frame: pd.DataFrame, unit: str, sources: list[dict[str, str]]
    ) -> None:
        """Save the numbers of one HTML table as ``tables/<key>.csv``."""
        ensure_dir(self.out / "tables")
        write_text(self.out / "tables" / f"{key}.csv", data_csv(frame, unit, sources))
        self.tables[key] = f"tables/{key}.csv"


def script_json(value: Any) -> str:
    """JSON safe inside a ``<script type="application/json">`` element (no ``</script>``)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
