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
    """Every number the report of ``sections`` shows, keyed by section (missing values null)."""
    items = sections["swot"].values["items"]
    out: dict[str, Any] = {
        "country": sections["trend"].values["country"],
        "trend": sections["trend"].tables["series"].to_dict("records"),
        "trend_values": {k: v for k, v in sections["trend"].values.items()},
        "cis": {k: v.to_dict("records") for k, v in sections["cis"].tables.items()},
        "cis_values": sections["cis"].values,
        "share_gdp": sections["share_gdp"].tables["shares"].to_dict("records"),
        "share_gdp_values": sections["share_gdp"].values,
        "measures": sections["measures"].tables["measures"].to_dict("records"),
        "position": sections["position"].values,
        "swot": [
            {
                "key": i.key,
                "value": i.value,
                "period": i.period,
                "verdict": i.verdict,
                "threshold": i.threshold,
            }
            for i in items
        ],
    }
    rc = sections.get("remittance_cost")
    if rc is not None and rc.held:
        out["remittance_cost"] = {k: v.to_dict("records") for k, v in rc.tables.items()}
        out["remittance_cost_values"] = rc.values
    if "balance" in sections:
        out["balance"] = sections["balance"].tables["balance"].to_dict("records")
    if "labour" in sections:
        out["labour"] = {k: v.to_dict("records") for k, v in sections["labour"].tables.items()}
    if "reconcile" in sections:
        recon = sections["reconcile"].tables["reconciliation"]
        out["reconciliation"] = recon.drop(columns=["params"]).to_dict("records")
    if "flows" in sections:
        out["estimates"] = estimate_numbers(sections)
    return out
