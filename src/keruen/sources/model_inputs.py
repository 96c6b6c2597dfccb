"""Small CSV readers and writers for the estimation commands (the models themselves do no I/O).

Every reader names the file, the 1-based data row and the field of the first fault it finds.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from keruen.errors import InputError
from keruen.writing import csv_text, write_csv


def read_table(
    path: str | Path,
    columns: Sequence[str],
    *,
    numeric: Sequence[str] = (),
    non_negative: Sequence[str] = (),
) -> pd.DataFrame:
    """Read a CSV that must hold ``columns``; ``numeric`` ones must parse, ``non_negative`` ≥ 0."""
    p = Path(path)
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except FileNotFoundError as exc:
        raise InputError("file not found", file=p) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable CSV ({exc})", file=p) from exc
    df.columns = [c.strip() for c in df.columns]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"missing columns {missing} (has {list(df.columns)})", file=p, field=missing[0]
        )
    if df.empty:
        raise InputError("no data rows", file=p)
    out = df[list(columns)].copy()
    for col in columns:
        out[col] = out[col].str.strip()
    for col in numeric:
        vals = pd.to_numeric(out[col], errors="coerce")
        bad = vals.isna()
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0]) + 1
            raise InputError(
                f"not a number: {out[col].iloc[row - 1]!r}", file=p, row=row, field=col
            )
        if col in non_negative and (vals < 0).any():
            row = int((vals < 0).to_numpy().nonzero()[0][0]) + 1
            raise InputError(f"negative value {vals.iloc[row - 1]:g}", file=p, row=row, field=col)
        out[col] = vals.astype(float)
    return out


def read_stock_matrix(path: str | Path) -> pd.DataFrame:
    """Read ``birthplace,residence,stock`` into a square birthplace × residence matrix."""
    df = read_table(
        path, ["birthplace", "residence", "stock"], numeric=["stock"], non_negative=["stock"]
    )
    dup = df.duplicated(["birthplace", "residence"])
    if dup.any():
        row = int(dup.to_numpy().nonzero()[0][0]) + 1
        raise InputError("repeated birthplace × residence pair", file=path, row=row)
    wide = df.pivot(index="birthplace", columns="residence", values="stock")
    if set(wide.index) != set(wide.columns):
        odd = sorted(set(wide.index) ^ set(wide.columns))
        raise InputError(f"birthplaces and residences disagree: {odd}", file=path)
    if wide.isna().any().any():
        raise InputError("some birthplace × residence pairs are missing", file=path)
    return wide


def read_region_values(path: str | Path, column: str, key: str = "region") -> pd.Series:
    """Read ``key,column`` (e.g. ``region,births``) into a Series indexed by ``key``."""
    df = read_table(path, [key, column], numeric=[column], non_negative=[column])
    if df[key].duplicated().any():
        row = int(df[key].duplicated().to_numpy().nonzero()[0][0]) + 1
        raise InputError(f"repeated {key}", file=path, row=row, field=key)
    return df.set_index(key)[column]


def write_table(df: pd.DataFrame, out: str | Path | None) -> None:
    """Write ``df`` as CSV to ``out``, or to standard output when ``out`` is ``None``.

    Both through :func:`keruen.writing.csv_text` (text cells made inert); the file atomically,
    replacing a link there instead of writing through it.
    """
    if out is None:
        sys.stdout.write(csv_text(df))
    else:
        write_csv(out, df)
