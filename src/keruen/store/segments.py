"""Writing the store's versions: the writers' lock, new segments, publishing, merging, GC.

The layout and the reading side are in :mod:`keruen.store.versions`; the design, its
guarantees and its costs in ``docs/store.md``.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from keruen.errors import StoreError
from keruen.store.connect import describe_open_error, duckdb_config, first_line, lock_timeout
from keruen.store.versions import (
    MANIFEST,
    MAX_SEGMENTS,
    SEGMENT_DDL,
    TABLE_COLUMNS,
    Manifest,
    Segment,
    _fsync_dir,
    _fsync_file,
    _sql_text,
    _union,
    lock_path,
    read_manifest,
    spill_dir,
    write_manifest,
)


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
        # CURRENT.<pid>.tmp of older versions; .CURRENT.<random>.tmp of keruen.writing
        stale_tmp = p.name.startswith((MANIFEST + ".", f".{MANIFEST}.")) and p.name.endswith(".tmp")
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
#: What to do with a file or folder at the store's place that is not keruen's.
_ASIDE = ("keruen creates nothing in it: move it aside, or set KERUEN_HOME to another folder "
          "(the store is <KERUEN_HOME>/keruen.duckdb)")
#: First bytes of files that are not DuckDB databases, and what they are.
_MAGIC = {b"SQLite format 3\x00": "a SQLite database", b"PAR1": "a Parquet file",
          b"PK\x03\x04": "a zip archive (or a spreadsheet)", b"\x1f\x8b": "a gzip file"}


def _not_duckdb(path: Path) -> str | None:
    """What the file at ``path`` is, if its first bytes show it is not a DuckDB database.

    Read before DuckDB opens it: DuckDB would try to download an extension for a SQLite file.
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return None  # DuckDB's own open reports it
    if not head:
        return "an empty file"
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            return what
    if head[8:12] != b"DUCK":
        return "damaged or not a keruen store (its first bytes are no DuckDB header)"
    return None


def _refuse_foreign_folder(folder: Path) -> None:
    """Refuse a folder at the store's place holding files, but no keruen manifest or segment."""
    if folder.is_dir():
        entries = [p.name for p in folder.iterdir()]
        if entries and not any(n.startswith(("seg-", "CURRENT", "spill")) for n in entries):
            raise StoreError(
                f"the store at {folder} is a folder that is not a keruen store (it holds "
                f"{len(entries)} entries such as {sorted(entries)[0][:60]!r} and no CURRENT "
                f"manifest); {_ASIDE}"
            )


def _legacy_tables_ok(path: Path) -> int:
    """Check a legacy single-file store (readable, with the tables); its next source id.

    A file that is not keruen's (a SQLite file, another DuckDB database...) is refused, saying
    what it is, before anything is written.
    """
    what = _not_duckdb(path)
    if what is not None:
        tail = "" if what.startswith("damaged") else ", not a keruen store"
        raise StoreError(f"the store at {path} is {what}{tail}; {_ASIDE}")
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
            shown = ", ".join(sorted(names)[:5]) or "none"
            raise StoreError(
                f"the store at {path} is another DuckDB database (its tables: {shown}), not "
                f"a keruen store; {_ASIDE}"
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
        _refuse_foreign_folder(folder)
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
