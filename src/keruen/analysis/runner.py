"""One runner for every entry point: the sections of a country, each computed once, cached.

:func:`run` walks the :mod:`~keruen.analysis.registry` in order and applies the
:class:`~keruen.analysis.cache.ReportCache` around each entry from outside, so the section
functions know nothing of caching. The CLI's report, the dashboard's profile, the REST API and
:func:`keruen.api.profile` all call it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from keruen.analysis.cache import ReportCache, active
from keruen.analysis.registry import ENTRIES, REGISTRY, closure
from keruen.analysis.scope import Scope
from keruen.analysis.section import Section, failed
from keruen.store import Store


def run(
    store: Store,
    scope: Scope,
    only: Iterable[str] | None = None,
    *,
    cache: ReportCache | None = None,
) -> dict[str, Section]:
    """The sections of ``scope``'s country, keyed by name, in the report's order.

    ``only`` limits the run to those sections (and what they are built from). Each section is
    looked up in ``cache`` (default: the cache active around the call, else one kept in this
    process's memory only) and computed only when its code, parameters, inputs or the data it
    read changed. Sections that do not apply to the country (Kazakhstan's administrative
    figures elsewhere) are absent; an estimated section whose inputs are not held names them
    (``values["not_held"]``). A section that raises (a model that cannot be fitted, data
    that break an assumption) is contained: it becomes a failed section giving the reason
    (``Section.failed``), the sections built from it are failed naming it
    (``values["failed_because"]``), the rest is computed, and nothing failed is cached, so the
    next run tries again. Treat the returned sections as read-only.
    """
    keys = None if only is None else tuple(sorted(set(only)))
    wanted = closure(keys)
    cache = cache or active() or ReportCache(mode="memory")
    with cache.active():
        return cache.part(
            store,
            "sections",
            {
                "scope": scope,
                "only": keys,
                "functions": [e.target for e in ENTRIES if e.key in wanted],
            },
            lambda s: _compute(s, scope, wanted, cache),
            count=False,
            keep=lambda sections: not any(s.failed for s in sections.values()),
        )


def _compute(
    store: Store, scope: Scope, wanted: set[str], cache: ReportCache
) -> dict[str, Section]:
    """Every entry of ``wanted`` in registry order (inside the group part ``sections``)."""
    done: dict[str, Any] = {}
    for entry in ENTRIES:
        if entry.key not in wanted or entry.kind == "shared":
            continue  # shared inputs are read inside the entries needing them
        if not entry.applies_to(scope):
            done[entry.key] = None
            continue
        blocked = next((n for n in entry.needs if _failed(done.get(n))), None)
        if blocked is not None:
            done[entry.key] = failed(
                entry.key, scope.country, f"not built: {blocked} failed", because=blocked
            )
            continue
        try:
            done[entry.key] = _one(store, scope, entry, done, cache)
        except Exception as exc:  # noqa: BLE001 - one section's failure never ends the report
            done[entry.key] = failed(entry.key, scope.country, _reason(exc))
    return {e.key: done[e.key] for e in ENTRIES if e.shown and done.get(e.key) is not None}


def _one(store: Store, scope: Scope, entry: Any, done: dict[str, Any], cache: ReportCache) -> Any:
    """One entry's result, through the cache (a derived entry is computed, never cached)."""
    built = {n: done.get(n) for n in entry.needs if REGISTRY[n].kind != "shared"}
    shared = [n for n in entry.needs if REGISTRY[n].kind == "shared"]

    def compute(s: Store) -> Any:
        needs = dict(built)
        for name in shared:  # read through ``s``, so the reads count as this entry's
            needs[name] = cache.shared(s, name, None, REGISTRY[name].compute)
        if entry.kind == "world":
            return entry.compute(s, **needs)
        return entry.compute(s, scope, **needs)

    if entry.kind == "derived":
        return compute(store)
    # the key names the function that computes the entry, so a registry pointing an entry at
    # another function never gets the first one's cached value
    params = {"function": entry.target, "scope": None if entry.kind == "world" else scope}
    inputs = [v for v in built.values() if v is not None]
    return cache.part(store, entry.key, params, compute, inputs=inputs)


def _failed(value: Any) -> bool:
    return isinstance(value, Section) and bool(value.failed)


def _reason(exc: BaseException) -> str:
    """One line: the error's class and message (its first line, at most 300 characters)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text if len(text) <= 300 else text[:299] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
