"""Staging: a file parsed once into the store's types and validated there, inside DuckDB.

For ``keruen load`` the staging database is the store's next segment itself
(:mod:`keruen.store.versions`): parsed once, validated on what was parsed, written once. Other
callers (the bundled snapshot, tests) stage in memory or in a temporary file, and the store
copies the rows into its segment in Arrow batches.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from keruen.errors import StoreError
from keruen.store.connect import _ACTIVE, duckdb_config, first_line
from keruen.store.schema import OBSERVATION_COLUMNS, PAPER_COLUMNS

#: Rows per Arrow batch when streaming a staged table into the store.
BATCH_ROWS = 122_880


def work_dir() -> Path:
    """Folder for staging databases and DuckDB's spill files: ``<KERUEN_HOME>/tmp``."""
    from keruen.settings import home

    return home() / "tmp"


@dataclass
class Staged:
    """A parsed, validated table in a DuckDB database of its own, in the store's types.

    ``table`` (``observations`` or ``paper_figures``) holds the columns of ``kind`` plus
    ``source_id``; the temporary view ``raw`` numbers its rows in file order for validation.
    When ``path`` is the writer's next segment (``stage_file(..., into=...)``) the database *is*
    that segment: the store keeps it as it is, so the rows are written once.
    """

    con: Any
    kind: str
    file: str
    n_rows: int = 0
    path: Path | None = None
    table: str = "observations"
    catalog: str = ""
    source_id: int = 0
    _closed: bool = field(default=False, repr=False)

    @property
    def columns(self) -> tuple[str, ...]:
        """The store columns of this kind of table."""
        return PAPER_COLUMNS if self.kind == "paper_figures" else OBSERVATION_COLUMNS

    def select_sql(self, qualified: bool = False) -> str:
        """SQL returning the staged rows in the store's column order (file order kept).

        ``qualified`` names the table with its catalog, for use while another database is the
        connection's default.
        """
        source = f'"{self.catalog}".main.{self.table}' if qualified else self.table
        return f"SELECT {', '.join(self.columns)} FROM {source}"

    def batches(self) -> Any:
        """The staged rows as a streaming Arrow ``RecordBatchReader``."""
        _ACTIVE.add(self.con)  # the store's INSERT pulls from this connection
        return self.con.sql(self.select_sql()).to_arrow_reader(BATCH_ROWS)

    def seal(self) -> None:
        """Close the database and keep its file: it has become a segment of the store."""
        if self._closed:
            return
        self._closed = True
        _ACTIVE.discard(self.con)
        self.con.execute("DROP VIEW IF EXISTS raw")
        self.con.close()  # checkpoints: the file is whole and holds no write-ahead log

    def close(self) -> None:
        """Drop the staging database and its files (unless :meth:`seal` kept them)."""
        if self._closed:
            return
        self._closed = True
        _ACTIVE.discard(self.con)
        try:
            self.con.close()
        except Exception:  # noqa: BLE001 - a connection broken by a failure is closed already
            pass
        if self.path is not None:
            for suffix in ("", ".wal"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)

    def __enter__(self) -> Staged:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def memory_limit_bytes() -> float:
    """``KERUEN_MEMORY_LIMIT`` in bytes (DuckDB syntax such as ``512MB``; inf if unset)."""
    import re

    from keruen.settings import get

    text = (get("KERUEN_MEMORY_LIMIT") or "").strip().upper().replace(" ", "")
    match = re.fullmatch(r"([0-9.]+)(B|KB|KIB|MB|MIB|GB|GIB|TB|TIB)?", text)
    if not match:
        return float("inf")
    unit = (match.group(2) or "B").replace("I", "")
    scale = {"B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12}[unit]
    return float(match.group(1)) * scale


def open_staging(
    kind: str, file: str | Path, *, in_memory: bool = False, into: Path | None = None
) -> Staged:
    """A new, empty staging database.

    ``into``: the store's next segment (a new file); else a temporary DuckDB file, or memory
    with ``in_memory``. Spill files go to ``KERUEN_HOME/tmp/spill``.
    """
    config = duckdb_config()
    if in_memory and into is None:
        spill = str(work_dir() / "spill")  # created by DuckDB only if it must spill
        con = duckdb.connect(":memory:", config=config | {"temp_directory": spill})
        con.execute("SET enable_progress_bar = false")
        _ACTIVE.add(con)
        return Staged(con, kind, str(file))
    folder = work_dir()
    if into is not None:
        name = str(into)
        spill = str(into.parent / "spill")
    else:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix="staging-", suffix=".duckdb", dir=folder)
        except OSError as exc:
            raise StoreError(
                f"cannot write temporary files in {folder}: {exc.strerror or exc} "
                "(is KERUEN_HOME read-only?)"
            ) from None
        os.close(fd)
        os.unlink(name)  # DuckDB creates the file itself
        spill = str(folder / "spill")
    try:
        con = duckdb.connect(name, config=config | {"temp_directory": spill})
        con.execute("SET enable_progress_bar = false")
    except duckdb.Error as exc:
        Path(name).unlink(missing_ok=True)
        where = Path(name).parent
        raise StoreError(
            f"cannot create a staging database in {where}: {first_line(exc)}"
        ) from None
    _ACTIVE.add(con)  # Ctrl-C interrupts whatever runs on it
    return Staged(con, kind, str(file), path=Path(name))
