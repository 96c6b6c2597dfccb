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
    non-numeric, missing or negative values raise :class:`InputError`. Vectorised: label columns
    may be text or pandas categoricals, the value column text or numbers.
    """
    for col in (orig, dest, value):
        if col not in table.columns:
            raise InputError(
                f"missing column {col!r} (columns are {list(table.columns)})",
                file=source,
                field=col,
            )
    values = numeric_column(table[value], field=value, source=source)
    o_codes, o_uniques, o_empty = label_codes(table[orig])
    d_codes, d_uniques, d_empty = label_codes(table[dest])
    _raise_first(
        [(o_empty, "region label is empty", orig), (d_empty, "region label is empty", dest)],
        source,
    )
    if regions is None:
        labels = sorted(set(o_uniques) | set(d_uniques))
    else:
        labels = [str(r) for r in regions]
    o_idx = recode(o_codes, o_uniques, labels)
    d_idx = recode(d_codes, d_uniques, labels)
    n = len(labels)
    check_pairs(o_idx, d_idx, o_uniques, o_codes, d_uniques, d_codes, n, orig, dest, source)
    if n < 2:
        raise InputError("a flow table needs at least 2 regions", file=source, field=orig)
    out = np.zeros((n, n), dtype=np.float64)
    out[o_idx, d_idx] = values
    np.fill_diagonal(out, 0.0)
    return out, labels


def label_codes(column: pd.Series) -> tuple[NDArray[np.int64], list[str], NDArray[np.bool_]]:
    """Factorise a label column: per-row codes into its distinct labels, and empty-label rows.

    A categorical column is used as it is (no per-row Python work); missing or blank labels are
    flagged in the returned mask (their code is meaningless).
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy(dtype=np.int64)
        cats = [str(c) for c in column.cat.categories]
    else:
        raw_codes, uniq = pd.factorize(column.astype("object"), use_na_sentinel=True)
        codes = np.asarray(raw_codes, dtype=np.int64)
        cats = [str(c) for c in uniq]
    blank = np.array([c.strip() == "" for c in cats] + [True], dtype=bool)
    empty = blank[np.where(codes < 0, len(cats), codes)]
    return codes, cats, empty


def recode(codes: NDArray[np.int64], uniques: Sequence[str], labels: Sequence[str]) -> NDArray:
    """Map codes into ``uniques`` to positions in ``labels`` (−1 where a label is unknown)."""
    index = {lab: k for k, lab in enumerate(labels)}
    lookup = np.array([index.get(u, -1) for u in uniques] + [-1], dtype=np.int64)
    return lookup[np.where(codes < 0, len(uniques), codes)]


def check_pairs(
    o_idx: NDArray,
    d_idx: NDArray,
    o_uniques: Sequence[str],
    o_codes: NDArray,
    d_uniques: Sequence[str],
    d_codes: NDArray,
    n: int,
    orig: str,
    dest: str,
    source: str | None,
    rows: NDArray | None = None,
) -> None:
    """Raise at the first row with an unknown region (−1 index) or a repeated ordered pair.

    ``rows`` gives the 1-based row reported for each entry (default: position + 1).
    """
    row_of = (lambda k: int(rows[k])) if rows is not None else (lambda k: k + 1)
    unknown = (o_idx < 0) | (d_idx < 0)
    first_unknown = int(np.argmax(unknown)) if unknown.any() else len(o_idx)
    dup_at, first = len(o_idx), 0
    if first_unknown > 0:
        key = o_idx[:first_unknown] * max(n, 1) + d_idx[:first_unknown]
        dup = pd.Series(key).duplicated(keep="first").to_numpy()
        if dup.any():
            dup_at = int(np.argmax(dup))
            first = int(np.argmax(key == key[dup_at]))
    if first_unknown < dup_at and first_unknown < len(o_idx):
        k = first_unknown
        if o_idx[k] < 0:
            lab, field = o_uniques[o_codes[k]], orig
        else:
            lab, field = d_uniques[d_codes[k]], dest
        raise InputError(
            f"unknown region {lab!r}: it has no row in the population table",
            file=source,
            row=row_of(k),
            field=field,
        )
    if dup_at < len(o_idx):
        k = dup_at
        raise InputError(
            f"duplicate pair {o_uniques[o_codes[k]]!r} -> {d_uniques[d_codes[k]]!r} "
            f"(first at row {row_of(first)})",
            file=source,
            row=row_of(k),
            field=f"{orig},{dest}",
        )


def _raise_first(
    checks: Sequence[tuple[NDArray[np.bool_], str, str]],
    source: str | None,
    rows: NDArray | None = None,
) -> None:
    """Raise for the earliest row flagged by any mask (ties: the first check listed)."""
    best: tuple[int, int] | None = None
    for order, (mask, _, _) in enumerate(checks):
        if mask.any():
            k = int(np.argmax(mask))
            if best is None or k < best[0]:
                best = (k, order)
    if best is None:
        return
    k, order = best
    _, reason, field = checks[order]
    row = int(rows[k]) if rows is not None else k + 1
    raise InputError(reason, file=source, row=row, field=field)


def numeric_column(
    column: pd.Series, *, field: str, source: str | None, rows: NDArray | None = None
) -> FloatArray:
    """Parse a column as finite non-negative floats, raising on the first bad row (vectorised).

    A numeric column's NaN is a missing value; text is parsed by :func:`pandas.to_numeric`
    (so ``1_000`` or ``1,5`` are not numbers). ``rows`` gives the reported 1-based rows.
    """
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        x = column.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(x)
        notnum = np.zeros(len(x), dtype=bool)
        raw = None
    else:
        raw = column.astype("object")
        text = raw.where(raw.notna(), "").astype(str)
        missing = (text.str.strip() == "").to_numpy()
        x = pd.to_numeric(text.where(~missing, "0"), errors="coerce").to_numpy(dtype=np.float64)
        notnum = np.isnan(x) & ~missing
    bad = missing | notnum | ~np.isfinite(x) | (x < 0)
    if not bad.any():
        return x
    k = int(np.argmax(bad))
    row = int(rows[k]) if rows is not None else k + 1
    cell = raw.iloc[k] if raw is not None else float(x[k])
    if missing[k]:
        reason = "value is missing"
    elif notnum[k]:
        reason = f"not a number: {cell!r}"
    elif not np.isfinite(x[k]):
        reason = f"not a finite number: {cell!r}"
    else:
        reason = f"negative value {x[k]:g}"
    raise InputError(reason, file=source, row=row, field=field)


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
        values = numeric_column(population[pop], field=pop, source=source)
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
