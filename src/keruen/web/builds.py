"""Heavy page builds off the request path: a country's report sections, the systems tables.

A cold build with the estimated sections takes seconds to tens of seconds (Kazakhstan: about
15 s on an idle 2-core machine), longer than a request may take, and is CPU-bound Python: in a
thread of the server it would hold the GIL and slow every other answer, static files included
(issue 22.29: a static file's p50 was 2.3 s under a cold load of 16 profiles). So builds run in
a small pool of worker processes (``KERUEN_WEB_BUILD_WORKERS``), awaited without blocking the
event loop, single-flight, and kept per (digest of the store's files, country): a request
waits for its build up to a quarter of the server's time limit (``KERUEN_WEB_QUERY_TIMEOUT``),
leaving the rest for the page's observed part; if the build is not ready by then, the page is
rendered with its observed part at once and says that the report's sections are being computed
(the page reloads itself; the build goes on). When ``KERUEN_WEB_BUILD_QUEUE`` builds already
wait, a request needing a new one is answered 503 with ``Retry-After``. At start-up the server
warms the builds of :data:`WARM` in the background.
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import logging
import multiprocessing
import os
import pickle
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

import pandas as pd

from keruen import api
from keruen.analysis.cache import ReportCache
from keruen.analysis.runner import run
from keruen.analysis.scope import peer_group
from keruen.analysis.section import Section
from keruen.errors import KeruenError
from keruen.web.problems import ApiProblem

if TYPE_CHECKING:
    from keruen.store import Store

log = logging.getLogger("keruen.web")

#: Countries whose builds the server computes at start-up (the paper's country).
WARM = ("KAZ",)
#: Builds kept in memory (oldest dropped first).
MAX_KEPT = 32


def store_digest(store: Store) -> str:
    """A digest of every file the store holds (sha256 of their sorted sha256s)."""
    rows = store.con.execute("SELECT sha256 FROM sources ORDER BY sha256").fetchall()
    return hashlib.sha256("\n".join(str(r[0]) for r in rows).encode()).hexdigest()


def build_sections(store: Store, code: str) -> dict[str, Section]:
    """The report's sections of ``code``: :func:`~keruen.analysis.run` over its peer group.

    Through the cache in KERUEN_HOME, so a profile reuses what ``keruen report --country``
    computed (and the other way round) while the data hold.
    """
    return run(store, peer_group(code), cache=ReportCache())


def systems_table(store: Store, network: str) -> pd.DataFrame:
    """Every period's migration systems of ``network`` (the systems page, /api/v1/systems)."""
    return api.systems(None, None, network, store=store)


def build_workers() -> int:
    """Worker processes of the heavy builds: ``KERUEN_WEB_BUILD_WORKERS`` (0: a thread)."""
    from keruen import settings

    return int(settings.number("KERUEN_WEB_BUILD_WORKERS"))


def build_queue() -> int:
    """Builds that may wait for a worker: ``KERUEN_WEB_BUILD_QUEUE``."""
    from keruen import settings

    return int(settings.number("KERUEN_WEB_BUILD_QUEUE"))


#: Seconds a client is told to wait (``Retry-After``) when every build slot is taken.
RETRY_AFTER = 10
#: A queued build: its key, ``work``, ``work``'s arguments after the store, its future.
Job = tuple[tuple[str, str], Callable[..., Any], tuple[Any, ...], "Future[Any]"]


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling (to leave a worker process), else a plain copy of it."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        if isinstance(exc, KeruenError):
            return KeruenError(str(exc))
        return RuntimeError(f"{type(exc).__name__}: {exc}")


def run_on_store(path: str, work: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """``work(store, *args)`` on the newest version of the store at ``path``, opened read-only.

    What a worker process runs: it opens the store itself (a connection cannot be sent).
    """
    store = _open_reader(path)
    try:
        return work(store, *args)
    except BaseException as exc:
        raise _portable(exc) from None
    finally:
        store.close()


_POOLS: dict[int, ProcessPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def build_pool(workers: int, broken: ProcessPoolExecutor | None = None) -> ProcessPoolExecutor:
    """The process' pool of ``workers`` build processes, shared by its apps.

    Spawned, not forked: the server has threads (DuckDB's among them) whose locks a fork would
    copy held. The processes start with the first build and stay for the next ones; each ends
    itself when the server is gone (:func:`_follow_parent`). A ``broken`` pool (a worker was
    killed) is replaced.
    """
    with _POOLS_LOCK:
        pool = _POOLS.get(workers)
        if pool is None or (broken is not None and pool is broken):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            pool = ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_follow_parent,
                initargs=(os.getpid(),),
            )
            _POOLS[workers] = pool
        return pool


def reset_pools() -> None:
    """Shut down the process' build pools; the next build starts fresh worker processes.

    A worker is spawned with the environment of its time and kept for later builds; after
    the environment changed (settings read from it, in one process serving several apps) a
    reset makes the next workers see the change. Builds under way are cancelled.
    """
    with _POOLS_LOCK:
        for pool in _POOLS.values():
            pool.shutdown(wait=False, cancel_futures=True)
        _POOLS.clear()


def _follow_parent(parent: int, every: float = 1.0) -> None:
    """In a worker: exit as soon as the server process ``parent`` is gone.

    A server stopped by a signal exits without shutting its pool down (uvicorn re-raises
    SIGTERM after its own shutdown), and an idle worker would wait for work forever.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(0)

    threading.Thread(target=watch, name="keruen-follow-parent", daemon=True).start()


class Profiles:
    """Heavy page builds per (store digest, what), computed off the request path.

    A country's sections (:meth:`get`) and any other heavy table of a page (:meth:`job`, e.g.
    the migration systems of a network) are computed by ``workers`` worker *processes*
    (:func:`build_pool`): CPU-bound Python in a thread of the server would hold the GIL and
    starve the event loop, static files included. Each build is single-flight: requests for
    one (digest, what) share one future, kept per store digest, at most :data:`MAX_KEPT` (a
    build that failed is kept too, so it is not rebuilt on every request while the store is
    unchanged). At most ``workers + queue_size`` builds are waiting or running; a new one
    beyond that raises :class:`~keruen.web.problems.ApiProblem` 503 with ``Retry-After``
    instead of piling up. ``workers=0`` runs the builds in one thread of the server process
    (no isolation; tests use it to replace a build in-process).
    """

    def __init__(
        self, path: str, workers: int | None = None, queue_size: int | None = None
    ) -> None:
        self.path = path
        self.workers = build_workers() if workers is None else workers
        slots = max(self.workers, 1)  # 0 workers: one thread
        self.max_pending = slots + (build_queue() if queue_size is None else queue_size)
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[str, str], Future[Any]] = OrderedDict()
        self._jobs: queue.Queue[Job] = queue.Queue()
        self._running = 0
        self._idle = threading.Condition(self._lock)
        self._stopping = False
        # daemon dispatcher threads hand one build each to a worker process and wait for it
        # (waiting releases the GIL); the backlog stays in our queue, so at exit only the
        # builds under way are waited for (a ThreadPoolExecutor would run every queued build
        # first, and killing a thread inside DuckDB aborts the process)
        for i in range(slots):
            name = f"keruen-build-{i}"
            threading.Thread(target=self._dispatch, name=name, daemon=True).start()
        atexit.register(self._stop)

    def _stop(self, timeout: float = 300) -> None:
        with self._lock:
            self._stopping = True
            self._idle.wait_for(lambda: self._running == 0, timeout)

    def _dispatch(self) -> None:
        while True:
            key, work, args, future = self._jobs.get()
            pool: ProcessPoolExecutor | None = None
            with self._lock:
                if self._stopping or not future.set_running_or_notify_cancel():
                    future.cancel()
                    continue
                self._running += 1
            try:
                if self.workers == 0:
                    result = run_on_store(self.path, work, args)
                else:
                    pool = build_pool(self.workers)
                    result = pool.submit(run_on_store, self.path, work, args).result()
                future.set_result(result)
            except BrokenProcessPool as exc:  # a worker died (e.g. killed): not the data's fault
                log.error("a build process of %s died: %s; starting a new one", key, exc)
                build_pool(self.workers, broken=pool)
                with self._lock:  # not remembered: the next request builds again
                    if self._kept.get(key) is future:
                        del self._kept[key]
                future.set_exception(exc)
            except BaseException as exc:  # handed to whoever waits on the future
                future.set_exception(exc)
            finally:
                with self._lock:
                    self._running -= 1
                    self._idle.notify_all()

    def get(self, digest: str, code: str) -> Future[dict[str, Section]]:
        """The (possibly running, possibly failed) build of ``code`` over the store ``digest``."""
        return self._kept_or_new((digest, code), build_sections, (code,))

    def job(self, digest: str, what: str, work: Callable[..., Any], *args: Any) -> Future[Any]:
        """``work(store, *args)`` run once per store ``digest`` by a worker (``what`` names it).

        ``work`` must be a module-level function and ``args`` picklable (a process runs them).
        """
        return self._kept_or_new((digest, "job:" + what), work, args)

    def pending(self) -> int:
        """Builds waiting or running."""
        with self._lock:
            return sum(1 for f in self._kept.values() if not f.done())

    def _kept_or_new(
        self, key: tuple[str, str], work: Callable[..., Any], args: tuple[Any, ...]
    ) -> Future[Any]:
        with self._lock:
            future = self._kept.get(key)
            if future is not None:  # running, done, or failed: the same store, the same answer
                self._kept.move_to_end(key)
                return future
            if sum(1 for f in self._kept.values() if not f.done()) >= self.max_pending:
                raise ApiProblem(
                    503,
                    "busy",
                    f"{self.max_pending} heavy builds are already waiting or running; "
                    f"retry in {RETRY_AFTER} s",
                    headers={"Retry-After": str(RETRY_AFTER)},
                )
            future = Future()
            self._kept[key] = future
            self._jobs.put((key, work, args, future))
            # drop the oldest finished builds beyond the bound (never one still pending: its
            # requests share it, and it counts against the queue)
            for old in [k for k, f in self._kept.items() if f.done()]:
                if len(self._kept) <= MAX_KEPT:
                    break
                del self._kept[old]
            return future

    def warm(self, codes: tuple[str, ...] = WARM) -> None:
        """Start the builds of ``codes`` (and the systems tables) in the background."""

        def start() -> None:
            try:
                store = _open_reader(self.path)
                try:
                    digest = store_digest(store)
                finally:
                    store.close()
                for code in codes:
                    self.get(digest, code)
                for network in ("world", "post_soviet"):
                    self.job(digest, f"systems:{network}", systems_table, network)
            except Exception:  # warming is an optimisation: a failure only logs
                log.exception("warming the profiles failed")

        threading.Thread(target=start, name="keruen-warm", daemon=True).start()


def _open_reader(path: str) -> Store:
    from keruen.store import Store as _Store

    return _Store(path, read_only=True)


async def wait_for_build(future: Any, seconds: float) -> tuple[Any, str | None]:
    """The build's sections, waiting at most ``seconds``, and what went wrong.

    (sections, None) if the build ends in time; (None, None) if it is still running (it goes
    on in the background); (None, message) if it failed.
    """
    try:
        return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), seconds), None
    except TimeoutError:
        return None, None
    except KeruenError as exc:
        return None, str(exc)
    except Exception:
        log.exception("the report's build failed")
        return None, "internal error; the server log has it"
