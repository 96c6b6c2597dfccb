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


def csv_buffer_size(limit: float | None = None) -> int | None:
    """DuckDB's CSV read buffer for ``KERUEN_MEMORY_LIMIT`` (None: DuckDB's default).

    DuckDB's default from a limit of 512 MB up, else 1/16 of the limit and at least 1 MiB.
    Small buffers cost parse time (1 MiB made the parse of 1 M rows 1.8x the CPU); DuckDB's
    default (tens of MB per thread) does not fit a small memory limit.
    """
    from keruen.store.staging import memory_limit_bytes

    limit = memory_limit_bytes() if limit is None else limit
    if limit >= 512e6:
        return None
    return int(max(1 << 20, limit / 16))


def _number_sql(text: str) -> str:
    """``text`` (a VARCHAR expression) as DOUBLE; anything not a finite number becomes NaN.

    NULL stays NULL; text that the validation's number pattern refuses becomes NaN, which the
    value rule then refuses.
    """
    from keruen.sources.validate import NUMBER_PATTERN

    pattern = NUMBER_PATTERN.replace("'", "''")
    return (
        f"CASE WHEN {text} IS NULL THEN NULL "
        f"WHEN regexp_matches({text}, '{pattern}') "
        f"THEN coalesce(TRY_CAST({text} AS DOUBLE), 'NaN'::DOUBLE) ELSE 'NaN'::DOUBLE END"
    )


def stage_file(
    path: str | Path,
    kind: str = "observations",
    *,
    in_memory: bool = False,
    into: Path | None = None,
    source_id: int = 0,
) -> Any:
    """Read a tidy CSV/Parquet file once into DuckDB, in the store's types, and validate it.

    Returns the :class:`~keruen.store.staging.Staged` table (rules: :mod:`keruen.sources.validate`).
    With ``into`` (the writer's next segment, see :meth:`keruen.store.Store.writing`) the rows
    are parsed straight into that file with ``source_id``, so the store writes them once.

    CSV: UTF-8, comma-separated, header row; every column read as text, empty cells missing
    (nothing else, not "NA", Namibia's code); ``value`` is turned into a number in the same
    pass (text that is not a decimal number is kept as NaN and refused by the value rule, whose
    message quotes the text as written). Rows are numbered in file order (data row 1 is the
    first after the header). Memory is bounded by ``KERUEN_MEMORY_LIMIT``; larger files spill
    to disk.
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
    columns = PAPER_COLUMNS if kind == "paper_figures" else OBSERVATION_COLUMNS
    table = "paper_figures" if kind == "paper_figures" else "observations"
    if suffix == ".parquet":
        reader = "read_parquet(?)"
    elif suffix in {".csv", ".txt"}:
        header = _csv_header(path)
        columns_sql = ", ".join(f"'{_sql_text(c)}': 'VARCHAR'" for c in header)
        buffer = csv_buffer_size()
        reader = (
            "read_csv(?, delim = ',', quote = '\"', escape = '\"', header = true, skip = 0, "
            f"auto_detect = false, columns = {{{columns_sql}}}, encoding = 'utf-8', "
            "null_padding = false, strict_mode = true, max_line_size = 1048576"
            + (f", buffer_size = {buffer})" if buffer else ")")
        )
        check_columns(header, columns, path)
    else:
        raise InputError(f"unsupported file type {suffix!r}; use .csv or .parquet", file=path)
    # small files are staged in memory; larger ones in a DuckDB file that can spill to disk
    small = path.stat().st_size * 4 < memory_limit_bytes()
    staged = open_staging(kind, path, in_memory=in_memory or small, into=into)
    staged.table, staged.source_id = table, source_id
    try:
        con = staged.con
        try:
            if suffix == ".parquet":
                described = con.execute(f"DESCRIBE SELECT * FROM {reader}", [str(path)]).fetchall()
                types = {str(r[0]): str(r[1]) for r in described}
                check_columns(list(types), columns, path)
            else:
                types = dict.fromkeys(header, "VARCHAR")
            selects = []
            numeric = {"DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT"}
            for col in columns:
                quoted = '"' + col + '"'
                if col != "value":
                    selects.append(f"CAST({quoted} AS VARCHAR) AS {quoted}")
                elif types[col] in numeric or types[col].startswith("DECIMAL"):
                    selects.append(f"CAST({quoted} AS DOUBLE) AS value")
                else:
                    selects.append(f"{_number_sql('CAST(value AS VARCHAR)')} AS value")
            # one pass: parse, convert, write (rowid follows file order: insertion order kept)
            con.execute(
                f"CREATE TABLE {table} AS SELECT {', '.join(selects)}, "
                f"{int(source_id)}::INTEGER AS source_id FROM {reader}",
                [str(path)],
            )
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
        con.execute(
            f"CREATE TEMP VIEW raw AS SELECT rowid + 1 AS _row, {', '.join(columns)} FROM {table}"
        )
        staged.catalog = str(con.execute("SELECT current_database()").fetchall()[0][0])
        numeric_value = types["value"] in numeric or types["value"].startswith("DECIMAL")

        def value_text(row: int) -> Any:
            """The value of data row ``row`` as the file spells it (for the error message)."""
            if numeric_value:
                return None
            found = con.execute(
                f"SELECT CAST(value AS VARCHAR) FROM {reader} LIMIT 1 OFFSET ?",
                [str(path), row - 1],
            ).fetchall()
            return found[0][0] if found else None

        try:
            staged.n_rows = check_relation(
                con, kind, path, value_text=None if numeric_value else value_text
            )
        except duckdb.Error as exc:
            if cancelled():
                raise
            why = "out of memory within KERUEN_MEMORY_LIMIT (raise it)"
            if "Out of Memory" not in str(exc):
                why = str(exc).strip().splitlines()[0][:200]
            raise StoreError(f"cannot validate {path.name}: {why}; nothing was written") from None
        if staged.n_rows == 0:
            raise InputError("no data rows (the file has only a header)", file=path)
        if kind == "observations":
            from keruen.sources.placeholders import mark_staged

            mark_staged(con, table)  # a publisher's "not reported" is missing, never a number
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
