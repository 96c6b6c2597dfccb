"""The engines that run :mod:`keruen.registers.sql`: DuckDB (default) and Spark.

Both expose the same small interface; they differ only in how they open the Parquet files,
hold a table and write Parquet. DuckDB works out of core under a memory limit
(``KERUEN_REGISTER_MEMORY_LIMIT``), spilling to ``KERUEN_REGISTER_TEMP_DIR``; Spark runs in
local mode or on the cluster named by ``KERUEN_SPARK_MASTER``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from keruen.errors import ConfigError, InputError
from keruen.registers import sql

ENGINES = ("duckdb", "spark")


class Engine(Protocol):
    """What the checks and aggregations need from an engine."""

    name: str

    def open(self, files: tuple[Path, ...]) -> None:
        """Expose the Parquet files as relation ``register_raw``."""

    def register_frame(self, name: str, frame: pd.DataFrame) -> None:
        """Expose a small pandas table as relation ``name``."""

    def materialise(self, name: str, query: str) -> None:
        """Compute ``query`` once and keep it as relation ``name``."""

    def repeated_persons(self, name: str) -> None:
        """Relation ``name`` (``person_id``): the persons with more than one dated record.

        What :data:`~keruen.registers.sql.MULTI` selects, however the engine counts.
        """

    def view(self, name: str, query: str) -> None:
        """Name ``query`` as a (lazy) relation."""

    def fetch(self, query: str) -> pd.DataFrame:
        """Run ``query`` and return its (small) result."""

    def write_parquet(self, query: str, path: Path) -> None:
        """Write the result of ``query`` to Parquet at ``path``."""

    def close(self) -> None:
        """Free what the engine holds."""


class DuckDBEngine:
    """DuckDB over the Parquet files, out of core under ``memory_limit``."""

    name = "duckdb"

    def __init__(
        self, memory_limit: str = "1.5GB", temp_dir: str | None = None, threads: int | None = None
    ) -> None:
        import duckdb

        limit = _size(memory_limit)  # a malformed limit fails before any spill folder is made
        self.limit_bytes = _bytes(limit)
        self.threads = int(threads) if threads else (os.cpu_count() or 1)
        self.person_range: tuple[int, int] | None = None  # set by open() from the footers
        self._own_temp = temp_dir is None
        if temp_dir is None:
            sweep_spill_folders()
        self.temp_dir = temp_dir or tempfile.mkdtemp(prefix=f"{SPILL_PREFIX}{os.getpid()}-")
        self.con = duckdb.connect(":memory:")
        try:
            self.con.execute(f"SET memory_limit = '{limit}'")
            self.con.execute(f"SET temp_directory = '{_quote(self.temp_dir)}'")
            self.con.execute("SET preserve_insertion_order = false")
            if threads:
                self.con.execute(f"SET threads = {int(threads)}")
        except duckdb.Error as exc:
            self.close()
            raise ConfigError(f"cannot configure DuckDB: {exc}") from None

    def open(self, files: tuple[Path, ...]) -> None:
        """``register_raw``: the files as one relation (schemas checked beforehand).

        Up to :data:`UNION_FILES` files are read as a union of one scan per file, which keeps
        each file's column statistics (a multi-file scan drops them); with the person ids'
        range known, :meth:`repeated_persons` counts the records by person in an array indexed
        by the id when :func:`dense_person_range` allows it.
        """
        if len(files) <= UNION_FILES:
            scans = [f"SELECT * FROM read_parquet('{_quote(str(p))}')" for p in files]
            body = "\nUNION ALL BY NAME\n".join(scans)  # columns matched by name, not place
        else:
            listing = ", ".join(f"'{_quote(str(p))}'" for p in files)
            body = f"SELECT * FROM read_parquet([{listing}])"
        self.con.execute(f"CREATE OR REPLACE VIEW register_raw AS {body}")
        self.person_range = dense_person_range(files, self.limit_bytes)

    def register_frame(self, name: str, frame: pd.DataFrame) -> None:
        """Copy a small table into DuckDB."""
        self.con.register(f"_{name}_frame", frame)
        self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _{name}_frame")
        self.con.unregister(f"_{name}_frame")

    def materialise(self, name: str, query: str) -> None:
        """A temporary table (spills to disk beyond the memory limit)."""
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}")

    def repeated_persons(self, name: str) -> None:
        """:data:`~keruen.registers.sql.MULTI`, counted in an array indexed by the id.

        The array (``numpy.bincount``) is used when :meth:`open` found the ids' range in the
        footers and the arrays fit (:func:`dense_person_range`); else DuckDB's hash aggregate
        counts, and spills.

        At 10^7 persons (11 M records, ids over 2^24) the array took 0.2-0.5 s where the hash
        aggregate took 1.0-1.2 s (benchmarks/README.md, "Registers").
        """
        if self.person_range is None:
            self.materialise(name, sql.MULTI)
            return
        import numpy as np
        import pyarrow as pa

        low = self.person_range[0]
        shifted = np.subtract(
            self.con.execute(sql.MULTI_RECORDS).fetchnumpy()["person_id"], low, dtype=np.int64
        )
        if shifted.size and int(shifted.min()) < 0:  # a footer understated the range
            self.materialise(name, sql.MULTI)
            return
        counts = np.bincount(shifted)
        del shifted
        repeated = pa.table({"person_id": np.flatnonzero(counts > 1).astype(np.int64) + low})
        del counts
        self.con.register(f"_{name}_array", repeated)
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS FROM _{name}_array")
        finally:
            self.con.unregister(f"_{name}_array")

    def view(self, name: str, query: str) -> None:
        """A view."""
        self.con.execute(f"CREATE OR REPLACE VIEW {name} AS {query}")

    def fetch(self, query: str) -> pd.DataFrame:
        """The result as pandas."""
        return self.con.execute(query).df()

    def write_parquet(self, query: str, path: Path) -> None:
        """One Parquet file."""
        self.con.execute(f"COPY ({query}) TO '{_quote(str(path))}' (FORMAT parquet)")

    def close(self) -> None:
        """Close the connection and remove the spill folder it made."""
        try:
            self.con.close()
        finally:
            if self._own_temp:
                shutil.rmtree(self.temp_dir, ignore_errors=True)


#: Spill folders are ``keruen-duckdb-<pid>-<random>`` in the temporary folder.
SPILL_PREFIX = "keruen-duckdb-"


def sweep_spill_folders(folder: str | Path | None = None) -> list[Path]:
    """Remove spill folders whose process is gone (killed before it could remove its own).

    Only folders named with a process id (:data:`SPILL_PREFIX` ``<pid>-``) are judged: one whose
    process no longer exists is removed; one whose process runs (or belongs to another user) is
    left. Returns the folders removed.
    """
    removed = []
    for path in Path(folder or tempfile.gettempdir()).glob(f"{SPILL_PREFIX}*-*"):
        pid_text = path.name.removeprefix(SPILL_PREFIX).split("-", 1)[0]
        if not pid_text.isdigit() or not path.is_dir() or path.is_symlink():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        except OSError:  # alive but not ours (PermissionError), or a pid out of range
            continue
    return removed


_SPARK: dict[str, Any] = {}


def spark_session(
    master: str = "local[2]", shuffle_partitions: int = 8, driver_memory: str | None = None
) -> Any:
    """One SparkSession per process (created on first use; ``driver_memory`` counts then)."""
    if "session" in _SPARK:
        return _SPARK["session"]
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError(
            "the spark engine needs pyspark: pip install 'keruen[spark]' (and Java 17)"
        ) from None
    from keruen import settings
    from keruen.registers.spark_start import (
        bounded_start,
        check_memory,
        master_addresses,
        probe_master,
    )

    # settings read and the master probed before any JVM starts: one line each, early
    driver_memory = check_memory(driver_memory)
    master = master.strip() or "local[2]"
    cluster = bool(master_addresses(master)) or master == "yarn"
    wait = settings.number("KERUEN_SPARK_START_TIMEOUT") if cluster else None
    if shutil.which("java") is None and not _java_home():
        raise ConfigError("the spark engine needs Java (17); none found on PATH or JAVA_HOME")
    probe_master(master, min(5.0, wait or 5.0))
    builder = SparkSession.builder
    if driver_memory:
        builder = builder.config("spark.driver.memory", driver_memory)
    builder = (
        builder.master(master)
        .appName("keruen-registers")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    session = bounded_start(builder.getOrCreate, master, wait)
    session.sparkContext.setLogLevel("ERROR")
    _SPARK["session"] = session
    return session


def _java_home() -> bool:
    import os

    home = os.environ.get("JAVA_HOME")
    return home is not None and (Path(home) / "bin" / "java").exists()


class SparkEngine:
    """Spark SQL over the same files (local mode or a cluster)."""

    name = "spark"

    def __init__(self, master: str = "local[2]", driver_memory: str | None = None) -> None:
        self.spark = spark_session(master, driver_memory=driver_memory)
        self._cached: list[Any] = []

    def open(self, files: tuple[Path, ...]) -> None:
        """``register_raw``: the files read by Spark."""
        frame = self.spark.read.parquet(*[str(p) for p in files])
        frame.createOrReplaceTempView("register_raw")

    def register_frame(self, name: str, frame: pd.DataFrame) -> None:
        """A small Spark table from pandas."""
        self.spark.createDataFrame(frame).createOrReplaceTempView(name)

    def materialise(self, name: str, query: str) -> None:
        """A cached (memory, then disk) temporary view."""
        from pyspark import StorageLevel

        frame = self.spark.sql(query).persist(StorageLevel.MEMORY_AND_DISK)
        self._cached.append(frame)
        frame.createOrReplaceTempView(name)

    def repeated_persons(self, name: str) -> None:
        """:data:`~keruen.registers.sql.MULTI`, as Spark SQL plans it."""
        self.materialise(name, sql.MULTI)

    def view(self, name: str, query: str) -> None:
        """A temporary view."""
        self.spark.sql(query).createOrReplaceTempView(name)

    def fetch(self, query: str) -> pd.DataFrame:
        """The result as pandas."""
        return self.spark.sql(query).toPandas()

    def write_parquet(self, query: str, path: Path) -> None:
        """A Parquet folder (Spark's layout) holding one part file."""
        self.spark.sql(query).coalesce(1).write.mode("overwrite").parquet(str(path))

    def close(self) -> None:
        """Drop the cached tables (the session is kept for reuse)."""
        for frame in self._cached:
            frame.unpersist()
        self._cached.clear()


def make_engine(name: str | None = None, **options: Any) -> Engine:
    """The engine named ``name`` (default: setting ``KERUEN_REGISTER_ENGINE``)."""
    from keruen import settings

    name = name or settings.get("KERUEN_REGISTER_ENGINE") or "duckdb"
    if name == "duckdb":
        return DuckDBEngine(
            memory_limit=options.get("memory_limit")
            or settings.get("KERUEN_REGISTER_MEMORY_LIMIT")
            or "1.5GB",
            temp_dir=options.get("temp_dir") or settings.get("KERUEN_REGISTER_TEMP_DIR"),
            threads=options.get("threads"),
        )
    if name == "spark":
        return SparkEngine(
            options.get("master") or settings.get("KERUEN_SPARK_MASTER") or "",
            driver_memory=options.get("driver_memory")
            or settings.get("KERUEN_SPARK_DRIVER_MEMORY"),
        )
    raise ConfigError(f"unknown register engine {name!r}; choose one of: {', '.join(ENGINES)}")


def _size(text: str) -> str:
    import re

    if not re.fullmatch(r"\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", text, re.I):
        raise ConfigError(f"memory limit must look like '2GB' or '512MB', got {text!r}")
    return text.strip()


#: Most files read as a union of per-file scans (beyond, one multi-file scan plans faster).
UNION_FILES = 256


def dense_person_range(files: tuple[Path, ...], limit_bytes: int) -> tuple[int, int] | None:
    """The person ids' (lowest, highest) from the footers, when counting by an array fits.

    The count holds the ids of the dated records (8 bytes each, twice while they are shifted)
    and an 8-byte counter per id of the range, outside DuckDB's memory limit: together they
    must stay within a quarter of the limit. ``None`` when a footer does not give the range or
    the row count, or when it does not fit: DuckDB's hash aggregate then counts (and spills).
    """
    from keruen.registers.footers import column_facts

    facts = column_facts(files, ("person_id",))["person_id"]
    if not (facts.ranged and isinstance(facts.low, int) and isinstance(facts.high, int)):
        return None
    if facts.rows is None:
        return None
    span = int(facts.high) - int(facts.low) + 1
    if 16 * facts.rows + 9 * span > limit_bytes // 4:
        return None
    return int(facts.low), int(facts.high)


def _bytes(text: str) -> int:
    import re

    number, unit = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*", text).groups()  # type: ignore[union-attr]
    unit = unit.upper()
    power = {"B": 0, "KB": 1, "MB": 2, "GB": 3, "TB": 4, "KIB": 1, "MIB": 2, "GIB": 3, "TIB": 4}
    base = 1024 if "I" in unit else 1000
    return int(float(number) * base ** power[unit])


def _quote(text: str) -> str:
    return text.replace("'", "''")


def interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is how an engine ends a statement on Ctrl-C.

    Python's ``KeyboardInterrupt``; DuckDB's ``InterruptException`` or its "Query interrupted";
    Spark's cancelled job (PySpark cancels every job on SIGINT).
    """
    if isinstance(exc, KeyboardInterrupt) or type(exc).__name__ == "InterruptException":
        return True
    text = str(exc).strip().lower()[:300]
    return text.startswith("query interrupted") or (
        "cancelled" in text and ("job" in text or "sparkcontext" in text)
    )


def reject_unreadable(exc: Exception, root: Path) -> InputError:
    """An engine's read failure as one clear error naming the register."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return InputError(f"the engine could not read the register: {first}", file=root)
