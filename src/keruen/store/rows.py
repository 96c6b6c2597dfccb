"""A query result as DuckDB hands it over: column names, a kind per column and row tuples.

The store's queries have two edges: pandas for the Python API, and :class:`Rows` for the command
line, whose writers (:mod:`keruen.cli.output`) format rows directly, so printing a table, CSV or
JSON never imports pandas. Kinds follow what the pandas edge would give a column: ``int``,
``float`` (also DECIMAL), ``bool`` and ``text`` (timestamps are turned into text the way pandas'
``astype(str)`` writes a column of them).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

_INT = re.compile(r"^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$")
_FLOAT = re.compile(r"^(FLOAT|DOUBLE|REAL|DECIMAL.*)$")


def kind_of(duckdb_type: str) -> str:
    """The column kind (``int``, ``float``, ``bool`` or ``text``) of a DuckDB type name."""
    name = duckdb_type.upper()
    if _INT.match(name):
        return "int"
    if _FLOAT.match(name):
        return "float"
    if name == "BOOLEAN":
        return "bool"
    return "text"


def timestamps_as_text(values: Sequence[dt.datetime | None]) -> list[str]:
    """Timestamps as text with one format for the whole column, as pandas ``astype(str)``.

    Dates only when every time is midnight; else seconds with as many decimals (none, 3 or 6)
    as the finest value needs. A missing value is ``NaT``.
    """
    present = [v for v in values if v is not None]
    if all(v.time() == dt.time(0) for v in present):
        return ["NaT" if v is None else v.strftime("%Y-%m-%d") for v in values]
    if any(v.microsecond % 1000 for v in present):
        digits = 6
    elif any(v.microsecond for v in present):
        digits = 3
    else:
        digits = 0
    out = []
    for v in values:
        if v is None:
            out.append("NaT")
            continue
        text = v.strftime("%Y-%m-%d %H:%M:%S")
        out.append(text + f".{v.microsecond:06d}"[: digits + 1] if digits else text)
    return out


@dataclass
class Rows:
    """Rows of a result with their ``columns`` and per-column ``kinds``."""

    columns: list[str]
    kinds: list[str]
    rows: list[tuple[Any, ...]]

    @classmethod
    def fetch(cls, cursor: Any) -> Rows:
        """Every row of an executed DuckDB query (timestamp columns as text)."""
        description = cursor.description or []
        rows = cursor.fetchall()
        columns = [str(d[0]) for d in description]
        types = [str(d[1]).upper() for d in description]
        kinds = [kind_of(t) for t in types]
        stamps = [i for i, t in enumerate(types) if t.startswith("TIMESTAMP")]
        if stamps and rows:
            cells = [list(r) for r in rows]
            for i in stamps:
                for cell, text in zip(cells, timestamps_as_text([r[i] for r in rows]), strict=True):
                    cell[i] = text
            rows = [tuple(c) for c in cells]
        return cls(columns, kinds, rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def empty(self) -> bool:
        """Whether there are no rows."""
        return not self.rows

    def column(self, name: str) -> list[Any]:
        """The values of column ``name``, in row order."""
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def select(self, names: Iterable[str]) -> Rows:
        """Only the columns ``names``, in that order."""
        names = list(names)
        idx = [self.columns.index(n) for n in names]
        return Rows(
            names,
            [self.kinds[i] for i in idx],
            [tuple(r[i] for i in idx) for r in self.rows],
        )

    def where(self, keep: Callable[[dict[str, Any]], bool]) -> Rows:
        """The rows for which ``keep(row as a column -> value mapping)`` is true."""
        cols = self.columns
        return Rows(
            cols, list(self.kinds), [r for r in self.rows if keep(dict(zip(cols, r, strict=True)))]
        )

    def sorted_by(self, names: Sequence[str]) -> Rows:
        """The rows sorted by the columns ``names`` (stable; none may hold missing values)."""
        idx = [self.columns.index(n) for n in names]
        rows = sorted(self.rows, key=lambda r: tuple(r[i] for i in idx))
        return Rows(list(self.columns), list(self.kinds), rows)
