"""`keruen serve` keeps answering while the store is updated under it (issue 20, item 1).

A real server process under a bounded loopback load (8 requests in flight) while `keruen load`
of 1 M SYNTHETIC rows and `keruen report` run beside it: both commands succeed, the server
answers every request, and it serves the new vintage within 5 s of the load's end, without a
restart. How long the load takes beside the server is measured in `benchmarks/bench_store.py`
(`--only serving`), not here.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.test_ingest_sql import write_synthetic_fast
from tests.test_store_processes import env_for, keruen

#: Requests the load generator cycles through (the vintages list shows a new one at once).
ROUTES = (
    "/api/v1/vintages",
    "/api/v1/series?measure=remittances_received&area=KAZ,UZB&start=2015&end=2023",
    "/api/v1/sources",
    "/api/v1/bilateral?dataset=UNDESA_IMS&year=2020&destination=KAZ",
)
IN_FLIGHT = 8
MAX_REQUESTS = 20_000  # bounded: the generator stops at this count or when told to
MAX_SECONDS = 600


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LoopbackLoad:
    """IN_FLIGHT client threads sending GETs to the server until stopped (bounded)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.sent = 0
        self.errors: list[str] = []
        self.first_seen: float | None = None  # when a vintages answer first listed SYN
        self.threads = [threading.Thread(target=self.work, args=(i,)) for i in range(IN_FLIGHT)]
        self.started = time.monotonic()

    def next_route(self) -> str | None:
        with self.lock:
            if self.sent >= MAX_REQUESTS or time.monotonic() - self.started > MAX_SECONDS:
                return None
            self.sent += 1
            return ROUTES[self.sent % len(ROUTES)]

    def work(self, i: int) -> None:
        with httpx.Client(base_url=self.base, timeout=120) as client:
            while not self.stop.is_set():
                route = self.next_route()
                if route is None:
                    return
                try:
                    response = client.get(route)
                except httpx.HTTPError as exc:
                    with self.lock:
                        self.errors.append(f"{route}: {type(exc).__name__}")
                    continue
                if response.status_code != 200:
                    with self.lock:
                        self.errors.append(f"{route}: HTTP {response.status_code}")
                elif route == ROUTES[0] and '"SYN"' in response.text and self.first_seen is None:
                    self.first_seen = time.monotonic()

    def __enter__(self) -> LoopbackLoad:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=180)


@pytest.mark.slow
def test_serve_answers_every_request_while_a_load_and_a_report_run(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert keruen(home, "sources").returncode == 0  # the store, with the bundled snapshot
    data = tmp_path / "syn.csv"
    write_synthetic_fast(data, 1_000_000)  # SYNTHETIC rows
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "keruen", "serve", "--port", str(port)],
        env=env_for(home),
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + ROUTES[0], timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        with LoopbackLoad(base) as load:
            time.sleep(1.0)  # the load is under way before the writers start
            report = subprocess.Popen(
                [sys.executable, "-m", "keruen", "report", "--out", str(tmp_path / "report")],
                env=env_for(home),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            loaded = keruen(
                home,
                *("load", str(data), "--dataset", "SYN", "--vintage", "v1", "--publisher", "P"),
            )
            load_done = time.monotonic()
            report_out, report_err = report.communicate(timeout=900)
            while load.first_seen is None and time.monotonic() - load_done < 30:
                time.sleep(0.05)
        assert loaded.returncode == 0 and "added 1000000 observations" in loaded.stdout, (
            loaded.stderr
        )
        assert report.returncode == 0, report_err
        assert server.poll() is None, "the server stopped"
        assert load.errors == [], load.errors[:10]
        assert load.sent >= 100, "too few requests reached the server to mean anything"
        assert load.first_seen is not None, "the server never served the new vintage"
        assert load.first_seen - load_done <= 5.0
    finally:
        server.terminate()
        server.wait(timeout=60)
