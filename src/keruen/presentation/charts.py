"""Chart builders. Each takes a tidy frame and already-translated labels, returns an Altair chart.

Every chart carries its source line as a subtitle-like footer, so a PNG or SVG that leaves the
report still says where its numbers come from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import altair as alt
import pandas as pd

from keruen.i18n import LANGUAGES
from keruen.presentation.formats import d3_locale, d3_number_locale
from keruen.presentation.palette import SERIES
from keruen.writing import write_bytes, write_text

WIDTH = 560
#: Vega-Lite's treatment of missing values: break the line, keep the year on the axis.
GAPS: Literal["break-paths-show-domains"] = "break-paths-show-domains"
PALETTE = SERIES  # one palette, keyed by series (keruen.presentation.palette)


def _tips(labels: dict[str, str], *fields: tuple[str, ...]) -> list[alt.Tooltip]:
    """Tooltip lines titled with the chart's translated ``labels`` (never a raw field name).

    Each field is ``(column, label key)`` or ``(column, label key, d3 format)``; a quantity
    without a format is a number, the rest are shown as text. A missing label leaves no title.
    """
    tips = []
    for column, key, *fmt in fields:
        title = labels.get(key) or labels.get({"year": "x", "x": "year"}.get(key, key), "")
        if fmt:
            tips.append(alt.Tooltip(f"{column}:Q", title=title, format=fmt[0]))
        else:
            tips.append(alt.Tooltip(f"{column}:N", title=title))
    return tips


def _titled(chart: alt.TopLevelMixin, title: str, source: str) -> alt.TopLevelMixin:
    lines = [part if i == 0 else "  " + part for i, part in enumerate(source.split("; "))]
    return chart.properties(
        title=alt.TitleParams(
            text=title.split("\n") if "\n" in title else title,
            subtitle=lines,
            subtitleFontSize=10,
            subtitleColor="#555",
            anchor="start",
        ),
        width=WIDTH,
    )


def trend_chart(
    series: pd.DataFrame,
    labels: dict[str, str],
    source: str,
    paper_point: pd.DataFrame | None = None,
) -> alt.TopLevelMixin:
    """Lines of inflow and outflow (US$ million) by year; optional flagged paper points.

    ``series`` has ``year, flow, value_musd`` with ``flow`` holding translated flow names; a year
    with no value breaks its line (the year stays on the axis) instead of being drawn as zero.
    """
    base = (
        alt.Chart(series)
        .mark_line(point=True, invalid=GAPS)
        .encode(
            x=alt.X("year:O", title=labels["year"]),
            y=alt.Y("value_musd:Q", title=labels["musd"]),
            color=alt.Color(
                "flow:N",
                title=None,
                sort=list(dict.fromkeys(series["flow"])),
                scale=alt.Scale(
                    domain=list(dict.fromkeys(series["flow"])),
                    range=[PALETTE["inflow"], PALETTE["outflow"]],
                ),
                legend=alt.Legend(orient="bottom", labelLimit=0),
            ),
            tooltip=_tips(
                labels, ("year", "year"), ("flow", "series"), ("value_musd", "musd", ",.1f")
            ),
        )
    )
    # clicking a legend entry highlights that series (interactive HTML only)
    pick = alt.selection_point(name="pick_flow", fields=["flow"], bind="legend")
    base = base.add_params(pick).encode(opacity=alt.condition(pick, alt.value(1.0), alt.value(0.2)))
    layers = [base]
    if paper_point is not None and not paper_point.empty:
        layers.append(
            alt.Chart(paper_point)
            .mark_point(shape="diamond", size=120, filled=True, color=PALETTE["paper"])
            .encode(
                x="year:O",
                y="value_musd:Q",
                tooltip=_tips(labels, ("label", "series"), ("value_musd", "musd", ",.1f")),
            )
        )
        layers.append(
            alt.Chart(paper_point)
            .mark_text(dx=8, dy=-8, align="left", fontSize=10, color=PALETTE["paper"])
            .encode(x="year:O", y="value_musd:Q", text="label:N")
        )
    return _titled(alt.layer(*layers), labels["title"], source)


def ratio_chart(
    series: pd.DataFrame, mean: float, labels: dict[str, str], source: str
) -> alt.TopLevelMixin:
    """Bars of the outflow/inflow ratio by year with a rule at the mean."""
    bars = (
        alt.Chart(series)
        .mark_bar(color=PALETTE["outflow"])
        .encode(
            x=alt.X("year:O", title=labels["year"]),
            y=alt.Y("ratio:Q", title=labels["ratio"]),
            tooltip=_tips(labels, ("year", "year"), ("ratio", "ratio", ".2f")),
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"mean": [mean], "label": [labels["mean"]]}))
        .mark_rule(strokeDash=[4, 3], color="#333")
        .encode(y="mean:Q")
    )
    text = (
        alt.Chart(pd.DataFrame({"mean": [mean], "label": [labels["mean"]]}))
        .mark_text(align="left", dx=4, dy=-6, fontSize=10)
        .encode(y="mean:Q", text="label:N", x=alt.value(0))
    )
    return _titled(bars + rule + text, labels["title"], source)


def ranked_bars(
    frame: pd.DataFrame,
    value: str,
    labels: dict[str, str],
    source: str,
    highlight: str = "KAZ",
    fmt: str = ",.1f",
) -> alt.TopLevelMixin:
    """Horizontal bars sorted by ``value`` with one area (``code`` column) highlighted.

    ``frame`` has ``code``, ``name`` (translated) and ``value`` columns.
    """
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort="-x", title=None),
            x=alt.X(f"{value}:Q", title=labels["value"]),
            color=alt.condition(
                alt.datum.code == highlight,
                alt.value(PALETTE["outflow"]),
                alt.value(PALETTE["inflow"]),
            ),
            tooltip=_tips(labels, ("name", "name"), (value, "value", fmt)),
        )
    )
    text = chart.mark_text(align="left", dx=3, fontSize=10, color="#333").encode(
        text=alt.Text(f"{value}:Q", format=fmt), color=alt.value("#333")
    )
    return _titled(chart + text, labels["title"], source)


def grouped_bars(
    frame: pd.DataFrame, labels: dict[str, str], source: str, fmt: str = ",.1f"
) -> alt.TopLevelMixin:
    """Horizontal bars of ``value`` per ``name``, one bar per ``series`` (e.g. two measures)."""
    chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort=alt.SortField("order"), title=None),
            yOffset="series:N",
            x=alt.X("value:Q", title=labels["value"]),
            color=alt.Color(
                "series:N",
                title=None,
                # domain in order of appearance, so each series keeps its colour in every language
                scale=alt.Scale(
                    domain=list(dict.fromkeys(frame["series"])),
                    range=[PALETTE["inflow"], PALETTE["other"], PALETTE["outflow"]],
                ),
                legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=0),
            ),
            tooltip=_tips(labels, ("name", "name"), ("series", "series"), ("value", "value", fmt)),
        )
    )
    return _titled(chart, labels["title"], source)


def line_chart(
    frame: pd.DataFrame,
    x: str,
    y: str,
    labels: dict[str, str],
    source: str,
    zero_rule: bool = False,
) -> alt.TopLevelMixin:
    """A single line with points (e.g. the donor–recipient index by year)."""
    line = (
        alt.Chart(frame)
        .mark_line(point=True, color=PALETTE["outflow"], invalid=GAPS)
        .encode(
            x=alt.X(f"{x}:O", title=labels["x"]),
            y=alt.Y(f"{y}:Q", title=labels["y"]),
            tooltip=_tips(labels, (x, "x"), (y, "y", ".3f")),
        )
    )
    if zero_rule:
        line = line + alt.Chart(pd.DataFrame({"z": [0.0]})).mark_rule(color="#888").encode(y="z:Q")
    return _titled(line, labels["title"], source)


def range_bars(
    frame: pd.DataFrame, labels: dict[str, str], source: str, fmt: str = ",.0f"
) -> alt.TopLevelMixin:
    """Bars of ``value`` per ``x`` and ``series``, with a rule from ``low`` to ``high`` if given.

    Optional ``alt`` column: a second estimate drawn as a point on the same bar.
    """
    colors = alt.Scale(
        domain=list(dict.fromkeys(frame["series"])),
        range=[PALETTE["inflow"], PALETTE["outflow"], PALETTE["other"]],
    )
    base = alt.Chart(frame).encode(
        x=alt.X("x:N", title=labels["x"]),
        xOffset="series:N",
        color=alt.Color(
            "series:N", title=None, scale=colors, legend=alt.Legend(orient="bottom", labelLimit=0)
        ),
    )
    bars = base.mark_bar().encode(
        y=alt.Y("value:Q", title=labels["y"]),
        tooltip=_tips(labels, ("x", "x"), ("series", "series"), ("value", "y", fmt)),
    )
    layers = [bars]
    if "low" in frame and "high" in frame:
        layers.append(base.mark_rule(color="#222", strokeWidth=1.5).encode(y="low:Q", y2="high:Q"))
    if "alt" in frame:
        layers.append(
            base.mark_point(shape="diamond", filled=True, size=45, color="#222").encode(
                y="alt:Q", color=alt.value("#222")
            )
        )
    return _titled(alt.layer(*layers), labels["title"], source)


def band_chart(
    frame: pd.DataFrame,
    labels: dict[str, str],
    source: str,
    rules: pd.DataFrame | None = None,
    fmt: str = ",.1f",
    palette: list[str] | None = None,
    zero_rule: bool = False,
) -> alt.TopLevelMixin:
    """Lines of ``value`` by ``year`` per ``series``; shaded ``lower``–``upper`` where given.

    ``rules`` (columns ``value, label``) draws labelled horizontal reference lines; ``palette``
    gives one colour per series in order of appearance.
    """
    order = list(dict.fromkeys(frame["series"]))
    default = [PALETTE["inflow"], PALETTE["outflow"], PALETTE["paper"], "#31a354", "#636363"]
    colors = alt.Scale(domain=order, range=(palette or default)[: len(order)])
    x = alt.X("year:Q", title=labels["x"], axis=alt.Axis(format="d"))
    band = (
        alt.Chart(frame.dropna(subset=["lower", "upper"]))
        .mark_area(opacity=0.25)
        .encode(x=x, y="lower:Q", y2="upper:Q", color=alt.Color("series:N", scale=colors))
    )
    lines = (
        alt.Chart(frame)
        .mark_line(point=True, invalid=GAPS)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=labels["y"]),
            color=alt.Color(
                "series:N",
                title=None,
                scale=colors,
                sort=order,
                legend=alt.Legend(orient="bottom", columns=2, labelLimit=0),
            ),
            tooltip=_tips(labels, ("year", "x"), ("series", "series"), ("value", "y", fmt)),
        )
    )
    pick = alt.selection_point(name="pick_series", fields=["series"], bind="legend")
    lines = lines.add_params(pick).encode(
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.2))
    )
    layers = [band, lines]
    if zero_rule:
        layers.append(alt.Chart(pd.DataFrame({"z": [0.0]})).mark_rule(color="#888").encode(y="z:Q"))
    if rules is not None and not rules.empty:
        layers.append(
            alt.Chart(rules).mark_rule(strokeDash=[4, 3], color="#333").encode(y="value:Q")
        )
        layers.append(
            alt.Chart(rules)
            .mark_text(align="left", dx=4, dy=-6, fontSize=10)
            .encode(y="value:Q", text="label:N", x=alt.value(0))
        )
    return _titled(alt.layer(*layers), labels["title"], source)


def gap_bars(
    frame: pd.DataFrame, x: str, y: str, labels: dict[str, str], source: str, fmt: str = ",.0f"
) -> alt.TopLevelMixin:
    """Vertical bars of ``y`` by ``x`` over every ``x`` of the span, gaps labelled.

    An ``x`` with no value gets no bar and a 'not reported' label, so a gap is visible.
    """
    base = alt.Chart(frame).encode(x=alt.X(f"{x}:O", title=labels["x"]))
    bars = base.mark_bar(color=PALETTE["inflow"]).encode(
        y=alt.Y(f"{y}:Q", title=labels["y"]),
        tooltip=_tips(labels, (x, "x"), (y, "y", fmt)),
    )
    missing = frame[frame[y].isna()].assign(label=labels["missing"])
    layers = [bars]
    if not missing.empty:
        layers.append(
            alt.Chart(missing)
            .mark_text(angle=270, align="right", baseline="middle", fontSize=10, color="#777")
            .encode(x=alt.X(f"{x}:O"), text="label:N", y=alt.value(4))
        )
    return _titled(alt.layer(*layers), labels["title"], source)


#: d3-format number conventions per language, from CLDR (Russian and Kazakh: 1 234,5).
NUMBER_LOCALES: dict[str, dict[str, object]] = {lang: d3_number_locale(lang) for lang in LANGUAGES}


def save(chart: alt.TopLevelMixin, out_dir: Path, name: str, lang: str = "en") -> str:
    """Write ``name.png`` and ``name.svg`` into ``out_dir``; returns the SVG text for inlining.

    Axis numbers follow ``lang``'s conventions (see ``NUMBER_LOCALES``).
    """
    svg, png = render_spec(chart.to_dict(), lang)
    write_text(out_dir / f"{name}.svg", svg)
    write_bytes(out_dir / f"{name}.png", png)
    return svg


def render_spec(spec: dict[str, Any], lang: str = "en") -> tuple[str, bytes]:
    """(SVG text, PNG bytes at scale 2) of a Vega-Lite ``spec``, axis numbers in ``lang``'s style.

    Safe to call from several threads at once (the report draws figures in a small pool).
    """
    import vl_convert as vlc

    locale = d3_locale(lang if lang in LANGUAGES else "en")
    number, time = locale["number"], locale["time"]
    svg = vlc.vegalite_to_svg(spec, format_locale=number, time_format_locale=time)
    png = vlc.vegalite_to_png(spec, scale=2, format_locale=number, time_format_locale=time)
    return svg, png
