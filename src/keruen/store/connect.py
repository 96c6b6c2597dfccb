"""DuckDB connections of the store: settings, Ctrl-C that interrupts them, one-line errors.

How the store's files are shared between processes (readers never wait, writers take turns):
:mod:`keruen.store.versions`.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from keruen.errors import StoreError

T = TypeVar("T")


class LoadInterrupted(StoreError):
    """The user interrupted a load or write (Ctrl-C); nothing was written."""

    exit_code = 130


_ACTIVE: set[Any] = set()  # DuckDB connections a Ctrl-C interrupts
_CANCEL = threading.Event()


def cancelled() -> bool:
    """Whether Ctrl-C was pressed during the current :func:`interruptible` run."""
    return _CANCEL.is_set()


class active:  # noqa: N801 - used as a context manager
    """Within ``with active(con):``, Ctrl-C interrupts ``con``'s running statement."""

    def __init__(self, con: Any) -> None:
        self.con = con

    def __enter__(self) -> Any:
        _ACTIVE.add(self.con)
        if _CANCEL.is_set():
            self.con.interrupt()
        return self.con

    def __exit__(self, *exc: object) -> None:
        _ACTIVE.discard(self.con)


def interruptible(work: Callable[[], T], what: str = "the load") -> T:
    """Run ``work`` so that Ctrl-C interrupts the DuckDB statements it runs.

    DuckDB keeps SIGINT to itself while a statement runs, so ``work`` runs in a helper thread
    and the main thread, which receives the signal, interrupts every connection marked
    :class:`active`; the work then fails and :class:`LoadInterrupted` is raised. Called from
    any other thread (or nested), ``work`` simply runs.
    """
    if threading.current_thread() is not threading.main_thread():
        return work()
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:  # e.g. started with nohup or `&`
        return work()
    box: dict[str, Any] = {}
    _CANCEL.clear()

    def run() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # handed back to the main thread
            box["error"] = exc

    def on_sigint(signum: int, frame: object) -> None:
        _CANCEL.set()
        for con in list(_ACTIVE):
            try:
                con.interrupt()
            except Exception:  # noqa: BLE001 - a closed connection needs no interrupt
                pass

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        worker = threading.Thread(target=run, name="keruen-work", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(0.05)
    finally:
        signal.signal(signal.SIGINT, previous)
        was_cancelled = _CANCEL.is_set()
        _CANCEL.clear()  # a Ctrl-C belongs to this run only, not to later work in the process
    if "error" in box:
        if was_cancelled and not isinstance(box["error"], LoadInterrupted):
            raise LoadInterrupted(
                f"interrupted (Ctrl-C) during {what}; nothing was written, the store is unchanged"
            ) from None
        raise box["error"]
    return box["result"]  # type: ignore[no-any-return]


def first_line(exc: BaseException) -> str:
    """The first meaningful line of a DuckDB error, without its ``... Error:`` prefix."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return re.sub(r"^[A-Za-z ]*Error: ", "", text)[:300]


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
