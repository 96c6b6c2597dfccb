"""Helpers shared by the connectors: validating remote tables, content digests, ingesting.

A connector's ``update`` returns :class:`Batch` objects (a validated table and its provenance)
without touching the store; :func:`ingest_batches` then lands them all in ONE transaction, so a
failure anywhere leaves the store as it was. The sha256 of a batch is a digest of its tidy
content (not of the HTTP bytes, which carry volatile headers and paging), so fetching the same
upstream data again adds no vintage while any changed value adds one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from keruen.errors import InputError, SourceError
from keruen.sources.validate import validate_observations
from keruen.store import IngestResult, Provenance, Store
from keruen.store.schema import OBSERVATION_COLUMNS, OBSERVATION_KEY


@dataclass(frozen=True)
class Batch:
    """A validated tidy table and the provenance it will be stored under."""

    frame: pd.DataFrame
    provenance: Provenance


def empty_observations() -> pd.DataFrame:
    """An empty table in the store's observation shape."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in OBSERVATION_COLUMNS})


def validate_remote(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """Validate a table parsed from a remote answer; a failure is a :class:`SourceError`."""
    try:
        return validate_observations(frame, where)
    except InputError as exc:
        raise SourceError(f"the answer does not have the expected content: {exc}") from None


def content_sha256(frame: pd.DataFrame, *extra: str) -> str:
    """A digest of a tidy table's content (row order ignored) and of ``extra`` strings."""
    ordered = frame[list(OBSERVATION_COLUMNS)].sort_values(
        list(OBSERVATION_KEY), na_position="first"
    )
    digest = hashlib.sha256()
    for part in extra:
        digest.update(part.encode())
        digest.update(b"\x00")
    digest.update(ordered.to_csv(index=False, lineterminator="\n").encode())
    return digest.hexdigest()


def today() -> str:
    """Today's date (UTC) as ISO text, for ``Provenance.retrieved``."""
    return datetime.now(UTC).date().isoformat()


def ingest_batches(store: Store, batches: Sequence[Batch]) -> list[IngestResult]:
    """Ingest every batch in one transaction: all land or none does."""
    return store.ingest_many((b.frame, b.provenance) for b in batches)
