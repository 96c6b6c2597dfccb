"""Offline fallback: try to refresh a dataset, and on failure say loudly what is used instead."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from keruen.errors import SourceError
from keruen.sources.common import Batch, ingest_batches
from keruen.store import Store


class StaleDataWarning(UserWarning):
    """A refresh failed and older data (a stored vintage or the bundled snapshot) is used."""


@dataclass(frozen=True)
class Freshness:
    """What :func:`latest_or_snapshot` ended up using."""

    dataset: str
    status: str  # "updated", "unchanged", "stored" (fallback) or "snapshot" (fallback)
    vintage: str | None
    error: str | None = None


def latest_or_snapshot(
    store: Store, dataset: str, refresh: Callable[[], Sequence[Batch]] | None = None
) -> Freshness:
    """Refresh ``dataset`` if a ``refresh`` is given; fall back loudly if it fails.

    The refresh asks the server (under one :func:`~keruen.sources.http.update_run` budget).
    On a :class:`SourceError` the store is unchanged (ingest is atomic and only starts once
    every batch is fetched), a :class:`StaleDataWarning` is issued and a line is written to
    stderr naming the vintage that will be used: the newest stored one, else the bundled
    snapshot's (loaded now if the store lacks it).
    """
    if refresh is not None:
        from keruen.sources.http import update_run

        try:
            from keruen.sources import reversions

            with update_run():  # one deadline and byte cap for the whole refresh
                batches = refresh()
            with store.writing():  # an answer equal to an older vintage is a reversion
                batches, _ = reversions.mark(store, list(batches))
                results = ingest_batches(store, batches)
        except SourceError as exc:
            return _fall_back(store, dataset, str(exc))
        added = [r.vintage for r in results if not r.already_present]
        newest = store.vintages(dataset)
        return Freshness(
            dataset, "updated" if added else "unchanged", newest[-1] if newest else None
        )
    held = store.vintages(dataset)
    return Freshness(dataset, "stored", held[-1] if held else None)


def _fall_back(store: Store, dataset: str, error: str) -> Freshness:
    held = store.vintages(dataset)
    status = "stored"
    if not held:
        from keruen.sources.snapshot import ensure_snapshot

        ensure_snapshot(store, quiet=True)
        held = store.vintages(dataset)
        status = "snapshot"
    using = f"the latest stored vintage {held[-1]!r}" if held else "no data (none is bundled)"
    if status == "snapshot" and held:
        using = f"the bundled snapshot's vintage {held[-1]!r}"
    message = f"update of {dataset} failed ({error}); falling back to {using}"
    print(f"keruen: WARNING: {message}", file=sys.stderr)
    warnings.warn(message, StaleDataWarning, stacklevel=2)
    return Freshness(dataset, status, held[-1] if held else None, error)
