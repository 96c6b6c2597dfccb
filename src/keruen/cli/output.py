"""Output shared by the table-printing commands: the ``--format`` option and its writer.

Tables are for people: thousands separators, a number of decimals suited to each column, units in
the header, blanks for missing values. CSV and JSON are for programs: every column as stored, and
CSV text cells that a spreadsheet would run as a formula are neutralised.

Two kinds of table are written: pandas DataFrames (most commands) and the store's
:class:`~keruen.store.rows.Rows` (``sources``, ``query``, ``vintages``), formatted here directly
so those commands never import pandas. Both give the same bytes: the rows writers follow pandas'
``to_csv`` and ``to_json`` (``orient="records"``, ``indent=1``) exactly, and readable tables go
through one column formatter.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from keruen.store.rows import Rows
from keruen.writing import (  # noqa: F401 - neutralise_sql is used by the query command
    csv_text,
    neutralise_cell,
    neutralise_sql,
    rows_csv_text,
)

if TYPE_CHECKING:
    import pandas as pd

#: ``--format table|csv|json`` (default table), passed to the command as ``fmt``.
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"], case_sensitive=False),
    default="table",
    show_default=True,
    help="table: for reading; csv/json: every column, with full provenance.",
)

#: DuckDB CSV options giving the bytes :func:`rows_to_csv` gives (no comment character).
CSV_COPY_OPTIONS = "FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', ESCAPE '\"', COMMENT ''"


def stream_csv(con: Any, sql: str, params: Sequence[Any], spill: str) -> None:
    """Write the answer of ``sql`` to stdout as CSV, from DuckDB's own writer.

    The bytes are those of :func:`rows_to_csv` once text columns went through
    :func:`neutralise_sql` (fields holding ``,``, ``"``, CR or LF quoted, floats as Python's
    ``repr``). A pipe or terminal is written to directly; a file or a captured stream gets the
    rows through a temporary file in ``spill`` (a file opened for appending must not be
    rewritten from its start).
    """
    import os
    import shutil
    import stat
    import tempfile

    import duckdb

    sys.stdout.flush()
    try:
        fd = sys.stdout.fileno()
        mode = os.fstat(fd).st_mode
        direct = stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)
    except (AttributeError, OSError, ValueError):
        fd, direct = -1, False
    try:
        if direct:
            con.execute(f"COPY ({sql}) TO '/dev/fd/{fd}' ({CSV_COPY_OPTIONS})", list(params))
            return
        Path(spill).mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix="query-", suffix=".csv", dir=spill)
        os.close(handle)
        try:
            escaped = name.replace("'", "''")
            con.execute(f"COPY ({sql}) TO '{escaped}' ({CSV_COPY_OPTIONS})", list(params))
            with open(name, encoding="utf-8", newline="") as src:
                shutil.copyfileobj(src, sys.stdout, 1 << 20)
        finally:
            os.unlink(name)
    except duckdb.Error as exc:
        if "Broken pipe" in str(exc):  # the reader (e.g. `head`) stopped reading: not an error
            return
        raise


def to_csv(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text, made safe (:func:`keruen.writing.csv_text`, the one CSV writer)."""
    return csv_text(frame)


def rows_to_csv(table: Rows) -> str:
    """A :class:`Rows` table as CSV text, byte for byte what :func:`to_csv` gives its DataFrame."""
    return rows_csv_text(table.columns, table.kinds, table.rows)


_JSON_ESCAPES = {i: f"\\u{i:04x}" for i in range(0x20)} | {
    ord('"'): '\\"',
    ord("\\"): "\\\\",
    ord("/"): "\\/",
    ord("\b"): "\\b",
    ord("\f"): "\\f",
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
}


def json_float(value: float) -> str:
    """``value`` as pandas' JSON writer prints a float (ten decimals, trailing zeros cut).

    Non-finite values are ``null``; magnitudes from 1e16 up or below 1e-15 use ``%.10g``.
    """
    if not math.isfinite(value):
        return "null"
    neg = value < 0
    value = -value if neg else value
    if value > 1e16 - 1 or (value != 0.0 and value < 1e-15):
        return "%.10g" % (-value if neg else value)
    whole = int(value)
    tmp = (value - whole) * 1e10
    frac = int(tmp)
    diff = tmp - frac
    if diff > 0.5 or (diff == 0.5 and (frac == 0 or frac & 1)):
        frac += 1
    if frac >= 10**10:
        frac = 0
        whole += 1
    if frac:
        digits = f"{frac:010d}".rstrip("0")
        text = f"{whole}.{digits}"
    else:
        text = f"{whole}.0"
    return "-" + text if neg else text


def _json_cell(value: Any, kind: str) -> str:
    if value is None:
        return "null"
    if kind == "float":
        return json_float(float(value))
    if kind == "bool":
        return "true" if value else "false"
    if kind == "int":
        return str(int(value))
    return '"' + str(value).translate(_JSON_ESCAPES) + '"'


def rows_to_json(table: Rows) -> str:
    """A :class:`Rows` table as pandas' ``to_json(orient="records", indent=1)`` writes it."""
    if not table.rows:
        return "[\n\n]"
    keys = ['  "' + c.translate(_JSON_ESCAPES) + '":' for c in table.columns]
    kinds = table.kinds
    records = [
        " {\n"
        + ",\n".join(k + _json_cell(v, kind) for k, v, kind in zip(keys, r, kinds, strict=True))
        + "\n }"
        for r in table.rows
    ]
    return "[\n" + ",\n".join(records) + "\n]"


def decimals_for(values: Sequence[float] | pd.Series) -> int:
    """Decimals that show a numeric column sensibly.

    None for whole numbers and for values in the thousands; two from 1 upwards (one from 10); else
    enough for three significant digits of the column's typical (median) magnitude, at most six.
    """
    import statistics

    finite = [float(v) for v in values if v is not None]
    finite = [v for v in finite if math.isfinite(v)]
    if not finite or all(v == round(v) for v in finite):
        return 0
    nonzero = [abs(v) for v in finite if v != 0]
    typical = float(statistics.median(nonzero)) if nonzero else 0.0
    if typical >= 1000:
        return 0
    if typical >= 10:
        return 1
    if typical >= 1:
        return 2
    if typical == 0:
        return 2
    return min(6, max(2, 2 - math.floor(math.log10(typical))))


def _is_missing(value: Any) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    if "pandas" not in sys.modules:  # rows from DuckDB: None is the only missing value
        return False
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


#: Numeric columns that are labels, not quantities: printed without thousands separators.
LABEL_COLUMNS = ("year", "period", "source_id", "n")


def _is_label(column: str) -> bool:
    return column in LABEL_COLUMNS or column.endswith(("_rank", "_id", "_year"))


def _number(value: float | None, places: int, grouping: str) -> str:
    if value is None or math.isnan(value):
        return ""
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return format(value, f"{grouping}.{places}f")


def significant(value: float | None, digits: int = 6) -> str:
    """``value`` to ``digits`` significant digits in positional notation (never ``1e-07``).

    Trailing zeros are dropped, thousands are grouped; missing is blank, infinities ``∞``/``-∞``.
    """
    if value is None or math.isnan(value):
        return ""
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == 0:
        return "0"
    places = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _human_column(column: str, kind: str, values: Sequence[Any]) -> list[str]:
    """One column's cells as text for reading (see :func:`humanise`)."""
    if kind in ("int", "float"):
        numbers = [None if _is_missing(v) else float(v) for v in values]
        places = decimals_for([v for v in numbers if v is not None])
        grouping = "" if _is_label(column) else ","
        return [_number(v, places, grouping) for v in numbers]
    return ["" if _is_missing(v) else str(v) for v in values]


def _frame_kind(series: pd.Series) -> str:
    import pandas as pd

    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_numeric_dtype(series):
        return "float"
    return "text"


def humanise(frame: pd.DataFrame, units: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``frame`` as text for reading.

    Numbers get thousands separators and per-column decimals (never scientific notation), blanks for
    missing values, ``units`` added to the headers.
    """
    import pandas as pd

    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        series = frame[column]
        header = _header(str(column), units)
        out[header] = _human_column(str(column), _frame_kind(series), list(series))
    return out


def _header(column: str, units: Mapping[str, str] | None) -> str:
    return f"{column} ({units[column]})" if units and units.get(column) else column


def emit(
    frame: pd.DataFrame | Rows,
    fmt: str,
    units: Mapping[str, str] | None = None,
    table_columns: list[str] | None = None,
) -> None:
    """Print ``frame`` to stdout as a readable table, CSV or a JSON array of records.

    CSV and JSON carry every column of ``frame``; the table shows ``table_columns`` (default:
    all) through :func:`humanise`, with ``units`` in the headers. ``frame`` may be a pandas
    DataFrame or the store's :class:`Rows` (written without pandas, to the same bytes).
    """
    fmt = fmt.lower()
    if isinstance(frame, Rows):
        if fmt == "csv":
            sys.stdout.write(rows_to_csv(frame))
        elif fmt == "json":
            click.echo(rows_to_json(frame))
        else:
            shown = frame.select(table_columns) if table_columns is not None else frame
            columns = [
                (str(c), k, shown.column(c))
                for c, k in zip(shown.columns, shown.kinds, strict=True)
            ]
            click.echo(_table(columns, units))
        return
    if fmt == "csv":
        sys.stdout.write(to_csv(frame))
    elif fmt == "json":
        click.echo(frame.to_json(orient="records", force_ascii=False, indent=1))
    else:
        view = frame[table_columns] if table_columns is not None else frame
        columns = [(str(c), _frame_kind(view[c]), list(view[c])) for c in view.columns]
        click.echo(_table(columns, units))


def _table(
    columns: list[tuple[str, str, list[Any]]],
    units: Mapping[str, str] | None,
    max_width: int = 48,
) -> str:
    """Columns of (name, kind, values) as an aligned table: numbers right, others left."""
    headers = [_header(name, units) for name, _, _ in columns]
    right = [kind in ("int", "float") for _, kind, _ in columns]
    cells = [
        [v if len(v) <= max_width else v[: max_width - 1] + "…" for v in _human_column(n, k, vs)]
        for n, k, vs in columns
    ]
    widths = [max([len(h), *(len(v) for v in col)]) for h, col in zip(headers, cells, strict=True)]

    def line(values: list[str]) -> str:
        parts = [
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ]
        return "  ".join(parts).rstrip()

    n_rows = len(cells[0]) if cells else 0
    rows = [line(headers)] + [line([col[i] for col in cells]) for i in range(n_rows)]
    return "\n".join(rows)
