"""The store on disk: immutable DuckDB segment files and one atomically replaced manifest.

A store is a folder (``<KERUEN_HOME>/keruen.duckdb`` by default)::

    keruen.duckdb/
        CURRENT                       the manifest: version, next source_id, segment files
        seg-000001-1f3a9c.duckdb      a segment: sources, observations, paper_figures
        seg-000002-77b0e1.duckdb
    keruen.duckdb.lock                the writers' lock (beside the folder)

A segment, once named in ``CURRENT``, is never written again. A writer takes the lock, builds
the next segment under a fresh name, makes it durable, then replaces ``CURRENT`` with
``os.replace`` (atomic on POSIX): before the rename readers see the old version, after it the
new one, never a mix. A reader reads ``CURRENT`` once and attaches every segment it names
read-only to a private in-memory DuckDB, whose views ``sources``, ``observations`` and
``paper_figures`` are the union of the segments; it keeps that version for as long as it holds
the connection. Segments no longer named are unlinked by the next writer: a reader that still
has one attached keeps reading it (POSIX keeps an unlinked, open file), and the space is freed
when the last such reader lets go. A crash at any moment leaves ``CURRENT`` naming whole
segments; a half-built segment is an unnamed file, removed by the next writer.

This module is the layout and the reading side; writing is :mod:`keruen.store.segments` (files)
and :mod:`keruen.store.writer` (the store's rows). See ``docs/store.md`` for the design, its
guarantees and its costs.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from keruen.errors import StoreError
from keruen.store.connect import describe_open_error, duckdb_config
from keruen.store.schema import OBSERVATION_COLUMNS, PAPER_COLUMNS
from keruen.writing import write_bytes

MANIFEST = "CURRENT"
FORMAT = 1
#: Past this many segments a writer merges the smallest ones (see :func:`compaction_plan`).
MAX_SEGMENTS = 12

SOURCE_COLUMNS = (
    "source_id",
    "dataset",
    "vintage",
    "release",
    "kind",
    "title",
    "publisher",
    "url",
    "licence",
    "retrieved",
    "origin",
    "file_name",
    "sha256",
    "notes",
    "n_rows",
    "ingested_at",
)
TABLE_COLUMNS = {
    "sources": SOURCE_COLUMNS,
    "observations": (*OBSERVATION_COLUMNS, "source_id"),
    "paper_figures": (*PAPER_COLUMNS, "source_id"),
}

#: The tables of one segment (no sequence: the writer assigns source ids under its lock).
SEGMENT_DDL = {
    "sources": """CREATE TABLE IF NOT EXISTS sources (
    source_id INTEGER PRIMARY KEY, dataset VARCHAR NOT NULL, vintage VARCHAR NOT NULL,
    release VARCHAR NOT NULL, kind VARCHAR NOT NULL, title VARCHAR, publisher VARCHAR NOT NULL,
    url VARCHAR, licence VARCHAR, retrieved VARCHAR, origin VARCHAR, file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL, notes VARCHAR, n_rows INTEGER NOT NULL,
    ingested_at TIMESTAMP NOT NULL DEFAULT current_timestamp)""",
    "observations": """CREATE TABLE IF NOT EXISTS observations (
    dataset VARCHAR, measure VARCHAR, ref_area VARCHAR, counterpart_area VARCHAR,
    breakdown VARCHAR, period VARCHAR, value DOUBLE, unit VARCHAR, obs_status VARCHAR,
    source_id INTEGER)""",
    "paper_figures": """CREATE TABLE IF NOT EXISTS paper_figures (
    measure VARCHAR, ref_area VARCHAR, counterpart_area VARCHAR, period VARCHAR, value DOUBLE,
    unit VARCHAR, original_source VARCHAR, where_in_paper VARCHAR, source_id INTEGER)""",
}


@dataclass(frozen=True)
class Segment:
    """One immutable segment file named by the manifest."""

    file: str
    bytes: int = 0
    rows: int = 0


@dataclass(frozen=True)
class Manifest:
    """What ``CURRENT`` says: the version number, the next source id and the segments."""

    version: int = 0
    next_source_id: int = 1
    segments: tuple[Segment, ...] = field(default_factory=tuple)

    def to_json(self) -> str:
        """The manifest as the JSON text written to ``CURRENT``."""
        return json.dumps(
            {
                "format": FORMAT,
                "version": self.version,
                "next_source_id": self.next_source_id,
                "segments": [s.__dict__ for s in self.segments],
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse ``CURRENT`` (ValueError when it is not a keruen manifest)."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a keruen store manifest")
        return cls(
            int(data["version"]),
            int(data["next_source_id"]),
            tuple(Segment(**s) for s in data["segments"]),
        )


def lock_path(path: str | Path) -> Path:
    """The writers' lock file of the store at ``path`` (beside its folder)."""
    p = Path(path)
    return p.with_name(p.name + ".lock")


def read_manifest(path: str | Path) -> Manifest | None:
    """The store's current manifest, or None when ``path`` holds no segmented store."""
    folder = Path(path)
    try:
        text = (folder / MANIFEST).read_text("utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise StoreError(describe_open_error(str(path), exc)) from None
    try:
        return Manifest.from_json(text)
    except (ValueError, KeyError, TypeError):
        raise StoreError(
            f"the store at {path} is damaged or not a keruen store (unreadable {MANIFEST}); "
            "move it aside and run the command again to rebuild it from the bundled snapshot"
        ) from None


def version_stamp(path: str | Path) -> tuple[int, int, int] | None:
    """A cheap fingerprint of ``CURRENT`` (inode, size, mtime): changes with every publish."""
    try:
        st = os.stat(Path(path) / MANIFEST)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Replace ``CURRENT`` atomically: a temporary file, fsync, ``os.replace``, fsync the folder."""
    write_bytes(folder / MANIFEST, manifest.to_json().encode("utf-8"), durable=True)


def spill_dir(path: str | Path) -> str:
    """Where a connection over the store at ``path`` spills (created by DuckDB if it must)."""
    return str(Path(path) / "spill")


def reader_config(path: str | Path) -> dict[str, Any]:
    """DuckDB settings of a reader's private in-memory database."""
    return duckdb_config() | {"temp_directory": spill_dir(path)}


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


def _union(table: str, aliases: list[str]) -> str:
    cols = ", ".join(TABLE_COLUMNS[table])
    return " UNION ALL ".join(f"SELECT {cols} FROM {a}.main.{table}" for a in aliases)


def version_identity(path: str | Path, manifest: Manifest) -> tuple[str, int, tuple[str, ...]]:
    """What identifies a store version: its folder, number and segment files (unique names)."""
    return str(Path(path).resolve()), manifest.version, tuple(s.file for s in manifest.segments)


def open_reader(path: str | Path) -> tuple[Any, Manifest]:
    """A read-only connection over the current version of the store at ``path``.

    Retries when a segment vanished between reading ``CURRENT`` and attaching it (a writer
    merged it away meanwhile): the next read of ``CURRENT`` names the segments that replaced it.
    """
    folder = Path(path)
    for attempt in range(20):
        manifest = read_manifest(folder)
        if manifest is None:
            raise StoreError(f"no keruen store at {path}")
        con = duckdb.connect(":memory:", config=reader_config(folder))
        try:
            con.execute("SET enable_progress_bar = false")
            attach_segments(con, folder, manifest)
            return con, manifest
        except duckdb.Error as exc:
            con.close()
            gone = [s for s in manifest.segments if not (folder / s.file).exists()]
            if gone and attempt < 19 and read_manifest(folder) != manifest:
                time.sleep(0.01)
                continue
            raise StoreError(describe_open_error(str(folder), exc)) from None
    raise StoreError(f"the store at {path} keeps changing; try again")  # pragma: no cover


def attach_segments(con: Any, folder: Path, manifest: Manifest) -> None:
    """Attach ``manifest``'s segments read-only to ``con`` and define the store's views."""
    if not manifest.segments:
        for ddl in SEGMENT_DDL.values():
            con.execute(ddl)
        return
    aliases = []
    for i, seg in enumerate(manifest.segments):
        alias = f"keruen_seg{i}"
        con.execute(f"ATTACH '{_sql_text(str(folder / seg.file))}' AS {alias} (READ_ONLY)")
        aliases.append(alias)
    for table in TABLE_COLUMNS:
        con.execute(f"CREATE VIEW {table} AS {_union(table, aliases)}")


class LatestReader:
    """Connections over the newest version of a store, for a long-running reader (the server).

    Each :meth:`cursor` first compares ``CURRENT``'s fingerprint with the one read (one
    ``stat``); when a writer has published since, the new version is opened and later cursors
    read it, while cursors already handed out finish on the version they started with (the old
    connection is dropped, not closed: its database goes when its last cursor does). A version
    that cannot be opened is reported once and the previous one kept.
    """

    def __init__(self, path: str | Path) -> None:
        import threading

        self.path = str(path)
        self._lock = threading.Lock()
        self._stamp = version_stamp(self.path)
        self._con, self._manifest = open_reader(self.path)

    @property
    def version(self) -> int:
        """The version new cursors read (after checking for a newer one)."""
        self._refresh()
        return self._manifest.version

    def _refresh(self) -> None:
        stamp = version_stamp(self.path)
        if stamp == self._stamp:
            return
        with self._lock:
            if stamp == self._stamp:
                return
            try:
                con, manifest = open_reader(self.path)
            except StoreError as exc:
                print(f"keruen: warning: {exc}; still serving version "
                      f"{self._manifest.version}", file=sys.stderr)  # fmt: skip
                self._stamp = stamp
                return
            self._con, self._manifest, self._stamp = con, manifest, stamp

    def cursor(self) -> Any:
        """A cursor over the newest version (one consistent version for its whole life)."""
        return self.versioned_cursor()[0]

    def versioned_cursor(self) -> tuple[Any, Manifest]:
        """A cursor over the newest version, with that version's manifest."""
        self._refresh()
        with self._lock:
            return self._con.cursor(), self._manifest
