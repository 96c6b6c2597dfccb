"""What the Parquet footers of a register already say about its columns: nulls and ranges.

Every Parquet writer may record, per row group and column, the number of nulls and the
smallest and largest value. When every row group of every file records them, they prove some
rules cannot fire on any record — no required field is empty, no date falls outside the span
— and the cells pass skips evaluating those rules record by record
(:func:`keruen.registers.sql.cell_flags`). A footer that does not say (no statistics, or
values of a type compared otherwise) proves nothing, and the rule is evaluated as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


@dataclass(frozen=True)
class ColumnFacts:
    """One column over all files.

    ``nulls``: how many (``None`` where some row group does not say). ``ranged``: every row
    group holding a value records its smallest and largest; then ``low`` and ``high`` are
    those over all files (``None`` when the column holds no value at all). ``rows``: the rows
    of all files (``None`` when a footer could not be read).
    """

    nulls: int | None
    ranged: bool
    low: object | None = None
    high: object | None = None
    rows: int | None = None


def column_facts(files: Iterable[Path], columns: Sequence[str]) -> dict[str, ColumnFacts]:
    """Nulls and value range of ``columns`` over every row group of ``files``."""
    nulls: dict[str, int | None] = {c: 0 for c in columns}
    ranged = {c: True for c in columns}
    lows: dict[str, list[object]] = {c: [] for c in columns}
    highs: dict[str, list[object]] = {c: [] for c in columns}
    rows = 0
    for path in files:
        try:
            meta = pq.read_metadata(path)
        except (OSError, pa.ArrowException):  # proves nothing; the engine will name the file
            return {c: ColumnFacts(None, False) for c in columns}
        rows += meta.num_rows
        index = {meta.schema.column(j).name: j for j in range(meta.num_columns)}
        for i in range(meta.num_row_groups):
            group = meta.row_group(i)
            for c in columns:
                stats = group.column(index[c]).statistics if c in index else None
                if stats is None or not stats.has_null_count:
                    nulls[c], ranged[c] = None, False
                    continue
                if nulls[c] is not None:
                    nulls[c] = int(nulls[c] or 0) + int(stats.null_count)
                if stats.null_count >= group.num_rows:
                    continue  # nothing but nulls: no range to add
                if not stats.has_min_max:
                    ranged[c] = False
                    continue
                lows[c].append(stats.min)
                highs[c].append(stats.max)
    out = {}
    for c in columns:
        if not ranged[c] or not lows[c]:
            out[c] = ColumnFacts(nulls[c], ranged[c], rows=rows)
            continue
        try:
            low, high = min(lows[c]), max(highs[c])  # type: ignore[type-var]
            out[c] = ColumnFacts(nulls[c], True, low, high, rows)
        except TypeError:  # values of mixed kinds: no range
            out[c] = ColumnFacts(nulls[c], False, rows=rows)
    return out


def no_nulls(facts: dict[str, ColumnFacts], columns: Iterable[str]) -> bool:
    """Whether the footers prove that none of ``columns`` holds a null."""
    return all(facts[c].nulls == 0 for c in columns)


def dates_within(
    facts: dict[str, ColumnFacts], first: date, last: date, *, arrival: str, departure: str
) -> bool:
    """Whether the footers prove every arrival and every departure lies in [first, last].

    A departure column holding only nulls proves it too (nobody has left).
    """
    arr, dep = facts[arrival], facts[departure]
    if not (arr.ranged and isinstance(arr.low, date) and isinstance(arr.high, date)):
        return False
    if not first <= arr.low <= arr.high <= last:
        return False
    if not dep.ranged:
        return False
    if dep.high is None:
        return True
    if not (isinstance(dep.low, date) and isinstance(dep.high, date)):
        return False
    return first <= dep.low <= dep.high <= last
