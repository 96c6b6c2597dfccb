"""Reading tidy tables from files (CSV or Parquet): into DuckDB staging (``stage_file``, used by
``load`` and the snapshot) or into pandas (``read_table``), with errors that name the file."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pandas as pd

from keruen.errors import InputError


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (UTF-8, header row) or Parquet file with every column as text.

    Empty cells become missing values; nothing else (not "NA", Namibia's code) does.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    if not path.is_file():
        raise InputError("not a regular file", file=path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            import duckdb

            con = duckdb.connect()
            try:
                frame = con.execute("SELECT * FROM read_parquet(?)", [str(path)]).df()
            finally:
                con.close()
            for col in frame.columns:
                if col != "value":
                    frame[col] = frame[col].astype("object").where(frame[col].notna(), None)
            return frame
        if suffix in {".csv", ".txt"}:
            return (
                pd.read_csv(
                    path,
                    dtype=str,
                    keep_default_na=False,
                    na_values=[""],
                    encoding="utf-8",
                )
                .astype("object")
                .where(lambda f: f.notna(), None)
            )
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=path) from None
    except pd.errors.ParserError as exc:
        raise InputError(f"malformed CSV: {exc}", file=path) from None
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty (no header row)", file=path) from None
    except Exception as exc:  # duckdb raises its own classes for corrupt Parquet
        import duckdb

        if isinstance(exc, duckdb.Error):
            reason = str(exc).splitlines()[0]
            raise InputError(f"corrupt or unreadable Parquet: {reason}", file=path) from None
        raise
    raise InputError(f"unsupported file type {suffix!r}; use .csv or .parquet", file=path)


def _csv_error(exc: Exception, path: Path) -> InputError:
    text = str(exc)
    if "unicode" in text.lower() or "utf-8" in text.lower() and "encod" in text.lower():
        return InputError("not UTF-8 text", file=path)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    where = f" at line {line.group(1)}" if line else ""
    if "Expected Number of Columns" in text or "sniffing" in text or "dialect" in text:
        return InputError(f"malformed CSV{where}: rows have differing numbers of fields", file=path)
    reason = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return InputError(f"malformed CSV{where}: {reason[:200]}", file=path)


def stage_file(path: str | Path, kind: str = "observations", *, in_memory: bool = False) -> Any:
    """Read a tidy CSV/Parquet file with DuckDB's readers into a staging database and validate
    it there (see :mod:`keruen.sources.validate`); returns the :class:`Staged` table.

    CSV: UTF-8, comma-separated, header row; every column read as text, empty cells missing
    (nothing else, not "NA", Namibia's code). Rows are numbered in file order (data row 1 is
    the first after the header). Memory is bounded by ``KERUEN_MEMORY_LIMIT``; larger files
    spill to disk.
    """
    import duckdb

    from keruen.sources.validate import check_columns, check_relation
    from keruen.store.schema import OBSERVATION_COLUMNS, PAPER_COLUMNS
    from keruen.store.connect import cancelled
    from keruen.store.staging import open_staging

    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    if not path.is_file():
        raise InputError("not a regular file", file=path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        reader = "read_parquet(?)"
    elif suffix in {".csv", ".txt"}:
        if path.stat().st_size == 0:
            raise InputError("the file is empty (no header row)", file=path)
        reader = (
            "read_csv(?, delim = ',', quote = '\"', escape = '\"', header = true, "
            "all_varchar = true, encoding = 'utf-8', null_padding = false)"
        )
    else:
        raise InputError(f"unsupported file type {suffix!r}; use .csv or .parquet", file=path)
    columns = PAPER_COLUMNS if kind == "paper_figures" else OBSERVATION_COLUMNS
    staged = open_staging(kind, path, in_memory=in_memory)
    try:
        con = staged.con
        try:
            con.execute(f"CREATE TABLE raw0 AS SELECT * FROM {reader}", [str(path)])
        except duckdb.Error as exc:
            if cancelled():
                raise
            if suffix == ".parquet":
                reason = str(exc).strip().splitlines()[0][:200]
                raise InputError(f"corrupt or unreadable Parquet: {reason}", file=path) from None
            raise _csv_error(exc, path) from None
        types = {r[0]: str(r[1]) for r in con.execute("DESCRIBE raw0").fetchall()}
        check_columns(list(types), columns, path)
        numeric = {"DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT"}
        selects = []
        for col in columns:
            quoted = '"' + col + '"'
            if col == "value" and (types[col] in numeric or types[col].startswith("DECIMAL")):
                selects.append(f"CAST({quoted} AS DOUBLE) AS value")
            else:
                selects.append(f"CAST({quoted} AS VARCHAR) AS {quoted}")
        # rowid follows file order (DuckDB preserves insertion order by default)
        con.execute(f"CREATE VIEW raw AS SELECT rowid + 1 AS _row, {', '.join(selects)} FROM raw0")
        staged.n_rows = check_relation(con, kind, path)
    except BaseException:
        staged.close()
        raise
    return staged
