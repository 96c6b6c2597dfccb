"""The one writer of keruen's outputs: files written whole, never through a link, CSV made inert.

Every file keruen writes (reports, tables, ``--out`` files, register aggregates, the store's
manifests and caches) goes through :func:`write_bytes` (``tests/test_writing.py`` scans the
source for any other writer):

* the data goes to a temporary file beside the target and ``os.replace`` moves it into place,
  so a reader never sees a half-written file and a path that is a symbolic link is *replaced*
  by a regular file, never written through to the link's target;
* given the output folder as ``root``, every folder between ``root`` and the file is made a
  real folder: a symbolic link there is removed and replaced by an empty folder (a link to
  another folder would otherwise let the file land in that folder);
* a failure (disk full, read-only place) is an :class:`~keruen.errors.OutputError` naming the
  path, and leaves no temporary file behind.

A whole folder (a report) is written by :func:`staged_folder`: into a new folder beside the
target, moved into place only once every file is written.

Every CSV keruen writes is made by :func:`csv_text` (or :func:`rows_csv_text` for rows held
without pandas, or :func:`neutralise_sql` inside DuckDB), each applying
:func:`neutralise_cell`.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from keruen.errors import OutputError

if TYPE_CHECKING:
    import pandas as pd


def _write_all(fh: BinaryIO, data: bytes) -> None:
    """Write ``data`` to the open file ``fh`` (one place, so a test can fill the disk here)."""
    fh.write(data)


def _failed(path: Path, exc: OSError) -> OutputError:
    if isinstance(exc, OutputError):
        return exc
    return OutputError(f"cannot write {path}: {exc.strerror or exc}", path, exc)


def write_bytes(
    path: str | Path, data: bytes, *, root: str | Path | None = None, durable: bool = False
) -> None:
    """Write ``data`` to ``path`` atomically, replacing (never following) a symlink there.

    ``root``: the output folder ``path`` lies in; the folders between are made real folders
    (:func:`real_dirs`). Without it only ``path``'s own folder is created (the user named it).
    ``durable``: the file and the rename are flushed to disk (``fsync``) before returning.
    """
    path = Path(path)
    try:
        if root is None:
            path.parent.mkdir(parents=True, exist_ok=True)
        else:
            real_dirs(root, path.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                _write_all(fh, data)
                if durable:
                    fh.flush()
                    os.fsync(fh.fileno())
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if durable:
            _fsync_dir(path.parent)
    except OSError as exc:
        raise _failed(path, exc) from exc


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str, *, root: str | Path | None = None) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`write_bytes`)."""
    write_bytes(path, text.encode("utf-8"), root=root)


def write_csv(
    path: str | Path, frame: pd.DataFrame, *, root: str | Path | None = None, crlf: bool = False
) -> None:
    """Write ``frame`` as :func:`csv_text` to ``path`` atomically (see :func:`write_bytes`)."""
    write_bytes(path, csv_text(frame, crlf=crlf).encode("utf-8"), root=root)


def real_dirs(root: str | Path, folder: str | Path) -> Path:
    """Create ``folder`` inside ``root`` as real folders; a symlink on the way becomes a folder.

    ``root`` itself is created if missing and may be a link (the user named it); a file where a
    folder must be is an :class:`~keruen.errors.OutputError`.
    """
    root, folder = Path(root), Path(folder)
    parts = folder.relative_to(root).parts  # ValueError: not inside root (a programming error)
    try:
        root.mkdir(parents=True, exist_ok=True)
        current = root
        for part in parts:
            current = current / part
            if current.is_symlink():
                current.unlink()
            try:
                current.mkdir()
            except FileExistsError:
                if current.is_symlink() or not current.is_dir():
                    raise OutputError(
                        f"cannot write into {current}: a file is in the way", current
                    ) from None
    except OSError as exc:
        raise _failed(folder, exc) from exc
    return folder


def ensure_dir(path: str | Path, *, root: str | Path | None = None) -> Path:
    """Create the folder ``path``; a symlink in its place (or between ``root`` and it) is replaced.

    The symlink is replaced by a real folder (see :func:`real_dirs`).
    """
    path = Path(path)
    return real_dirs(path.parent if root is None else root, path)


def output_folder(path: str | Path) -> Path:
    """The folder the user named for keruen's output, created if missing.

    A link to a folder is followed (the user chose it; the real folder is returned); a link to
    nothing, or a file, is an :class:`~keruen.errors.OutputError` naming it.
    """
    path = Path(path)
    if path.is_symlink():
        if not path.is_dir():
            raise OutputError(
                f"cannot write into {path}: it is a link to {os.readlink(path)}, which does not "
                "exist",
                path,
            )
        path = path.resolve()
    if path.exists() and not path.is_dir():
        raise OutputError(f"cannot write into {path}: not a folder", path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _failed(path, exc) from exc
    return path


@contextmanager
def placed(path: str | Path) -> Iterator[Path]:
    """A fresh path beside ``path`` for another writer (DuckDB, Spark) to write a file or folder.

    When the block ends the result replaces ``path`` (a link there is replaced, never written
    through; an older folder there is removed first); on failure it is removed and ``path`` is
    untouched. Errors are :class:`~keruen.errors.OutputError` naming ``path``.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        holder = Path(tempfile.mkdtemp(prefix=f".{path.name}.keruen-", dir=path.parent))
    except OSError as exc:
        raise _failed(path, exc) from exc
    try:
        fresh = holder / path.name
        yield fresh
        try:
            if fresh.is_dir() and not path.is_symlink() and path.is_dir():
                shutil.rmtree(path)
            elif fresh.is_dir() and path.is_symlink():
                path.unlink()
            os.replace(fresh, path)
        except OSError as exc:
            raise _failed(path, exc) from exc
    finally:
        shutil.rmtree(holder, ignore_errors=True)


@contextmanager
def staged_folder(target: str | Path) -> Iterator[Path]:
    """A new folder beside ``target`` to write a whole output into; moved into place at the end.

    If the block fails (disk full, Ctrl-C) the staging folder is removed and ``target`` is as it
    was. Otherwise the staging folder is renamed to ``target`` when there is none, or else each
    of its files is moved into ``target`` (renames, which need no space), replacing files and
    links of the same name and turning links to folders on the way into folders; other files in
    ``target`` are left alone. ``target`` itself may be a link to a folder (it is followed).
    """
    target = Path(target)
    if target.is_symlink() or target.exists():
        target = output_folder(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.keruen-", dir=target.parent))
    except OSError as exc:
        raise _failed(target, exc) from exc
    try:
        yield stage
        _publish(stage, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _publish(stage: Path, target: Path) -> None:
    """Move the files of ``stage`` into ``target`` (see :func:`staged_folder`)."""
    os.chmod(stage, 0o777 & ~_umask())  # mkdtemp makes 0700
    try:
        if not target.exists():
            os.rename(stage, target)
            return
    except OSError:
        if not target.is_dir():
            raise
    for folder, dirs, files in os.walk(stage):
        dirs.sort()
        here = target / Path(folder).relative_to(stage)
        real_dirs(target, here)
        for name in sorted(files):
            try:
                os.replace(Path(folder) / name, here / name)
            except OSError as exc:
                raise _failed(here / name, exc) from exc


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


# -- CSV: the one writer ----------------------------------------------------------------------
def _is_missing(value: Any) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    if "pandas" not in sys.modules:  # rows from DuckDB: None is the only missing value
        return False
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _csv_field(value: Any) -> str:
    if _is_missing(value):
        return ""
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _quoted_lines(columns: Sequence[Any], rows: Iterator[Sequence[Any]] | list[Any]) -> str:
    lines = [",".join(_csv_field(str(c)) for c in columns)]
    lines += [",".join(_csv_field(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def csv_text(frame: pd.DataFrame, *, crlf: bool = False) -> str:
    """``frame`` as CSV text (no index), its text cells made inert by :func:`neutralise`.

    Lines end in LF (``crlf``: CR LF, RFC 4180) and floats are written exactly, as pandas writes
    them; missing values are empty fields. pandas (like the csv module) leaves a field holding a
    bare CR unquoted under LF line ends, which splits the row for RFC 4180 readers; when a text
    cell holds one, every field is written here with such fields quoted.
    """
    safe = neutralise(frame)
    if crlf:  # with CR LF as the terminator a cell holding CR or LF is always quoted
        return str(safe.to_csv(index=False, lineterminator="\r\n"))
    has_cr = any(
        isinstance(v, str) and "\r" in v
        for c in text_columns(safe)
        for v in safe[c].dropna().unique()
    )
    if not has_cr:
        return str(safe.to_csv(index=False, lineterminator="\n"))
    return _quoted_lines(safe.columns, safe.itertuples(index=False))


def _rows_text(value: Any, kind: str) -> str:
    """One cell of a row table as pandas' ``to_csv`` writes it."""
    if value is None or (kind == "float" and math.isnan(value)):
        return ""
    if kind == "float":
        return repr(float(value))
    return str(value)


def rows_csv_text(
    columns: Sequence[str], kinds: Sequence[str], rows: Sequence[Sequence[Any]]
) -> str:
    """Rows held without pandas (``kinds``: ``text``, ``float``…) as CSV text.

    Byte for byte what :func:`csv_text` gives the same table as a DataFrame.
    """
    import csv
    import io

    text = [i for i, k in enumerate(kinds) if k == "text"]
    safe: dict[str, Any] = {}
    cooked = []
    has_cr = False
    for row in rows:
        cells = list(row)
        for i in text:
            v = cells[i]
            if isinstance(v, str):
                if v not in safe:
                    safe[v] = neutralise_cell(v)
                    has_cr = has_cr or "\r" in safe[v]
                cells[i] = safe[v]
        cooked.append(cells)
    if has_cr:
        return _quoted_lines(columns, cooked)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_rows_text(v, k) for v, k in zip(r, kinds, strict=True)] for r in cooked)
    return out.getvalue()
