"""Issue 22, items 26 and 30: a store place holding something that is not keruen's.

Another DuckDB database, a SQLite file (for which DuckDB would try to download an extension), a
Parquet file, or a folder of other files at ``<KERUEN_HOME>/keruen.duckdb``: the command fails
with one line saying what the file is and what to do, exit 4, and the file (or folder) is left
byte for byte as it was — no keruen table is created in it, no manifest written beside it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.settings import store_path


def _foreign_duckdb(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE survey (id INTEGER, answer VARCHAR)")
    con.execute("INSERT INTO survey VALUES (1, 'yes')")
    con.close()


def _sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE survey (id INTEGER)")
    con.commit()
    con.close()


def _parquet(path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"a": [1]}), path)


def _digest(path: Path) -> str:
    if path.is_dir():
        return "|".join(f"{p.name}:{_digest(p)}" for p in sorted(path.iterdir()))
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(("make", "said"), [
    (_foreign_duckdb, "another DuckDB database (its tables: survey)"),
    (_sqlite, "a SQLite database"),
    (_parquet, "a Parquet file"),
])
def test_a_foreign_file_is_named_and_left_alone(make: object, said: str) -> None:
    path = store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    make(path)  # type: ignore[operator]
    before = _digest(path)
    for args in (["sources"], ["query", "WB_WDI"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 4, result.output
        lines = [ln for ln in result.output.splitlines() if ln.startswith("keruen: error:")]
        assert len(lines) == 1 and said in lines[0], result.output
        assert "KERUEN_HOME" in lines[0] and "move it aside" in lines[0]
        assert "download" not in lines[0]
    assert _digest(path) == before
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(".lock")) == [
        path.name]
    if make is _foreign_duckdb:
        con = duckdb.connect(str(path), read_only=True)
        tables = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        con.close()
        assert tables == [("survey",)]  # no keruen table was created in it


def test_a_folder_of_other_files_is_not_made_a_store() -> None:
    folder = store_path()
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("mine", "utf-8")
    result = CliRunner().invoke(main, ["sources"])
    assert result.exit_code == 4 and "not a keruen store" in result.output, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
