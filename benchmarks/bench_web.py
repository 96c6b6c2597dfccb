"""Load test of the REST API on loopback: a country-profile call vs a static file, same server.

Run on demand (not part of the test suite):

    PYTHONPATH=src python benchmarks/bench_web.py [--requests 400] [--concurrency 8]

Starts ``keruen serve`` in a subprocess on a free port over a store in a temporary KERUEN_HOME
(the bundled real-data snapshot), then sends a fixed number of GET requests with a fixed
concurrency from an asyncio client (httpx), first to a static file of the same server
(``/static/keruen.css``, the baseline), then to the country profile
(``/api/v1/indicators?country=KAZ&start=2010&end=2024``, remittance measures with ranks among
the CIS and former Soviet countries), a series of two countries, the migration systems of one
period and the country-profile page (HTML, with the report's sections). It waits until the
server's start-up warm-up (Kazakhstan's report build, the systems) is done, then reports errors
(must be zero), p50 and p99 latency, and each route's latencies as ratios to the static file's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import httpx

ROUTES = {
    "static file (baseline)": "/static/keruen.css",
    "country profile": "/api/v1/indicators?country=KAZ&start=2010&end=2024",
    "series (2 countries)": "/api/v1/series?measure=remittances_received&area=KAZ,UZB",
    "systems, one period": "/api/v1/systems?start=2019&end=2019",
    "profile page (HTML)": "/en/country/KAZ",
}
#: A page whose report part says this is still being built (the server warms it at start-up).
PENDING = 'id="report-pending"'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def hammer(base: str, path: str, n: int, concurrency: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            while True:
                try:
                    queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t0 = time.perf_counter()
                try:
                    r = await client.get(path)
                    if r.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - t0)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    port = free_port()
    home = tempfile.mkdtemp(prefix="keruen-bench-web-")
    env = {**os.environ, "KERUEN_HOME": home}
    server = subprocess.Popen(
        [sys.executable, "-m", "keruen", "serve", "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(base + "/static/keruen.css", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit(
                    "the server did not start: " + (server.stderr.read() if server.stderr else "")
                )
            time.sleep(0.5)
        # the server builds Kazakhstan's report sections and the systems at start-up: measure
        # the steady state, not the warm-up
        t_warm = time.perf_counter()
        while PENDING in httpx.get(base + "/en/country/KAZ", timeout=60).text:
            if time.perf_counter() - t_warm > 600:
                raise SystemExit("the profile's report sections were not built in 10 minutes")
            time.sleep(1)
        httpx.get(base + ROUTES["systems, one period"], timeout=120)
        print(
            f"warm-up (report build, systems) done {time.perf_counter() - t_warm:.1f} s after start"
        )
        results = {}
        for label, path in ROUTES.items():
            asyncio.run(hammer(base, path, 20, args.concurrency))  # warm-up
            t0 = time.perf_counter()
            lat, errors = asyncio.run(hammer(base, path, args.requests, args.concurrency))
            wall = time.perf_counter() - t0
            results[label] = (pct(lat, 50), pct(lat, 99), errors, args.requests / wall)
        base_p50, base_p99, _, _ = results["static file (baseline)"]
        print(f"{args.requests} requests per route, concurrency {args.concurrency}, loopback")
        print(
            f"{'route':28} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>7} {'errors':>6} "
            f"{'p50 ratio':>9} {'p99 ratio':>9}"
        )
        for label, (p50, p99, errors, rps) in results.items():
            print(
                f"{label:28} {p50 * 1e3:8.1f} {p99 * 1e3:8.1f} {rps:7.0f} {errors:6d} "
                f"{p50 / base_p50:9.1f} {p99 / base_p99:9.1f}"
            )
        if any(r[2] for r in results.values()):
            raise SystemExit("errors during the load test")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
