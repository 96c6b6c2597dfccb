"""What an ingest records and answers: a file's provenance, the result of its ingest."""

from __future__ import annotations

from dataclasses import dataclass

from keruen.store.connect import first_line


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if "No space left" in text or "disk is full" in text.lower():
        return "the disk is full"
    if "File too large" in text:
        return "the file size limit was reached"
    return first_line(exc)


@dataclass(frozen=True)
class Provenance:
    """Where an ingested file came from; stored in the ``sources`` table."""

    dataset: str
    vintage: str
    release: str
    publisher: str
    file_name: str
    sha256: str
    title: str = ""
    url: str = ""
    licence: str = ""
    retrieved: str = ""
    origin: str = ""
    notes: str = ""
    kind: str = "observations"


@dataclass(frozen=True)
class IngestResult:
    """What one ingest did: the source row it made (or found) and how many rows it added."""

    source_id: int
    rows_added: int
    already_present: bool
    vintage: str
