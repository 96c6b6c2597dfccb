"""Reading tidy tables from files (CSV or Parquet) into pandas, with errors that name the file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from keruen.errors import InputError


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (UTF-8, header row) or Parquet file with every column as text.

    Empty cells become missing values; nothing else (not "NA", Namibia's code) does.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    if not path.is_file():
        raise InputError("not a regular file", file=path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            import duckdb

            con = duckdb.connect()
            try:
                frame = con.execute(
                    "SELECT * FROM read_parquet(?)", [str(path)]
                ).df()
            finally:
                con.close()
            for col in frame.columns:
                if col != "value":
                    frame[col] = frame[col].astype("object").where(frame[col].notna(), None)
            return frame
        if suffix in {".csv", ".txt"}:
            return pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                encoding="utf-8",
            ).astype("object").where(lambda f: f.notna(), None)
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=path) from None
    except pd.errors.ParserError as exc:
        raise InputError(f"malformed CSV: {exc}", file=path) from None
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty (no header row)", file=path) from None
    except Exception as exc:  # duckdb raises its own classes for corrupt Parquet
        import duckdb

        if isinstance(exc, duckdb.Error):
            reason = str(exc).splitlines()[0]
            raise InputError(f"corrupt or unreadable Parquet: {reason}", file=path) from None
        raise
    raise InputError(f"unsupported file type {suffix!r}; use .csv or .parquet", file=path)
