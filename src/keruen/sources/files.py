"""Reading tidy tables from files (CSV or Parquet), with errors that name the file.

``stage_file`` (``load`` and the snapshot) reads into DuckDB staging and validates there;
``read_table`` reads into pandas for the import parsers.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keruen.errors import InputError, StoreError

if TYPE_CHECKING:
    import pandas as pd


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
    import pandas as pd

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
            _refuse_nul(path)
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


def _is_io_failure(exc: Exception) -> bool:
    text = str(exc)
    return any(
        word in text
        for word in ("No space left", "File too large", "Permission denied", "Read-only file")
    )


def _io_reason(exc: Exception) -> str:
    text = str(exc)
    if "No space left" in text:
        return "the disk is full"
    if "File too large" in text:
        return "the file size limit was reached"
    return "permission denied"


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


def _csv_header(path: Path) -> list[str]:
    """The header row of a CSV file (UTF-8, optional BOM)."""
    import csv

    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start} of the header)", file=path) from None
    except csv.Error as exc:
        raise InputError(f"malformed CSV header: {exc}", file=path) from None
    if not header:
        raise InputError("the file is empty (no header row)", file=path)
    return [h.strip() for h in header]


def _csv_error(exc: Exception, path: Path) -> InputError:
    text = str(exc)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    row = int(line.group(1)) - 1 if line else None  # DuckDB counts the header line
    if "unicode" in text.lower() or "utf-8" in text.lower() and "encod" in text.lower():
        return InputError("not UTF-8 text", file=path, row=row)
    if "Expected Number of Columns" in text or "columns" in text.lower():
        found = re.search(r"Found: (\d+)", text)
        expected = re.search(r"Expected Number of Columns: (\d+)", text)
        detail = (
            f"expected {expected.group(1)} fields, found {found.group(1)}"
            if found and expected
            else "a row has a different number of fields than the header"
        )
        return InputError(f"malformed CSV: {detail}", file=path, row=row)
    reason = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return InputError(f"malformed CSV: {reason[:200]}", file=path, row=row)


def stage_file(path: str | Path, kind: str = "observations", *, in_memory: bool = False) -> Any:
    """Read a tidy CSV/Parquet file into a staging DuckDB and validate it there.

    Returns the :class:`~keruen.store.staging.Staged` table (rules: :mod:`keruen.sources.validate`).

    CSV: UTF-8, comma-separated, header row; every column read as text, empty cells missing
    (nothing else, not "NA", Namibia's code). Rows are numbered in file order (data row 1 is
    the first after the header). Memory is bounded by ``KERUEN_MEMORY_LIMIT``; larger files
    spill to disk.
    """
    import duckdb

    from keruen.sources.validate import check_columns, check_relation
    from keruen.store.connect import cancelled
    from keruen.store.schema import OBSERVATION_COLUMNS, PAPER_COLUMNS
    from keruen.store.staging import memory_limit_bytes, open_staging

    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    if not path.is_file():
        raise InputError("not a regular file", file=path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        reader = "read_parquet(?)"
    elif suffix in {".csv", ".txt"}:
        header = _csv_header(path)
        columns_sql = ", ".join(f"'{_sql_text(c)}': 'VARCHAR'" for c in header)
        reader = (
            "read_csv(?, delim = ',', quote = '\"', escape = '\"', header = true, skip = 0, "
            f"auto_detect = false, columns = {{{columns_sql}}}, encoding = 'utf-8', "
            "null_padding = false, strict_mode = true, max_line_size = 1048576, "
            "buffer_size = 1048576)"
        )
    else:
        raise InputError(f"unsupported file type {suffix!r}; use .csv or .parquet", file=path)
    columns = PAPER_COLUMNS if kind == "paper_figures" else OBSERVATION_COLUMNS
    if suffix != ".parquet":
        check_columns(header, columns, path)
    # small files are staged in memory; larger ones in a DuckDB file that can spill to disk
    small = path.stat().st_size * 4 < memory_limit_bytes()
    staged = open_staging(kind, path, in_memory=in_memory or small)
    try:
        con = staged.con
        try:
            con.execute(f"CREATE TABLE raw0 AS SELECT * FROM {reader}", [str(path)])
            if suffix == ".parquet":
                names = [r[0] for r in con.execute("DESCRIBE raw0").fetchall()]
                check_columns(names, columns, path)
        except duckdb.Error as exc:
            if cancelled():
                raise
            if "Out of Memory" in str(exc):
                raise StoreError(
                    f"cannot stage {path.name}: out of memory within KERUEN_MEMORY_LIMIT "
                    "(raise it); nothing was written to the store"
                ) from None
            if _is_io_failure(exc):
                raise StoreError(
                    f"cannot stage {path.name}: {_io_reason(exc)} while writing temporary "
                    "files (KERUEN_HOME/tmp); nothing was written to the store"
                ) from None
            if suffix == ".parquet":
                reason = str(exc).strip().splitlines()[0][:200]
                raise InputError(f"corrupt or unreadable Parquet: {reason}", file=path) from None
            raise _csv_error(exc, path) from None
        types = {r[0]: str(r[1]) for r in con.execute("DESCRIBE raw0").fetchall()}
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
        staged.table = "raw0"
        staged.catalog = str(con.execute("SELECT current_database()").fetchall()[0][0])
        try:
            staged.n_rows = check_relation(con, kind, path)
        except duckdb.Error as exc:
            if cancelled():
                raise
            why = "out of memory within KERUEN_MEMORY_LIMIT (raise it)"
            if "Out of Memory" not in str(exc):
                why = str(exc).strip().splitlines()[0][:200]
            raise StoreError(f"cannot validate {path.name}: {why}; nothing was written") from None
        if staged.n_rows == 0:
            raise InputError("no data rows (the file has only a header)", file=path)
    except BaseException:
        staged.close()
        raise
    return staged


def _refuse_nul(path: Path, chunk: int = 1 << 20) -> None:
    """Refuse a text file holding a NUL byte (pandas' C parser would cut the cell short there).

    The error names the data row (line 1 is the header).
    """
    lines = 0
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            at = block.find(b"\x00")
            if at >= 0:
                line = lines + block.count(b"\n", 0, at) + 1
                raise InputError(
                    "contains a NUL byte (binary data, not a text table)",
                    file=path,
                    row=max(line - 1, 0) or None,
                )
            lines += block.count(b"\n")
