"""DuckDB and Spark (local mode) give identical checks and aggregates on the same register."""

from __future__ import annotations

import shutil
from datetime import date

import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'keruen[spark]')")
if shutil.which("java") is None:
    pytest.skip("Java (17) is not on PATH; the Spark engine needs it", allow_module_level=True)

from keruen.registers import engines  # noqa: E402
from keruen.registers.aggregate import AGGREGATES, aggregate  # noqa: E402
from keruen.registers.checks import resolve_span  # noqa: E402
from keruen.registers.generate import Spec, generate  # noqa: E402
from keruen.registers.margins import from_store  # noqa: E402
from keruen.registers.schema import check_files  # noqa: E402


@pytest.fixture(scope="session")
def spark():  # type: ignore[no-untyped-def]
    """One local SparkSession for the whole test session."""
    session = engines.spark_session("local[2]", shuffle_partitions=2)
    yield session
    session.stop()
    engines._SPARK.clear()


@pytest.fixture(scope="module")
def both(tmp_path_factory, snapshot_store, spark):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("spark") / "reg"
    spec = Spec(
        persons=1_500,
        start_year=2022,
        end_year=2023,
        seed=7,
        chunk_rows=600,
        overstay_share=0.2,
        move_share=0.3,
        bad_share=0.02,
    )
    generate(root, spec, from_store(snapshot_store))
    files = check_files(root)
    span = resolve_span(files)
    options = {
        "stock_dates": [date(2022, 6, 1), date(2023, 1, 1)],
        "overstay_date": date(2023, 3, 1),
        "max_bad_share": 0.1,
    }
    out = {}
    for engine in (engines.DuckDBEngine(memory_limit="300MB"), engines.SparkEngine()):
        try:
            q = tmp_path_factory.mktemp(engine.name) / "quarantine.parquet"
            out[engine.name] = (aggregate(engine, files, span, quarantine=q, **options), q)
        finally:
            engine.close()
    # Spark again, with the duplicate keys DuckDB found (what a validation record holds)
    keys = out["duckdb"][0].checks.dup_keys
    engine = engines.SparkEngine()
    try:
        q = tmp_path_factory.mktemp("spark-keys") / "quarantine.parquet"
        out["spark-keys"] = (aggregate(engine, files, span, quarantine=q, dup_keys=keys,
                                       **options), q)  # fmt: skip
    finally:
        engine.close()
    return out


@pytest.mark.parametrize("other", ["spark", "spark-keys"])
def test_checks_agree(both, other: str) -> None:  # type: ignore[no-untyped-def]
    duck, spark = both["duckdb"][0].checks, both[other][0].checks
    assert duck.bad > 0 and duck.by_rule["duplicate_person_period"] > 0
    assert (duck.records, duck.bad, duck.by_rule) == (spark.records, spark.bad, spark.by_rule)


@pytest.mark.parametrize("other", ["spark", "spark-keys"])
@pytest.mark.parametrize("name", AGGREGATES)
def test_aggregates_are_identical(both, name: str, other: str) -> None:  # type: ignore[no-untyped-def]
    duck, spark = both["duckdb"][0].tables[name], both[other][0].tables[name]
    assert len(duck) > 0
    assert list(duck.columns) == list(spark.columns)
    assert duck.dtypes.tolist() == spark.dtypes.tolist()
    assert duck.equals(spark)


def test_quarantines_hold_the_same_records(both) -> None:  # type: ignore[no-untyped-def]
    keys = ["person_id", "arrival_date", "region", "citizenship"]
    duck = pq.read_table(both["duckdb"][1]).to_pandas().sort_values(keys).reset_index(drop=True)
    spark = pq.read_table(both["spark"][1]).to_pandas().sort_values(keys).reset_index(drop=True)
    assert len(duck) == both["duckdb"][0].checks.bad
    assert duck[keys].astype(str).equals(spark[keys].astype(str))


def test_spark_compares_stays_exactly_at_the_ends_of_the_date_range(spark, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_registers_aggregate import duplicate_keys, edge_register

    path, want = edge_register(tmp_path)
    engine = engines.SparkEngine()
    try:
        assert duplicate_keys(engine, path) == want
    finally:
        engine.close()


def test_a_master_port_that_is_no_spark_master_is_given_up_in_bounded_time(  # type: ignore[no-untyped-def]
    tmp_path, snapshot_store
) -> None:
    """Issue #22 item 25: a port that accepts but is no Spark master kept Spark registering for
    about a minute, then a traceback. The start is bounded (KERUEN_SPARK_START_TIMEOUT)."""
    import os
    import socket
    import subprocess
    import sys
    import time

    root = tmp_path / "reg"
    generate(root, Spec(persons=100, start_year=2023, end_year=2023, seed=1),
             from_store(snapshot_store))  # fmt: skip
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        env = dict(os.environ, KERUEN_SPARK_MASTER=f"spark://127.0.0.1:{port}",
                   KERUEN_SPARK_START_TIMEOUT="15", KERUEN_HOME=str(tmp_path / "home"))  # fmt: skip
        began = time.monotonic()
        run = subprocess.run(
            [sys.executable, "-m", "keruen", "register", "validate", str(root), "--engine",
             "spark"],
            env=env, capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
        took = time.monotonic() - began
    assert run.returncode == 2, run.stderr[-2000:]
    # the JVM started (only Spark can tell a Spark master), so its start-up log lines come
    # too (in any order with keruen's); keruen's is one line, no Python or Java traceback
    (line,) = [ln for ln in run.stderr.splitlines() if ln.startswith("keruen:")]
    assert "Traceback" not in run.stderr and "Exception" not in run.stderr
    assert line.startswith(f"keruen: error: the Spark master spark://127.0.0.1:{port} accepted")
    assert took < 15 + 60  # the bound, plus starting Python and the JVM on a busy machine
