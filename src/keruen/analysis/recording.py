"""A store that notes which datasets a computation reads, for the report cache.

:class:`RecordingStore` wraps a :class:`~keruen.store.Store` and answers every query from it,
writing down a *dependency* for each read:

* ``dataset:<name>`` — the rows of one dataset (``observations``, ``summarise``, ``vintages``,
  and SQL whose ``WHERE`` pins ``dataset = ...``), name in lower case (datasets match ignoring
  case);
* ``kind:<kind>`` — the source files of one kind (``paper_figures``, SQL pinning ``kind = ...``);
* ``*`` — anything else (``sources()``, SQL it cannot read a dataset from, any other method):
  the whole store, so an unknown read can make a cached part rebuild too often, never too
  rarely.

:func:`dependency_digests` turns those names into digests of the ``sources`` rows behind them
(every column but ``ingested_at``): a stored file is immutable and named by its sha256, so
equal rows mean equal data.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Any

from keruen.store import Store

EVERYTHING = "*"

_SQL_STRING = re.compile(r"'(?:[^']|'')*'")
_PINNED = re.compile(
    r"\b(?:lower\s*\(\s*)?(dataset|kind)\s*\)?\s*=\s*(?:lower\s*\(\s*)?('(?:[^']|'')*'|\?)",
    re.IGNORECASE,
)
_TOUCHES = re.compile(r"\b(observations|sources|paper_figures)\b", re.IGNORECASE)
_IS_NOT = re.compile(r"\bis\s+not\b", re.IGNORECASE)
_WIDENS = re.compile(r"\b(or|union|not)\b", re.IGNORECASE)


def dataset_dep(name: str) -> str:
    """The dependency name of dataset ``name``."""
    return f"dataset:{name.lower()}"


def sql_dependencies(sql: str, params: Sequence[Any] | None = None) -> set[str]:
    """The datasets (or kinds) a read-only SQL statement on the store is pinned to.

    Only a plain conjunction of ``dataset = 'X'`` / ``dataset = ?`` (or ``kind = ...``) pins a
    statement; anything else touching the store's tables (``OR``, ``UNION``, ``NOT``, no pin)
    depends on :data:`EVERYTHING`.
    """
    params = list(params or [])
    bare = _SQL_STRING.sub("''", sql)
    if not _TOUCHES.search(bare):
        return set()
    if _WIDENS.search(_IS_NOT.sub(" ", bare)):
        return {EVERYTHING}
    deps: set[str] = set()
    for match in _PINNED.finditer(sql):
        column, value = match.group(1).lower(), match.group(2)
        if value == "?":
            # the parameter's position: question marks outside string literals before it
            index = _SQL_STRING.sub("''", sql[: match.start(2)]).count("?")
            if index >= len(params):
                return {EVERYTHING}
            text = str(params[index])
        else:
            text = value[1:-1].replace("''", "'")
        deps.add(dataset_dep(text) if column == "dataset" else f"kind:{text}")
    return deps or {EVERYTHING}


class _Connection:
    """The store's DuckDB connection, noting what each ``execute`` reads."""

    def __init__(self, con: Any, note: Any) -> None:
        self._con = con
        self._note = note

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        self._note(sql_dependencies(sql, params))
        return self._con.execute(sql, list(params or []))

    def __getattr__(self, name: str) -> Any:
        self._note({EVERYTHING})  # sql(), query(), table(), ...: not understood, so everything
        return getattr(self._con, name)


class RecordingStore(Store):
    """A read-through view of ``inner`` recording the dependencies of every read in ``deps``.

    Query methods the report uses are recorded by dataset; every other read goes through
    :meth:`_query` or the connection and counts as reading :data:`EVERYTHING`.
    """

    def __init__(self, inner: Store, deps: set[str] | None = None) -> None:  # noqa: D107
        # no Store.__init__: this view opens nothing, it borrows ``inner``'s connection
        base: Store = inner.inner if isinstance(inner, RecordingStore) else inner
        self.inner: Store = base
        self.path = self.inner.path
        self.read_only = self.inner.read_only
        self._con = None
        self.deps: set[str] = set() if deps is None else deps

    def note(self, deps: Iterable[str]) -> None:
        """Add ``deps`` to what this computation read."""
        self.deps.update(deps)

    @property
    def version_key(self) -> None:  # type: ignore[override]
        """None: nothing read through this view is served from :mod:`keruen.store.memo`.

        A result kept there would skip the reads this view records.
        """
        return None

    # -- what is recorded by dataset -------------------------------------------------------
    def _datasets(self, dataset: str | Sequence[str] | None) -> None:
        if dataset is None:
            self.note({EVERYTHING})
        else:
            names = [dataset] if isinstance(dataset, str) else list(dataset)
            self.note(dataset_dep(n) for n in names)

    def observations(self, dataset: Any = None, *args: Any, **kw: Any) -> Any:  # noqa: D102
        self._datasets(dataset)
        return self.inner.observations(dataset, *args, **kw)

    def summarise(self, dataset: str, *args: Any, **kw: Any) -> Any:  # noqa: D102
        self._datasets(dataset)
        return self.inner.summarise(dataset, *args, **kw)

    def vintages(self, dataset: str) -> list[str]:  # noqa: D102
        self._datasets(dataset)
        return self.inner.vintages(dataset)

    def _observations_sql(self, dataset: Any = None, *args: Any, **kw: Any) -> Any:
        self._datasets(dataset)
        return self.inner._observations_sql(dataset, *args, **kw)  # noqa: SLF001

    def _query_over(  # noqa: D102
        self, datasets: Sequence[str], sql: str, params: list[Any] | None = None
    ) -> Any:
        self._datasets(list(datasets))
        return self.inner._query(sql, params)  # noqa: SLF001

    def paper_figures(self) -> Any:  # noqa: D102
        self.note({"kind:paper_figures"})
        return self.inner.paper_figures()

    # -- everything else reads the whole store ---------------------------------------------
    @property
    def con(self) -> Any:  # noqa: D102
        return _Connection(self.inner.con, self.note)

    def _query(self, sql: str, params: list[Any] | None = None) -> Any:
        self.note(sql_dependencies(sql, params))
        return self.inner._query(sql, params)

    def ingest(self, *args: Any, **kw: Any) -> Any:  # noqa: D102
        self.note({EVERYTHING})
        return self.inner.ingest(*args, **kw)

    def ingest_many(self, *args: Any, **kw: Any) -> Any:  # noqa: D102
        self.note({EVERYTHING})
        return self.inner.ingest_many(*args, **kw)

    def close(self) -> None:  # noqa: D102 - the inner store is not ours to close
        return None


def dependency_digests(store: Store, deps: Iterable[str]) -> dict[str, str]:
    """``{dependency: sha256 of the sources rows behind it}`` (see the module docstring)."""
    if isinstance(store, RecordingStore):
        store = store.inner
    wanted = set(deps)
    if not wanted:
        return {}
    cur = store._query("SELECT * EXCLUDE (ingested_at) FROM sources ORDER BY source_id")
    columns = [d[0] for d in cur.description]
    rows = cur.fetchall()
    i_dataset, i_kind = columns.index("dataset"), columns.index("kind")
    digests = {d: hashlib.sha256(d.encode()) for d in wanted}
    for row in rows:
        line = repr(tuple(row)).encode()
        for name in (EVERYTHING, dataset_dep(str(row[i_dataset])), f"kind:{row[i_kind]}"):
            if name in digests:
                digests[name].update(line)
    return {d: h.hexdigest() for d, h in digests.items()}
