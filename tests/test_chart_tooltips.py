"""The report's charts title every tooltip line in the report's language (issue 19.1).

Vega-Lite shows a tooltip line without a title under its raw field name ("value_musd"), so
each builder is given Russian labels and every tooltip line of its spec must carry one of them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from keruen.presentation import charts

LABELS = {
    "title": "Заголовок",
    "year": "Год",
    "x": "Год",
    "y": "млн долл. США",
    "musd": "млн долл. США",
    "ratio": "отношение",
    "value": "значение",
    "mean": "среднее",
    "series": "Ряд",
    "name": "Страна",
    "missing": "нет данных",
}


def _tooltips(node: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "tooltip" and isinstance(value, list):
                out.extend(v for v in value if isinstance(v, dict))
            elif key == "tooltip" and isinstance(value, dict) and "field" in value:
                out.append(value)
            else:
                out.extend(_tooltips(value))
    elif isinstance(node, list):
        for value in node:
            out.extend(_tooltips(value))
    return out


def test_every_report_chart_titles_its_tooltips() -> None:
    years = pd.DataFrame({"year": [2000, 2001], "flow": ["a", "b"], "value_musd": [1.0, 2.0]})
    bars = pd.DataFrame({"code": ["KAZ", "UZB"], "name": ["Казахстан", "Узбекистан"]})
    bars = bars.assign(value=[1.0, 2.0], series=["a", "b"], order=[0, 1])
    band = pd.DataFrame(
        {"year": [2000, 2001], "series": ["a", "a"], "value": [1.0, 2.0], "lower": [0.5, 1.5]}
    ).assign(upper=[1.5, 2.5])
    built = [
        charts.trend_chart(years, LABELS, "src", years.assign(label="статья")),
        charts.ratio_chart(years.assign(ratio=[0.5, 0.7]), 0.6, LABELS, "src"),
        charts.ranked_bars(bars, "value", LABELS, "src"),
        charts.grouped_bars(bars, LABELS, "src"),
        charts.line_chart(years, "year", "value_musd", LABELS, "src"),
        charts.range_bars(bars.assign(x=bars["name"]), LABELS, "src"),
        charts.band_chart(band, LABELS, "src"),
        charts.gap_bars(years, "year", "value_musd", LABELS, "src"),
    ]
    for chart in built:
        tips = _tooltips(chart.to_dict())
        assert tips
        for tip in tips:
            assert tip.get("title") in set(LABELS.values()), tip
