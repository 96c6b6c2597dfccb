"""The versioned DuckDB store: atomic, idempotent ingest and vintage-aware queries.

Every ingest runs in one transaction: a failure leaves the store exactly as it was. A file
already ingested (same sha256) adds nothing. A new release of a dataset is a new vintage; by
default queries return, for each observation key, the value from the newest vintage holding
it, and any vintage stays queryable by name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from keruen.errors import DataNotAvailableError, StoreError
from keruen.store.schema import DDL, OBSERVATION_COLUMNS, OBSERVATION_KEY, PAPER_COLUMNS


@dataclass(frozen=True)
class Provenance:
    """Where an ingested file came from; stored in the ``sources`` table."""

    dataset: str
    vintage: str
    release: str
    publisher: str
    file_name: str
    sha256: str
    title: str = ""
    url: str = ""
    licence: str = ""
    retrieved: str = ""
    origin: str = ""
    notes: str = ""
    kind: str = "observations"


@dataclass(frozen=True)
class IngestResult:
    """What one ingest did: the source row it made (or found) and how many rows it added."""

    source_id: int
    rows_added: int
    already_present: bool
    vintage: str


_LATEST = f"""
SELECT o.*, s.vintage, s.release, s.publisher, s.licence, s.url, s.title, s.source_id AS sid
FROM observations o JOIN sources s USING (source_id)
WHERE {{where}}
QUALIFY row_number() OVER (
    PARTITION BY {", ".join("o." + k for k in OBSERVATION_KEY)}
    ORDER BY s.release DESC, s.source_id DESC) = 1
"""


class Store:
    """A keruen store in one DuckDB file (or in memory with ``path=":memory:"``)."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        if path is None:
            from keruen.settings import store_path

            path = store_path()
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open the store at {self.path}: {exc}") from None
        if not read_only:
            self.con.execute(DDL)

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- ingest ------------------------------------------------------------------------------
    def has_file(self, sha256: str) -> bool:
        """Whether a file with this sha256 has been ingested."""
        return (
            self.con.execute("SELECT 1 FROM sources WHERE sha256 = ?", [sha256]).fetchone()
            is not None
        )

    def ingest(self, frame: pd.DataFrame, provenance: Provenance) -> IngestResult:
        """Ingest one validated table atomically; a file already held adds nothing."""
        return self.ingest_many([(frame, provenance)])[0]

    def ingest_many(
        self, items: Iterable[tuple[pd.DataFrame | Any, Provenance]]
    ) -> list[IngestResult]:
        """Ingest several tables in ONE transaction: all land, or none does.

        An item's table may be a callable returning the table, so files are read (and
        validated) inside the transaction only when they are not already held.
        """
        results: list[IngestResult] = []
        self.con.execute("BEGIN TRANSACTION")
        try:
            for frame, prov in items:
                results.append(self._ingest_one(frame, prov))
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return results

    def _ingest_one(self, frame: pd.DataFrame | Any, prov: Provenance) -> IngestResult:
        row = self.con.execute(
            "SELECT source_id, vintage FROM sources WHERE sha256 = ?", [prov.sha256]
        ).fetchone()
        if row is not None:
            return IngestResult(int(row[0]), 0, True, str(row[1]))
        if callable(frame):
            frame = frame()
        vintage = prov.vintage
        clash = self.con.execute(
            "SELECT 1 FROM sources WHERE dataset = ? AND vintage = ?", [prov.dataset, vintage]
        ).fetchone()
        if clash is not None:  # same release label, different content: keep both, distinctly
            vintage = f"{vintage}+{prov.sha256[:8]}"
        fields = asdict(prov) | {"vintage": vintage, "n_rows": len(frame)}
        cols = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        source_id = self.con.execute(
            f"INSERT INTO sources ({cols}) VALUES ({marks}) RETURNING source_id",
            list(fields.values()),
        ).fetchone()[0]  # type: ignore[index]
        table, columns = (
            ("paper_figures", PAPER_COLUMNS)
            if prov.kind == "paper_figures"
            else ("observations", OBSERVATION_COLUMNS)
        )
        staged = frame[list(columns)].copy()
        staged["source_id"] = source_id
        self.con.register("_staged", staged)
        try:
            self.con.execute(
                f"INSERT INTO {table} ({', '.join(columns)}, source_id) "
                f"SELECT {', '.join(columns)}, source_id FROM _staged"
            )
        finally:
            self.con.unregister("_staged")
        return IngestResult(int(source_id), len(frame), False, vintage)

    # -- queries -----------------------------------------------------------------------------
    def sources(self) -> pd.DataFrame:
        """Every ingested file with its provenance, oldest first."""
        return self.con.execute("SELECT * FROM sources ORDER BY source_id").df()

    def vintages(self, dataset: str) -> list[str]:
        """The vintages held for ``dataset``, oldest release first."""
        rows = self.con.execute(
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
        pass ``"*"`` for every breakdown.
        """
        clauses: list[str] = ["TRUE"]
        params: list[Any] = []

        def add(column: str, value: str | Sequence[str] | None) -> None:
            if value is None:
                return
            values = [value] if isinstance(value, str) else list(value)
            clauses.append(f"o.{column} IN ({', '.join('?' for _ in values)})")
            params.extend(values)

        add("dataset", dataset)
        add("measure", measure)
        add("ref_area", ref_area)
        add("counterpart_area", counterpart_area)
        add("period", period)
        if breakdown is None:
            clauses.append("o.breakdown IS NULL")
        elif breakdown != "*":
            add("breakdown", breakdown)
        if vintage is not None:
            clauses.append("s.vintage = ?")
            params.append(vintage)
        sql = _LATEST.format(where=" AND ".join(clauses))
        if not include_missing:
            sql = f"SELECT * FROM ({sql}) WHERE obs_status <> 'M'"
        frame = self.con.execute(sql + " ORDER BY ALL", params).df()
        return frame.drop(columns=["sid"])

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
        return self.con.execute(
            "SELECT p.*, s.title AS publication, s.vintage FROM paper_figures p "
            "JOIN sources s USING (source_id) ORDER BY s.source_id, p.measure, p.ref_area, "
            "p.counterpart_area, p.period"
        ).df()

    def checksum(self) -> str:
        """A digest of every row of every table: equal checksums mean equal contents."""
        digest = hashlib.sha256()
        for table in ("sources", "observations", "paper_figures"):
            rows = self.con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            digest.update(table.encode())
            for r in rows:
                digest.update(repr(r).encode())
        return digest.hexdigest()
