"""The versioned store: tidy observations with provenance in immutable DuckDB segments.

The names are imported on first use, so importing a light submodule (``keruen.store.rows``,
e.g. for ``keruen --help``) does not import DuckDB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keruen.store.database import IngestResult, Provenance, Store

__all__ = ["IngestResult", "Provenance", "Store"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from keruen.store import database

        return getattr(database, name)
    raise AttributeError(f"module 'keruen.store' has no attribute {name!r}")
