"""The versioned store: tidy observations with provenance in one DuckDB file."""

from keruen.store.database import IngestResult, Provenance, Store

__all__ = ["IngestResult", "Provenance", "Store"]
