"""Answers of the REST API kept per store version: a repeated request is not recomputed.

What a data route computes (a table, from :mod:`keruen.api`) depends only on the store's
version and the request's parameters other than paging and format, so it is kept under that
key, least recently used dropped first. A new store version is a new key: nothing stale is
served, and the old entries age out. ETag and 304 work as before (the page is encoded per
request from the kept table).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd

#: Tables kept, the most rows one kept table may have (larger ones are recomputed) and the
#: most rows kept in all (a bound on memory: 256 large tables would be gigabytes).
MAX_ENTRIES = 256
MAX_ROWS = 50_000
MAX_TOTAL_ROWS = 500_000
#: Bytes of encoded pages kept (the pages themselves, as sent).
MAX_ENCODED_BYTES = 64 * 2**20
#: Parameters that change how a table is sent, not what it holds.
PRESENTATION = frozenset({"format", "limit", "offset"})


def answer_key(version: Hashable, path: str, query: Mapping[str, str]) -> tuple[Hashable, ...]:
    """The key of a route's table: store version, path, and the parameters that select rows."""
    chosen = tuple(sorted((k, v) for k, v in query.items() if k not in PRESENTATION))
    return (version, path, chosen)


#: An encoded page: body, media type, headers.
Encoded = tuple[bytes, str, dict[str, str]]


class AnswerCache:
    """A bounded, thread-safe LRU of computed tables and of encoded pages."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_rows: int = MAX_ROWS) -> None:
        self._kept: OrderedDict[tuple[Hashable, ...], pd.DataFrame] = OrderedDict()
        self._encoded: OrderedDict[tuple[Any, ...], Encoded] = OrderedDict()
        self._encoded_bytes = 0
        self._rows = 0
        self._lock = threading.Lock()
        self.max_entries, self.max_rows = max_entries, max_rows
        self.hits = self.misses = 0

    def get(self, key: tuple[Hashable, ...]) -> pd.DataFrame | None:
        """The kept table of ``key``, or None."""
        with self._lock:
            frame = self._kept.get(key)
            if frame is None:
                self.misses += 1
                return None
            self._kept.move_to_end(key)
            self.hits += 1
            return frame

    def put(self, key: tuple[Hashable, ...], frame: pd.DataFrame) -> None:
        """Keep ``frame`` under ``key`` (unless it is larger than :attr:`max_rows`)."""
        if len(frame) > self.max_rows:
            return
        with self._lock:
            if key in self._kept:
                return
            self._kept[key] = frame
            self._rows += len(frame)
            while len(self._kept) > self.max_entries or self._rows > MAX_TOTAL_ROWS:
                _, dropped = self._kept.popitem(last=False)
                self._rows -= len(dropped)

    def encoded(self, key: tuple[Any, ...]) -> Encoded | None:
        """The page kept under ``key`` (store version, path, query, format…), or None."""
        with self._lock:
            page = self._encoded.get(key)
            if page is not None:
                self._encoded.move_to_end(key)
            return page

    def keep_encoded(self, key: tuple[Any, ...], page: Encoded) -> None:
        """Keep an encoded page, dropping the least recently used beyond the byte bound."""
        size = len(page[0])
        if size > MAX_ENCODED_BYTES // 8:
            return
        with self._lock:
            if key in self._encoded:
                return
            self._encoded[key] = page
            self._encoded_bytes += size
            while self._encoded_bytes > MAX_ENCODED_BYTES:
                _, (body, _, _) = self._encoded.popitem(last=False)
                self._encoded_bytes -= len(body)
