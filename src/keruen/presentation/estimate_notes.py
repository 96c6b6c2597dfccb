"""What the report and the dashboard say about the quality of an estimate, in one wording.

The checks are computed by the analysis (``values["plausibility"]`` of the ``flows`` section,
:func:`keruen.analysis.flows_from_stocks.plausibility_table`); this module only words and
formats them, so the report's Methods part and the country profile show the same table.
"""

from __future__ import annotations

from typing import Any

from keruen.analysis.section import Section, is_held
from keruen.presentation.locale import Locale

#: Rows of the plausibility table shown (largest discrepancies first; the CSV holds them all).
SHOWN = 15


def plausibility_rows(section: Section | None, loc: Locale) -> list[dict[str, Any]] | None:
    """The flagged pairs of the flows estimated from stocks, formatted, largest first.

    ``None`` when the flows are not held (nothing to say); an empty list when no flow
    contradicts the change in the stocks (say so with :func:`no_contradiction`).
    """
    if not is_held(section):
        return None
    assert section is not None
    return [
        {
            "period": w["period"],
            "orig": loc.area(str(w["orig"])),
            "dest": loc.area(str(w["dest"])),
            "growth": loc.num(float(w["growth"]), 0),
            "flow": loc.num(float(w["flow"]), 0),
            "discrepancy": loc.num(float(w.get("discrepancy", w["flow"] - w["growth"])), 0),
        }
        for w in list(section.values.get("plausibility", []))[:SHOWN]
    ]


def plausibility_title(loc: Locale) -> str:
    """The heading of the plausibility check."""
    return loc._("Plausibility of the flows estimated from stocks")


def plausibility_intro(loc: Locale) -> str:
    """What the plausibility table lists."""
    return loc._(
        "Pairs where the estimated flow departs from the change in the stock it feeds (people "
        "born in the origin living in the destination): below half the stock's growth, or above "
        "twice it, by more than 1,000 people; largest discrepancies first. A flow above the "
        "growth is expected where the stock also lost people to deaths and returns."
    )


def plausibility_header(loc: Locale) -> list[str]:
    """The column names of the plausibility table."""
    _ = loc._  # each word literal, so that pybabel extracts it
    return [
        _("Period"),
        _("From"),
        _("To"),
        _("Growth of the stock"),
        _("Estimated flow"),
        _("Discrepancy"),
    ]


def no_contradiction(loc: Locale) -> str:
    """What is said when no estimated flow contradicts the stocks."""
    return loc._("No estimated flow contradicts the change in the stocks it was estimated from.")
