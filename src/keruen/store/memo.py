"""Results computed once per store version and reused while that version is read.

A store version never changes once published (``docs/store.md``), so what is derived from it
alone — e.g. every area's inputs of the remittance panel — can be kept for as long as some
reader reads that version: the REST API then answers a request for new parameters by slicing
it instead of querying the store again. Entries are keyed by the version's identity (the
store's folder, the version number and its segment files, whose names are unique); a newer
version is another key, and the least recently used entries are dropped beyond
:data:`MAX_ENTRIES`. An in-memory store, which changes in place, is never memoised.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

#: Most entries kept in one process (each a few MB at most: one derived table per version).
MAX_ENTRIES = 16

_entries: OrderedDict[tuple[Hashable, Hashable], Any] = OrderedDict()
_lock = threading.Lock()


def per_version(store: Any, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` once per version of ``store`` and ``key``; later calls get the same object.

    Callers must not change what they get. Two threads asking at once may both compute; the
    first stored wins. Without a version identity (``store.version_key`` None) it just computes.
    """
    version = getattr(store, "version_key", None)
    if version is None:
        return compute()
    full = (version, key)
    with _lock:
        if full in _entries:
            _entries.move_to_end(full)
            return _entries[full]  # type: ignore[no-any-return]
    value = compute()
    with _lock:
        value = _entries.setdefault(full, value)
        _entries.move_to_end(full)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value  # type: ignore[no-any-return]


def clear() -> None:
    """Forget every entry (tests)."""
    with _lock:
        _entries.clear()
