"""Safe output: files written whole and in place, and CSV cells that cannot run as formulas.

Every file is written to a temporary file and moved into place: ``os.replace`` swaps the
directory entry, so a path that is a symbolic link is replaced by a regular file instead of
being written through to the link's target, and a reader never sees a half-written file.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, replacing (never following) a symlink there."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`write_bytes`)."""
    write_bytes(path, text.encode("utf-8"))


def ensure_dir(path: Path) -> Path:
    """Create the folder ``path``; a symlink in its place is removed and replaced by a folder."""
    path = Path(path)
    if path.is_symlink():
        path.unlink()
    path.mkdir(parents=True, exist_ok=True)
    return path


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


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def neutralise_sql(column: str) -> str:
    r"""SQL (DuckDB) giving the text column ``column`` as :func:`neutralise_cell` gives each cell.

    Evaluated inside DuckDB, so a large answer is neutralised without a Python object per cell;
    an empty text becomes NULL (both are written as an empty CSV field). The plain-number
    exception is the same pattern, Python's Unicode ``\d`` spelled ``\p{Nd}`` for DuckDB's RE2.
    """
    starts = ", ".join(
        _sql_literal(c) if c.isprintable() else f"chr({ord(c)})" for c in FORMULA_STARTS
    )
    number = _sql_literal(_PLAIN_NUMBER.pattern.replace(r"\d", r"\p{Nd}"))
    quote = _sql_literal("'")
    return (
        f"CASE WHEN {column} IS NULL OR {column} = '' THEN NULL "
        f"WHEN left({column}, 1) IN ({starts}) AND NOT regexp_full_match({column}, {number}) "
        f"THEN {quote} || {column} ELSE {column} END"
    )


def text_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of ``frame`` holding text (object or string dtype)."""
    import pandas as pd  # here, not at the top: `keruen query` prints rows without pandas

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
    for column in text_columns(out):
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
