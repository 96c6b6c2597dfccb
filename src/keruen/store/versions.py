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

See ``docs/store.md`` for the design, its guarantees and its costs.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from keruen.errors import StoreError
from keruen.store.connect import describe_open_error, duckdb_config, first_line, lock_timeout
from keruen.store.schema import OBSERVATION_COLUMNS, PAPER_COLUMNS

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
    tmp = folder / f"{MANIFEST}.{os.getpid()}.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(manifest.to_json())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, folder / MANIFEST)
    _fsync_dir(folder)


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


# -- writers --------------------------------------------------------------------------------
class _Lock:
    """An exclusive ``flock`` on the store's lock file (released by the kernel if we die)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self, store: str) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(describe_open_error(store, exc)) from None
        deadline = time.monotonic() + lock_timeout()
        delay, warned = 0.02, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                left = deadline - time.monotonic()
                holder = _holder(fd)
                if left <= 0:
                    os.close(fd)
                    raise StoreError(
                        f"the store at {store} is still being updated by another keruen "
                        f"process{holder} after {lock_timeout():g} s (KERUEN_LOCK_TIMEOUT); "
                        "try again later"
                    ) from None
                if not warned:
                    print(
                        f"keruen: the store at {store} is being updated by another keruen "
                        f"process{holder}; waiting up to {lock_timeout():g} s "
                        "(KERUEN_LOCK_TIMEOUT) to write after it (readers are not affected)",
                        file=sys.stderr,
                        flush=True,
                    )
                    warned = True
                time.sleep(min(delay, max(left, 0.001)))
                delay = min(delay * 1.5, 0.25)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode().strip()
    except OSError:
        return ""
    return f" (process {pid})" if pid.isdigit() else ""


_HELD: dict[str, int] = {}  # store folders whose lock this process holds, with nesting depth


@contextmanager
def writer_lock(path: str | Path) -> Iterator[None]:
    """Hold the store's writers' lock (re-entrant within a process); waits, saying so once."""
    key = str(Path(path).resolve())
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    lock = _Lock(lock_path(path))
    lock.acquire(str(path))
    _HELD[key] = 1
    try:
        yield
    finally:
        _HELD.pop(key, None)
        lock.release()


def new_segment_path(folder: Path, version: int) -> Path:
    """A fresh, unused name for the segment of ``version``."""
    return folder / f"seg-{version:06d}-{os.urandom(4).hex()}.duckdb"


def segment_config(path: str | Path) -> dict[str, Any]:
    """DuckDB settings of a connection building a segment of the store at ``path``."""
    return duckdb_config() | {"temp_directory": spill_dir(path)}


def discard(segment: Path) -> None:
    """Remove an unpublished segment file and its write-ahead log."""
    for suffix in ("", ".wal"):
        Path(str(segment) + suffix).unlink(missing_ok=True)


def seal(segment: Path, rows: int) -> Segment:
    """The built segment's entry in a manifest, after making its bytes durable."""
    if Path(str(segment) + ".wal").exists():  # pragma: no cover - closed connections checkpoint
        raise StoreError(f"the new segment {segment.name} was not checkpointed")
    _fsync_file(segment)
    return Segment(segment.name, segment.stat().st_size, rows)


def publish(folder: Path, current: Manifest, added: list[Segment], next_source_id: int,
            removed: tuple[str, ...] = ()) -> Manifest:  # fmt: skip
    """Make ``added`` part of the store (the caller holds the writers' lock)."""
    kept = tuple(s for s in current.segments if s.file not in removed)
    manifest = Manifest(current.version + 1, next_source_id, kept + tuple(added))
    write_manifest(folder, manifest)
    return manifest


def collect_garbage(folder: Path, manifest: Manifest) -> None:
    """Remove segment files the manifest no longer names (the caller holds the lock)."""
    named = {s.file for s in manifest.segments}
    for p in folder.iterdir():
        base = p.name.removesuffix(".wal")
        stale_seg = base.startswith("seg-") and base.endswith(".duckdb") and base not in named
        stale_tmp = p.name.startswith(MANIFEST + ".") and p.name.endswith(".tmp")
        if stale_seg or stale_tmp:
            try:
                p.unlink()
            except OSError:
                pass


def compaction_plan(manifest: Manifest, limit: int = MAX_SEGMENTS) -> list[Segment]:
    """The segments to merge into one, or [] when there are at most ``limit``.

    The smallest segments are merged, enough of them to bring the count down to half the
    limit: a large segment is rewritten only when it is among the smallest, so loading small
    files into a big store never copies the big part on each load.
    """
    if len(manifest.segments) <= limit:
        return []
    by_size = sorted(manifest.segments, key=lambda s: (s.bytes, s.file))
    return by_size[: len(manifest.segments) - limit // 2 + 1]


def merge(folder: Path, manifest: Manifest, parts: list[Segment]) -> Manifest:
    """Rewrite ``parts`` as one segment and publish the version without them (lock held)."""
    target = new_segment_path(folder, manifest.version + 1)
    con = duckdb.connect(str(target), config=segment_config(folder))
    try:
        con.execute("SET enable_progress_bar = false")
        aliases = []
        for i, seg in enumerate(parts):
            alias = f"keruen_part{i}"
            con.execute(f"ATTACH '{_sql_text(str(folder / seg.file))}' AS {alias} (READ_ONLY)")
            aliases.append(alias)
        for table in TABLE_COLUMNS:
            con.execute(SEGMENT_DDL[table])
            cols = ", ".join(TABLE_COLUMNS[table])
            con.execute(f"INSERT INTO {table} ({cols}) {_union(table, aliases)}")
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        discard(target)
        raise
    con.close()
    sealed = seal(target, sum(s.rows for s in parts))
    return publish(folder, manifest, [sealed], manifest.next_source_id,
                   tuple(s.file for s in parts))  # fmt: skip


# -- creating and migrating ---------------------------------------------------------------
def _legacy_tables_ok(path: Path) -> int:
    """Check a legacy single-file store (readable, with the tables); its next source id."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise StoreError(describe_open_error(str(path), exc)) from None
    try:
        names = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()
        }
        if not {"sources", "observations", "paper_figures"} <= names:
            raise StoreError(
                f"the store at {path} is damaged or not a keruen store (its tables are "
                "missing); move it aside and run the command again to rebuild it"
            )
        next_id = con.execute("SELECT coalesce(max(source_id), 0) + 1 FROM sources").fetchall()
    except duckdb.Error as exc:
        raise StoreError(describe_open_error(str(path), exc)) from None
    finally:
        con.close()
    return int(next_id[0][0])


def ensure_store(path: str | Path) -> None:
    """Create the store folder at ``path``, or turn a legacy single-file store into one.

    A legacy file is moved (renamed, not copied) into the new folder as its first segment.
    """
    folder = Path(path)
    if read_manifest(folder) is not None:
        return
    with writer_lock(folder):
        if read_manifest(folder) is not None:
            return
        staging = folder.with_name(folder.name + ".new")
        try:
            if folder.is_file():
                next_id = _legacy_tables_ok(folder)
                if staging.exists():
                    _remove_tree(staging)
                staging.mkdir(parents=True)
                seg = new_segment_path(staging, 1)
                os.replace(folder, seg)
                wal = Path(str(folder) + ".wal")
                if wal.exists():
                    os.replace(wal, Path(str(seg) + ".wal"))
                _checkpoint(seg)
                manifest = Manifest(1, next_id, (Segment(seg.name, seg.stat().st_size),))
                write_manifest(staging, manifest)
                os.replace(staging, folder)
            elif staging.is_dir() and read_manifest(staging) is not None and not folder.exists():
                os.replace(staging, folder)  # a migration interrupted after its manifest
            else:
                if staging.exists() and not folder.exists():
                    segs = [p for p in staging.iterdir() if p.name.startswith("seg-")]
                    if segs:  # interrupted before its manifest: finish it
                        seg = segs[0]
                        _checkpoint(seg)
                        next_id = _legacy_tables_ok(seg)
                        manifest = Manifest(1, next_id, (Segment(seg.name, seg.stat().st_size),))
                        write_manifest(staging, manifest)
                        os.replace(staging, folder)
                        return
                folder.mkdir(parents=True, exist_ok=True)
                write_manifest(folder, Manifest())
            _fsync_dir(folder.parent)
        except OSError as exc:
            raise StoreError(describe_open_error(str(path), exc)) from None


def _checkpoint(path: Path) -> None:
    """Fold a legacy file's write-ahead log into it (read-write open and close)."""
    try:
        duckdb.connect(str(path)).close()
    except duckdb.Error as exc:
        raise StoreError(f"cannot open the store at {path}: {first_line(exc)}") from None


def _remove_tree(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


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
        self._refresh()
        return self._con.cursor()
