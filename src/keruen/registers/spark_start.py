"""Starting the Spark register engine: settings checked and the master probed before Spark starts.

A Spark session that cannot start fails late and loudly: a cluster master that is not there
costs about a minute of retries and ends in a Python and Java traceback, a malformed driver
memory in ``PySparkRuntimeError``. Here the master URL and the memory are read first, the
master's port is probed with one short TCP connection, and the session's start is bounded in
time, so each fault is one line naming the setting, given early.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from keruen.errors import ConfigError

#: Master URLs Spark reads (``spark.master``): local mode, a standalone cluster (several
#: masters comma-separated), YARN, Kubernetes, Mesos.
_LOCAL = re.compile(r"local(\[(\*|\d+)(,\s*\d+)?\])?|local-cluster\[\d+,\s*\d+,\s*\d+\]")
_DEFAULT_PORTS = {"spark": 7077, "mesos": 5050, "k8s": 443}
#: A JVM size as Spark reads it (``spark.driver.memory``): digits and a unit, e.g. 4g, 512m.
_MEMORY = re.compile(r"\d+([kmgtp]b?|b)?", re.IGNORECASE)


def check_memory(text: str | None) -> str | None:
    """``KERUEN_SPARK_DRIVER_MEMORY`` stripped, or :class:`ConfigError` if Spark cannot read it."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    if not _MEMORY.fullmatch(value) or int(re.sub(r"\D", "", value)) == 0:
        raise ConfigError(
            f"setting KERUEN_SPARK_DRIVER_MEMORY must be a size such as 4g or 512m, got {text!r}"
        )
    return value


def master_addresses(master: str) -> list[tuple[str, int]]:
    """The (host, port) pairs to probe for ``master``; [] for local mode and YARN.

    Raises :class:`ConfigError` for a URL Spark does not read.
    """
    master = master.strip()
    if _LOCAL.fullmatch(master) or master == "yarn":
        return []
    scheme, _, rest = master.partition("://")
    if scheme not in _DEFAULT_PORTS or not rest:
        raise ConfigError(
            f"setting KERUEN_SPARK_MASTER must be local[N], spark://HOST:PORT, yarn, "
            f"k8s://https://HOST:PORT or mesos://HOST:PORT, got {master!r}"
        )
    if scheme == "k8s":
        rest = rest if "://" in rest else f"https://{rest}"
        hosts = [urlsplit(rest).netloc]
    else:
        hosts = rest.split(",")
    out = []
    for host in hosts:
        try:
            parts = urlsplit(f"//{host}")
            name, port = parts.hostname, parts.port or _DEFAULT_PORTS[scheme]
        except ValueError:
            name = None
        if not name:
            raise ConfigError(f"setting KERUEN_SPARK_MASTER names no host: {master!r}")
        out.append((name, port))
    return out


def probe_master(master: str, timeout: float) -> None:
    """Connect once to the master's port(s) (``timeout`` seconds each); :class:`ConfigError`
    when none accepts. A standalone cluster with several masters needs one to accept."""
    reasons = []
    for host, port in master_addresses(master):
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return
        except OSError as exc:
            reasons.append(f"{host}:{port}: {exc.strerror or exc or 'timed out'}")
    if reasons:
        raise ConfigError(
            f"the Spark master {master} cannot be reached ({'; '.join(reasons)}); check "
            "KERUEN_SPARK_MASTER, or use local mode (local[2])"
        )


def _stop_gateway() -> None:
    """End the JVM a session that did not start left behind, so a later start begins anew."""
    try:
        from pyspark import SparkContext
    except ImportError:  # pragma: no cover - pyspark was imported to get here
        return
    gateway = SparkContext._gateway
    proc = getattr(gateway, "proc", None)
    if proc is not None:
        proc.kill()
    SparkContext._gateway = None
    SparkContext._jvm = None


def bounded_start(start: Callable[[], Any], master: str, wait: float | None) -> Any:
    """``start()`` (the session's ``getOrCreate``), given up after ``wait`` seconds.

    A port that accepts but is no Spark master keeps Spark registering for about a minute; a
    failed start is one line instead of a Java traceback. ``wait=None``: no bound (local mode).
    """
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["session"] = start()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=run, name="keruen-spark-start", daemon=True)
    worker.start()
    worker.join(wait)
    if worker.is_alive():
        _stop_gateway()
        raise ConfigError(
            f"the Spark master {master} accepted a connection but no Spark session started "
            f"within {wait:g} s (is it a Spark master?); check KERUEN_SPARK_MASTER, or raise "
            "KERUEN_SPARK_START_TIMEOUT"
        )
    if "error" in box:
        exc = box["error"]
        if isinstance(exc, KeyboardInterrupt | ConfigError):
            raise exc
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"the Spark session could not start ({text[:300]})") from None
    return box["session"]
