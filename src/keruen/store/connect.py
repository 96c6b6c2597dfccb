"""Opening DuckDB files: bounded waiting for another process's lock, one-line errors.

DuckDB locks a database file per process: a read-write process excludes every other process,
read-only processes share the file. keruen therefore opens the store read-only except for the
short window of a commit, and a process that meets another's lock waits (up to
``KERUEN_LOCK_TIMEOUT`` seconds, saying so once on stderr) instead of failing at once.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from keruen.errors import StoreError

_LOCK = re.compile(r"Could not set lock|Conflicting lock|lock on file", re.IGNORECASE)
_PID = re.compile(r"\(PID (\d+)\)")


def first_line(exc: BaseException) -> str:
    """The first meaningful line of a DuckDB error, without its ``... Error:`` prefix."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return re.sub(r"^[A-Za-z ]*Error: ", "", text)[:300]


def is_lock_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` says another process holds the file's lock."""
    return isinstance(exc, duckdb.Error) and bool(_LOCK.search(str(exc)))


def describe_open_error(path: str, exc: BaseException) -> str:
    """A one-line reason why the store at ``path`` could not be opened."""
    text = str(exc)
    if isinstance(exc, OSError):
        return f"cannot create or open the store at {path}: {exc.strerror or exc}"
    damaged = ("not a valid duckdb", "corrupt", "checksum", "serializ", "truncat", "magic")
    if any(word in text.lower() for word in damaged):
        return (
            f"the store at {path} is damaged or not a keruen store ({first_line(exc)}); "
            "move it aside and run the command again to rebuild it from the bundled snapshot"
        )
    if "Permission denied" in text or "Read-only file system" in text:
        return f"cannot write the store at {path}: permission denied (is KERUEN_HOME read-only?)"
    return f"cannot open the store at {path}: {first_line(exc)}"


def lock_timeout() -> float:
    """``KERUEN_LOCK_TIMEOUT`` in seconds."""
    from keruen.settings import number

    return number("KERUEN_LOCK_TIMEOUT")


def duckdb_config() -> dict[str, Any]:
    """DuckDB settings keruen uses for every connection it opens (memory limit)."""
    from keruen.settings import get

    limit = get("KERUEN_MEMORY_LIMIT")
    return {"memory_limit": limit} if limit else {}


def connect(path: str, *, read_only: bool, config: dict[str, Any] | None = None) -> Any:
    """``duckdb.connect`` that waits (bounded) while another process holds the file's lock."""
    if path != ":memory:":
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(describe_open_error(path, exc)) from None
    deadline = time.monotonic() + lock_timeout()
    delay, warned = 0.02, False
    while True:
        try:
            con = duckdb.connect(path, read_only=read_only, config=config or {})
            con.execute("SET enable_progress_bar = false")
            return con
        except duckdb.Error as exc:
            if not is_lock_conflict(exc):
                raise StoreError(describe_open_error(path, exc)) from None
            left = deadline - time.monotonic()
            if left <= 0:
                holder = _PID.search(str(exc))
                who = f" (process {holder.group(1)})" if holder else ""
                raise StoreError(
                    f"the store at {path} is still in use by another keruen process{who} "
                    f"after {lock_timeout():g} s (KERUEN_LOCK_TIMEOUT); try again later"
                ) from None
            if not warned:
                print(
                    f"keruen: the store at {path} is in use by another keruen process; "
                    f"waiting up to {lock_timeout():g} s (KERUEN_LOCK_TIMEOUT)",
                    file=sys.stderr,
                    flush=True,
                )
                warned = True
            time.sleep(min(delay, max(left, 0.001)))
            delay = min(delay * 1.5, 0.25)
