"""``numbers.json``: every number a report shows, language-independent (missing is null)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from keruen.analysis.section import Section
from keruen.report.render_estimates import estimate_numbers


def clean(value: Any) -> Any:
    """JSON-safe numbers (NaN → None) for numbers.json."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        return clean(value.item())
    return value


def numbers(sections: dict[str, Section]) -> dict[str, Any]:
    """Every number the report of ``sections`` shows, keyed by section (missing values null).

    A section that failed gives ``{"failed": reason}`` in place of its numbers, and
    ``failed`` (present only then) lists every such section with its reason.
    """

    def ok(key: str) -> bool:
        return key in sections and not sections[key].failed

    def part(key: str, make: Any) -> Any:
        if key not in sections:
            return None
        return make(sections[key]) if ok(key) else {"failed": sections[key].failed}

    out: dict[str, Any] = {
        "country": next(iter(sections.values())).values["country"],
        "trend": part("trend", lambda s: s.tables["series"].to_dict("records")),
        "trend_values": part("trend", lambda s: dict(s.values)),
        "cis": part("cis", lambda s: {k: v.to_dict("records") for k, v in s.tables.items()}),
        "cis_values": part("cis", lambda s: s.values),
        "share_gdp": part("share_gdp", lambda s: s.tables["shares"].to_dict("records")),
        "share_gdp_values": part("share_gdp", lambda s: s.values),
        "measures": part("measures", lambda s: s.tables["measures"].to_dict("records")),
        "position": part("position", lambda s: s.values),
        "swot": part(
            "swot",
            lambda s: [
                {
                    "key": i.key,
                    "value": i.value,
                    "period": i.period,
                    "verdict": i.verdict,
                    "threshold": i.threshold,
                }
                for i in s.values["items"]
            ],
        ),
    }
    rc = sections.get("remittance_cost")
    if rc is not None and rc.held:
        out["remittance_cost"] = {k: v.to_dict("records") for k, v in rc.tables.items()}
        out["remittance_cost_values"] = rc.values
    ms = sections.get("migrant_share")
    if ms is not None and ms.held:
        out["migrant_share"] = ms.tables["shares"].to_dict("records")
        out["migrant_share_values"] = ms.values
    if "balance" in sections:
        out["balance"] = part("balance", lambda s: s.tables["balance"].to_dict("records"))
    if "labour" in sections:
        out["labour"] = part(
            "labour", lambda s: {k: v.to_dict("records") for k, v in s.tables.items()}
        )
    if "reconcile" in sections:
        out["reconciliation"] = part(
            "reconcile",
            lambda s: s.tables["reconciliation"].drop(columns=["params"]).to_dict("records"),
        )
    if "flows" in sections:
        out["estimates"] = estimate_numbers(sections)
    failed = {k: s.failed for k, s in sections.items() if s.failed}
    if failed:
        out["failed"] = failed
    return out
