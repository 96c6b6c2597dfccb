"""One small figure builder per section of the report (shared with the future dashboard).

Each builder takes the section (language-independent numbers), the :class:`Locale` and the
:class:`Output` that writes files; it draws only what is held: a country or year without data is
left out of ranked bars and breaks a line, and is never drawn as zero.
"""

from __future__ import annotations

import pandas as pd

from keruen.analysis.provenance import merge_sources
from keruen.analysis.section import Section
from keruen.i18n import release_label
from keruen.presentation import charts
from keruen.presentation.labels import group_label, profession_label, publisher_label
from keruen.presentation.locale import Locale
from keruen.report.output import Output


def source_text(sources: list[dict[str, str]], loc: Locale) -> str:
    """'Source: publisher, vintage (licence); …' with publishers in the report's language."""
    parts = [
        f"{publisher_label(s.get('publisher', ''), loc._)}, "
        f"{release_label(s.get('vintage', ''), loc.lang)}"
        + (f" ({publisher_label(s['licence'], loc._)})" if s.get("licence") else "")
        for s in sources
    ]
    return loc._("Source: ") + "; ".join(parts)


def fig_trend(trend: Section, paper: list[dict[str, str]], loc: Locale, out: Output) -> None:
    """Remittances received and paid by year (gaps kept), and paid ÷ received."""
    series = trend.tables["series"]
    country = loc.area(trend.values["country"])
    if series[["inflow", "outflow"]].notna().sum().sum() == 0:
        return
    names = {"inflow": loc._("Remittances received"), "outflow": loc._("Remittances paid")}
    long = pd.concat(
        [
            pd.DataFrame({"year": series["year"], "flow": names[c], "value_musd": series[c] / 1e6})
            for c in ("inflow", "outflow")
        ],
        ignore_index=True,
    )
    paper_point = None
    po = trend.values.get("paper_outflow")
    last_out = trend.values.get("last_outflow_year")
    if po is not None and last_out is not None and int(po["period"]) > last_out:
        paper_point = pd.DataFrame(
            {
                "year": [int(po["period"])],
                "value_musd": [po["value"] / 1e6],
                "label": [loc._("paid, as stated in the paper")],
            }
        )
    sources = merge_sources(trend.sources, paper if paper_point is not None else [])
    first, last = int(series["year"].min()), int(series["year"].max())
    chart = charts.trend_chart(
        long,
        {
            "year": loc._("Year"),
            "musd": loc.musd_unit,
            "series": loc._("Series"),
            "name": loc._("Country"),
            "title": loc._("{country}: remittances received and paid, {first}–{last}").format(
                country=country, first=first, last=last
            ),
        },
        source_text(sources, loc),
        paper_point,
    )
    data = (
        long
        if paper_point is None
        else pd.concat([long, paper_point.rename(columns={"label": "flow"})], ignore_index=True)
    )
    code = trend.values["country"].lower()
    out.figure("trend", f"01_{code}_remittances", chart, data, "US$ million", sources)
    ratio = series[["year", "ratio"]]
    if ratio["ratio"].notna().any():
        mean = trend.values["summary"]["mean_of_ratios"]
        chart = charts.ratio_chart(
            ratio,
            mean,
            {
                "year": loc._("Year"),
                "ratio": loc._("Paid ÷ received"),
                "mean": loc._("mean {v}").format(v=loc.num(mean, 1)),
                "series": loc._("Series"),
                "name": loc._("Country"),
                "title": loc._("{country}: remittances paid per dollar received").format(
                    country=country
                ),
            },
            source_text(trend.sources, loc),
        )
        out.figure("ratio", f"02_{code}_ratio", chart, ratio, "ratio", trend.sources)
    dri = series[["year", "dri"]]
    if dri["dri"].notna().any():
        chart = charts.line_chart(
            dri,
            "year",
            "dri",
            {
                "x": loc._("Year"),
                "y": loc._("(paid − received) ÷ (paid + received)"),
                "series": loc._("Series"),
                "name": loc._("Country"),
                "title": loc._("{country}: donor–recipient index").format(country=country),
            },
            source_text(trend.sources, loc),
            zero_rule=True,
        )
        out.figure("dri", "11_donor_recipient_index", chart, dri, "index", trend.sources)


def _bars(
    out: Output,
    key: str,
    name: str,
    frame: pd.DataFrame,
    unit_label: str,
    unit: str,
    title: str,
    sources: list[dict[str, str]],
    loc: Locale,
    highlight: str = "",
    fmt: str = ",.1f",
    missing: list[str] | None = None,
) -> None:
    """Ranked horizontal bars of the rows of ``frame`` (``code, name, value``) that are held.

    ``missing`` (area codes) are named under the chart as not reported, so a country absent
    from the bars is visibly absent, not silently dropped.
    """
    held = frame.dropna(subset=["value"])
    if held.empty:
        return
    source = source_text(sources, loc)
    if missing:
        note = loc._("Not reported (left out, not counted as zero): {areas}.")
        source += "; " + note.format(areas=", ".join(loc.area(c) for c in missing))
    chart = charts.ranked_bars(
        held,
        "value",
        {"value": unit_label, "title": title, "name": loc._("Country")},
        source,
        highlight=highlight,
        fmt=fmt,
    )
    out.figure(key, name, chart, held, unit, sources)


def fig_peers(cis: Section, loc: Locale, out: Output) -> None:
    """Remittances received and paid across the peer group, latest year (reporters only)."""
    country = cis.values["country"]
    for key, table, column, year, title, name in (
        (
            "cis_in",
            "inflows_latest",
            "inflow",
            "inflow_year",
            loc._("Remittances received, {group}, {year}"),
            "03_peer_inflows",
        ),
        (
            "cis_out",
            "outflows_latest",
            "outflow",
            "outflow_year",
            loc._("Remittances paid, {group}, {year}"),
            "04_peer_outflows",
        ),
    ):
        frame = cis.tables[table]
        if frame.empty:
            continue
        data = pd.DataFrame(
            {
                "code": frame["ref_area"],
                "name": [loc.area(c) for c in frame["ref_area"]],
                "value": frame[column] / 1e6,
            }
        )
        _bars(
            out,
            key,
            name,
            data,
            loc.musd_unit,
            "US$ million",
            title.format(group=group_label(cis.values["group"], loc._), year=cis.values[year]),
            cis.sources,
            loc,
            highlight=country,
            missing=cis.values[
                "not_reported_inflow_latest" if key == "cis_in" else "not_reported_outflow_latest"
            ],
        )


def fig_share(share: Section, country: str, loc: Locale, out: Output) -> None:
    """Remittances received as % of GDP across the peers (computed share)."""
    shares = share.tables["shares"]
    data = pd.DataFrame(
        {
            "code": shares["ref_area"],
            "name": [loc.area(c) for c in shares["ref_area"]],
            "value": shares["share_derived"],
        }
    )
    _bars(
        out,
        "share",
        "05_share_gdp",
        data,
        loc._("% of GDP"),
        "percent of GDP",
        loc._("Remittances received as % of GDP, {year}").format(year=share.values["derived_year"]),
        share.sources,
        loc,
        highlight=country,
        fmt=",.2f",
        missing=share.values["not_reported"],
    )


def fig_labour(labour: Section, paper: list[dict[str, str]], loc: Locale, out: Output) -> None:
    """Kazakhstan's administrative figures as the paper states them (flagged in the source)."""
    persons = loc._("persons")
    flagged = paper
    for key, table, title, name in (
        (
            "immigrants",
            "immigrants",
            loc._("Labour immigrants arriving in Kazakhstan by country, 2022"),
            "06_immigrants_by_origin",
        ),
        (
            "emigrants",
            "emigrants",
            loc._("Labour emigrants from Kazakhstan by destination, 2022"),
            "07_emigrants_by_destination",
        ),
    ):
        t = labour.tables[table]
        data = pd.DataFrame(
            {
                "code": t["counterpart_area"],
                "name": [loc.area(c) for c in t["counterpart_area"]],
                "value": t["value"],
            }
        )
        _bars(out, key, name, data, persons, "persons", title, flagged, loc, fmt=",.0f")
    reg = labour.tables["regions"]
    series_names = (
        ("migrant_share", loc._("% of foreign labour migrants (paper)")),
        ("population_share", loc._("% of residents (BNS)")),
    )
    reg_long = pd.concat(
        [
            pd.DataFrame(
                {
                    "name": [loc.area(c) for c in reg["region"]],
                    "order": range(len(reg)),
                    "value": reg[column],
                    "series": label,
                }
            )
            for column, label in series_names
        ],
        ignore_index=True,
    )
    chart = charts.grouped_bars(
        reg_long,
        {
            "value": "%",
            "series": loc._("Series"),
            "name": loc._("Region"),
            "title": loc._("Foreign labour migrants by region, {year}").format(
                year=labour.values["region_year"]
            ),
        },
        source_text(labour.sources[:2], loc),
    )
    out.figure("regions", "08_regions", chart, reg_long, "percent", labour.sources[:2])
    quota = labour.tables["quota"]
    years = range(
        int(quota["period"].astype(int).min()), int(quota["period"].astype(int).max()) + 1
    )
    q = pd.DataFrame({"year": list(years)}).merge(
        quota.assign(year=quota["period"].astype(int))[["year", "quota"]], on="year", how="left"
    )
    chart = charts.gap_bars(
        q,
        "year",
        "quota",
        {
            "x": loc._("Year"),
            "y": persons,
            "series": loc._("Series"),
            "name": loc._("Country"),
            "title": loc._("Quota for foreign workers"),
            "missing": loc._("not reported"),
        },
        source_text(flagged, loc),
    )
    out.figure("quota", "09_quota", chart, q, "persons", flagged)
    spec = labour.tables["specialists"]
    data = pd.DataFrame(
        {
            "code": spec["counterpart_area"],
            "name": [profession_label(c, loc._) for c in spec["counterpart_area"]],
            "value": spec["value"],
        }
    )
    _bars(
        out,
        "specialists",
        "10_specialists",
        data,
        persons,
        "persons",
        loc._("Emigrant specialists by profession, 2022"),
        flagged,
        loc,
        fmt=",.0f",
    )


def fig_balance(balance: Section, country: str, loc: Locale, out: Output) -> None:
    """Net migration (UN WPP) by year beside remittances net paid."""
    t = balance.tables["balance"]
    if t.empty:
        return
    frame = pd.DataFrame(
        {
            "year": t["year"],
            "value": t["net_migration"],
            "lower": float("nan"),
            "upper": float("nan"),
            "series": loc._("Net migration (UN WPP), thousand persons"),
        }
    )
    chart = charts.band_chart(
        frame,
        {
            "x": loc._("Year"),
            "y": loc._("thousand persons"),
            "series": loc._("Series"),
            "name": loc._("Country"),
            "title": loc._("{country}: net migration, {first}–{last}").format(
                country=loc.area(country),
                first=balance.values["first_year"],
                last=balance.values["last_year"],
            ),
        },
        source_text(balance.sources[:1], loc),
        fmt=",.1f",
        zero_rule=True,
    )
    out.figure(
        "balance",
        "17_net_migration",
        chart,
        frame,
        "thousand persons",
        balance.sources[:1],
    )
