"""Reading the CSV tables behind bilateral migration measures: flows, populations, distances.

Three shapes, each with a header row:

* flows, long: ``orig,dest,flow`` (one row per ordered pair; absent pairs count as 0), or wide:
  first column the origin labels, the other column names the destination labels, in the same
  order, so the table is a square matrix;
* populations: ``region,pop``;
* distances: ``orig,dest,dist`` (rows for regions without flows are ignored).

Errors are :class:`~keruen.errors.InputError` naming the file, the 1-based data row (header
excluded) and the field. The pure checks live in :mod:`keruen.indicators.flows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from keruen.errors import InputError
from keruen.indicators.flows import FloatArray, matrix_from_long, population_vector


@dataclass(frozen=True)
class BilateralInputs:
    """A validated flow matrix with its region labels, populations and optional distances."""

    labels: list[str]
    flows: FloatArray
    population: FloatArray
    distances: FloatArray | None = None


def read_csv_text(path: str | Path) -> pd.DataFrame:
    """Read a UTF-8 CSV with a header, every cell as text; only empty cells are missing."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8"
        )
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=path) from None
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty", file=path) from None
    except pd.errors.ParserError as exc:
        raise InputError(f"malformed CSV: {exc}", file=path) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.astype("object").where(frame.notna(), None)


def _require(frame: pd.DataFrame, columns: tuple[str, ...], path: str | Path) -> None:
    for col in columns:
        if col not in frame.columns:
            raise InputError(
                f"missing column {col!r} (expected {', '.join(columns)}; "
                f"found {', '.join(map(str, frame.columns))})",
                file=path,
                field=col,
            )
    if frame.empty:
        raise InputError("the table has no data rows", file=path)


def read_population(path: str | Path) -> pd.DataFrame:
    """Read a ``region,pop`` table (checked when aligned to the flows)."""
    frame = read_csv_text(path)
    _require(frame, ("region", "pop"), path)
    return frame


def read_flows(path: str | Path) -> pd.DataFrame:
    """Read flows as a long ``orig,dest,flow`` table, converting a wide square matrix to it.

    A wide table must be square with the same labels, in the same order, on rows and columns.
    """
    frame = read_csv_text(path)
    if {"orig", "dest", "flow"} <= set(frame.columns):
        _require(frame, ("orig", "dest", "flow"), path)
        return frame
    return _wide_to_long(frame, path)


def _wide_to_long(frame: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    if frame.shape[1] < 3:
        raise InputError(
            "expected columns orig,dest,flow or a square matrix with a label column",
            file=path,
            field=str(frame.columns[0]) if frame.shape[1] else None,
        )
    dests = [str(c) for c in frame.columns[1:]]
    origs = [str(x) for x in frame.iloc[:, 0]]
    if len(origs) != len(dests):
        row = min(len(origs), len(dests)) + 1
        raise InputError(
            f"the flow matrix is not square: {len(origs)} origin rows, {len(dests)} destination"
            " columns",
            file=path,
            row=row if len(origs) > len(dests) else len(origs),
            field=dests[-1] if len(origs) < len(dests) else str(frame.columns[0]),
        )
    for pos, (o, d) in enumerate(zip(origs, dests, strict=True)):
        if o != d:
            raise InputError(
                f"row label {o!r} does not match column {d!r}: rows and columns must list the "
                "same regions in the same order",
                file=path,
                row=pos + 1,
                field=str(frame.columns[0]),
            )
    records = []
    for pos, o in enumerate(origs):
        for d in dests:
            value = _cell(frame.iloc[pos][d], path, pos + 1, d)
            if not np.isfinite(value) or value < 0:
                raise InputError(
                    f"flow must be a non-negative number, got {value:g}",
                    file=path,
                    row=pos + 1,
                    field=d,
                )
            records.append((o, d, value))
    long = pd.DataFrame(records, columns=["orig", "dest", "flow"])
    # Data row of the matrix each long row came from, to report later errors against the file.
    long.attrs["source_rows"] = [k // len(dests) + 1 for k in range(len(records))]
    return long


def _cell(cell: object, path: str | Path, row: int, field: str) -> float:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        raise InputError("value is missing", file=path, row=row, field=field)
    try:
        return float(cell)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"not a number: {cell!r}", file=path, row=row, field=field) from None


def read_distances(path: str | Path) -> pd.DataFrame:
    """Read an ``orig,dest,dist`` table."""
    frame = read_csv_text(path)
    _require(frame, ("orig", "dest", "dist"), path)
    return frame


def load_bilateral(
    flows_path: str | Path,
    population_path: str | Path,
    distance_path: str | Path | None = None,
) -> BilateralInputs:
    """Read and cross-check flows, populations and (optionally) distances.

    The regions are those in the flow table, in population-file order; each needs a population
    row (else "unknown region" at the flow row), a positive population and, with distances, a
    positive distance to every other region.
    """
    flows = read_flows(flows_path)
    pop = read_population(population_path)
    pop_labels = [str(x) if x is not None else "" for x in pop["region"]]
    present = {str(x) for x in flows["orig"] if x is not None}
    present |= {str(x) for x in flows["dest"] if x is not None}
    regions = [r for r in dict.fromkeys(pop_labels) if r in present]
    try:
        matrix, labels = matrix_from_long(flows, regions, source=str(flows_path))
    except InputError as exc:
        source_rows = flows.attrs.get("source_rows")
        if source_rows is None or exc.row is None:
            raise
        raise InputError(
            exc.reason, file=flows_path, row=source_rows[exc.row - 1], field="region"
        ) from None
    population = population_vector(pop, labels, source=str(population_path))
    distances = None
    if distance_path is not None:
        distances = _distance_matrix(read_distances(distance_path), labels, distance_path)
    return BilateralInputs(labels=labels, flows=matrix, population=population, distances=distances)


def _distance_matrix(frame: pd.DataFrame, labels: list[str], path: str | Path) -> FloatArray:
    index = {lab: k for k, lab in enumerate(labels)}
    keep = [
        pos
        for pos, (o, d) in enumerate(zip(frame["orig"], frame["dest"], strict=True))
        if str(o) in index and str(d) in index
    ]
    sub = frame.iloc[keep].reset_index(drop=True)
    original_row = {new: old + 1 for new, old in enumerate(keep)}
    try:
        dist, _ = matrix_from_long(sub, labels, value="dist", source=str(path))
    except InputError as exc:
        row = original_row.get(exc.row - 1) if exc.row is not None else None
        raise InputError(exc.reason, file=path, row=row, field=exc.field) from None
    n = len(labels)
    for new in range(len(sub)):
        o, d = str(sub.loc[new, "orig"]), str(sub.loc[new, "dest"])
        if o != d and dist[index[o], index[d]] <= 0:
            raise InputError(
                "distance between distinct regions must be positive",
                file=path,
                row=original_row[new],
                field="dist",
            )
    for i in range(n):
        for j in range(n):
            if i != j and dist[i, j] <= 0:
                raise InputError(
                    f"no distance for the pair {labels[i]!r} -> {labels[j]!r}",
                    file=path,
                    field="dist",
                )
    return dist
