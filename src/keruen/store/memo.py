"""Results computed once per store version and reused while that version is read.

A store version never changes once published (``docs/store.md``), so what is derived from it
alone — e.g. every area's inputs of the remittance panel — can be kept for as long as some
reader reads that version: the REST API then answers a request for new parameters by slicing
it instead of querying the store again. Entries are keyed by the version's identity (the
store's folder, the version number and its segment files, whose names are unique); a newer
version is another key. Only the :data:`VERSIONS_KEPT` newest versions of a store keep entries
(a server updated weekly does not accumulate a table per week), and at most
:data:`MAX_ENTRIES` in all, the least recently used dropped first. An in-memory store, which
changes in place, is never memoised.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

#: Most entries kept in one process (the remittance panel's inputs: about 20 MB each).
MAX_ENTRIES = 8
#: Newest versions of one store whose entries are kept (the one served and the one before,
#: which requests started before an update still read).
VERSIONS_KEPT = 2

_entries: OrderedDict[tuple[tuple[Any, ...], Hashable], Any] = OrderedDict()
_lock = threading.Lock()


#: What an entry holds between the first and the second time its key is asked for.
_ASKED = object()


def when_asked_again(store: Any, key: Hashable, compute: Callable[[], T]) -> T | None:
    """None the first time ``key`` is asked for this version; from the second, ``compute()``.

    The result is kept for this version. For a result that costs more than one caller's own
    narrower read (e.g. every area's rows when one area is asked for): a one-off command
    reads just what it needs, and a reader asked again and again (the server) computes it
    once. ``store.version_key`` is ``(folder, number, ...)``
    (:func:`keruen.store.versions.version_identity`); None there also answers None.
    """
    version = getattr(store, "version_key", None)
    if version is None:
        return None
    full = (version, key)
    with _lock:
        held = _entries.get(full)
        if held is None:
            _keep(full, _ASKED)
            return None
        if held is not _ASKED:
            _entries.move_to_end(full)
            return held  # type: ignore[no-any-return]
    value = compute()  # two threads asking at once may both compute: the first kept wins
    with _lock:
        held = _entries.get(full, _ASKED)
        value = value if held is _ASKED else held
        _keep(full, value)
    return value  # type: ignore[no-any-return]


def _keep(full: tuple[tuple[Any, ...], Hashable], value: Any) -> None:
    """Store ``value`` as the newest entry; forget old versions and the least recently used."""
    _entries[full] = value
    _entries.move_to_end(full)
    _forget_old_versions(full[0])
    while len(_entries) > MAX_ENTRIES:
        _entries.popitem(last=False)


def _forget_old_versions(version: tuple[Any, ...]) -> None:
    """Drop the entries of the store of ``version`` older than its newest kept versions."""
    mine = [entry for entry in _entries if entry[0][0] == version[0]]
    newest = sorted({entry[0][1] for entry in mine}, reverse=True)[:VERSIONS_KEPT]
    for entry in mine:
        if entry[0][1] not in newest:
            del _entries[entry]


def clear() -> None:
    """Forget every entry (tests)."""
    with _lock:
        _entries.clear()
