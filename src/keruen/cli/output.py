"""Output shared by the table-printing commands: the ``--format`` option and its writer.

Tables are for people: thousands separators, a number of decimals suited to each column, units in
the header, blanks for missing values. CSV and JSON are for programs: every column as stored, and
CSV text cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

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

#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d[\d_]*)?\.?\d+([eE][+-]?\d+)?")


def neutralise_cell(value: Any) -> Any:
    """``value`` made inert in a spreadsheet (OWASP CSV-injection guidance).

    A text starting with a formula character gets a leading single quote (``=1+1`` → ``'=1+1``); a
    text that is a plain number (``-5``) and anything not text are returned unchanged.
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def _text_columns(frame: pd.DataFrame) -> list[str]:
    import pandas as pd

    return [
        c
        for c in frame.columns
        if pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c])
    ]


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with :func:`neutralise_cell` applied to its text columns (numbers untouched).

    Each distinct value is checked once (columns repeat their values a lot).
    """
    out = frame.copy()
    for column in _text_columns(out):
        changed = {}
        for value in out[column].dropna().unique():
            safe = neutralise_cell(value)
            if safe is not value:
                changed[value] = safe
        if changed:
            out[column] = out[column].map(
                lambda v, m=changed: m.get(v, v) if isinstance(v, str) else v
            )
    return out


def _csv_field(value: Any) -> str:
    if _is_missing(value):
        return ""
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def to_csv(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text, made safe by :func:`neutralise`.

    Lines end in LF and floats are written exactly, as pandas writes them. pandas (like the csv
    module) leaves a field holding a bare CR unquoted, which splits the row for RFC 4180
    readers; when a text cell holds one, every field is written here with such fields quoted.
    """
    safe = neutralise(frame)
    has_cr = any(
        isinstance(v, str) and "\r" in v
        for c in _text_columns(safe)
        for v in safe[c].dropna().unique()
    )
    if not has_cr:
        return str(safe.to_csv(index=False, lineterminator="\n"))
    lines = [",".join(_csv_field(str(c)) for c in safe.columns)]
    lines += [",".join(_csv_field(v) for v in row) for row in safe.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def decimals_for(values: pd.Series) -> int:
    """Decimals that show a numeric column sensibly.

    None for whole numbers and for values in the thousands; two from 1 upwards (one from 10); else
    enough for three significant digits of the column's typical (median) magnitude, at most six.
    """
    finite = values.astype(float)
    finite = finite[finite.map(math.isfinite)]
    if finite.empty or (finite == finite.round()).all():
        return 0
    nonzero = finite[finite != 0].abs()
    typical = float(nonzero.median()) if not nonzero.empty else 0.0
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


def humanise(frame: pd.DataFrame, units: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``frame`` as text for reading.

    Numbers get thousands separators and per-column decimals (never scientific notation), blanks for
    missing values, ``units`` added to the headers.
    """
    import pandas as pd

    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        series = frame[column]
        header = f"{column} ({units[column]})" if units and units.get(column) else str(column)
        if pd.api.types.is_bool_dtype(series):
            out[header] = series.map(lambda v: "" if _is_missing(v) else str(v))
        elif pd.api.types.is_numeric_dtype(series):
            numbers = [None if _is_missing(v) else float(v) for v in series]
            present = pd.Series([v for v in numbers if v is not None], dtype=float)
            places = decimals_for(present)
            grouping = "" if _is_label(str(column)) else ","
            out[header] = [_number(v, places, grouping) for v in numbers]
        else:
            out[header] = series.map(lambda v: "" if _is_missing(v) else str(v))
    return out


def emit(
    frame: pd.DataFrame,
    fmt: str,
    units: Mapping[str, str] | None = None,
    table_columns: list[str] | None = None,
) -> None:
    """Print ``frame`` to stdout as a readable table, CSV or a JSON array of records.

    CSV and JSON carry every column of ``frame``; the table shows ``table_columns`` (default:
    all) through :func:`humanise`, with ``units`` in the headers.
    """
    fmt = fmt.lower()
    if fmt == "csv":
        sys.stdout.write(to_csv(frame))
    elif fmt == "json":
        click.echo(frame.to_json(orient="records", force_ascii=False, indent=1))
    else:
        shown = frame[table_columns] if table_columns is not None else frame
        text = humanise(shown, units)
        text.index = shown.index
        right = [shown[c] for c in shown.columns]
        click.echo(_aligned(text, right))


def _aligned(text: pd.DataFrame, originals: list[pd.Series], max_width: int = 48) -> str:
    """``text`` (all cells strings) aligned: columns that were numeric right, others left."""
    import pandas as pd

    right = [
        pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) for s in originals
    ]
    cells = [
        [v if len(v) <= max_width else v[: max_width - 1] + "…" for v in text[c]]
        for c in text.columns
    ]
    headers = [str(c) for c in text.columns]
    widths = [max([len(h), *(len(v) for v in col)]) for h, col in zip(headers, cells, strict=True)]

    def line(values: list[str]) -> str:
        parts = [
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rows = [line(headers)] + [line([col[i] for col in cells]) for i in range(len(text))]
    return "\n".join(rows)
