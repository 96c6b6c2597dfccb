"""The result of one analysis: a :class:`Section` of tables, values and their sources.

A section is what keruen concludes about one country on one subject (its remittance trend,
its rank among peers, its flows estimated from stocks, …). It is computed once by
:func:`keruen.analysis.run` and shown unchanged by the report, the dashboard and the Python
API (:func:`keruen.api.profile`). Sections are frozen: a renderer reads them, never edits them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Section:
    """One section's result.

    - ``key``: the section's name (``trend``, ``cis``, ``flows``, …; see
      :data:`keruen.analysis.registry.SECTIONS`);
    - ``tables``: named pandas tables (one row per year, country, corridor, …);
    - ``values``: scalars and small structures (years used, ranks, verdicts, method and
      assumptions of an estimate; ``values["estimates"]`` holds the
      :class:`~keruen.store.estimates.Estimate` objects a model section stores; a section whose
      inputs are not held has ``values["not_held"]`` naming them and no tables);
    - ``sources``: the provenance of every number shown (publisher, dataset, vintage, licence,
      URL), one dict per distinct source.
    """

    key: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    sources: list[dict[str, str]] = field(default_factory=list)

    @property
    def held(self) -> bool:
        """Whether the section was computed (its inputs are held and it did not fail)."""
        return not self.values.get("not_held") and not self.values.get("failed")

    @property
    def failed(self) -> str | None:
        """Why the section could not be built (None when it was built or is not held)."""
        return self.values.get("failed")

    @property
    def estimates(self) -> list[Any]:
        """The model estimates the section carries (empty for an observed section)."""
        return list(self.values.get("estimates", []))


def not_held(key: str, country: str, *missing: str) -> Section:
    """A section whose inputs are not held for ``country``: it names what is missing.

    ``missing`` are codes of inputs (``bilateral_stocks``, ``population``, ``vital_events``,
    ``wb_bilateral_stocks``, ``remittances_paid``, ``remittance_series``); the section has no
    tables and no numbers, so nothing is shown (or counted) as zero.
    """
    return Section(key, {}, {"country": country, "not_held": list(missing)}, [])


def failed(key: str, country: str, reason: str, because: str | None = None) -> Section:
    """A section that could not be built: ``reason`` says why, no table and no number.

    ``because`` names the section it is built from that failed first (the reason is then
    that section's), so a dependent is reported as not built because of it.
    """
    values: dict[str, Any] = {"country": country, "failed": reason}
    if because is not None:
        values["failed_because"] = because
    return Section(key, {}, values, [])


def status(section: Section | None) -> str:
    """``built``, ``not_held`` or ``failed`` (None, a section that does not apply: ``not_held``)."""
    if section is None:
        return "not_held"
    if section.failed:
        return "failed"
    return "not_held" if section.values.get("not_held") else "built"


def is_held(section: Section | None) -> bool:
    """Whether ``section`` exists and was computed (its inputs are held)."""
    return section is not None and section.held


def estimates_of(sections: dict[str, Section]) -> list[Any]:
    """Every :class:`~keruen.store.estimates.Estimate` the sections carry, in section order."""
    return [e for s in sections.values() for e in s.values.get("estimates", [])]
