"""The bundled real-data snapshot: Parquet files shipped inside the package, with provenance.

``ensure_snapshot`` loads into a store every bundled file it does not hold yet (by sha256), all
in one transaction; it is what makes keruen work offline on first use.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from keruen.errors import InputError
from keruen.sources.files import sha256_of, stage_file
from keruen.store import IngestResult, Provenance, Store
from keruen.store.staging import Staged


@dataclass(frozen=True)
class SnapshotFile:
    """One bundled file and its provenance as given in ``manifest.toml``."""

    path: Path
    provenance: Provenance


def snapshot_dir() -> Path:
    """Folder of the bundled snapshot inside the installed package."""
    return Path(str(resources.files("keruen.data.snapshot")))


@cache
def manifest() -> tuple[SnapshotFile, ...]:
    """The snapshot's files with provenance (sha256 computed from the shipped bytes)."""
    import tomllib  # parsed only when the store lacks a bundled file (see pending_files)

    folder = snapshot_dir()
    manifest_path = folder / "manifest.toml"
    try:
        entries = tomllib.loads(manifest_path.read_text("utf-8"))["file"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise InputError(f"unreadable snapshot manifest: {exc}", file=manifest_path) from None
    files = []
    for i, entry in enumerate(entries, start=1):
        path = folder / entry["file"]
        if not path.exists():
            raise InputError(
                "a file listed in the snapshot manifest is missing from the package",
                file=path,
                row=i,
                field="file",
            )
        prov = Provenance(
            dataset=entry["dataset"],
            vintage=entry["vintage"],
            release=entry["release"],
            publisher=entry["publisher"],
            file_name=entry["file"],
            sha256=sha256_of(path),
            title=entry.get("title", ""),
            url=entry.get("url", ""),
            licence=entry.get("licence", ""),
            retrieved=entry.get("retrieved", ""),
            origin=entry.get("origin", ""),
            notes=entry.get("notes", ""),
            kind=entry.get("kind", "observations"),
        )
        files.append(SnapshotFile(path, prov))
    return tuple(files)


#: Suffixes of the bundled data files (everything else in the folder is package machinery).
_DATA_SUFFIXES = (".parquet", ".csv")


def pending_files(store: Store) -> list[SnapshotFile]:
    """The bundled files the store does not hold yet.

    Every command asks this, so the common answer (all held) comes from the data files' digests
    alone; the manifest is parsed only when one of them is not held.
    """
    held = store.held_files()
    bundled = [p for p in snapshot_dir().iterdir() if p.suffix in _DATA_SUFFIXES]
    if bundled and all(sha256_of(p) in held for p in bundled):
        return []
    return [f for f in manifest() if f.provenance.sha256 not in held]


def ensure_snapshot(store: Store, *, quiet: bool = False) -> list[IngestResult]:
    """Load every bundled file the store lacks, in one transaction; returns what was done.

    Each file is read and validated by DuckDB (:func:`keruen.sources.files.stage_file`).
    """
    pending = pending_files(store)
    if not pending:
        return []
    if not quiet:
        print(
            f"keruen: loading the bundled snapshot ({len(pending)} files) into {store.path}",
            file=sys.stderr,
        )
    staged: list[Staged] = []

    def stage(f: SnapshotFile) -> Staged:
        staged.append(stage_file(f.path, f.provenance.kind, in_memory=True))
        return staged[-1]

    try:
        return store.ingest_many(((lambda f=f: stage(f)), f.provenance) for f in pending)
    finally:
        for s in staged:
            s.close()


def open_store(
    path: str | Path | None = None, *, quiet: bool = False, read_only: bool = False
) -> Store:
    """Open (creating if needed) the store and make sure the bundled snapshot is in it.

    The store is read through a read-only connection that other processes share; whichever
    command comes first loads the snapshot (briefly holding the store read-write). With
    ``read_only=True`` the returned store refuses ingests.
    """
    store = Store(path)
    try:
        ensure_snapshot(store, quiet=quiet)
    except BaseException:
        store.close()
        raise
    store.read_only = read_only
    return store
