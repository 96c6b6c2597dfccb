"""The Spark engine's settings and master are checked before Spark starts (issue #22 item 25).

An unreachable ``KERUEN_SPARK_MASTER`` ended after 66 s in a Python and Java traceback, a
malformed ``KERUEN_SPARK_DRIVER_MEMORY`` in ``PySparkRuntimeError``: each is now one line,
given before any JVM starts (these tests start none; the master that accepts connections but
is no Spark master starts one and is in tests/test_registers_spark.py, a sweep).
"""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.errors import ConfigError
from keruen.registers.spark_start import check_memory, master_addresses


@pytest.fixture(scope="module")
def reg(tmp_path_factory: pytest.TempPathFactory, snapshot_store) -> Path:  # type: ignore[no-untyped-def]
    from keruen.registers.generate import Spec, generate
    from keruen.registers.margins import from_store

    root = tmp_path_factory.mktemp("spark-start") / "reg"
    generate(root, Spec(persons=100, start_year=2023, end_year=2023, seed=1),
             from_store(snapshot_store))  # fmt: skip
    return root


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _no_jvm() -> bool:
    from pyspark import SparkContext

    from keruen.registers import engines

    return SparkContext._gateway is None and "session" not in engines._SPARK


def _needs_spark() -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed")
    if shutil.which("java") is None:
        pytest.skip("Java is not on PATH")


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("KERUEN_SPARK_MASTER", "spark://127.0.0.1:{port}", "cannot be reached (127.0.0.1:"),
        ("KERUEN_SPARK_MASTER", "spark://127.0.0.1:{port},127.0.0.1:{port}", "cannot be reached"),
        ("KERUEN_SPARK_MASTER", "sparkle://x", "KERUEN_SPARK_MASTER must be local[N]"),
        ("KERUEN_SPARK_MASTER", "local[two]", "KERUEN_SPARK_MASTER must be local[N]"),
        ("KERUEN_SPARK_DRIVER_MEMORY", "lots", "KERUEN_SPARK_DRIVER_MEMORY must be a size"),
        ("KERUEN_SPARK_DRIVER_MEMORY", "4 g", "KERUEN_SPARK_DRIVER_MEMORY must be a size"),
    ],
)
def test_a_bad_master_or_memory_is_one_line_before_spark_starts(  # type: ignore[no-untyped-def]
    reg: Path, home: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str,
    expected: str,
) -> None:
    _needs_spark()
    monkeypatch.setenv(variable, value.format(port=_closed_port()))
    began = time.monotonic()
    res = CliRunner().invoke(main, ["register", "validate", str(reg), "--engine", "spark"])
    took = time.monotonic() - began
    assert res.exit_code == 2, res.output
    (line,) = res.output.strip().splitlines()
    assert line.startswith("keruen: error: ") and expected in line, line
    assert took < 30  # a refused port answers at once (it took 66 s and a traceback)
    assert _no_jvm()


def test_master_urls_spark_reads() -> None:
    assert master_addresses("local[2]") == master_addresses("local[*]") == []
    assert master_addresses("yarn") == master_addresses("local") == []
    assert master_addresses("spark://a:7077,b") == [("a", 7077), ("b", 7077)]
    assert master_addresses("k8s://https://k.example:6443") == [("k.example", 6443)]
    assert master_addresses("mesos://m") == [("m", 5050)]
    for bad in ("spark://", "spark://:7077", "http://x:1", "spark://h:port"):
        with pytest.raises(ConfigError):
            master_addresses(bad)


def test_driver_memory_as_spark_reads_it() -> None:
    assert check_memory(" 4g ") == "4g"
    assert check_memory("512m") == "512m" and check_memory("2048") == "2048"
    assert check_memory(None) is None and check_memory("") is None
    for bad in ("lots", "4 g", "-1g", "0", "1.5g", "4gib"):
        with pytest.raises(ConfigError, match="KERUEN_SPARK_DRIVER_MEMORY"):
            check_memory(bad)
