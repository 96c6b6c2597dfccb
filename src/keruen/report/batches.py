"""Run one task per item in a child process that is replaced after a few items.

Several countries' reports (``keruen report --country all``) are drawn this way: a process
drawing many reports grows by about 130 MB per country (benchmarks/README.md, "bench_report_all
.py — measured"), whatever holds the memory, so a fresh process every ``per_process`` items
bounds it. One worker at a time (``max_workers=1``) in the order given, started with ``spawn``
(nothing of the parent's state, threads or DuckDB connection is inherited); the task reads and
writes what it shares with the others (store, report cache) on disk. What the task says on its
progress callback is passed on by the parent as it comes. A worker that dies (killed, out of
memory) fails only its item: the next items get a new worker.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

__all__ = ["BrokenProcessPool", "in_child_processes"]

T = TypeVar("T")
R = TypeVar("R")
Progress = Callable[[str], None]

#: In a worker: where its progress messages go (a queue the parent reads).
_MESSAGES: Any = None


def _say(message: str) -> None:
    """In a worker: pass ``message`` to the parent's progress callback."""
    _MESSAGES.put(message)


def _start(messages: Any, per_process: int) -> None:
    """Worker initializer: keep the queue; Ctrl-C is the parent's to handle (it stops us)."""
    global _MESSAGES
    _MESSAGES = messages
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _say(f"worker process {os.getpid()} started (at most {per_process} items)")


def _call(task: Callable[[Any, Progress], Any], item: Any) -> Any:
    """In a worker: ``task(item, say)``."""
    return task(item, _say)


def in_child_processes(
    task: Callable[[T, Progress], R],
    items: Sequence[T],
    per_process: int,
    say: Progress,
    before: Callable[[int, T], None] | None = None,
) -> Iterator[tuple[T, R | BrokenProcessPool]]:
    """``(item, task(item, say))`` for each item in order, computed in child processes.

    ``task`` must be a module-level function (it is pickled by name). Each worker process does
    at most ``per_process`` items. ``before(i, item)`` is called just before item ``i`` (from 1)
    is handed to a worker. When the worker dies during an item, that item's result is the
    :class:`BrokenProcessPool` error and the next item starts a new worker. Any other exception
    of ``task`` is raised here. On Ctrl-C (or any error here) the workers are terminated.
    """
    ctx = multiprocessing.get_context("spawn")
    todo = list(enumerate(items, 1))
    while todo:
        messages = ctx.SimpleQueue()
        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=ctx,
            initializer=_start,
            initargs=(messages, per_process),
            max_tasks_per_child=per_process,
        )
        try:
            while todo:
                i, item = todo[0]
                if before is not None:
                    before(i, item)
                future = pool.submit(_call, task, item)
                try:
                    result: R | BrokenProcessPool = _wait(future, messages, say)
                except BrokenProcessPool as exc:
                    result = exc
                todo.pop(0)
                yield item, result
                if isinstance(result, BrokenProcessPool):
                    break  # a new pool (and worker) for the rest
        except BaseException:
            _terminate(pool)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            messages.close()


def _wait(future: Future[Any], messages: Any, say: Progress) -> Any:
    """The result of ``future``, passing on the worker's messages while it runs."""
    while True:
        done, _ = wait([future], timeout=0.2, return_when=FIRST_COMPLETED)
        while not messages.empty():
            say(messages.get())
        if done:
            return future.result()


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Stop the pool's workers now (Python 3.14 has ``terminate_workers`` for this).

    The processes are taken first: ``shutdown`` lets go of the pool's list of them.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(5)
