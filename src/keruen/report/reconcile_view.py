"""The reconciliation table as the reader sees it: one money scale, units, directions, reasons.

Money is shown in US$ million throughout; ranks as whole numbers; shares with a % sign. A row
with a counterpart reads origin → destination (immigrants *from* Kyrgyzstan: Kyrgyzstan →
Kazakhstan); professions go to a breakdown column. Rows are split into those compared with
data keruen holds and those quoted from the paper only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from keruen.presentation.labels import measure_label, profession_label, reason_text
from keruen.presentation.locale import Locale

#: Measures whose counterpart is the origin (people or money arriving in ``ref_area``).
INTO_AREA = {"labour_immigrants_arrived", "foreigners_arriving_annually"}
#: Measures whose counterpart is the destination (people leaving ``ref_area``).
OUT_OF_AREA = {
    "labour_emigrants_departed",
    "citizens_in_labour_migration",
    "citizens_in_labour_migration_share",
}
#: Measures whose counterpart column holds a breakdown (a profession), not an area.
BREAKDOWN = {"emigrant_specialists_by_profession"}


def _unit(unit: str, loc: Locale) -> tuple[str, float, int]:
    """(translated unit, divisor to the shown scale, decimals) of a paper unit."""
    u = unit.split(" (")[0]
    if u == "current USD":
        return loc.musd_unit, 1e6, 1
    if u in ("percent", "percent of labour force", "percent of international labour migrants"):
        return "%", 1.0, 1
    if u == "percent of GDP":
        return loc._("% of GDP"), 1.0, 2
    if u == "rank":
        return loc._("rank"), 1.0, 0
    if u == "ratio":
        return loc._("ratio"), 1.0, 2
    return loc._("persons"), 1.0, 0


def recon_view(recon: pd.DataFrame, loc: Locale) -> dict[str, list[dict[str, Any]]]:
    """{"compared": rows with a value computed from data held, "quoted": the others}."""
    out: dict[str, list[dict[str, Any]]] = {"compared": [], "quoted": []}
    for r in recon.to_dict("records"):
        unit, scale, digits = _unit(str(r["unit"]), loc)
        area, cp, m = r["ref_area"], r["counterpart_area"], r["measure"]
        breakdown = ""
        if m in BREAKDOWN:
            where, breakdown = loc.area(area), profession_label(cp, loc._)
        elif cp and m in INTO_AREA:
            where = f"{loc.area(cp)} → {loc.area(area)}"
        elif cp and m in OUT_OF_AREA:
            where = f"{loc.area(area)} → {loc.area(cp)}"
        elif cp and cp != "WLD":
            where = f"{loc.area(area)} ({loc.area(cp)})"
        else:
            where = loc.area(area)

        def show(v: float, scale: float = scale, digits: int = digits) -> str:
            if v is None or (isinstance(v, float) and np.isnan(v)):
                return ""
            return loc.num(v / scale, digits)

        rel = r["relative"]
        row = {
            "label": measure_label(m, loc._),
            "area": where,
            "breakdown": breakdown,
            "period": r["period"] if r["period"] != "recent years" else loc._("recent years"),
            "unit": unit,
            "paper": show(r["paper"]),
            "computed": show(r["computed"]),
            "difference": show(r["difference"]),
            "relative": "" if rel is None or np.isnan(rel) else loc.pct(100 * rel, 1),
            "reason": reason_text(r["reason"], r["params"], loc.lang, loc._),
        }
        computed = r["computed"]
        # an internal check (the paper's figure against its own other figures) is not a
        # comparison with data: it goes with the figures quoted from the paper only
        quoted = computed is None or np.isnan(computed) or r["reason"] == "internal_check"
        key = "quoted" if quoted else "compared"
        out[key].append(row)
    return out
