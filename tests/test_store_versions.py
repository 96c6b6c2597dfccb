"""Issue 20, item 1: the store's versions — immutable segments behind an atomic manifest.

A reader keeps the version it opened, whatever writers publish or merge meanwhile; a writer's
unpublished segment is invisible and removed by the next writer; small segments are merged
without changing a row; a store in the former one-file layout is moved into a segment (no
copy) with its rows and source ids; the server's reader follows new versions.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from keruen.store import Store
from keruen.store.schema import DDL
from keruen.store.versions import MAX_SEGMENTS, LatestReader, read_manifest
from tests.conftest import provenance, tidy


def _ingest(store: Store, k: int) -> None:
    store.ingest(tidy([("pop", "KAZ", str(1900 + k), float(k))]), provenance(f"{k:064x}", f"v{k}"))


def _count(store: Store) -> int:
    return int(store.con.execute("SELECT count(*) FROM observations").fetchall()[0][0])


def test_a_reader_keeps_its_version_while_writers_publish(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb"
    writer, reader = Store(path), Store(path, read_only=True)
    _ingest(writer, 1)
    assert _count(reader) == 1
    _ingest(writer, 2)
    assert _count(reader) == 1  # the version it opened, for as long as it holds it
    assert reader.refresh() is True
    assert _count(reader) == 2
    assert read_manifest(path).version == 2  # the empty store is version 0; two loads


def test_a_reader_keeps_reading_segments_a_merge_removed(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb"
    writer, reader = Store(path), Store(path, read_only=True)
    for k in range(MAX_SEGMENTS):
        _ingest(writer, k)
    before = reader.checksum()
    assert _count(reader) == MAX_SEGMENTS
    _ingest(writer, MAX_SEGMENTS)  # one segment too many: the smallest are merged
    manifest = read_manifest(path)
    assert len(manifest.segments) <= MAX_SEGMENTS // 2 + 1
    named = {s.file for s in manifest.segments}
    assert {p.name for p in path.glob("seg-*.duckdb")} == named  # merged-away files removed
    assert reader.checksum() == before  # still reads its version, from the unlinked files
    reader.close()
    assert _count(reader) == MAX_SEGMENTS + 1
    with Store(path) as fresh:
        ids = [r[0] for r in fresh.con.sql("SELECT source_id FROM sources ORDER BY 1").fetchall()]
    assert ids == list(range(1, MAX_SEGMENTS + 2))


def test_merging_changes_no_row(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb"
    store = Store(path)
    for k in range(MAX_SEGMENTS):
        _ingest(store, k)
    rows = (
        store.con.execute("SELECT * EXCLUDE (ingested_at) FROM sources ORDER BY ALL").fetchall(),
        store.con.execute("SELECT * FROM observations ORDER BY ALL").fetchall(),
    )
    _ingest(store, 99)
    after = (
        store.con.execute(
            "SELECT * EXCLUDE (ingested_at) FROM sources WHERE source_id <= ? ORDER BY ALL",
            [MAX_SEGMENTS],
        ).fetchall(),
        store.con.execute(
            "SELECT * FROM observations WHERE period <> '1999' ORDER BY ALL"
        ).fetchall(),
    )
    assert after == rows


def test_an_unpublished_segment_is_invisible_and_removed_by_the_next_writer(
    tmp_path: Path,
) -> None:
    path = tmp_path / "k.duckdb"
    store = Store(path)
    _ingest(store, 1)
    orphan = path / "seg-000099-deadbeef.duckdb"  # what a writer killed before publishing leaves
    con = duckdb.connect(str(orphan))
    con.execute("CREATE TABLE observations AS SELECT 1 AS x")
    con.close()
    (path / "CURRENT.12345.tmp").write_text("{half a manifest")
    with Store(path, read_only=True) as reader:
        assert _count(reader) == 1
    _ingest(store, 2)
    assert not orphan.exists() and not (path / "CURRENT.12345.tmp").exists()
    assert _count(store) == 2


def test_a_store_in_the_former_one_file_layout_becomes_its_first_segment(tmp_path: Path) -> None:
    path = tmp_path / "keruen.duckdb"
    con = duckdb.connect(str(path))
    con.execute(DDL)
    con.execute(
        "INSERT INTO sources (dataset, vintage, release, kind, publisher, file_name, sha256, "
        "n_rows) VALUES ('OLD', 'v1', '2020-01-01', 'observations', 'p', 'f.csv', 'a', 1)"
    )
    con.execute(
        "INSERT INTO observations VALUES ('OLD', 'pop', 'KAZ', NULL, NULL, '2020', 1.5, 'n', "
        "'A', 1)"
    )
    con.close()
    size = path.stat().st_size
    store = Store(path)
    assert path.is_dir()
    segments = read_manifest(path).segments
    assert len(segments) == 1 and (path / segments[0].file).stat().st_size >= size // 2
    assert store.con.execute("SELECT dataset, value FROM observations").fetchall() == [("OLD", 1.5)]
    _ingest(store, 7)
    ids = store.con.execute("SELECT source_id, dataset FROM sources ORDER BY 1").fetchall()
    assert ids == [(1, "OLD"), (2, "TEST")]


def test_a_damaged_one_file_store_is_refused_and_left_in_place(tmp_path: Path) -> None:
    from keruen.errors import StoreError

    path = tmp_path / "keruen.duckdb"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(StoreError, match="damaged or not a keruen store"):
        Store(path)
    assert path.is_file() and path.read_bytes().startswith(b"not a database")


def test_the_servers_reader_follows_new_versions(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb"
    store = Store(path)
    _ingest(store, 1)
    latest = LatestReader(path)
    held = latest.cursor()  # a request under way
    _ingest(store, 2)
    assert held.execute("SELECT count(*) FROM observations").fetchall()[0][0] == 1
    fresh = latest.cursor()  # the next request
    assert fresh.execute("SELECT count(*) FROM observations").fetchall()[0][0] == 2
    assert latest.version == read_manifest(path).version


def test_the_manifest_names_only_whole_segments(tmp_path: Path) -> None:
    path = tmp_path / "k.duckdb"
    store = Store(path)
    store.ingest(
        pd.DataFrame(tidy([("pop", "KAZ", "2020", 1.0), ("pop", "UZB", "2020", 2.0)])),
        provenance("c" * 64),
    )
    manifest = json.loads((path / "CURRENT").read_text())
    for seg in manifest["segments"]:
        file = path / seg["file"]
        assert file.stat().st_size == seg["bytes"]
        assert not Path(str(file) + ".wal").exists()
    assert not [p for p in os.listdir(path) if p.endswith(".tmp")]
