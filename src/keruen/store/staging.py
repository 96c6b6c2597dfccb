"""Staging: a file read and validated inside DuckDB, outside the store's write lock.

A :class:`Staged` table lives in a private DuckDB file (beside the store, so spilling beyond
``KERUEN_MEMORY_LIMIT`` uses the same disk) as text columns plus ``value``; the store streams it
in Arrow batches into its own transaction, so the store is held read-write only while copying.
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
    """A validated table in a staging DuckDB: ``raw`` (``_row`` + the columns of ``kind``)."""

    con: Any
    kind: str
    file: str
    n_rows: int = 0
    path: Path | None = None
    table: str = "raw"
    catalog: str = ""
    _closed: bool = field(default=False, repr=False)

    @property
    def columns(self) -> tuple[str, ...]:
        """The store columns of this kind of table."""
        return PAPER_COLUMNS if self.kind == "paper_figures" else OBSERVATION_COLUMNS

    def select_sql(self, qualified: bool = False) -> str:
        """SQL returning the staged rows in the store's types (file order: insertion order kept).

        ``qualified`` names the table with its catalog, for use while another database is the
        connection's default (the store, attached for the write).
        """
        cols = [
            "TRY_CAST(value AS DOUBLE) AS value" if c == "value" else f"CAST({c} AS VARCHAR) AS {c}"
            for c in self.columns
        ]
        source = f'"{self.catalog}".main.{self.table}' if qualified else self.table
        return f"SELECT {', '.join(cols)} FROM {source}"

    def batches(self) -> Any:
        """The staged rows as a streaming Arrow ``RecordBatchReader``."""
        _ACTIVE.add(self.con)  # the store's INSERT pulls from this connection
        return self.con.sql(self.select_sql()).to_arrow_reader(BATCH_ROWS)

    def close(self) -> None:
        """Drop the staging database and its files."""
        if self._closed:
            return
        self._closed = True
        _ACTIVE.discard(self.con)
        self.con.close()
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


def open_staging(kind: str, file: str | Path, *, in_memory: bool = False) -> Staged:
    """A new, empty staging database (a temporary DuckDB file unless ``in_memory``)."""
    config = duckdb_config()
    if in_memory:
        spill = str(work_dir() / "spill")  # created by DuckDB only if it must spill
        con = duckdb.connect(":memory:", config=config | {"temp_directory": spill})
        con.execute("SET enable_progress_bar = false")
        _ACTIVE.add(con)
        return Staged(con, kind, str(file))
    folder = work_dir()
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
    config = config | {"temp_directory": str(folder / "spill")}
    try:
        con = duckdb.connect(name, config=config)
        con.execute("SET enable_progress_bar = false")
    except duckdb.Error as exc:
        raise StoreError(
            f"cannot create a staging database in {folder}: {first_line(exc)}"
        ) from None
    _ACTIVE.add(con)  # Ctrl-C interrupts whatever runs on it
    return Staged(con, kind, str(file), path=Path(name))
