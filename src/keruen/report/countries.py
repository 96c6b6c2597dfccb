"""The reports of several countries: what each holds (:class:`Outcome`) and the index page."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from markupsafe import escape

from keruen.analysis.registry import SECTIONS
from keruen.analysis.section import Section, status
from keruen.presentation.locale import Locale


_STATES = ("built", "not_held", "failed")


@dataclass(frozen=True)
class Outcome:
    """One country's report: each section's status and why the failed ones failed.

    ``status`` maps every section of :data:`~keruen.analysis.registry.SECTIONS` to ``built``,
    ``not_held`` (its inputs are not held, or it does not apply to the country) or
    ``failed``; ``failed`` gives the reason of each failed section, or ``{"report": reason}``
    when the country's report could not be written at all.
    """

    country: str
    status: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, country: str, sections: dict[str, Section]) -> Outcome:
        """The outcome of the sections :func:`keruen.analysis.run` returned for ``country``."""
        states = {key: status(sections.get(key)) for key in SECTIONS}
        reasons = {k: str(s.failed) for k, s in sections.items() if s.failed}
        return cls(country, states, reasons)

    @classmethod
    def not_written(cls, country: str, why: str) -> Outcome:
        """The outcome of a country whose report could not be written at all, and why."""
        return cls(country, {}, {"report": why})

    @property
    def written(self) -> bool:
        """Whether the country's report was written (``False``: its whole report failed)."""
        return "report" not in self.failed

    def count(self, what: str) -> int:
        """How many sections have status ``what`` (``built``, ``not_held``, ``failed``)."""
        return sum(1 for v in self.status.values() if v == what)

    def line(self) -> str:
        """One progress line: sections built / not held / failed and each failure's reason."""
        if not self.written:
            return f"{self.country}: report not written ({self.failed['report']})"
        counts = ", ".join(f"{w.replace('_', ' ')} {self.count(w)}" for w in _STATES)
        why = "".join(f"; FAILED {k}: {v}" for k, v in self.failed.items())
        return f"{self.country}: sections {counts}{why}"


def index_page(countries: list[str], outcomes: dict[str, Outcome], loc: Locale) -> str:
    """``index.html`` linking each country's report, with its sections built / not held / failed."""
    _ = loc._
    rows = []
    for code in countries:
        o = outcomes.get(code, Outcome(code))
        name = f"{escape(loc.area(code))} ({code})"
        if not o.written:
            why = escape(o.failed["report"])
            note = escape(_("not written"))
            rows.append(f"<tr><td>{name}</td><td colspan=3>{note}: {why}</td></tr>")
            continue
        failed = o.count("failed")
        title = f' title="{escape("; ".join(f"{k}: {v}" for k, v in o.failed.items()))}"'
        rows.append(
            f'<tr><td><a href="{code}/index.html">{name}</a></td>'
            f'<td class="n">{o.count("built")}</td><td class="n">{o.count("not_held")}</td>'
            f'<td class="n"{title if failed else ""}>{failed}</td></tr>'
        )
    title = escape(_("Reports by country"))
    head = "".join(
        f"<th>{escape(h)}</th>" for h in (_("Country"), _("Built"), _("Not held"), _("Failed"))
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{loc.lang}">\n<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title} — keruen</title>"
        "<style>td.n{text-align:right}td,th{padding:2px 8px;border:1px solid #ccc}"
        "table{border-collapse:collapse}</style></head>\n<body>\n"
        f"<h1>{title}</h1>\n<table><tr>{head}</tr>\n" + "\n".join(rows) + "\n</table>\n"
        "</body>\n</html>\n"
    )


def status_json(countries: list[str], outcomes: dict[str, Outcome]) -> str:
    """Each country's section statuses and failure reasons, and the totals, as JSON."""
    rows = [outcomes.get(c, Outcome(c)) for c in countries]
    totals = {w: sum(o.count(w) for o in rows) for w in ("built", "not_held", "failed")}
    body = {
        "countries": len(rows),
        "written": sum(1 for o in rows if o.written),
        "sections": totals,
        "by_country": {o.country: {"status": o.status, "failed": o.failed} for o in rows},
    }
    return json.dumps(body, indent=1, ensure_ascii=False)
