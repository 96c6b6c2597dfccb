"""Reading the CSV tables behind bilateral migration measures: flows, populations, distances.

Three shapes, each with a header row:

* flows, long: ``orig,dest,flow`` (one row per ordered pair; absent pairs count as 0), or wide:
  first column the origin labels, the other column names the destination labels, in the same
  order, so the table is a square matrix;
* populations: ``region,pop``;
* distances: ``orig,dest,dist`` (rows for regions without flows are ignored), or a square
  matrix like the wide flows.

Reading is vectorised: pandas' C parser reads labels as categoricals and values as numbers, and
the matrices are filled by integer codes, so 1000 regions (a million pairs) take about a second.
When a value is not a plain number the file is re-read as text to name the offending cell.
Errors are :class:`~keruen.errors.InputError` naming the file, the 1-based data row (header
excluded) and the field. The pure checks live in :mod:`keruen.indicators.flows`.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from keruen.errors import InputError
from keruen.indicators.flows import (
    FloatArray,
    check_pairs,
    label_codes,
    numeric_column,
    population_vector,
    recode,
)

LONG_FLOWS = ("orig", "dest", "flow")
LONG_DISTANCES = ("orig", "dest", "dist")


@dataclass(frozen=True)
class BilateralInputs:
    """A validated flow matrix with its region labels, populations and optional distances."""

    labels: list[str]
    flows: FloatArray
    population: FloatArray
    distances: FloatArray | None = None


def _read(
    path: str | Path,
    dtype: Mapping[str, str] | type[str] | None,
    *,
    strip: bool = True,
    **kw: object,
) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    try:
        with warnings.catch_warnings():
            # index_col=False: a row with more cells than the header is a ParserWarning (pandas
            # would otherwise shift it into an index), which is made an error here.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                path,
                dtype=dtype,  # type: ignore[arg-type]
                keep_default_na=False,
                na_values=[""],
                encoding="utf-8",
                index_col=False,
                **kw,  # type: ignore[arg-type]
            )
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=path) from None
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty", file=path) from None
    except pd.errors.ParserError as exc:
        text = " ".join(str(exc).split())
        cells = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
        if cells:
            width, line, saw = (int(g) for g in cells.groups())
            reason = f"the row has {saw} cells, the header {width}"
            raise InputError(reason, file=path, row=line - 1) from None
        raise InputError(f"malformed CSV: {text}", file=path) from None
    except pd.errors.ParserWarning:
        raise _ragged_row(path) from None
    if strip:
        frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _ragged_row(path: Path) -> InputError:
    """The error for the first data row with more cells than the header (rare: read again)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh)
        width = len(next(rows))
        for k, cells in enumerate(rows, start=1):
            if len(cells) > width:
                return InputError(
                    f"the row has {len(cells)} cells, the header {width}", file=path, row=k
                )
    return InputError("malformed CSV: a row has more cells than the header", file=path)


def read_csv_text(path: str | Path) -> pd.DataFrame:
    """Read a UTF-8 CSV with a header, every cell as text; only empty cells are missing."""
    frame = _read(path, str)
    return frame.astype("object").where(frame.notna(), None)


def _header(path: str | Path) -> list[str]:
    """The raw column names of a CSV (as written, not stripped), from its first line."""
    path = Path(path)
    first: list[str] | None = None
    if path.is_file():
        try:
            with path.open(encoding="utf-8", newline="") as fh:
                first = next(csv.reader(fh), None)
        except (UnicodeDecodeError, csv.Error):
            first = None
    if not first:  # let pandas say what is wrong (missing, empty, not UTF-8, ...)
        return [str(c) for c in _read(path, str, strip=False, nrows=0).columns]
    return first


def _read_typed(
    path: str | Path, raw: list[str], labels: list[str], values: list[str]
) -> pd.DataFrame:
    """Read label columns as categoricals and value columns as floats.

    On a cell that is not a plain number, re-read everything as text so the checks can name it.
    """
    stripped = {str(c).strip(): c for c in raw}
    dtype: dict[str, str] = {}
    for col in labels:
        if col in stripped:
            dtype[stripped[col]] = "category"
    for col in values:
        if col in stripped:
            dtype[stripped[col]] = "float64"
    try:
        return _read(path, dtype)
    except (ValueError, TypeError, OverflowError) as exc:
        if isinstance(exc, InputError):
            raise
        return read_csv_text(path)


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


@dataclass(frozen=True)
class _Square:
    """A wide (square-matrix) table: its labels in file order and the numeric block."""

    labels: list[str]
    values: FloatArray
    label_field: str


def _read_pairs(
    path: str | Path, columns: tuple[str, str, str], *, what: str
) -> pd.DataFrame | _Square:
    """Read a long ``orig,dest,value`` table, or a square matrix with a label column."""
    raw = _header(path)
    header = [str(c).strip() for c in raw]
    if set(columns) <= set(header):
        frame = _read_typed(path, raw, list(columns[:2]), [columns[2]])
        _require(frame, columns, path)
        return frame
    return _read_square(path, raw, columns, what=what)


def _read_square(
    path: str | Path, raw: list[str], columns: tuple[str, str, str], *, what: str
) -> _Square:
    header = [str(c).strip() for c in raw]
    if len(header) < 3:
        raise InputError(
            f"expected columns {','.join(columns)} or a square matrix with a label column",
            file=path,
            field=header[0] if header else None,
        )
    dtype = {raw[0]: "str", **{c: "float64" for c in raw[1:]}}
    try:
        frame = _read(path, dtype)
    except (ValueError, TypeError, OverflowError) as exc:
        if isinstance(exc, InputError):
            raise
        frame = read_csv_text(path)
    label_field = str(frame.columns[0])
    dests = [str(c) for c in frame.columns[1:]]
    first = frame.iloc[:, 0]
    origs = [str(x) if isinstance(x, str) else "" for x in first.astype("object")]
    if len(origs) != len(dests):
        row = min(len(origs), len(dests)) + 1
        raise InputError(
            f"the {what} matrix is not square: {len(origs)} origin rows, {len(dests)} "
            "destination columns",
            file=path,
            row=row if len(origs) > len(dests) else len(origs),
            field=dests[-1] if len(origs) < len(dests) else label_field,
        )
    mismatch = [k for k, (o, d) in enumerate(zip(origs, dests, strict=True)) if o != d]
    if mismatch:
        k = mismatch[0]
        raise InputError(
            f"row label {origs[k]!r} does not match column {dests[k]!r}: rows and columns must "
            "list the same regions in the same order",
            file=path,
            row=k + 1,
            field=label_field,
        )
    block = frame.iloc[:, 1:]
    n = len(dests)
    # Row-major order, as the file is read: the first bad cell is the one reported.
    flat = pd.Series(block.to_numpy().ravel())
    if flat.dtype == object:
        flat = flat.where(flat.notna(), None)
    try:
        values = numeric_column(flat, field=columns[2], source=str(path))
    except InputError as exc:
        k = (exc.row or 1) - 1
        reason = exc.reason
        if reason.startswith("negative value") or reason.startswith("not a finite"):
            cell = block.to_numpy().ravel()[k]
            reason = f"{what} must be a non-negative number, got {float(cell):g}"
        raise InputError(reason, file=path, row=k // n + 1, field=dests[k % n]) from None
    return _Square(labels=origs, values=values.reshape(n, n), label_field=label_field)


def read_flows(path: str | Path) -> pd.DataFrame:
    """Read flows as a long ``orig,dest,flow`` table, converting a wide square matrix to it."""
    table = _read_pairs(path, LONG_FLOWS, what="flow")
    if isinstance(table, pd.DataFrame):
        return table
    n = len(table.labels)
    lab = np.array(table.labels, dtype=object)
    return pd.DataFrame(
        {"orig": np.repeat(lab, n), "dest": np.tile(lab, n), "flow": table.values.ravel()}
    )


def load_bilateral(
    flows_path: str | Path,
    population_path: str | Path,
    distance_path: str | Path | None = None,
) -> BilateralInputs:
    """Read and cross-check flows, populations and (optionally) distances.

    The regions are those in the flow table, in population-file order; each needs a population
    row (else "unknown region" at the flow row), a positive population and, with distances, a
    positive distance to every other region. Flows and distances may each be long or wide.
    """
    flows = _read_pairs(flows_path, LONG_FLOWS, what="flow")
    pop = read_population(population_path)
    pop_labels = [str(x) if x is not None else "" for x in pop["region"]]
    if isinstance(flows, _Square):
        matrix, labels = _square_flows(flows, pop_labels, flows_path)
    else:
        matrix, labels = _long_flows(flows, pop_labels, flows_path)
    population = population_vector(pop, labels, source=str(population_path))
    distances = None
    if distance_path is not None:
        distances = _distance_matrix(distance_path, labels)
    return BilateralInputs(labels=labels, flows=matrix, population=population, distances=distances)


def _long_flows(
    frame: pd.DataFrame, pop_labels: list[str], path: str | Path
) -> tuple[FloatArray, list[str]]:
    source = str(path)
    values = numeric_column(frame["flow"], field="flow", source=source)
    o_codes, o_uniq, o_empty = label_codes(frame["orig"])
    d_codes, d_uniq, d_empty = label_codes(frame["dest"])
    empty = o_empty | d_empty
    if empty.any():
        k = int(np.argmax(empty))
        field = "orig" if o_empty[k] else "dest"
        raise InputError("region label is empty", file=source, row=k + 1, field=field)
    present = set(o_uniq) | set(d_uniq)
    labels = [r for r in dict.fromkeys(pop_labels) if r in present]
    o_idx, d_idx = recode(o_codes, o_uniq, labels), recode(d_codes, d_uniq, labels)
    n = len(labels)
    check_pairs(o_idx, d_idx, o_uniq, o_codes, d_uniq, d_codes, n, "orig", "dest", source)
    if n < 2:
        raise InputError("a flow table needs at least 2 regions", file=source, field="orig")
    matrix = np.zeros((n, n), dtype=np.float64)
    matrix[o_idx, d_idx] = values
    np.fill_diagonal(matrix, 0.0)
    return matrix, labels


def _square_flows(
    square: _Square, pop_labels: list[str], path: str | Path
) -> tuple[FloatArray, list[str]]:
    known = set(pop_labels)
    unknown = [lab for lab in square.labels if lab not in known]
    if unknown:
        # Every label heads a column, so the first data row already meets it.
        raise InputError(
            f"unknown region {unknown[0]!r}: it has no row in the population table",
            file=path,
            row=1,
            field="region",
        )
    present = set(square.labels)
    labels = [r for r in dict.fromkeys(pop_labels) if r in present]
    if len(labels) < 2:
        raise InputError("a flow table needs at least 2 regions", file=path, field="orig")
    pos = {lab: k for k, lab in enumerate(square.labels)}
    perm = np.array([pos[lab] for lab in labels])
    matrix = square.values[np.ix_(perm, perm)].copy()
    np.fill_diagonal(matrix, 0.0)
    return matrix, labels


def _distance_matrix(path: str | Path, labels: list[str]) -> FloatArray:
    table = _read_pairs(path, LONG_DISTANCES, what="distance")
    if isinstance(table, _Square):
        dist = _square_distances(table, labels, path)
    else:
        dist = _long_distances(table, labels, path)
    n = len(labels)
    missing = ~np.eye(n, dtype=bool) & ~(dist > 0)
    if missing.any():
        i, j = np.argwhere(missing)[0]
        raise InputError(
            f"no distance for the pair {labels[i]!r} -> {labels[j]!r}", file=path, field="dist"
        )
    return dist


def _long_distances(frame: pd.DataFrame, labels: list[str], path: str | Path) -> FloatArray:
    source = str(path)
    o_codes, o_uniq, _ = label_codes(frame["orig"])
    d_codes, d_uniq, _ = label_codes(frame["dest"])
    o_idx, d_idx = recode(o_codes, o_uniq, labels), recode(d_codes, d_uniq, labels)
    keep = (o_idx >= 0) & (d_idx >= 0)
    rows = np.flatnonzero(keep) + 1
    column = frame["dist"][keep]
    values = numeric_column(column, field="dist", source=source, rows=rows)
    o_k, d_k = o_idx[keep], d_idx[keep]
    n = len(labels)
    check_pairs(
        o_k, d_k, o_uniq, o_codes[keep], d_uniq, d_codes[keep], n, "orig", "dest", source, rows
    )
    nonpositive = (values <= 0) & (o_k != d_k)
    if nonpositive.any():
        raise InputError(
            "distance between distinct regions must be positive",
            file=path,
            row=int(rows[int(np.argmax(nonpositive))]),
            field="dist",
        )
    dist = np.zeros((n, n), dtype=np.float64)
    dist[o_k, d_k] = values
    np.fill_diagonal(dist, 0.0)
    return dist


def _square_distances(square: _Square, labels: list[str], path: str | Path) -> FloatArray:
    pos = {lab: k for k, lab in enumerate(square.labels)}
    absent = [lab for lab in labels if lab not in pos]
    if absent:
        raise InputError(
            f"no distances for region {absent[0]!r} (the matrix has no row for it)",
            file=path,
            field=square.label_field,
        )
    perm = np.array([pos[lab] for lab in labels])
    dist = square.values[np.ix_(perm, perm)].copy()
    off = ~np.eye(len(labels), dtype=bool)
    bad = off & ~(dist > 0)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputError(
            "distance between distinct regions must be positive",
            file=path,
            row=int(perm[i]) + 1,
            field=square.labels[int(perm[j])],
        )
    np.fill_diagonal(dist, 0.0)
    return dist
