"""The table of a country's analyses: what each computes, what it reads, for which countries.

Each :class:`Entry` names a function of this package and the entries it is built from
(``needs``). :func:`keruen.analysis.run` computes them in this order, each once, and applies
the cache around each from outside. Four kinds:

- ``section``: a :class:`~keruen.analysis.section.Section` of one country, cached per scope;
- ``derived``: a section computed from other sections only (reads no data), not cached;
- ``world``: an intermediate result that is the same for every country (the world corridor
  allocation, the world gravity fit), cached once for all countries, not shown;
- ``shared``: an input read once per run and handed to the entries that need it (its reads
  count as theirs), not cached.

A new section: write ``keruen/analysis/<what_it_computes>.py`` with a function
``(store, scope, **needs) -> Section`` and add one line below. Entries name their function as
text, so the registry imports no section and a warm run imports no model.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from keruen.analysis.scope import Scope
from keruen.errors import ConfigError

Kind = Literal["section", "derived", "world", "shared"]


def _paper_country(scope: Scope) -> bool:
    return scope.is_paper_country


@cache
def _resolve(target: str) -> Callable[..., Any]:
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Entry:
    """One analysis: its key, its function, what it is built from, which countries it is for.

    ``target`` names the function as ``"keruen.analysis.<module>:<function>"``; its module is
    imported on first use, so a run whose sections all come from the cache loads no model.
    """

    key: str
    target: str
    needs: tuple[str, ...] = ()
    kind: Kind = "section"
    #: Whether the entry applies to a scope (None: every country).
    applies: Callable[[Scope], bool] | None = None

    @property
    def compute(self) -> Callable[..., Any]:
        """The entry's function (its module imported now if it was not yet)."""
        return _resolve(self.target)

    @property
    def shown(self) -> bool:
        """Whether the entry is a section a country's profile holds (not an intermediate)."""
        return self.kind in ("section", "derived")

    def applies_to(self, scope: Scope) -> bool:
        """Whether the entry is computed for ``scope``'s country."""
        return self.applies is None or self.applies(scope)


_A = "keruen.analysis."
ENTRIES: tuple[Entry, ...] = (
    Entry("trend", _A + "trend:trend"),
    Entry("cis", _A + "peers:peers"),
    Entry("share_gdp", _A + "share_gdp:share_gdp"),
    Entry("labour", _A + "kz_labour:kz_labour", applies=_paper_country),
    Entry("position", _A + "position:position", ("trend", "cis", "labour"), "derived"),
    Entry("measures", _A + "measures:measures", ("trend",)),
    Entry("balance", _A + "balance:balance", ("trend",)),
    Entry("remittance_cost", _A + "remittance_cost:remittance_cost"),
    Entry("migrant_share", _A + "migrant_share:migrant_share"),
    Entry("bilateral_stocks", _A + "stocks:stocks_by_period", kind="shared"),
    Entry("system_networks", _A + "systems:new_memo", kind="shared"),
    Entry("corridor_world", _A + "corridors:world_allocation", kind="world"),
    Entry("gravity_world", _A + "gravity:world_fit", ("bilateral_stocks",), "world"),
    Entry("flow_world", _A + "flow_world:world_flows", kind="world"),
    Entry("flows", _A + "flows_from_stocks:flows", ("flow_world",)),
    Entry("corridors", _A + "corridors:corridors", ("corridor_world",)),
    Entry("volumes", _A + "implied_migrants:volumes", ("corridors",)),
    Entry("gravity", _A + "gravity:gravity", ("gravity_world",), "derived"),
    Entry("forecasts", _A + "forecasts:forecasts"),
    Entry("systems", _A + "systems:systems", ("bilateral_stocks", "system_networks")),
    Entry(
        "swot",
        _A + "swot:swot",
        ("trend", "cis", "share_gdp", "labour", "flows", "corridors", "forecasts", "systems"),
    ),
    Entry(
        "reconcile",
        _A + "reconciliation:reconcile",
        ("trend", "cis", "share_gdp", "labour"),
        applies=_paper_country,
    ),
)
#: Entries by key.
REGISTRY: dict[str, Entry] = {e.key: e for e in ENTRIES}
#: Keys of every section a profile can hold, in the order of the report.
SECTIONS: tuple[str, ...] = tuple(e.key for e in ENTRIES if e.shown)
#: Keys of the estimated sections (model estimates), in report order.
ESTIMATED: tuple[str, ...] = ("flows", "corridors", "volumes", "gravity", "forecasts", "systems")


def closure(keys: tuple[str, ...] | list[str] | None) -> set[str]:
    """``keys`` and every entry they are built from (every entry when ``keys`` is None)."""
    if keys is None:
        return set(REGISTRY)
    unknown = sorted(set(keys) - set(REGISTRY))
    if unknown:
        raise ConfigError(f"unknown section(s) {', '.join(unknown)}; known: {', '.join(SECTIONS)}")
    wanted: set[str] = set()
    todo = list(keys)
    while todo:
        key = todo.pop()
        if key not in wanted:
            wanted.add(key)
            todo.extend(REGISTRY[key].needs)
    return wanted
