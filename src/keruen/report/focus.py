"""Which country an estimated section is about: its scope, its neighbourhood, what is not held.

Every estimated section of the report takes a :class:`~keruen.report.scope.Scope` (or an ISO3
code, read as that country's default peer group); a section whose inputs are not held for the
country is a :func:`not_held` section naming them, with no numbers.
"""

from __future__ import annotations

from keruen.areas import group_members, groups
from keruen.areas import name as area_name
from keruen.report.analysis import COUNTRY, Section
from keruen.report.scope import Scope, peer_group

#: A group of fewer members than this is not a country's neighbourhood.
MIN_NEIGHBOURS = 3


def as_scope(scope: Scope | str | None) -> Scope:
    """A :class:`Scope` from a scope, an ISO3 code (its default peer group) or None (KAZ)."""
    if isinstance(scope, Scope):
        return scope
    return peer_group((scope or COUNTRY).upper())


def country_name(country: str) -> str:
    """English name of ``country`` for estimate titles (the code if it has none)."""
    try:
        return area_name(country, "en")
    except Exception:  # noqa: BLE001 - a title never fails a report
        return country


def not_held(key: str, country: str, *missing: str) -> Section:
    """A section whose inputs are not held for ``country``: it names what is missing.

    ``missing`` are codes of inputs (``bilateral_stocks``, ``population``, ``vital_events``,
    ``wb_bilateral_stocks``, ``remittances_paid``, ``remittance_series``); the section has no
    tables and no numbers, so nothing is shown (or counted) as zero.
    """
    return Section(key, {}, {"country": country, "not_held": list(missing)}, [])


def is_held(section: Section | None) -> bool:
    """Whether an estimated section was computed (its inputs are held)."""
    return section is not None and not section.values.get("not_held")


def neighbours(scope: Scope) -> tuple[str, ...]:
    """The country's neighbourhood: its smallest keruen group lying inside its peer group.

    Kazakhstan, Uzbekistan, Kyrgyzstan, Tajikistan, Turkmenistan: Central Asia; Russia: the
    EAEU; a country in no keruen group: its peer group (e.g. its World Bank region). Groups of
    fewer than ``MIN_NEIGHBOURS`` members are skipped. The country itself is left out.
    """
    members = set(scope.members)
    candidates = [
        group_members(g)
        for g in groups()
        if scope.country in group_members(g)
        and len(group_members(g)) >= MIN_NEIGHBOURS
        and set(group_members(g)) <= members
    ]
    chosen = min(candidates, key=len) if candidates else tuple(scope.members)
    return tuple(sorted(c for c in chosen if c != scope.country))
