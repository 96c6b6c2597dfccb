"""Render the report: figures (PNG + SVG), ``index.html`` and ``numbers.json`` into a folder."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from keruen import __version__
from keruen.figures import charts
from keruen.i18n import check_lang, format_number, translations
from keruen.report.analysis import COUNTRY, Section, build, paper_source
from keruen.report.dynamics import estimates_of
from keruen.report.provenance import merge_sources
from keruen.report.reconcile import reconcile
from keruen.report.render_estimates import (
    estimate_figures,
    estimate_numbers,
    model_label,
    term_label,
)
from keruen.report.swot import swot
from keruen.report.text import (
    area_label,
    measure_label,
    profession_label,
    quadrant_label,
    reason_text,
    swot_text,
)
from keruen.store import Store
from keruen.store.estimates import store_estimates


def _src_text(sources: list[dict[str, str]], _: Callable[[str], str]) -> str:
    parts = [
        f"{s.get('publisher', '')}, {s.get('vintage', '')} ({s.get('licence', '')})"
        for s in sources
    ]
    return _("Source: ") + "; ".join(parts)


def _clean(value: Any) -> Any:
    """JSON-safe numbers (NaN → None) for numbers.json."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def _figures(
    sections: dict[str, Section], store: Store, lang: str, out: Path, _: Callable[[str], str]
) -> dict[str, str]:
    """Draw every figure; returns name → inline SVG."""
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    trend, cis, share, labour = (sections[k] for k in ("trend", "cis", "share_gdp", "labour"))
    svgs: dict[str, str] = {}
    series = trend.tables["series"]
    inflow_name, outflow_name = _("Remittances received"), _("Remittances paid")
    long = pd.concat(
        [
            series[["year", "inflow"]].rename(columns={"inflow": "value"}).assign(flow=inflow_name),
            series[["year", "outflow"]]
            .rename(columns={"outflow": "value"})
            .assign(flow=outflow_name),
        ]
    ).dropna(subset=["value"])
    long["value_musd"] = long["value"] / 1e6
    paper = trend.values["paper_outflow"]
    paper_point = None
    if paper is not None and int(paper["period"]) > trend.values["last_outflow_year"]:
        paper_point = pd.DataFrame(
            {
                "year": [int(paper["period"])],
                "value_musd": [paper["value"] / 1e6],
                "label": [_("paid, as stated in the paper")],
            }
        )
    src_trend = _src_text(
        merge_sources(trend.sources, paper_source(store) if paper_point is not None else []), _
    )
    last = series["year"].max()
    svgs["trend"] = charts.save(
        charts.trend_chart(
            long,
            {
                "year": _("Year"),
                "musd": _("US$ million"),
                "title": _("Kazakhstan: remittances received and paid, {first}–{last}").format(
                    first=int(series["year"].min()), last=int(last)
                ),
            },
            src_trend,
            paper_point,
        ),
        fig_dir,
        "01_kaz_remittances",
        lang,
    )
    ratio = series.dropna(subset=["ratio"])
    svgs["ratio"] = charts.save(
        charts.ratio_chart(
            ratio,
            trend.values["summary"]["mean_of_ratios"],
            {
                "year": _("Year"),
                "ratio": _("Paid ÷ received"),
                "mean": _("mean {v}").format(
                    v=format_number(trend.values["summary"]["mean_of_ratios"], lang, 1)
                ),
                "title": _("Kazakhstan: remittances paid per dollar received"),
            },
            _src_text(trend.sources, _),
        ),
        fig_dir,
        "02_kaz_ratio",
        lang,
    )

    def bars(
        name: str,
        codes: Any,
        names: Any,
        values: Any,
        unit: str,
        title: str,
        source: str,
        **kw: Any,
    ) -> str:
        frame = pd.DataFrame({"code": list(codes), "name": list(names), "value": list(values)})
        chart = charts.ranked_bars(frame, "value", {"value": unit, "title": title}, source, **kw)
        return charts.save(chart, fig_dir, name, lang)

    def areas(codes: pd.Series) -> list[str]:
        return [area_label(c, lang, _) for c in codes]

    musd = _("US$ million")
    for key, table, column, year, title in (
        (
            "cis_in",
            "inflows_latest",
            "inflow",
            "inflow_year",
            _("Remittances received, CIS countries, {year}"),
        ),
        (
            "cis_out",
            "outflows_latest",
            "outflow",
            "outflow_year",
            _("Remittances paid, CIS countries, {year}"),
        ),
    ):
        frame = cis.tables[table]
        svgs[key] = bars(
            "03_cis_inflows" if key == "cis_in" else "04_cis_outflows",
            frame["ref_area"],
            areas(frame["ref_area"]),
            frame[column] / 1e6,
            musd,
            title.format(year=cis.values[year]),
            _src_text(cis.sources, _),
        )
    shares = share.tables["shares"].dropna(subset=["share_derived"])
    svgs["share"] = bars(
        "05_share_gdp",
        shares["ref_area"],
        areas(shares["ref_area"]),
        shares["share_derived"],
        _("% of GDP"),
        _("Remittances received as % of GDP, post-Soviet countries, {year}").format(
            year=share.values["derived_year"]
        ),
        _src_text(share.sources, _),
        fmt=",.2f",
    )
    flagged = _src_text(labour.sources[:1], _) + " — " + _("as stated in the paper")
    persons = _("persons")
    imm, emi = labour.tables["immigrants"], labour.tables["emigrants"]
    svgs["immigrants"] = bars(
        "06_immigrants_by_origin",
        imm["counterpart_area"],
        areas(imm["counterpart_area"]),
        imm["value"],
        persons,
        _("Labour immigrants arriving in Kazakhstan by country, 2022"),
        flagged,
        fmt=",.0f",
    )
    svgs["emigrants"] = bars(
        "07_emigrants_by_destination",
        emi["counterpart_area"],
        areas(emi["counterpart_area"]),
        emi["value"],
        persons,
        _("Labour emigrants from Kazakhstan by destination, 2022"),
        flagged,
        fmt=",.0f",
    )
    reg = labour.tables["regions"]
    reg_long = pd.concat(
        [
            pd.DataFrame(
                {
                    "name": areas(reg["region"]),
                    "order": range(len(reg)),
                    "value": reg[column],
                    "series": label,
                }
            )
            for column, label in (
                ("migrant_share", _("% of foreign labour migrants (paper)")),
                ("population_share", _("% of residents (BNS)")),
            )
        ]
    )
    svgs["regions"] = charts.save(
        charts.grouped_bars(
            reg_long,
            {
                "value": "%",
                "title": _("Foreign labour migrants by region, {year}").format(
                    year=labour.values["region_year"]
                ),
            },
            _src_text(labour.sources[:2], _),
        ),
        fig_dir,
        "08_regions",
        lang,
    )
    quota = labour.tables["quota"]
    svgs["quota"] = bars(
        "09_quota",
        quota["period"],
        quota["period"],
        quota["quota"],
        persons,
        _("Quota for foreign workers"),
        flagged,
        highlight="",
        fmt=",.0f",
    )
    spec = labour.tables["specialists"]
    svgs["specialists"] = bars(
        "10_specialists",
        spec["counterpart_area"],
        [profession_label(c, _) for c in spec["counterpart_area"]],
        spec["value"],
        persons,
        _("Emigrant specialists by profession, 2022"),
        flagged,
        highlight="",
        fmt=",.0f",
    )
    dri = series.dropna(subset=["dri"])
    svgs["dri"] = charts.save(
        charts.line_chart(
            dri,
            "year",
            "dri",
            {
                "x": _("Year"),
                "y": _("(paid − received) ÷ (paid + received)"),
                "title": _("Kazakhstan's donor–recipient index"),
            },
            _src_text(trend.sources, _),
            zero_rule=True,
        ),
        fig_dir,
        "11_donor_recipient_index",
        lang,
    )
    return svgs | estimate_figures(sections, lang, fig_dir, _)


def render_report(
    store: Store, out: str | Path, lang: str = "en", *, keep_estimates: bool = True
) -> Path:
    """Compute, draw and write the report into ``out``; returns the path of ``index.html``.

    With ``keep_estimates`` the model estimates are written into the store first (status E,
    idempotent), so the report's source list names them and ``keruen query`` finds them.
    """
    import jinja2

    check_lang(lang)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tr = translations(lang)
    _ = tr.gettext
    sections = build(store)
    if keep_estimates:
        store_estimates(store, estimates_of(sections))
    recon = reconcile(store, sections)
    items = swot(sections)
    svgs = _figures(sections, store, lang, out, _)

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("keruen.report", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(tr, newstyle=False)  # type: ignore[attr-defined]
    env.filters["num"] = lambda v, d=1: format_number(v, lang, d)
    env.filters["musd"] = lambda v: format_number(None if v is None else v / 1e6, lang, 1)
    env.filters["area"] = lambda c: area_label(c, lang, _)
    env.filters["term"] = lambda t: term_label(t, _)
    env.filters["permille"] = lambda xs: ", ".join(format_number(1000 * x, lang, 0) for x in xs)
    env.filters["model"] = lambda m: model_label(m, _)
    env.filters["measure"] = lambda m: measure_label(m, _)
    recon_rows = [
        dict(
            r,
            label=measure_label(r["measure"], _),
            area=area_label(r["ref_area"], lang, _),
            counterpart=area_label(r["counterpart_area"], lang, _) if r["counterpart_area"] else "",
            reason_text=reason_text(r["reason"], r["params"], lang, _),
        )
        for r in recon.to_dict("records")
    ]
    swot_rows: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        statement, indicator = swot_text(item, lang, _)
        swot_rows.setdefault(item.quadrant, []).append(
            {
                "statement": statement,
                "indicator": indicator,
                "holds": item.holds,
                "source": item.source,
            }
        )
    context = {
        "lang": lang,
        "version": __version__,
        "generated": dt.date.today().isoformat(),
        "s": sections,
        "svgs": svgs,
        "recon": recon_rows,
        "swot": [
            (quadrant_label(q, _), swot_rows.get(q, []))
            for q in ("strengths", "weaknesses", "opportunities", "threats")
        ],
        "sources": store.sources().to_dict("records"),
        "src": lambda sec: _src_text(sec.sources, _),
        "country": COUNTRY,
    }
    html = env.get_template("report.html.j2").render(**context)
    index = out / "index.html"
    index.write_text(html, encoding="utf-8")
    numbers = {
        "trend": sections["trend"].tables["series"].to_dict("records"),
        "ratio_summary": sections["trend"].values["summary"],
        "cis": {k: v.to_dict("records") for k, v in sections["cis"].tables.items()},
        "cis_values": sections["cis"].values,
        "share_gdp": sections["share_gdp"].tables["shares"].to_dict("records"),
        "position": sections["position"].values,
        "reconciliation": recon.drop(columns=["params"]).to_dict("records"),
        "swot": [
            {"key": i.key, "value": i.value, "period": i.period, "holds": i.holds} for i in items
        ],
        "estimates": estimate_numbers(sections),
    }
    (out / "numbers.json").write_text(
        json.dumps(_clean(numbers), indent=1, ensure_ascii=False, default=str), encoding="utf-8"
    )
    return index
