"""A country's profile: its scope and the sections :func:`keruen.analysis.run` computed for it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from keruen.analysis.scope import Scope
from keruen.analysis.section import Section


@dataclass(frozen=True)
class Profile(Mapping[str, Section]):
    """The sections of one country, by name, in the report's order (read-only).

    ``profile["trend"].tables["series"]`` is the table the report's trend figure draws;
    :attr:`held` lists the sections computed, :attr:`not_held` the estimated sections whose
    inputs are not held for the country (each naming what is missing), :attr:`failed` those
    that raised (each with its reason).
    """

    scope: Scope
    sections: dict[str, Section] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Section:
        return self.sections[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.sections)

    def __len__(self) -> int:
        return len(self.sections)

    @property
    def country(self) -> str:
        """ISO3 code of the country."""
        return self.scope.country

    @property
    def held(self) -> list[str]:
        """Names of the sections computed for the country."""
        return [k for k, s in self.sections.items() if s.held]

    @property
    def not_held(self) -> dict[str, list[str]]:
        """Sections whose inputs are not held, each with the inputs it lacks."""
        return {
            k: list(s.values["not_held"])
            for k, s in self.sections.items()
            if s.values.get("not_held") and not s.failed
        }

    @property
    def failed(self) -> dict[str, str]:
        """Sections that could not be built, each with the reason (see :func:`section.failed`)."""
        return {k: s.failed for k, s in self.sections.items() if s.failed}
