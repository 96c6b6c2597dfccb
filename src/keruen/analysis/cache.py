"""The analysis cache: every part (section, estimate, figure, page) reused while its inputs hold.

A *part* is keyed by a digest of what it is computed from:

* the **code**: ``keruen.__version__``, a digest of every file of the installed ``keruen``
  package (code, templates, bundled reference data) and the versions of the libraries that
  shape the numbers and figures (:func:`code_version`) — editing code rebuilds everything;
* its **parameters** (country, peer group, language, model settings) and the parts it is
  built from (their lineage digests);
* the **data it read**: while a part is computed the store is wrapped in a
  :class:`~keruen.analysis.recording.RecordingStore` noting each dataset it reads; the entry
  keeps those names with a digest of their ``sources`` rows, and a lookup compares them with
  the store's current rows. A new vintage of one dataset therefore rebuilds exactly the parts
  that read it.

Entries live in ``<KERUEN_HOME>/cache/report/``, or ``KERUEN_REPORT_CACHE_DIR`` when set
(:func:`default_root`); ``keruen report
--rebuild`` recomputes and replaces them, ``--no-cache`` neither reads nor writes them, and the
folder may be deleted at any time. The folder is kept below ``KERUEN_REPORT_CACHE_MB``
megabytes by removing the least recently used entries. Writes are atomic (temporary file and
``os.replace``), so two processes writing one entry leave one whole entry; an entry that cannot
be read or fails its checksum is a miss, rebuilt with a warning, never a crash.

Entries are Python pickles (which round-trip pandas tables exactly). Pickle runs code when
loaded, so the cache trusts its folder exactly as keruen trusts the store beside it: both are
the user's own files in their KERUEN_HOME; never point KERUEN_HOME at a folder others can
write.

The cache knows nothing of sections: :func:`keruen.analysis.run` applies it around each
section from outside (:meth:`ReportCache.part`), and the report around its figures and pages.
Keys are built in :mod:`keruen.analysis.cache_keys`.
"""

from __future__ import annotations

import contextvars
import hashlib
import os
import pickle
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from keruen.analysis.cache_keys import code_version, digest
from keruen.analysis.cache_stats import Stats
from keruen.analysis.recording import RecordingStore, dependency_digests
from keruen.settings import number, report_cache_dir
from keruen.writing import write_bytes

if TYPE_CHECKING:
    from keruen.store import Store

T = TypeVar("T")
#: ``on``: read and write; ``rebuild``: recompute every part and write it; ``off``: no cache;
#: ``memory``: this process's memory only (no files).
Mode = Literal["on", "rebuild", "off", "memory"]

_MAGIC = b"keruen-report-cache 2\n"
_ACTIVE: contextvars.ContextVar[ReportCache | None] = contextvars.ContextVar(
    "keruen_report_cache", default=None
)
#: Entries read or written in this process, newest last (bytes, checked like files).
_MEMORY: OrderedDict[str, bytes] = OrderedDict()
_MEMORY_LOCK = threading.Lock()  # the dashboard may ask from several threads at once
_MEMORY_MAX_BYTES = 256 * 2**20


class CacheWarning(UserWarning):
    """A cache entry could not be used (it is rebuilt)."""


def default_root() -> Path:
    """Where :class:`ReportCache` keeps its entries: ``KERUEN_REPORT_CACHE_DIR``, by default
    ``<KERUEN_HOME>/cache/report``."""
    return report_cache_dir()


def _max_bytes() -> int:
    return int(number("KERUEN_REPORT_CACHE_MB") * 2**20)


class ReportCache:
    """The cache of report parts under ``root`` (default :func:`default_root`).

    ``mode`` is one of :data:`Mode`. ``memory`` also keeps entries in this process's memory
    (checked against the store like files), which spares re-reading them, e.g. when one
    process renders several languages or the dashboard shows a country twice.
    """

    def __init__(
        self,
        root: str | Path | None = None,
        mode: Mode = "on",
        *,
        memory: bool = True,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.root = Path(root) if root is not None else default_root()
        self.mode: Mode = mode
        self.memory = memory or mode == "memory"
        self.stats = Stats()
        self._warn = warn
        self._lineages: dict[int, tuple[Any, str]] = {}
        self._members: list[list[str]] = []
        self._shared: dict[str, tuple[Any, frozenset[str]]] = {}
        self._unwritable = False

    # -- activation ------------------------------------------------------------------------
    @contextmanager
    def active(self) -> Iterator[ReportCache]:
        """Make this the cache :func:`cached_section` uses, inside the ``with`` block."""
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)

    @property
    def reads(self) -> bool:
        """Whether stored entries are used (mode ``on`` or ``memory``)."""
        return self.mode in ("on", "memory")

    @property
    def writes(self) -> bool:
        """Whether computed parts are kept (every mode but ``off``)."""
        return self.mode != "off"

    # -- bookkeeping -----------------------------------------------------------------------
    def warn(self, message: str) -> None:
        """Report an unusable entry (it is rebuilt)."""
        self.stats.warnings.append(message)
        if self._warn is not None:
            self._warn(message)
        else:
            warnings.warn(message, CacheWarning, stacklevel=3)

    def _count(self, names: Sequence[str], reused: bool) -> None:
        (self.stats.reused if reused else self.stats.rebuilt).extend(names)
        for members in self._members:
            members.extend(names)

    def count(self, name: str, reused: bool) -> None:
        """Count one part (a figure, say) as reused or rebuilt."""
        self._count([name], reused)

    def lineage(self, value: Any) -> str:
        """The digest standing for ``value`` in the keys of parts built from it."""
        known = self._lineages.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        return "content:" + hashlib.sha256(pickle.dumps(value, protocol=5)).hexdigest()

    def _remember(self, value: Any, lineage: str) -> None:
        self._lineages[id(value)] = (value, lineage)

    def forget(self) -> None:
        """Let go of the values remembered for their lineage (each holds its value alive).

        Called after each country of a several-country report: kept, they held every section
        and estimate of every country drawn (about 100 MB a country). A value asked for again
        comes back through :meth:`part`, which remembers it anew; one no longer remembered is
        keyed by its content (:meth:`lineage`), which is never wrong, at worst a cache miss.
        """
        self._lineages.clear()

    def _item_lineages(self, value: Any) -> dict[str, str]:
        """Lineages of the parts a dict-valued group holds (kept with the group's entry)."""
        if not isinstance(value, dict):
            return {}
        known = {k: self._lineages.get(id(v)) for k, v in value.items()}
        return {str(k): v[1] for k, v in known.items() if v is not None and v[0] is value[k]}

    def _remember_items(self, value: Any, items: dict[str, str]) -> None:
        """After a group is reused: its parts keep their own lineages (see ``inputs``)."""
        if isinstance(value, dict):
            for k, lineage in items.items():
                if k in value:
                    self._remember(value[k], lineage)

    # -- entries ---------------------------------------------------------------------------
    def path(self, kind: str, key: str) -> Path:
        """The file of entry ``key`` of ``kind`` (``parts``, ``figures``, ``pages``, ``blobs``)."""
        return self.root / kind / key[:2] / f"{key}.bin"

    def get(self, kind: str, key: str) -> Any | None:
        """The value stored under ``key``, or None (missing, unreadable or corrupt: warned)."""
        if not self.reads:
            return None
        mem = f"{kind}/{key}"
        with _MEMORY_LOCK:
            blob = _MEMORY.get(mem) if self.memory else None
        path = self.path(kind, key)
        if blob is None and self.mode == "on":
            try:
                blob = path.read_bytes()
            except FileNotFoundError:
                return None
            except OSError as exc:
                self.warn(f"cache entry {path} unreadable ({exc.strerror or exc}); rebuilding it")
                self.stats.repaired.append(f"{kind}/{key[:8]}")
                return None
            try:
                os.utime(path)  # least recently used entries are pruned first
            except OSError:
                pass  # a read-only or immutable cache is still used; only pruning order suffers
        if blob is None:
            return None
        try:
            held_kind, held_key, value = _unpack(blob)
            if (held_kind, held_key) != (kind, key):
                raise ValueError(f"it holds {held_kind} entry {held_key[:12]}…, not this key")
        except Exception as exc:  # noqa: BLE001 - any damage is a miss, never a crash
            with _MEMORY_LOCK:
                _MEMORY.pop(mem, None)
            self.warn(f"cache entry {path} is damaged ({exc}); rebuilding it")
            self.stats.repaired.append(f"{kind}/{key[:8]}")
            return None
        if self.memory:
            _remember_bytes(mem, blob)
        return value

    def put(self, kind: str, key: str, value: Any) -> None:
        """Store ``value`` under ``key`` (atomically; a failure to write is only warned)."""
        if not self.writes:
            return
        blob = _encode(kind, key, value)
        if self.memory:
            _remember_bytes(f"{kind}/{key}", blob)
        if self.mode == "memory":
            return
        if self._unwritable:
            return
        path = self.path(kind, key)
        try:
            write_bytes(path, blob)
        except OSError as exc:
            self._unwritable = True  # said once; the report goes on without keeping its parts
            self.warn(
                f"cannot write the report cache in {self.root} ({exc.strerror or exc}); "
                "this run keeps no parts for the next"
            )

    # -- parts -----------------------------------------------------------------------------
    def part(
        self,
        store: Store,
        name: str,
        params: Any,
        compute: Callable[[Store], T],
        *,
        inputs: Sequence[Any] = (),
        count: bool = True,
        keep: Callable[[T], bool] | None = None,
    ) -> T:
        """``compute(store)``, or its stored value if its code, parameters, inputs and data hold.

        ``compute`` receives a recording view of ``store`` and must read the store only through
        it. ``inputs`` are values (earlier parts) it is built from. Parts computed inside
        ``compute`` are remembered as its members and counted as reused when it is; with
        ``count=False`` the part itself is not counted (a group of parts). When ``keep`` says
        a computed value is not to be kept (it holds a failed section), it is returned but not
        stored, and parts built from it are keyed by its content, so nothing built on a
        failure is reused.
        """
        outer = store if isinstance(store, RecordingStore) else None
        key = digest("part", code_version(), name, params, [self.lineage(i) for i in inputs])
        if self.mode == "off":
            members: list[str] = []
            self._members.append(members)
            try:
                value = compute(store)
            finally:
                self._members.pop()
            if count:
                self._count([name], False)
            return value
        entry = self.get("parts", key)
        why = "not cached" if self.reads else "rebuild asked"
        if entry is not None:
            deps: dict[str, str] = entry["deps"]
            now = dependency_digests(store, deps)
            why = "changed: " + ", ".join(sorted(d for d in deps if now.get(d) != deps[d]))
            if now == deps:
                try:
                    value = pickle.loads(entry["value"])
                except Exception as exc:  # noqa: BLE001
                    self.warn(f"cache entry of {name} is damaged ({exc}); rebuilding it")
                else:
                    self._remember(value, entry["lineage"])
                    self._remember_items(value, entry.get("items", {}))
                    if outer is not None:
                        outer.note(deps)
                    self._count([*entry["members"], *([name] if count else [])], True)
                    return value
        recording = RecordingStore(store)
        members = []
        self._members.append(members)
        try:
            value = compute(recording)
        finally:
            self._members.pop()
        self.stats.why[name] = why
        if keep is not None and not keep(value):
            if outer is not None:
                outer.note(recording.deps)
            if count:
                self._count([name], False)
            return value
        digests = dependency_digests(store, recording.deps)
        lineage = digest(key, digests)
        self.put(
            "parts",
            key,
            {
                "name": name,
                "deps": digests,
                "lineage": lineage,
                "members": members,
                "items": self._item_lineages(value),
                "value": pickle.dumps(value, protocol=5),
            },
        )
        self._remember(value, lineage)
        if outer is not None:
            outer.note(recording.deps)
        if count:
            self._count([name], False)
        return value

    def shared(self, store: Store, name: str, params: Any, compute: Callable[[Store], T]) -> T:
        """A value several parts of this run are built from, computed once per run.

        Its reads count as reads of every part that asks for it (noted on ``store``).
        """
        key = digest(name, params)
        if key not in self._shared:
            recording = RecordingStore(store)
            self._shared[key] = (compute(recording), frozenset(recording.deps))
        value, deps = self._shared[key]
        if isinstance(store, RecordingStore):
            store.note(deps)
        return value  # type: ignore[no-any-return]

    # -- maintenance -----------------------------------------------------------------------
    def size(self) -> int:
        """Bytes held in the cache folder."""
        return sum(p.stat().st_size for p in self._files())

    def _files(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return [p for p in self.root.rglob("*") if p.is_file()]

    def prune(self, max_bytes: int | None = None) -> int:
        """Delete least recently used entries until at most ``max_bytes`` remain; return how many.

        The default limit is ``KERUEN_REPORT_CACHE_MB`` megabytes.
        """
        limit = _max_bytes() if max_bytes is None else max_bytes
        files = []
        for p in self._files():
            try:
                st = p.stat()
            except OSError:
                continue
            files.append((st.st_mtime, st.st_size, p))
        total = sum(size for _, size, _ in files)
        removed = 0
        for _, size, path in sorted(files):
            if total <= limit:
                break
            path.unlink(missing_ok=True)
            total -= size
            removed += 1
        return removed

    def clear(self) -> None:
        """Delete every entry of the folder and of this process's memory."""
        with _MEMORY_LOCK:
            _MEMORY.clear()
        for path in self._files():
            path.unlink(missing_ok=True)


def _encode(kind: str, key: str, value: Any) -> bytes:
    """An entry: magic line, sha256 of the body, and the body (kind, key, value) pickled.

    The entry carries its own kind and key, so a file copied or moved to another key's path
    is refused instead of being read as that key.
    """
    body = pickle.dumps((kind, key, value), protocol=5)
    return _MAGIC + hashlib.sha256(body).digest() + body


def _unpack(blob: bytes) -> tuple[str, str, Any]:
    """(kind, key, value) of an entry; ValueError if it is not a whole keruen entry."""
    if not blob.startswith(_MAGIC):
        raise ValueError("not a keruen cache entry")
    head = len(_MAGIC)
    check, body = blob[head : head + 32], blob[head + 32 :]
    if hashlib.sha256(body).digest() != check:
        raise ValueError("checksum mismatch")
    kind, key, value = pickle.loads(body)
    return str(kind), str(key), value


def _decode(blob: bytes) -> Any:
    """The value of an entry (see :func:`_unpack`)."""
    return _unpack(blob)[2]


def _remember_bytes(key: str, blob: bytes) -> None:
    with _MEMORY_LOCK:
        _MEMORY[key] = blob
        _MEMORY.move_to_end(key)
        total = sum(len(b) for b in _MEMORY.values())
        while total > _MEMORY_MAX_BYTES and len(_MEMORY) > 1:
            _, dropped = _MEMORY.popitem(last=False)
            total -= len(dropped)


def active() -> ReportCache | None:
    """The cache activated around the current computation, if any."""
    return _ACTIVE.get()
