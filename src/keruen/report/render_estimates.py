"""Figures, labels and numbers of the report's estimated sections (flows to systems)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from keruen.figures import charts
from keruen.i18n import format_number
from keruen.report.analysis import Section
from keruen.report.locale import Locale
from keruen.report.output import Output
from keruen.report.text import area_label, measure_label

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


def model_label(model: str, _: Gettext) -> str:
    """Translated name of a forecasting model."""
    return {
        "naive": _("naive (last value)"),
        "drift": _("drift (straight line)"),
        "ets": _("damped-trend exponential smoothing"),
        "arima": _("ARIMA(1,1,0) with drift"),
        "ensemble_median": _("median of naive, drift, exponential smoothing and ARIMA"),
        "ensemble_naive_drift": _("mean of naive and drift"),
    }.get(model, model)


def _src(section: Section, _: Gettext) -> str:
    from keruen.report.text import publisher_label

    parts = [
        f"{publisher_label(s.get('publisher', ''), _)}, {s.get('vintage', '')}"
        for s in section.sources
    ]
    return _("Estimate by keruen from: ") + "; ".join(parts)


def estimate_figures(sections: dict[str, Section], loc: Locale, out: Output) -> None:
    """Draw the figures of the estimated sections (PNG, SVG and CSV through ``out``)."""
    lang, _ = loc.lang, loc._
    flows = sections["flows"].tables["flows"]
    in_name, out_name = _("Inflow"), _("Outflow")
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "x": flows["period"],
                    "series": name,
                    "value": flows[col] / 1e3,
                    "alt": flows[f"diff_{col}"] / 1e3,
                }
            )
            for name, col in ((in_name, "inflow"), (out_name, "outflow"))
        ]
    )
    out.figure(
        "flows",
        "12_kaz_estimated_flows",
        charts.range_bars(
            frame,
            {
                "x": _("Period"),
                "y": _("thousand persons"),
                "title": _("Kazakhstan: estimated migrant flows per period")
                + "\n"
                + _(
                    "bars: demographic accounting with UN WPP 2024 births and deaths; "
                    "diamonds: stock differencing"
                ),
            },
            _src(sections["flows"], _),
        ),
        frame,
        "thousand persons",
        sections["flows"].sources,
    )
    kaz = sections["corridors"].tables["kaz"]
    names = [
        f"{area_label(s, lang, _)} → {area_label(r, lang, _)}"
        for s, r in zip(kaz["sender"], kaz["receiver"], strict=True)
    ]
    corr = pd.concat(
        [
            pd.DataFrame(
                {"name": names, "order": range(len(kaz)), "value": kaz[col] / 1e6, "series": label}
            )
            for col, label in (
                ("estimate", _("keruen estimate")),
                ("wb", _("World Bank 2017 matrix")),
            )
        ]
    ).dropna(subset=["value"])
    out.figure(
        "corridors",
        "13_remittance_corridors",
        charts.grouped_bars(
            corr,
            {
                "value": _("US$ million"),
                "title": _(
                    "Kazakhstan's remittance corridors, {year}: estimate and World Bank"
                ).format(year=sections["corridors"].values["year"]),
            },
            _src(sections["corridors"], _),
        ),
        corr,
        "US$ million",
        sections["corridors"].sources,
    )
    vol = sections["volumes"]
    vt = vol.tables["volumes"]
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
            for p, label in (
                ("all", _("all remittances paid")),
                ("ca", _("paid to Uzbekistan, Kyrgyzstan, Tajikistan")),
            )
        ]
    )
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
                "title": _("Labour migrants implied by Kazakhstan's remittances paid (estimate)"),
            },
            _src(vol, _),
            rules,
            fmt=",.0f",
        ),
        band,
        "thousand persons",
        sections["volumes"].sources,
    )
    fc = sections["forecasts"].tables["series"]
    fc_model = sections["forecasts"].values["model"]
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
                "title": _(
                    "Kazakhstan's remittances: forecasts by {model} with calibrated {level}% "
                    "intervals"
                ).format(
                    model=model_label(fc_model, _),
                    level=round(100 * sections["forecasts"].values["level"]),
                ),
            },
            _src(sections["forecasts"], _),
            palette=["#2b8cbe", "#74a9cf", "#e6550d", "#fdae6b"],
        ),
        fc_frame,
        "US$ million",
        sections["forecasts"].sources,
    )
    track = sections["systems"].tables["track"]
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
                ("in_strength", _("immigrants living in Kazakhstan")),
                ("out_strength", _("natives of Kazakhstan living abroad")),
                ("from_central_asia", _("immigrants born in Central Asian neighbours")),
                ("to_central_asia", _("natives of Kazakhstan in Central Asian neighbours")),
            )
        ]
    )
    out.figure(
        "systems",
        "16_kaz_migration_system",
        charts.band_chart(
            sys_frame,
            {
                "x": _("Year"),
                "y": _("thousand persons"),
                "title": _("Kazakhstan in the migrant-stock network, 1990–2019"),
            },
            _src(sections["systems"], _),
            fmt=",.0f",
        ),
        sys_frame,
        "thousand persons",
        sections["systems"].sources,
    )


def estimate_numbers(sections: dict[str, Section]) -> dict[str, Any]:
    """The estimated sections' numbers for ``numbers.json``."""

    def values(key: str) -> dict[str, Any]:
        return {k: v for k, v in sections[key].values.items() if k != "estimates"}

    return {
        "flows": sections["flows"].tables["flows"].to_dict("records"),
        "flows_balance": sections["flows"].tables["balance"].to_dict("records"),
        "corridors": sections["corridors"].tables["kaz"].to_dict("records"),
        "corridors_values": values("corridors"),
        "volumes": sections["volumes"].tables["volumes"].to_dict("records"),
        "volumes_values": values("volumes"),
        "gravity": sections["gravity"].tables["coefficients"].to_dict("records"),
        "gravity_values": values("gravity"),
        "forecast_scores": sections["forecasts"].tables["scores"].to_dict("records"),
        "forecast_verdicts": sections["forecasts"].values["verdicts"],
        "systems": sections["systems"].tables["track"].to_dict("records"),
        "systems_values": values("systems"),
    }
