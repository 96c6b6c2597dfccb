"""Origin–destination flow matrices: building, validating and summarising them per region.

A flow matrix ``M`` is square, ``M[i, j]`` counting moves from origin ``i`` to destination ``j``.
Every measure in :mod:`keruen.indicators` works on moves *between* regions, so the diagonal
(stayers, or moves within a region) is set to zero when a matrix is built: it is not migration
between the regions being compared (Bell et al. 2002, section 2). Functions here are pure: they
take arrays or data frames and never read files; ``source`` only names the table in error
messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from keruen.errors import InputError

FloatArray = NDArray[np.float64]


def as_flow_matrix(flows: ArrayLike, *, source: str | None = None) -> FloatArray:
    """Validate a square, finite, non-negative flow matrix and return a float copy, diagonal zeroed.

    Raises :class:`InputError` for a non-square or non-2-D array, non-numeric, missing or
    infinite values, or negative flows; the message names the 1-based row and the column index.
    """
    try:
        arr = np.array(flows, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("flows are not all numbers", file=source, field="flow") from None
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise InputError(
            f"flow matrix must be square (n x n), got shape {arr.shape}", file=source, field="flow"
        )
    if arr.shape[0] < 2:
        raise InputError("a flow matrix needs at least 2 regions", file=source, field="flow")
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputError(
            f"flow is missing or not finite (column {j + 1})",
            file=source,
            row=int(i) + 1,
            field="flow",
        )
    neg = arr < 0
    if neg.any():
        i, j = np.argwhere(neg)[0]
        raise InputError(
            f"flow is negative ({arr[i, j]:g}, column {j + 1})",
            file=source,
            row=int(i) + 1,
            field="flow",
        )
    np.fill_diagonal(arr, 0.0)
    return arr


def matrix_from_long(
    table: pd.DataFrame,
    regions: Sequence[str] | None = None,
    *,
    orig: str = "orig",
    dest: str = "dest",
    value: str = "flow",
    source: str | None = None,
) -> tuple[FloatArray, list[str]]:
    """Build a square matrix from a long table ``orig, dest, value``.

    ``regions`` fixes the labels and their order (pairs absent from the table are zero); a region
    in the table but not in ``regions`` is an error. Without ``regions`` the labels are the sorted
    union of origins and destinations. Rows are reported 1-based in table order. Duplicate pairs,
    non-numeric, missing or negative values raise :class:`InputError`.
    """
    for col in (orig, dest, value):
        if col not in table.columns:
            raise InputError(
                f"missing column {col!r} (columns are {list(table.columns)})",
                file=source,
                field=col,
            )
    o = table[orig].astype("object").to_numpy()
    d = table[dest].astype("object").to_numpy()
    values = _numeric_column(table[value], field=value, source=source)
    for pos in range(len(table)):
        for lab, field in ((o[pos], orig), (d[pos], dest)):
            if lab is None or (isinstance(lab, float) and np.isnan(lab)) or str(lab).strip() == "":
                raise InputError("region label is empty", file=source, row=pos + 1, field=field)
    o = np.array([str(x) for x in o], dtype=object)
    d = np.array([str(x) for x in d], dtype=object)
    if regions is None:
        labels = sorted(set(o) | set(d))
    else:
        labels = [str(r) for r in regions]
    index = {lab: k for k, lab in enumerate(labels)}
    n = len(labels)
    out = np.zeros((n, n), dtype=np.float64)
    seen: dict[tuple[str, str], int] = {}
    for pos in range(len(table)):
        for lab, field in ((o[pos], orig), (d[pos], dest)):
            if lab not in index:
                raise InputError(
                    f"unknown region {lab!r}: it has no row in the population table",
                    file=source,
                    row=pos + 1,
                    field=field,
                )
        key = (o[pos], d[pos])
        if key in seen:
            raise InputError(
                f"duplicate pair {key[0]!r} -> {key[1]!r} (first at row {seen[key]})",
                file=source,
                row=pos + 1,
                field=f"{orig},{dest}",
            )
        seen[key] = pos + 1
        out[index[key[0]], index[key[1]]] = values[pos]
    if n < 2:
        raise InputError("a flow table needs at least 2 regions", file=source, field=orig)
    np.fill_diagonal(out, 0.0)
    return out, labels


def _numeric_column(column: pd.Series, *, field: str, source: str | None) -> FloatArray:
    """Parse a column as finite non-negative floats, raising on the first bad row."""
    raw = column.astype("object").to_numpy()
    result = np.empty(len(raw), dtype=np.float64)
    for pos, cell in enumerate(raw):
        if cell is None or (isinstance(cell, str) and cell.strip() == ""):
            raise InputError("value is missing", file=source, row=pos + 1, field=field)
        try:
            x = float(cell)
        except (TypeError, ValueError):
            raise InputError(
                f"not a number: {cell!r}", file=source, row=pos + 1, field=field
            ) from None
        if not np.isfinite(x):
            raise InputError(
                f"not a finite number: {cell!r}", file=source, row=pos + 1, field=field
            )
        if x < 0:
            raise InputError(f"negative value {x:g}", file=source, row=pos + 1, field=field)
        result[pos] = x
    return result


def population_vector(
    population: Mapping[str, float] | pd.Series | pd.DataFrame,
    labels: Sequence[str],
    *,
    region: str = "region",
    pop: str = "pop",
    source: str | None = None,
) -> FloatArray:
    """Return populations aligned to ``labels`` from a mapping, a Series or a ``region, pop`` table.

    Every label needs a positive population; a region listed twice is an error.
    """
    if isinstance(population, pd.DataFrame):
        for col in (region, pop):
            if col not in population.columns:
                raise InputError(f"missing column {col!r}", file=source, field=col)
        values = _numeric_column(population[pop], field=pop, source=source)
        mapping: dict[str, float] = {}
        rows: dict[str, int] = {}
        for pos, lab in enumerate(population[region].astype("object")):
            if lab is None or str(lab).strip() == "":
                raise InputError("region label is empty", file=source, row=pos + 1, field=region)
            key = str(lab)
            if key in mapping:
                raise InputError(
                    f"region {key!r} listed twice (first at row {rows[key]})",
                    file=source,
                    row=pos + 1,
                    field=region,
                )
            mapping[key] = float(values[pos])
            rows[key] = pos + 1
    else:
        mapping = {str(k): float(v) for k, v in dict(population).items()}
        rows = {}
    out = np.empty(len(labels), dtype=np.float64)
    for k, lab in enumerate(labels):
        if lab not in mapping:
            raise InputError(f"no population for region {lab!r}", file=source, field=pop)
        value = mapping[lab]
        if not np.isfinite(value) or value <= 0:
            raise InputError(
                f"population of {lab!r} must be positive, got {value:g}",
                file=source,
                row=rows.get(lab),
                field=pop,
            )
        out[k] = value
    return out


def in_flows(m: ArrayLike) -> FloatArray:
    """In-migration ``D_j = Σ_{i≠j} M_ij`` of each region (column sums off the diagonal)."""
    a = as_flow_matrix(m)
    return a.sum(axis=0)


def out_flows(m: ArrayLike) -> FloatArray:
    """Out-migration ``O_i = Σ_{j≠i} M_ij`` of each region (row sums off the diagonal)."""
    a = as_flow_matrix(m)
    return a.sum(axis=1)


def net_flows(m: ArrayLike) -> FloatArray:
    """Net migration (balance) ``N_i = D_i − O_i``; sums to zero over a closed system."""
    a = as_flow_matrix(m)
    return a.sum(axis=0) - a.sum(axis=1)


def turnover(m: ArrayLike) -> FloatArray:
    """Migration turnover (gross migration) ``T_i = D_i + O_i`` of each region."""
    a = as_flow_matrix(m)
    return a.sum(axis=0) + a.sum(axis=1)


def region_totals(
    m: ArrayLike, labels: Sequence[str] | None = None, population: ArrayLike | None = None
) -> pd.DataFrame:
    """Per-region table: ``in, out, net, turnover`` and, given populations, rates per 1,000.

    Crude rates (UN Manual VI, 1970, ch. 3): in-migration ``1000·D_i/P_i``, out-migration
    ``1000·O_i/P_i``, net ``1000·N_i/P_i``, and the region's migration effectiveness
    ``100·N_i/T_i`` (Shryock & Siegel 1976; NaN where a region has no turnover).
    """
    a = as_flow_matrix(m)
    n = a.shape[0]
    if labels is None:
        labels = [str(k) for k in range(n)]
    if len(labels) != n:
        raise InputError(f"{len(labels)} labels for a {n} x {n} matrix", field="region")
    inn, out = a.sum(axis=0), a.sum(axis=1)
    net, turn = inn - out, inn + out
    frame = pd.DataFrame(
        {"region": list(labels), "in": inn, "out": out, "net": net, "turnover": turn}
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["effectiveness"] = np.where(turn > 0, 100.0 * net / turn, np.nan)
    if population is not None:
        p = np.asarray(population, dtype=np.float64)
        if p.shape != (n,):
            raise InputError(f"{p.size} populations for {n} regions", field="pop")
        if (~np.isfinite(p) | (p <= 0)).any():
            raise InputError("populations must be positive numbers", field="pop")
        frame["pop"] = p
        frame["in_rate"] = 1000.0 * inn / p
        frame["out_rate"] = 1000.0 * out / p
        frame["net_rate"] = 1000.0 * net / p
        frame["turnover_rate"] = 1000.0 * turn / p
    return frame
