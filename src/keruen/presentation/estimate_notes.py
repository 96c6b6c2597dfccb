"""What the report and the dashboard say about the quality of an estimate, in one wording.

The checks are computed by the analysis (e.g. ``values["plausibility"]`` of the ``flows``
section, :func:`keruen.analysis.flows_from_stocks.implausible_flows`); this module only words
them, so the report's Methods part and the country profile say the same thing.
"""

from __future__ import annotations

from keruen.analysis.section import Section, is_held
from keruen.presentation.locale import Locale


def plausibility_notes(section: Section | None, loc: Locale) -> list[str] | None:
    """One warning per estimated flow that contradicts the stocks it was estimated from.

    ``None`` when the flows are not held (nothing to say); an empty list when no flow
    contradicts the change in the stocks (say so with :func:`no_contradiction`).
    """
    if not is_held(section):
        return None
    assert section is not None
    return [
        loc._(
            "Warning: {partner}, {period}: the stock of people born in {orig} living in {dest} "
            "grew by {growth}, but the estimate has {flow} moving from {orig} to {dest}."
        ).format(
            partner=loc.area(str(w["partner"])),
            period=w["period"],
            orig=loc.area(str(w["orig"])),
            dest=loc.area(str(w["dest"])),
            growth=loc.num(float(w["growth"]), 0),
            flow=loc.num(float(w["flow"]), 0),
        )
        for w in section.values.get("plausibility", [])
    ]


def plausibility_title(loc: Locale) -> str:
    """The heading of the plausibility notes."""
    return loc._("Plausibility of the flows estimated from stocks")


def no_contradiction(loc: Locale) -> str:
    """What is said when no estimated flow contradicts the stocks."""
    return loc._("No estimated flow contradicts the change in the stocks it was estimated from.")
