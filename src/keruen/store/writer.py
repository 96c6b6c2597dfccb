"""Writing the store: one new version per ingest (a segment published atomically), or nothing.

The :class:`~keruen.store.Store` methods ``writing`` and ``ingest_many`` call these functions;
the files' side (lock, segments, publishing) is :mod:`keruen.store.segments`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from keruen.errors import StoreError
from keruen.store.connect import LoadInterrupted, active, cancelled
from keruen.store.records import IngestResult, Provenance, _reason
from keruen.store.schema import OBSERVATION_COLUMNS, PAPER_COLUMNS
from keruen.store.segments import (
    collect_garbage,
    compaction_plan,
    discard,
    merge,
    new_segment_path,
    publish,
    seal,
    segment_config,
    writer_lock,
)
from keruen.store.versions import SEGMENT_DDL, Manifest, read_manifest


@dataclass
class Writing:
    """A writer's turn: the version it builds on, its new segment's path, the next source id."""

    manifest: Manifest
    segment: Path
    source_id: int
    published: bool = field(default=False)


def _close_quietly(con: Any) -> None:
    try:
        con.close()
    except Exception:  # noqa: BLE001 - a broken connection needs no close
        pass


@contextmanager
def writing(store: Any) -> Iterator[Writing]:
    """Hold the writers' turn: what :meth:`ingest_many` needs to build the next segment.

    Inside, :attr:`Writing.segment` is where a file may be parsed straight into the store's
    next segment (``stage_file(..., into=w.segment, source_id=w.source_id)``), so its rows
    are written once; the store read meanwhile is the newest version.
    """
    if store.read_only:
        raise StoreError(f"the store at {store.path} was opened read-only")
    if store.path == ":memory:":  # ingest_many numbers its sources itself
        yield Writing(Manifest(), Path(":memory:"), 0)
        return
    if store._writing is not None:
        yield store._writing
        return
    with writer_lock(store.path):
        manifest = read_manifest(store.path)
        if manifest is None:  # the folder was removed under us
            raise StoreError(f"the store at {store.path} disappeared while writing")
        if store._manifest is None or store._manifest.version != manifest.version:
            store.close()  # read the newest version: held files, vintages, ids
        folder = Path(store.path)
        store._writing = Writing(
            manifest, new_segment_path(folder, manifest.version + 1), manifest.next_source_id
        )
        try:
            yield store._writing
        finally:
            if not store._writing.published:
                discard(store._writing.segment)  # unused, or left by a failed write
            store._writing = None


def write_version(store: Any, items: list[tuple[Any, Provenance]]) -> list[IngestResult]:
    """Write ``items`` as one new segment and publish it (see :meth:`Store.ingest_many`)."""
    from keruen.store.staging import Staged

    with writing(store) as w:
        direct = [f for f, _ in items if isinstance(f, Staged) and f.path == w.segment]
        if direct:
            if len(items) != 1:
                raise StoreError("a table staged into the next segment must be written alone")
            con = direct[0].con
        else:
            try:
                con = duckdb.connect(str(w.segment), config=segment_config(store.path))
            except duckdb.Error as exc:
                raise StoreError(
                    f"writing the store at {store.path} failed ({_reason(exc)}); nothing "
                    "was written, the store is unchanged"
                ) from None
        try:
            with active(con):
                for ddl in SEGMENT_DDL.values():
                    con.execute(ddl)
                results = _fill(store, con, items, w)
                if cancelled():
                    raise LoadInterrupted("interrupted")
            if all(r.already_present for r in results):
                return results
            if direct:
                direct[0].seal()
            else:
                con.close()
            sealed = seal(w.segment, sum(r.rows_added for r in results))
            manifest = publish(Path(store.path), w.manifest, [sealed], w.source_id)
            w.published = True
        except BaseException as exc:
            _close_quietly(con)
            discard(w.segment)
            if cancelled():
                raise LoadInterrupted(
                    f"interrupted (Ctrl-C); nothing was written, the store at {store.path} "
                    "is unchanged"
                ) from None
            if isinstance(exc, duckdb.Error | OSError):
                raise StoreError(
                    f"writing the store at {store.path} failed ({_reason(exc)}); nothing was "
                    "written, the store is unchanged"
                ) from None
            raise
        finally:
            if not direct:
                _close_quietly(con)
        store.close()  # the next query reads the new version
        _tidy(store, manifest)
    return results


def _tidy(store: Any, manifest: Manifest) -> None:
    """Remove unnamed segments and merge small ones (lock held; a failure only warns)."""
    folder = Path(store.path)
    try:
        collect_garbage(folder, manifest)
        parts = compaction_plan(manifest)
        if parts:
            manifest = merge(folder, manifest, parts)
            collect_garbage(folder, manifest)
    except (duckdb.Error, OSError, StoreError) as exc:
        import sys

        print(
            f"keruen: warning: merging the store's segments failed ({_reason(exc)}); "
            "the data written is safe, the merge is retried after the next write",
            file=sys.stderr,
        )


def _fill(
    store: Any, con: Any, items: list[tuple[Any, Provenance]], w: Writing
) -> list[IngestResult]:
    """Write every item not yet held into the segment ``con`` builds; their results."""
    from keruen.store.staging import Staged

    results: list[IngestResult] = []
    batch: dict[str, IngestResult] = {}
    vintages: set[tuple[str, str]] = set()
    for frame, prov in items:
        if cancelled():
            break
        row = store.con.execute(
            "SELECT source_id, vintage FROM sources WHERE sha256 = ?", [prov.sha256]
        ).fetchall()
        if row:
            results.append(IngestResult(int(row[0][0]), 0, True, str(row[0][1])))
            continue
        if prov.sha256 in batch:
            done = batch[prov.sha256]
            results.append(IngestResult(done.source_id, 0, True, done.vintage))
            continue
        if callable(frame):
            frame = frame()
        vintage = prov.vintage
        clash = (prov.dataset, vintage) in vintages or store.con.execute(
            "SELECT 1 FROM sources WHERE dataset = ? AND vintage = ?", [prov.dataset, vintage]
        ).fetchall()
        if clash:  # same release label, different content: keep both, distinctly
            vintage = f"{vintage}+{prov.sha256[:8]}"
        source_id = w.source_id
        w.source_id += 1
        n_rows = frame.n_rows if isinstance(frame, Staged) else len(frame)
        fields = {"source_id": source_id, **asdict(prov), "vintage": vintage}
        fields["n_rows"] = n_rows
        cols = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        con.execute(f"INSERT INTO sources ({cols}) VALUES ({marks})", list(fields.values()))
        table, columns = (
            ("paper_figures", PAPER_COLUMNS)
            if prov.kind == "paper_figures"
            else ("observations", OBSERVATION_COLUMNS)
        )
        if isinstance(frame, Staged) and frame.con is con:  # parsed into this segment
            if frame.source_id != source_id or frame.table != table:
                raise StoreError("internal: a staged segment was built for another source")
        else:
            staged: Any = frame.batches() if isinstance(frame, Staged) else frame[list(columns)]
            con.register("_staged", staged)
            try:
                con.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}, source_id) "
                    f"SELECT {', '.join(columns)}, {int(source_id)} FROM _staged"
                )
            finally:
                con.unregister("_staged")
        result = IngestResult(source_id, n_rows, False, vintage)
        batch[prov.sha256] = result
        vintages.add((prov.dataset, vintage))
        results.append(result)
    return results


def memory_transaction(
    store: Any, con: Any, items: Iterable[tuple[Any, Provenance]]
) -> list[IngestResult]:
    """An in-memory store's write: one DuckDB transaction."""
    results: list[IngestResult] = []
    con.execute("BEGIN TRANSACTION")
    try:
        with active(con):
            for frame, prov in items:
                if cancelled():
                    break
                results.append(_ingest_one(store, con, frame, prov))
            if cancelled():
                raise LoadInterrupted("interrupted")
            con.execute("COMMIT")
    except BaseException as exc:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass  # the failed COMMIT already ended the transaction
        if cancelled():
            raise LoadInterrupted(
                f"interrupted (Ctrl-C); nothing was written, the store at {store.path} is unchanged"
            ) from None
        if isinstance(exc, duckdb.Error):
            raise StoreError(
                f"writing the store at {store.path} failed ({_reason(exc)}); nothing was "
                "written, the store is unchanged"
            ) from None
        raise
    return results


def _ingest_one(store: Any, con: Any, frame: Any, prov: Provenance) -> IngestResult:
    from keruen.store.staging import Staged

    row = con.execute(
        "SELECT source_id, vintage FROM sources WHERE sha256 = ?", [prov.sha256]
    ).fetchall()
    if row:
        return IngestResult(int(row[0][0]), 0, True, str(row[0][1]))
    if callable(frame):
        frame = frame()
    vintage = prov.vintage
    clash = con.execute(
        "SELECT 1 FROM sources WHERE dataset = ? AND vintage = ?", [prov.dataset, vintage]
    ).fetchall()
    if clash:  # same release label, different content: keep both, distinctly
        vintage = f"{vintage}+{prov.sha256[:8]}"
    n_rows = frame.n_rows if isinstance(frame, Staged) else len(frame)
    fields = asdict(prov) | {"vintage": vintage, "n_rows": n_rows}
    cols = ", ".join(fields)
    marks = ", ".join("?" for _ in fields)
    source_id = con.execute(
        f"INSERT INTO sources ({cols}) VALUES ({marks}) RETURNING source_id",
        list(fields.values()),
    ).fetchall()[0][0]
    table, columns = (
        ("paper_figures", PAPER_COLUMNS)
        if prov.kind == "paper_figures"
        else ("observations", OBSERVATION_COLUMNS)
    )
    staged: Any = frame.batches() if isinstance(frame, Staged) else frame[list(columns)]
    con.register("_staged", staged)
    try:
        con.execute(
            f"INSERT INTO {table} ({', '.join(columns)}, source_id) "
            f"SELECT {', '.join(columns)}, {int(source_id)} FROM _staged"
        )
    finally:
        con.unregister("_staged")
    return IngestResult(int(source_id), n_rows, False, vintage)
