"""Figures, labels and numbers of the report's estimated sections (flows to systems)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from keruen.analysis.section import Section, is_held
from keruen.i18n import format_number, release_label
from keruen.presentation import charts
from keruen.presentation.labels import area_label, measure_label, publisher_label
from keruen.presentation.locale import Locale
from keruen.presentation.methods import model_label
from keruen.report.output import Output

Gettext = Callable[[str], str]


def term_label(term: str, _: Gettext) -> str:
    """Translated name of a gravity regressor."""
    return {
        "contiguity": _("Shared land border"),
        "former_ussr": _("Both former USSR"),
        "eaeu": _("Both EAEU members"),
        "log_diaspora": _("Diaspora at the start of the period (log)"),
        "log_gdppc_ratio": _("GDP per head, destination ÷ origin (log)"),
    }.get(term, term)


def _src(section: Section, loc: Locale) -> str:
    _ = loc._
    parts = [
        f"{publisher_label(s.get('publisher', ''), _)}, "
        f"{release_label(s.get('vintage', ''), loc.lang)}"
        for s in section.sources
    ]
    return _("Estimate by keruen from: ") + "; ".join(parts)


def _held(sections: dict[str, Section], key: str) -> bool:
    return is_held(sections.get(key))


def estimate_figures(
    sections: dict[str, Section], country: str, loc: Locale, out: Output
) -> None:
    """Draw the figures of the estimated sections held (PNG, SVG and CSV through ``out``)."""
    lang, _ = loc.lang, loc._
    name, code = loc.area(country), country.lower()
    if _held(sections, "flows"):
        _fig_flows(sections["flows"], name, code, loc, out)
    if _held(sections, "corridors"):
        corridors = sections["corridors"]
        table = corridors.tables["corridors"]
        names = [
            f"{area_label(s, lang, _)} → {area_label(r, lang, _)}"
            for s, r in zip(table["sender"], table["receiver"], strict=True)
        ]
        corr = pd.concat(
            [
                pd.DataFrame(
                    {
                        "name": names,
                        "order": range(len(table)),
                        "value": table[col] / 1e6,
                        "series": label,
                    }
                )
                for col, label in (
                    ("estimate", _("keruen estimate")),
                    ("wb", _("World Bank 2017 matrix")),
                )
            ]
        ).dropna(subset=["value"])
        corr = corr[corr["value"] > 0]  # a corridor absent from the matrix is not a zero
        out.figure(
            "corridors",
            "13_remittance_corridors",
            charts.grouped_bars(
                corr,
                {
                    "value": _("US$ million"),
                    "series": _("Series"),
                    "name": _("Country"),
                    "title": _(
                        "{country}: remittance corridors, {year}, estimate and World Bank"
                    ).format(country=name, year=corridors.values["year"]),
                },
                _src(corridors, loc),
            ),
            corr,
            "US$ million",
            corridors.sources,
        )
    if _held(sections, "volumes"):
        _fig_volumes(sections["volumes"], name, loc, out)
    if _held(sections, "forecasts"):
        _fig_forecasts(sections["forecasts"], name, loc, out)
    if _held(sections, "systems"):
        _fig_systems(sections["systems"], name, code, loc, out)


def _fig_flows(flows_section: Section, name: str, code: str, loc: Locale, out: Output) -> None:
    _ = loc._
    flows = flows_section.tables["flows"]
    in_name, out_name = _("Inflow"), _("Outflow")
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "x": flows["period"],
                    "series": label,
                    "value": flows[col] / 1e3,
                    "alt": flows[f"diff_{col}"] / 1e3,
                }
            )
            for label, col in ((in_name, "inflow"), (out_name, "outflow"))
        ]
    )
    out.figure(
        "flows",
        f"12_{code}_estimated_flows",
        charts.range_bars(
            frame,
            {
                "x": _("Period"),
                "y": _("thousand persons"),
                "series": _("Series"),
                "name": _("Country"),
                "title": _("{country}: estimated migrant flows per period").format(country=name)
                + "\n"
                + _(
                    "bars: demographic accounting with UN WPP 2024 births and deaths; "
                    "diamonds: stock differencing"
                ),
            },
            _src(flows_section, loc),
        ),
        frame,
        "thousand persons",
        flows_section.sources,
    )


def _fig_volumes(vol: Section, name: str, loc: Locale, out: Output) -> None:
    lang, _ = loc.lang, loc._
    vt = vol.tables["volumes"]
    origins = vol.values["labour_origins"]
    parts = [("all", _("all remittances paid"))]
    if origins:
        parts.append(
            (
                "ca",
                _("paid to {areas}").format(areas=", ".join(loc.area(c) for c in origins))
                if len(origins) <= 3
                else _("paid to its neighbours"),
            )
        )
    band = pd.concat(
        [
            pd.DataFrame(
                {
                    "year": vt["year"],
                    "value": vt[f"{p}_central"] / 1e3,
                    "lower": vt[f"{p}_low"] / 1e3,
                    "upper": vt[f"{p}_high"] / 1e3,
                    "series": label,
                }
            )
            for p, label in parts
        ]
    )
    rules = None
    if vol.values.get("paper_immigrants"):
        rules = pd.DataFrame(
            {
                "value": [vol.values["paper_immigrants"] / 1e3],
                "label": [
                    _("paper: {n} labour immigrants (2022)").format(
                        n=format_number(vol.values["paper_immigrants"], lang, 0)
                    )
                ],
            }
        )
    out.figure(
        "volumes",
        "14_implied_migrants",
        charts.band_chart(
            band,
            {
                "x": _("Year"),
                "y": _("thousand persons"),
                "series": _("Series"),
                "name": _("Country"),
                "title": _(
                    "{country}: labour migrants implied by remittances paid (estimate)"
                ).format(country=name),
            },
            _src(vol, loc),
            rules,
            fmt=",.0f",
        ),
        band,
        "thousand persons",
        vol.sources,
    )


def _fig_forecasts(section: Section, name: str, loc: Locale, out: Output) -> None:
    _ = loc._
    fc = section.tables["series"]
    fc_model = section.values["model"]
    fc = fc[fc["model"].isna() | (fc["model"] == fc_model)]
    fc_frame = pd.DataFrame(
        {
            "year": fc["year"].astype(int),
            "value": fc["value"] / 1e6,
            "lower": fc["lower"] / 1e6,
            "upper": fc["upper"] / 1e6,
            "series": [
                measure_label(c, _) + ("" if pd.isna(m) else " — " + _("forecast"))
                for c, m in zip(fc["concept"], fc["model"], strict=True)
            ],
        }
    )
    out.figure(
        "forecasts",
        "15_remittance_forecasts",
        charts.band_chart(
            fc_frame,
            {
                "x": _("Year"),
                "y": _("US$ million"),
                "series": _("Series"),
                "name": _("Country"),
                "title": _(
                    "{country}: remittances, forecasts by {model} with calibrated {level}% "
                    "intervals"
                ).format(
                    country=name,
                    model=model_label(fc_model, _),
                    level=round(100 * section.values["level"]),
                ),
            },
            _src(section, loc),
            palette=["#2b8cbe", "#74a9cf", "#e6550d", "#fdae6b"],
        ),
        fc_frame,
        "US$ million",
        section.sources,
    )


def _fig_systems(section: Section, name: str, code: str, loc: Locale, out: Output) -> None:
    _ = loc._
    track = section.tables["track"]
    sys_frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "year": track["period"].astype(int),
                    "value": track[col] / 1e3,
                    "lower": float("nan"),
                    "upper": float("nan"),
                    "series": label,
                }
            )
            for col, label in (
                ("in_strength", _("immigrants living in the country")),
                ("out_strength", _("natives of the country living abroad")),
                ("from_neighbours", _("immigrants born in neighbouring countries")),
                ("to_neighbours", _("natives of the country in neighbouring countries")),
            )
        ]
    )
    sys_frame = sys_frame[sys_frame["value"] > 0]  # no stock held is not a stock of zero
    out.figure(
        "systems",
        f"16_{code}_migration_system",
        charts.band_chart(
            sys_frame,
            {
                "x": _("Year"),
                "y": _("thousand persons"),
                "series": _("Series"),
                "name": _("Country"),
                "title": _("{country} in the migrant-stock network, {first}–{last}").format(
                    country=name,
                    first=section.values["first_period"],
                    last=section.values["last_period"],
                ),
            },
            _src(section, loc),
            fmt=",.0f",
        ),
        sys_frame,
        "thousand persons",
        section.sources,
    )


def estimate_tables(sections: dict[str, Section], out: Output) -> None:
    """The estimated sections' tables as CSV (only the sections whose inputs are held)."""
    for key, table, name, unit in (
        ("flows", "flows", "flows", "persons"),
        ("flows", "partners", "flow_partners", "persons"),
        ("flows", "plausibility", "flow_plausibility", "persons"),
        ("corridors", "corridors", "corridors", "current US$"),
        ("corridors", "world_senders", "corridor_senders", "current US$"),
        ("volumes", "volumes", "volumes", "persons; current US$"),
        ("gravity", "coefficients", "gravity", "coefficient"),
        ("forecasts", "scores", "forecast_scores", "MASE; share"),
        ("systems", "track", "systems", "persons"),
    ):
        if _held(sections, key):
            out.table(name, sections[key].tables[table], unit, sections[key].sources)


def estimate_numbers(sections: dict[str, Section]) -> dict[str, Any]:
    """The estimated sections' numbers for ``numbers.json`` (``not_held`` where not held)."""

    def values(key: str) -> dict[str, Any]:
        return {k: v for k, v in sections[key].values.items() if k != "estimates"}

    def records(key: str, table: str) -> Any:
        if not _held(sections, key):
            if sections[key].failed:
                return {"failed": sections[key].failed}
            return {"not_held": sections[key].values.get("not_held", [])}
        return sections[key].tables[table].to_dict("records")

    out: dict[str, Any] = {
        "flows": records("flows", "flows"),
        "corridors": records("corridors", "corridors"),
        "volumes": records("volumes", "volumes"),
        "gravity": records("gravity", "coefficients"),
        "forecast_scores": records("forecasts", "scores"),
        "systems": records("systems", "track"),
    }
    if _held(sections, "flows"):
        out["flows_balance"] = sections["flows"].tables["balance"].to_dict("records")
        out["flows_values"] = values("flows")
    for key in ("corridors", "volumes", "gravity", "systems"):
        out[f"{key}_values"] = values(key)
    out["forecast_verdicts"] = sections["forecasts"].values.get("verdicts", {})
    return out
