"""The versioned DuckDB store: atomic, idempotent ingest and vintage-aware queries.

Every ingest publishes one new version of the store, or nothing: a failure leaves the store
exactly as it was, and readers never wait for a writer (:mod:`keruen.store.versions`). A file
already ingested (same sha256) adds nothing. A new release of a dataset is a new vintage; by
default queries return, for each observation key, the value from the newest vintage holding
it, and any vintage stays queryable by name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from keruen.errors import ConfigError, DataNotAvailableError, StoreError
from keruen.store import writer
from keruen.store.connect import duckdb_config, interruptible
from keruen.store.records import IngestResult, Provenance, _reason
from keruen.store.rows import Rows
from keruen.store.schema import DDL, OBSERVATION_KEY
from keruen.store.segments import ensure_store
from keruen.store.versions import Manifest, open_reader, read_manifest, version_identity
from keruen.store.writer import Writing

__all__ = ["IngestResult", "Provenance", "Store", "Writing"]

if TYPE_CHECKING:  # pandas is imported by DuckDB only when a query returns a DataFrame
    import pandas as pd


_PLAIN = """
SELECT o.*, s.vintage, s.release, s.publisher, s.licence, s.url, s.title, s.source_id AS sid
FROM observations o JOIN sources s USING (source_id)
WHERE {where}
"""

_LATEST = f"""
SELECT o.*, s.vintage, s.release, s.publisher, s.licence, s.url, s.title, s.source_id AS sid
FROM observations o JOIN sources s USING (source_id)
WHERE {{where}}
QUALIFY row_number() OVER (
    PARTITION BY {", ".join("o." + k for k in OBSERVATION_KEY)}
    ORDER BY s.release DESC, s.source_id DESC) = 1
"""


class Store:
    """A keruen store: a folder of immutable DuckDB segments (or in memory with ``":memory:"``).

    Reading never waits: the store's connection sees the version that was current when it was
    opened, for as long as it is held (``close`` lets it go; the next query opens the version
    current then). Writing builds a new segment and publishes it atomically
    (:mod:`keruen.store.versions`); writers take turns, a second one waiting (bounded, saying
    so once) for the first. ``read_only=True`` forbids ingests.
    """

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        if path is None:
            from keruen.settings import store_path

            path = store_path()
        self.path = str(path)
        self.read_only = read_only
        self._con: Any = None
        self._manifest: Manifest | None = None
        self._writing: Writing | None = None
        if self.path == ":memory:":
            self._con = duckdb.connect(":memory:", config=duckdb_config())
            self._con.execute(DDL)
            return
        ensure_store(self.path)

    @property
    def con(self) -> Any:
        """The DuckDB connection over the version opened (the current one, on first use)."""
        if self._con is None:
            self._con, self._manifest = open_reader(self.path)
        return self._con

    @property
    def version(self) -> int:
        """The number of the store version this object reads (0: an empty store)."""
        if self.path == ":memory:":
            return 0
        self.con  # noqa: B018 - opens the current version
        assert self._manifest is not None
        return self._manifest.version

    @property
    def version_key(self) -> tuple[str, int, tuple[str, ...]] | None:
        """The identity of the version read: folder, number, segment files (None in memory).

        Results derived from one version alone may be kept under it (:mod:`keruen.store.memo`).
        """
        if self.path == ":memory:":
            return None
        self.con  # noqa: B018 - opens the current version
        assert self._manifest is not None
        return version_identity(self.path, self._manifest)

    def refresh(self) -> bool:
        """Let go of the version read if a newer one was published; whether it was."""
        if self.path == ":memory:" or self._manifest is None:
            return False
        latest = read_manifest(self.path)
        if latest is None or latest.version == self._manifest.version:
            return False
        self.close()
        return True

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (a later query reopens it, at the version current then)."""
        if self._con is not None and self.path != ":memory:":
            self._con.close()
            self._con = None
            self._manifest = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- ingest ------------------------------------------------------------------------------
    def has_file(self, sha256: str) -> bool:
        """Whether a file with this sha256 has been ingested."""
        return self._query("SELECT 1 FROM sources WHERE sha256 = ?", [sha256]).fetchall() != []

    def held(self, sha256: str) -> IngestResult | None:
        """The ingest that brought the file with this sha256, if the store holds it."""
        rows = self._query(
            "SELECT source_id, vintage FROM sources WHERE sha256 = ?", [sha256]
        ).fetchall()
        return IngestResult(int(rows[0][0]), 0, True, str(rows[0][1])) if rows else None

    @contextmanager
    def writing(self) -> Iterator[Writing]:
        """Hold the writers' turn: what :meth:`ingest_many` needs to build the next segment.

        Inside, :attr:`Writing.segment` is where a file may be parsed straight into the store's
        next segment (``stage_file(..., into=w.segment, source_id=w.source_id)``), so its rows
        are written once; the store read meanwhile is the newest version.
        """
        with writer.writing(self) as turn:
            yield turn

    def ingest(self, frame: pd.DataFrame | Any, provenance: Provenance) -> IngestResult:
        """Ingest one validated table atomically; a file already held adds nothing."""
        return self.ingest_many([(frame, provenance)])[0]

    def ingest_many(
        self, items: Iterable[tuple[pd.DataFrame | Any, Provenance]]
    ) -> list[IngestResult]:
        """Ingest several tables as ONE new version: all land, or none does.

        An item's table may be a pandas frame, a :class:`~keruen.store.staging.Staged` table
        (read and validated by DuckDB beforehand; one staged straight into the writer's next
        segment is kept as it is), or a callable returning either, so files are read only when
        they are not already held. Ctrl-C rolls the write back (:class:`LoadInterrupted`); a
        failed write (disk full, ...) is a :class:`StoreError`. Either way the store is
        unchanged: the new segment is published only once whole.
        """
        if self.read_only:
            raise StoreError(f"the store at {self.path} was opened read-only")
        items = list(items)
        if self.path == ":memory:":
            return interruptible(
                lambda: writer.memory_transaction(self, self.con, items), "a write"
            )
        return interruptible(lambda: writer.write_version(self, items), "a write")

    def _query(self, sql: str, params: list[Any] | None = None) -> Any:
        """Run a read query; a damaged store becomes a one-line :class:`StoreError`."""
        try:
            return self.con.execute(sql, params or [])
        except duckdb.Error as exc:
            raise StoreError(
                f"cannot read the store at {self.path} ({_reason(exc)}); if it is damaged, "
                "move it aside and run the command again to rebuild it"
            ) from None

    def _query_over(
        self, datasets: Sequence[str], sql: str, params: list[Any] | None = None
    ) -> Any:
        """:meth:`_query` of SQL that reads the observations of ``datasets`` only.

        The same as :meth:`_query`; a recording view (the report cache's
        :class:`~keruen.analysis.recording.RecordingStore`) notes ``datasets`` as what was read.
        """
        return self._query(sql, params)

    # -- queries -----------------------------------------------------------------------------
    def sources(self) -> pd.DataFrame:
        """Every ingested file with its provenance, oldest first."""
        return self._query("SELECT * FROM sources ORDER BY source_id").df()

    def source_rows(self) -> Rows:
        """:meth:`sources` as :class:`~keruen.store.rows.Rows` (no pandas)."""
        return Rows.fetch(self._query("SELECT * FROM sources ORDER BY source_id"))

    def datasets(self) -> list[str]:
        """The names of the datasets held, sorted."""
        rows = self._query("SELECT DISTINCT dataset FROM sources ORDER BY dataset").fetchall()
        return [str(r[0]) for r in rows]

    def resolve_dataset(self, dataset: str) -> str | None:
        """The held dataset named ``dataset`` ignoring case (exact spelling wins), or None."""
        rows = self._query(
            "SELECT DISTINCT dataset FROM sources WHERE lower(dataset) = lower(?)", [dataset]
        ).fetchall()
        names = sorted(str(r[0]) for r in rows)
        if dataset in names:
            return dataset
        return names[0] if names else None

    def held_files(self) -> set[str]:
        """The sha256 of every file held."""
        return {str(r[0]) for r in self._query("SELECT sha256 FROM sources").fetchall()}

    def vintages(self, dataset: str) -> list[str]:
        """The vintages held for ``dataset``, oldest release first."""
        rows = self._query(
            "SELECT DISTINCT vintage, release, source_id FROM sources WHERE dataset = ? "
            "ORDER BY release, source_id",
            [dataset],
        ).fetchall()
        return list(dict.fromkeys(r[0] for r in rows))

    def observations(
        self,
        dataset: str | None = None,
        measure: str | Sequence[str] | None = None,
        ref_area: str | Sequence[str] | None = None,
        counterpart_area: str | Sequence[str] | None = None,
        period: str | Sequence[str] | None = None,
        breakdown: str | None = None,
        vintage: str | None = None,
        include_missing: bool = False,
    ) -> pd.DataFrame:
        """Observations with their provenance (vintage, publisher, licence, url, title).

        With ``vintage=None`` each observation comes from the newest vintage that holds it;
        with a vintage name, only that vintage is read. ``breakdown=None`` means totals only;
        pass ``"*"`` for every breakdown. ``dataset`` matches ignoring case.

        Every filter is applied in SQL before the newest-vintage window, and the window is
        skipped when a single source file is in play (it cannot change the answer then).
        """
        sql, params = self._observations_ordered(
            dataset,
            measure,
            ref_area,
            counterpart_area,
            period,
            breakdown,
            vintage,
            include_missing,
        )
        return self._query(sql, params).df()

    def observation_rows(
        self,
        dataset: str | None = None,
        measure: str | Sequence[str] | None = None,
        ref_area: str | Sequence[str] | None = None,
        counterpart_area: str | Sequence[str] | None = None,
        period: str | Sequence[str] | None = None,
        breakdown: str | None = None,
        vintage: str | None = None,
        include_missing: bool = False,
    ) -> Rows:
        """:meth:`observations` as :class:`~keruen.store.rows.Rows` (same SQL, no pandas)."""
        sql, params = self._observations_ordered(
            dataset,
            measure,
            ref_area,
            counterpart_area,
            period,
            breakdown,
            vintage,
            include_missing,
        )
        return Rows.fetch(self._query(sql, params))

    def _observations_ordered(
        self,
        dataset: str | None,
        measure: str | Sequence[str] | None,
        ref_area: str | Sequence[str] | None,
        counterpart_area: str | Sequence[str] | None,
        period: str | Sequence[str] | None,
        breakdown: str | None,
        vintage: str | None,
        include_missing: bool,
    ) -> tuple[str, list[Any]]:
        """The full query of :meth:`observations`: missing values dropped, key order, no sid."""
        sql, params = self._observations_sql(
            dataset, measure, ref_area, counterpart_area, period, breakdown, vintage
        )
        if not include_missing:
            sql = f"SELECT * FROM ({sql}) WHERE obs_status <> 'M'"
        order = ", ".join(OBSERVATION_KEY) + ", release, sid"
        return f"SELECT * EXCLUDE (sid) FROM ({sql}) ORDER BY {order}", params

    def _observations_sql(
        self,
        dataset: str | Sequence[str] | None,
        measure: str | Sequence[str] | None,
        ref_area: str | Sequence[str] | None,
        counterpart_area: str | Sequence[str] | None,
        period: str | Sequence[str] | None,
        breakdown: str | None,
        vintage: str | None,
    ) -> tuple[str, list[Any]]:
        """The SQL (and parameters) of :meth:`observations` before its missing/order steps."""
        src_clauses: list[str] = ["TRUE"]
        src_params: list[Any] = []
        if dataset is not None:
            names = [dataset] if isinstance(dataset, str) else list(dataset)
            src_clauses.append(f"lower(dataset) IN ({', '.join('lower(?)' for _ in names)})")
            src_params.extend(names)
        if vintage is not None:
            src_clauses.append("vintage = ?")
            src_params.append(vintage)
        src_where = " AND ".join(src_clauses)
        held = self._query(
            f"SELECT source_id, dataset FROM sources WHERE {src_where}", src_params
        ).fetchall()
        ids = sorted({int(r[0]) for r in held})
        exact = sorted({str(r[1]) for r in held})
        clauses: list[str] = []
        params: list[Any] = []

        def add(column: str, value: str | Sequence[str] | None) -> None:
            if value is None:
                return
            values = [value] if isinstance(value, str) else list(value)
            if not values:
                clauses.append("FALSE")
                return
            clauses.append(f"o.{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)

        add("dataset", exact if dataset is not None else None)
        add("measure", measure)
        add("ref_area", ref_area)
        add("counterpart_area", counterpart_area)
        add("period", period)
        if breakdown is None:
            clauses.append("o.breakdown IS NULL")
        elif breakdown != "*":
            add("breakdown", breakdown)
        if dataset is not None or vintage is not None:
            clauses.append(f"o.source_id IN ({', '.join(map(str, ids)) or 'NULL'})")
        where = " AND ".join(clauses) or "TRUE"
        if len(ids) <= 1:
            return _PLAIN.format(where=where), params
        return _LATEST.format(where=where), params

    def summarise(
        self,
        dataset: str,
        by: Sequence[str] = ("measure",),
        *,
        measure: str | Sequence[str] | None = None,
        ref_area: str | Sequence[str] | None = None,
        period: str | Sequence[str] | None = None,
        vintage: str | None = None,
    ) -> pd.DataFrame:
        """Count, sum, mean, min and max of ``value`` per group of ``by`` columns, in SQL.

        Over the same rows :meth:`observations` returns (newest vintage per value, totals only,
        missing values excluded), grouped inside DuckDB so only the groups reach pandas.
        """
        allowed = {"measure", "ref_area", "counterpart_area", "breakdown", "period", "unit"}
        bad = [c for c in by if c not in allowed]
        if bad:
            raise ConfigError(f"cannot group by {bad[0]!r}; choose: {', '.join(sorted(allowed))}")
        sql, params = self._observations_sql(
            dataset, measure, ref_area, None, period, None, vintage
        )
        cols = ", ".join(by)
        return self._query(
            f"SELECT {cols}, count(value) AS n, sum(value) AS sum, avg(value) AS mean, "
            f"min(value) AS min, max(value) AS max FROM ({sql}) WHERE obs_status <> 'M' "
            f"GROUP BY {cols} ORDER BY {cols}",
            params,
        ).df()

    def value(self, dataset: str, measure: str, ref_area: str, period: str, **kw: Any) -> pd.Series:
        """One observation (with provenance) as a row; raises if the store holds none."""
        frame = self.observations(dataset, measure, ref_area, period=period, **kw)
        if frame.empty:
            raise DataNotAvailableError(
                f"no value of {dataset}/{measure} for {ref_area} in {period}"
            )
        return frame.iloc[0]

    def paper_figures(self) -> pd.DataFrame:
        """Figures stated in publications, with the publication's provenance."""
        return self._query(
            "SELECT p.*, s.title AS publication, s.vintage FROM paper_figures p "
            "JOIN sources s USING (source_id) ORDER BY s.source_id, p.measure, p.ref_area, "
            "p.counterpart_area, p.period"
        ).df()

    def checksum(self) -> str:
        """A digest of every row of every table: equal checksums mean equal contents."""
        digest = hashlib.sha256()
        for table in ("sources", "observations", "paper_figures"):
            rows = self._query(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            digest.update(table.encode())
            for r in rows:
                digest.update(repr(r).encode())
        return digest.hexdigest()
