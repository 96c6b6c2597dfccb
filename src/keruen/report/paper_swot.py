"""The paper's own SWOT (Kelinbayeva et al. 2025, Table 2), each claim marked like keruen's.

The paper's items are qualitative. Each is summarised here in a short paraphrase and judged with
the same three verdicts as keruen's SWOT (:mod:`keruen.analysis.swot`, which judges them): an
indicator and a threshold where the store holds an independent series for it, else "not
testable with the data held" (naming what would be needed).
"""

from __future__ import annotations

from typing import Any

from keruen.analysis.section import Section
from keruen.presentation.formats import local_numbers
from keruen.presentation.labels import quadrant_label, verdict_label
from keruen.presentation.locale import Locale

#: (quadrant, key) of the paper's Table 2 items, in the paper's order.
PAPER_ITEMS: tuple[tuple[str, str], ...] = (
    ("strengths", "skills"),
    ("strengths", "business_links"),
    ("strengths", "languages"),
    ("strengths", "financial_flows"),
    ("strengths", "cultural_exchange"),
    ("strengths", "return_business"),
    ("weaknesses", "skilled_loss"),
    ("weaknesses", "education_spending"),
    ("weaknesses", "mentors"),
    ("weaknesses", "brain_drain"),
    ("weaknesses", "ageing"),
    ("weaknesses", "barriers"),
    ("opportunities", "labour_shortages"),
    ("opportunities", "understanding"),
    ("opportunities", "global_market"),
    ("opportunities", "connections"),
    ("opportunities", "tax_revenue"),
    ("threats", "xenophobia"),
    ("threats", "competition"),
    ("threats", "instability"),
    ("threats", "security"),
    ("threats", "terrorism"),
)


def _claims(loc: Locale) -> dict[str, str]:
    _ = loc._
    return {
        "skills": _("Migrants raise their qualifications and skills."),
        "business_links": _("International business links and exchange of knowledge grow."),
        "languages": _("Migrants learn foreign languages."),
        "financial_flows": _("Financial flows increase and support the financial system."),
        "cultural_exchange": _("Cultural exchange improves mutual understanding."),
        "return_business": _("Returnees can start businesses with what they learned."),
        "skilled_loss": _("Highly skilled workers are lost and the workforce ages."),
        "education_spending": _("Spending on education and training is lost."),
        "mentors": _("The next generation may lack mentors."),
        "brain_drain": _("Brain drain."),
        "ageing": _("Sending countries age while receiving countries grow."),
        "barriers": _("Language and cultural barriers and discrimination."),
        "labour_shortages": _("Migrants fill shortages in health, construction and IT."),
        "understanding": _("Better understanding between cultures."),
        "global_market": _("A growing global labour market eases trade and integration."),
        "connections": _("Migrant flows strengthen Kazakhstan's international ties."),
        "tax_revenue": _("Migrants working in Kazakhstan raise tax revenue."),
        "xenophobia": _("Nationalism and xenophobia may lead to restrictive policies."),
        "competition": _("Competition with migrants may raise local unemployment."),
        "instability": _("Uncontrolled flows may destabilise receiving economies."),
        "security": _("Uncontrolled flows may raise crime and trafficking."),
        "terrorism": _("Uncontrolled flows may raise the risk of terrorism."),
    }


def _judged(sections: dict[str, Section], loc: Locale) -> dict[str, tuple[str, str, str]]:
    """(indicator, threshold, verdict) of the claims the SWOT section judged with a series held."""
    _ = loc._
    out: dict[str, tuple[str, str, str]] = {}
    claims = sections["swot"].values.get("paper", {})
    if "financial_flows" in claims:
        c = claims["financial_flows"]
        out["financial_flows"] = (
            _(
                "Remittances received changed by {v} over {p}; {s} of GDP in {y} (World Bank)."
            ).format(
                v=loc.pct(c["change"], 1), p=c["period"], s=loc.pct(c["share"], 2), y=c["year"]
            ),
            _("growth > 0 and ≥ 1% of GDP"),
            c["verdict"],
        )
    return out


def paper_swot_rows(sections: dict[str, Section], loc: Locale) -> list[dict[str, Any]]:
    """Rows (quadrant, claim, indicator, threshold, verdict) of the paper's Table 2."""
    claims, judged = _claims(loc), _judged(sections, loc)
    none = loc._("No series on this is held.")
    rows = []
    for quadrant, key in PAPER_ITEMS:
        indicator, threshold, verdict = judged.get(key, (none, "—", "not_testable"))
        rows.append(
            {
                "quadrant": quadrant_label(quadrant, loc._),
                "key": key,
                "claim": claims[key],
                "indicator": indicator,
                "threshold": local_numbers(threshold, loc.lang),
                "verdict": verdict,
                "verdict_text": verdict_label(verdict, loc._),
            }
        )
    return rows
