"""The country profile's analysis part: the sections of ``keruen report --country``.

The profile calls :func:`keruen.analysis.run` — the one runner of the report, the dashboard and
the Python API, through the cache in KERUEN_HOME — for the country's scope
(:func:`keruen.analysis.scope.peer_group`) and shows what it returns: rank among peers, the
donor/recipient index, the SWOT with verdicts (the ``swot`` section), forecasts with
intervals, corridors and flows. A section the run does not return for the country is listed as
not held. The builds themselves run off the request path (:mod:`keruen.web.builds`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from keruen.analysis.registry import SECTIONS as ALL_SECTIONS
from keruen.analysis.section import Section, is_held
from keruen.areas import name
from keruen.i18n import release_label
from keruen.presentation.labels import publisher_label, quadrant_label, swot_text, verdict_label
from keruen.presentation.estimate_notes import (
    no_contradiction,
    plausibility_header,
    plausibility_intro,
    plausibility_rows,
    plausibility_title,
)
from keruen.presentation.locale import Locale
from keruen.presentation.formats import local_numbers
from keruen.presentation.methods import method_text

#: Every section the profile lists (held or not), in the registry's order; the SWOT and the
#: reconciliation with the paper are shown in their own parts of the page.
SECTIONS = tuple(k for k in ALL_SECTIONS if k not in ("swot", "reconcile"))


# -- what the page shows ----------------------------------------------------------------------
#: Tables of the report's sections on the profile: name → (section, unit, rows shown).
SECTION_TABLES: dict[str, tuple[str, str, Callable[[Section], pd.DataFrame]]] = {
    "ranks_inflow": ("cis", "current US$", lambda s: s.tables["inflows_latest"]),
    "ranks_outflow": ("cis", "current US$", lambda s: s.tables["outflows_latest"]),
    "forecasts": (
        "forecasts",
        "current US$",
        lambda s: s.tables["series"]
        .dropna(subset=["lower", "upper"])[["concept", "year", "value", "lower", "upper"]]
        .reset_index(drop=True),
    ),
    "corridors": (
        "corridors",
        "current US$",
        lambda s: s.tables.get("corridors", pd.DataFrame()).reindex(
            columns=["sender", "receiver", "estimate", "low", "high", "wb"]
        ),
    ),
    "remittance_cost": (
        "remittance_cost",
        "percent of amount sent",
        lambda s: s.tables["costs"][["year", "cost_to", "cost_from"]],
    ),
    "migrant_share": (
        "migrant_share",
        "percent (share, female_pct); persons (migrant_stock, population, female, male)",
        lambda s: s.tables["shares"],
    ),
    "flows": (
        "flows",
        "persons",
        lambda s: s.tables["flows"][["period", "inflow", "outflow", "net"]],
    ),
    "flow_plausibility": (
        "flows",
        "persons",
        lambda s: pd.DataFrame(
            list(s.values.get("plausibility", [])),
            columns=["period", "orig", "dest", "growth", "flow", "discrepancy"],
        ),
    ),
}


def section_rows(sections: dict[str, Section], table: str) -> pd.DataFrame | None:
    """The rows the profile shows for ``table`` (None when its section is not held)."""
    key, _unit, rows = SECTION_TABLES[table]
    section = sections.get(key)
    return rows(section) if is_held(section) else None


def trend_figures(
    ind: pd.DataFrame, sections: dict[str, Section] | None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The profile's remittance rows (``api.indicators``), agreeing with the trend section.

    ``api.indicators`` reads the newest release. Where the trend section read a flow from an
    older release because the newest reports none of its years
    (:func:`keruen.analysis.releases.with_older_release`, Turkmenistan's receipts), that
    flow's values, ``net_paid = outflow − inflow`` and the trend's donor–recipient index
    replace the newest release's gaps, so that the page does not say "no data" beside the
    ranks and the report that show the figures. Returns the rows and the trend's
    ``older_release`` (flow → release read), empty when nothing was replaced.
    """
    trend = (sections or {}).get("trend")
    older = dict(trend.values.get("older_release", {})) if is_held(trend) else {}
    if not older or ind.empty:
        return ind, {}
    series = trend.tables["series"].set_index("year")  # type: ignore[union-attr]
    out = ind.copy()
    years = out["year"].astype(int)
    for flow in older:
        out[flow] = years.map(series[flow]).astype(float).where(out[flow].isna(), out[flow])
    out["net_paid"] = out["outflow"] - out["inflow"]
    out["dri"] = years.map(series["dri"]).astype(float).where(out["dri"].isna(), out["dri"])
    return out, older


def _f(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def context(sections: dict[str, Section], code: str, lang: str, num: Any) -> dict[str, Any]:
    """The profile's analysis part from :func:`~keruen.analysis.run`'s sections.

    ``num(value, digits)`` formats a number in the page's language.
    """
    loc = Locale(lang)
    _ = loc._

    def label(c: Any) -> str:
        try:
            return name(str(c), lang)  # type: ignore[arg-type]
        except Exception:
            return str(c)

    def musd(value: Any, digits: int = 1) -> str:
        v = _f(value)
        return num(None if v is None else v / 1e6, digits)

    swot_section = sections.get("swot")
    # a section that raised is "could not be computed", with its reason (as in the report)
    failures = {k: str(s.failed) for k, s in sections.items() if k in SECTIONS and s.failed}
    # an estimated section whose inputs are not held for the country has no tables: not held
    sections = {k: s for k, s in sections.items() if is_held(s) and k in SECTIONS}
    out: dict[str, Any] = {
        "held": [k for k in SECTIONS if k in sections],
        "not_held": [k for k in SECTIONS if k not in sections and k not in failures],
        "failed": failures,
    }
    if "cis" in sections:
        cis = sections["cis"].values
        ranks = []
        for key, year_key, table in (
            ("rank_inflow_latest", "inflow_year", "ranks_inflow"),
            ("rank_outflow_latest", "outflow_year", "ranks_outflow"),
        ):
            rank, n = cis[key]
            ranked = section_rows(sections, table)
            assert ranked is not None
            ranks.append(
                {
                    "what": key,
                    "rank": rank if rank > 0 else None,
                    "n": n,
                    "year": cis.get(year_key),
                    "csv": table,
                    "rows": [
                        {
                            "code": r.ref_area,
                            "name": label(r.ref_area),
                            "value": musd(r[2]),
                            "rank": int(r.rank),
                        }
                        for r in ranked.itertuples()
                    ],
                }
            )
        out["ranks"] = ranks
        out["peer_members"] = ", ".join(label(c) for c in cis.get("members", []))
    if "position" in sections:
        p = sections["position"].values
        out["position"] = {
            "dri_last": num(_f(p.get("dri_last")), 2),
            "dri_last_value": _f(p.get("dri_last")),
            "dri_last_year": p.get("dri_last_year"),
            "dri_first": num(_f(p.get("dri_first")), 2),
            "dri_first_year": p.get("dri_first_year"),
            "years_net_payer": p.get("years_net_payer"),
            "years": p.get("years"),
        }
    if "remittance_cost" in sections:
        costs = section_rows(sections, "remittance_cost")
        assert costs is not None
        out["remittance_cost"] = {
            "target": loc.pct(sections["remittance_cost"].values["target"], 0),
            "rows": [
                {"year": int(r.year), "to": num(_f(r.cost_to), 2), "from": num(_f(r.cost_from), 2)}
                for r in costs.itertuples()
            ],
        }
    if "migrant_share" in sections:
        shares = section_rows(sections, "migrant_share")
        assert shares is not None
        out["migrant_share"] = {
            "by_sex": bool(sections["migrant_share"].values.get("by_sex")),
            "rows": [
                {"year": int(r.year), "stock": num(_f(r.migrant_stock), 0),
                 "population": num(_f(r.population), 0), "share": num(_f(r.share), 2),
                 "female": num(_f(r.female), 0), "male": num(_f(r.male), 0),
                 "female_pct": num(_f(r.female_pct), 2)}
                for r in shares.itertuples()
            ],
        }  # fmt: skip
    items = swot_section.values.get("items", []) if swot_section is not None else []
    quadrants: dict[str, list[dict[str, str]]] = {}
    for item in items:
        statement, indicator = swot_text(item, lang, _, code)
        quadrants.setdefault(item.quadrant, []).append(
            {
                "statement": statement,
                "indicator": indicator,
                "threshold": local_numbers(item.threshold, lang),
                "verdict": item.verdict,
                "verdict_text": verdict_label(item.verdict, _),
                "source": publisher_label(item.source, _),
            }
        )
    out["swot"] = [
        (q, quadrant_label(q, _), quadrants[q])
        for q in ("strengths", "weaknesses", "opportunities", "threats")
        if q in quadrants
    ]
    if "forecasts" in sections:
        sec = sections["forecasts"]
        ahead = section_rows(sections, "forecasts")
        assert ahead is not None
        out["forecasts"] = {
            "level_pct": round(100 * (_f(sec.values.get("level")) or 0)),
            "level_text": loc.pct(round(100 * (_f(sec.values.get("level")) or 0)), 0),
            "model": sec.values.get("model"),
            "method": method_text(str(sec.values.get("method") or ""), loc),
            "rows": [
                {
                    "concept": r.concept,
                    "year": int(r.year),
                    "value": musd(r.value),
                    "lower": musd(r.lower),
                    "upper": musd(r.upper),
                }
                for r in ahead.itertuples()
            ],
        }
    if "corridors" in sections:
        sec = sections["corridors"]
        table = section_rows(sections, "corridors")
        assert table is not None
        out["corridors"] = {
            "year": sec.values.get("year"),
            "method": method_text(str(sec.values.get("method") or ""), loc),
            "rows": [
                {
                    "sender": label(r.sender),
                    "receiver": label(r.receiver),
                    "estimate": musd(r.estimate),
                    "low": musd(r.low),
                    "high": musd(r.high),
                    "wb": musd(r.wb),
                }
                for r in table.itertuples()
            ],
        }
    if "flows" in sections:
        sec = sections["flows"]
        out["flows"] = {
            "method": method_text(str(sec.values.get("method") or ""), loc),
            "plausibility": plausibility_rows(sec, loc),
            "plausibility_title": plausibility_title(loc),
            "plausibility_intro": plausibility_intro(loc),
            "plausibility_header": plausibility_header(loc),
            "no_contradiction": no_contradiction(loc),
            "rows": [
                {
                    "period": r.period,
                    "inflow": num(_f(r.inflow), 0),
                    "outflow": num(_f(r.outflow), 0),
                    "net": num(_f(r.net), 0),
                }
                for r in section_rows(sections, "flows").itertuples()  # type: ignore[union-attr]
            ],
        }
    out["sources"] = {
        k: "; ".join(
            f"{publisher_label(s.get('publisher', ''), _)} {s.get('dataset', '')} "
            f"({release_label(s.get('vintage', ''), lang)})".strip()
            for s in sections[k].sources
        )
        for k in out["held"]
    }
    return out
