"""Bounded readers for files given to ``keruen import``: spreadsheets and CSV headers.

A worksheet is streamed (openpyxl's read-only reader) with its declared ``<dimension>`` ignored
(a sheet may lack one, or declare A1:XFD1048576 because of formatting), so memory grows with the
cells actually present, never with the sheet's nominal size; more than
``KERUEN_INPUT_MAX_ROWS`` rows or a cell beyond ``KERUEN_INPUT_MAX_COLUMNS`` stops the read with
an :class:`InputError` naming the file, row and column. Blank rows are skipped but counted, so
row numbers stay those of the worksheet.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from keruen import settings
from keruen.errors import InputError


def limits() -> tuple[int, int]:
    """(most rows, most columns) an imported file may have (settings ``KERUEN_INPUT_MAX_*``)."""
    return (
        int(settings.number("KERUEN_INPUT_MAX_ROWS")),
        int(settings.number("KERUEN_INPUT_MAX_COLUMNS")),
    )


def _trimmed(row: tuple[Any, ...]) -> tuple[Any, ...]:
    end = len(row)
    while end and (row[end - 1] is None or row[end - 1] == ""):
        end -= 1
    return row[:end]


def xlsx_rows(
    path: str | Path, sheet: str | int | None = None, *, formulas: bool = False
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """(1-based worksheet row number, cell values) of every non-blank row of one sheet.

    ``sheet``: a name, a 0-based position, or None for the first sheet; ``formulas``: a formula
    cell gives its formula (``"=A1+B1"``) instead of the result saved with it. Trailing empty cells
    are dropped. Raises :class:`InputError` for an unreadable workbook, an unknown sheet or a
    sheet beyond the row / column limits.
    """
    import openpyxl

    path = Path(path)
    max_rows, max_cols = limits()
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=not formulas)
    except Exception as exc:  # openpyxl and zipfile raise many types for a bad file
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InputError(f"not a readable .xlsx workbook ({reason})", file=path) from None
    try:
        names = book.sheetnames
        if sheet is None:
            sheet = 0
        if isinstance(sheet, int) and not isinstance(sheet, bool):
            if not 0 <= sheet < len(names):
                raise InputError(
                    f"no sheet number {sheet + 1}; the workbook has {len(names)}",
                    file=path, field="sheet",
                )
            name = names[sheet]
        elif str(sheet) in names:
            name = str(sheet)
        else:
            raise InputError(
                f"no sheet {str(sheet)[:80]!r}; sheets: {', '.join(names)}", file=path,
                field="sheet",
            )
        ws = book[name]
        ws.reset_dimensions()  # never trust (or pad to) the declared size
        number = 0
        try:
            for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
                if number > max_rows:
                    raise InputError(
                        f"the sheet {name!r} has more than KERUEN_INPUT_MAX_ROWS={max_rows} rows",
                        file=path,
                    )
                cells = _trimmed(row)
                if not cells:
                    continue
                if len(cells) > max_cols:
                    from openpyxl.utils import get_column_letter

                    raise InputError(
                        f"worksheet row {number} of sheet {name!r} has a cell in column "
                        f"{len(cells)}, beyond KERUEN_INPUT_MAX_COLUMNS={max_cols}",
                        file=path, field=get_column_letter(min(len(cells), 16384)),
                    )
                yield number, cells
        except InputError:
            raise
        except Exception as exc:  # a corrupt sheet part (bad XML, bad zip member)
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise InputError(
                f"the sheet {name!r} cannot be read near row {number + 1} ({reason})", file=path
            ) from None
    finally:
        book.close()


def check_header_names(path: str | Path, names: list[str], header_row: int = 1) -> None:
    """Refuse a header naming a column twice: a table reader would keep one of them only."""
    seen: dict[str, int] = {}
    for j, name in enumerate(names, start=1):
        key = str(name).strip()
        if key and key in seen:
            raise InputError(
                f"the header (line {header_row}) names column {key[:40]!r} twice (columns "
                f"{seen[key]} and {j}); one of them would be lost", file=path, field=key[:40])
        seen.setdefault(key, j)


def scan_csv(path: str | Path, *, header_row: int = 1, sep: str = ",",
             encoding: str = "utf-8") -> list[str]:
    """The header cells of a CSV after checking every cell (csv module, one pass).

    Refuses more than ``KERUEN_INPUT_MAX_COLUMNS`` columns, a column named twice and a NUL
    byte in any cell (a table reader cuts the cell short there), naming the data row and field.
    """
    import csv

    header: list[str] = []
    with Path(path).open(newline="", encoding=encoding) as fh:
        for number, cells in enumerate(csv.reader(fh, delimiter=sep), start=1):
            if number == header_row:
                header = cells
                check_csv_width(path, len(header))
                check_header_names(path, header, header_row)
            bad = next((j for j, c in enumerate(cells) if "\x00" in c), None)
            if bad is not None:
                field = header[bad] if number > header_row and bad < len(header) else None
                raise InputError(
                    "a NUL byte in a cell (binary data, not a text table)", file=path,
                    row=number - header_row if number > header_row else None,
                    field=field or f"column {bad + 1}")
    return header


def csv_header_width(path: str | Path, *, header_row: int = 1, sep: str = ",",
                     encoding: str = "utf-8") -> int:
    """Cells on the header line, refusing more than ``KERUEN_INPUT_MAX_COLUMNS``.

    Read with the csv module: pandas takes minutes on a 100,000-column header. 0 if empty.
    """
    import csv

    width = 0
    with Path(path).open(newline="", encoding=encoding) as fh:
        for number, cells in enumerate(csv.reader(fh, delimiter=sep), start=1):
            if number == header_row:
                width = len(cells)
                break
    check_csv_width(path, width)
    return width


def check_csv_width(path: str | Path, columns: int) -> None:
    """Refuse a CSV whose header has more than ``KERUEN_INPUT_MAX_COLUMNS`` columns."""
    _, max_cols = limits()
    if columns > max_cols:
        raise InputError(
            f"the header has {columns} columns, more than KERUEN_INPUT_MAX_COLUMNS={max_cols}",
            file=path,
        )
