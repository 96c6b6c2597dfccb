"""Figures and tables as files: PNG, SVG, the chart's Vega-Lite spec and a CSV of its data.

Every figure and table of the report gets a CSV beside it holding exactly the numbers shown,
with ``source``, ``vintage`` and ``unit`` columns, so a reader can take the data away with its
provenance. The interactive chart in the HTML is drawn from the same data (its spec is kept).
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from keruen.analysis.cache_keys import code_version
from keruen.presentation import charts
from keruen.presentation.vega import renderer_version, script_json
from keruen.writing import csv_text, ensure_dir, write_bytes


def _provenance(sources: list[dict[str, str]]) -> tuple[str, str]:
    pubs = "; ".join(dict.fromkeys(s.get("publisher", "") for s in sources if s.get("publisher")))
    vints = "; ".join(dict.fromkeys(s.get("vintage", "") for s in sources if s.get("vintage")))
    return pubs, vints


def data_csv(frame: pd.DataFrame, unit: str, sources: list[dict[str, str]]) -> str:
    """CSV text of ``frame`` with ``source``, ``vintage`` and ``unit`` columns appended.

    Text cells starting with ``= + - @``, tab or carriage return (and not a plain number) are
    prefixed with ``'`` so a spreadsheet does not run them as formulas (the CLI's
    :func:`~keruen.writing.neutralise_cell`); missing values stay empty (never 0).
    """
    pubs, vints = _provenance(sources)
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(_flat)
    out = out.assign(source=pubs, vintage=vints, unit=unit)
    # RFC 4180 line ends: with CR LF as the terminator the csv writer quotes any cell holding
    # a carriage return or a line feed, so such a cell can never split a row
    return csv_text(out, crlf=True)


def _flat(value: Any) -> Any:
    """A list or tuple as one comma-separated text (made inert with the rest by csv_text)."""
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return value


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


def figure_workers() -> int:
    """Threads drawing figures: min(2, CPUs); 1 draws in the calling thread."""
    return max(1, min(2, os.cpu_count() or 1))


@dataclass
class Output:
    """Writes figures and tables of one report folder and remembers their file names.

    Each figure is looked up in ``cache`` (a :class:`~keruen.analysis.cache.ReportCache`) by a
    digest of its Vega-Lite spec (data included), language, renderer and keruen's code; a new
    one is drawn by vl-convert in a pool of ``workers`` threads. Call :meth:`finish` before
    reading ``figures[...].svg``. ``files`` holds every file written (path → bytes).
    """

    out: Path
    lang: str
    figures: dict[str, Figure] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    cache: Any = None
    workers: int = field(default_factory=figure_workers)
    files: dict[str, bytes] = field(default_factory=dict)
    _pending: list[tuple[Figure, str, Any]] = field(default_factory=list, repr=False)
    _pool: ThreadPoolExecutor | None = field(default=None, repr=False)

    def write(self, relative: str, data: bytes) -> None:
        """Write ``data`` to ``out/relative`` atomically and keep it in :attr:`files`."""
        write_bytes(self.out / relative, data, root=self.out)
        self.files[relative] = data

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
        ensure_dir(self.out / "figures", root=self.out)
        self.write(f"figures/{name}.csv", data_csv(data, unit, sources).encode("utf-8"))
        spec = chart.to_dict()
        title = spec.get("title", {})
        text = title.get("text", "") if isinstance(title, dict) else str(title)
        text = " ".join(text) if isinstance(text, list) else text
        subtitle = title.get("subtitle", []) if isinstance(title, dict) else []
        subtitle = " ".join(s.strip() for s in subtitle) if isinstance(subtitle, list) else subtitle
        fig = Figure(
            key,
            name,
            "",
            script_json(spec),
            text,
            subtitle,
            {ext: f"figures/{name}.{ext}" for ext in ("png", "svg", "csv")},
        )
        self.figures[key] = fig
        self._draw(fig, spec)

    def _draw(self, fig: Figure, spec: dict[str, Any]) -> None:

        text = json.dumps(spec, sort_keys=True, ensure_ascii=False, default=str)
        head = f"figure\n{code_version()}\n{renderer_version()}\n{self.lang}\n"
        fkey = hashlib.sha256((head + text).encode("utf-8")).hexdigest()
        held = self.cache.get("figures", fkey) if self.cache is not None else None
        if isinstance(held, tuple) and len(held) == 2:
            self._place(fig, *held)
            self.cache.count(f"figure {fig.name}", True)
            return
        if self.workers > 1:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="keruen-figure")
            job = self._pool.submit(charts.render_spec, spec, self.lang)
            self._pending.append((fig, fkey, job))
        else:
            self._pending.append((fig, fkey, charts.render_spec(spec, self.lang)))

    def _place(self, fig: Figure, svg: str, png: bytes) -> None:
        self.write(f"figures/{fig.name}.svg", svg.encode("utf-8"))
        self.write(f"figures/{fig.name}.png", png)
        fig.svg = svg

    def finish(self) -> None:
        """Wait for the figures being drawn, write them, and keep them in the cache."""
        try:
            for fig, fkey, job in self._pending:
                svg, png = job.result() if isinstance(job, Future) else job
                self._place(fig, svg, png)
                if self.cache is not None:
                    self.cache.put("figures", fkey, (svg, png))
                    self.cache.count(f"figure {fig.name}", False)
        finally:
            self._pending.clear()
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None

    def discard(self) -> None:
        """Cancel the figures not drawn yet (after an error); nothing more is written."""
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def table(
        self, key: str, frame: pd.DataFrame, unit: str, sources: list[dict[str, str]]
    ) -> None:
        """Save the numbers of one HTML table as ``tables/<key>.csv``."""
        ensure_dir(self.out / "tables", root=self.out)
        self.write(f"tables/{key}.csv", data_csv(frame, unit, sources).encode("utf-8"))
        self.tables[key] = f"tables/{key}.csv"
