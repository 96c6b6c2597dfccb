"""Load test of the REST API on loopback: a country-profile call vs a static file, same server.

Run on demand (not part of the test suite):

    PYTHONPATH=src python benchmarks/bench_web.py [--requests 400] [--concurrency 8]

Starts ``keruen serve`` in a subprocess on a free port over a store in a temporary KERUEN_HOME
(the bundled real-data snapshot), then sends a fixed number of GET requests with a fixed
concurrency from an asyncio client (httpx), first to a static file of the same server
(``/static/keruen.css``, the baseline), then to the country profile
(``/api/v1/indicators?country=KAZ&start=2010&end=2024``, remittance measures with ranks among
the CIS and former Soviet countries), a series of two countries, the migration systems of one
period, the migrant stocks into Kazakhstan (bilateral) and the country-profile page (HTML, with
the report's sections). It waits until the server's start-up warm-up (Kazakhstan's report
build, the systems) is done, then reports errors
(must be zero), p50 and p99 latency, and each route's latencies as ratios to the static file's.

Cold mode (issue 22.29), the same server code against another in one run:

    PYTHONPATH=src python benchmarks/bench_web.py --cold 16 --in-flight 24 \
        --before /work/main/src [--after src] [--reverse]

Each code tree gets a fresh KERUEN_HOME holding a copy of one snapshot store (no report cache:
cold) and its own ``keruen serve``. As soon as the server answers, ``--in-flight`` clients ask
for the profile pages of ``--cold`` distinct countries (client k asks for country k mod N, so
several ask for the same one at once), each reloading its page as a browser would (after the
page's ``data-reload-after`` seconds while the report is being computed, after ``Retry-After``
on a 503) until it is complete; meanwhile one client fetches the static CSS file and one a
cached API series, one request after another. It reports p50/p99 of each, the profile answers
by kind (complete, being computed, 503 busy, other), the time until every page was complete,
the load average, and the after/before ratios. ``--reverse`` runs the after tree first (the
machine's load drifts: run both orders).
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
from collections.abc import Callable

import httpx

#: Countries of the cold-load scenario (the CIS and former Soviet peers first, then others).
COLD_COUNTRIES = (
    "UZB", "KGZ", "TJK", "RUS", "UKR", "BLR", "ARM", "AZE",
    "GEO", "MDA", "TKM", "LTU", "LVA", "EST", "TUR", "DEU",
    "POL", "CHN", "IND", "PAK",
)  # fmt: skip
#: A cheap API route fetched during the cold load (cached after its first answer).
CHEAP_API = "/api/v1/series?measure=remittances_received&area=KAZ,UZB"


def new_profile(i: int) -> str:
    """The country profile with parameters not asked before (no answer kept for them)."""
    country = COLD_COUNTRIES[i % len(COLD_COUNTRIES)]
    start = 1990 + (i // len(COLD_COUNTRIES)) % 25
    end = 2020 + (i // (len(COLD_COUNTRIES) * 25)) % 5
    return f"/api/v1/indicators?country={country}&start={start}&end={end}"


ROUTES: dict[str, str | Callable[[int], str]] = {
    "static file (baseline)": "/static/keruen.css",
    "country profile": "/api/v1/indicators?country=KAZ&start=2010&end=2024",
    "series (2 countries)": "/api/v1/series?measure=remittances_received&area=KAZ,UZB",
    "systems, one period": "/api/v1/systems?start=2019&end=2019",
    "bilateral, into KAZ": "/api/v1/bilateral?dataset=UNDESA_IMS&year=2020&destination=KAZ",
    "profile, new parameters": new_profile,
    "profile page (HTML)": "/en/country/KAZ",
}
#: A page whose report part says this is still being built (the server warms it at start-up).
PENDING = 'id="report-pending"'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def hammer(
    base: str, path: str | Callable[[int], str], n: int, concurrency: int, first: int = 0
) -> tuple[list[float], int]:
    """``n`` GETs of ``path`` (or of ``path(i)`` for i = first, first + 1, ...)."""
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(first, first + n):
        queue.put_nowait(i)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def worker() -> None:
            nonlocal errors
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t0 = time.perf_counter()
                try:
                    r = await client.get(path(i) if callable(path) else path)
                    if r.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - t0)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def start_server(home: str, src: str | None) -> tuple[subprocess.Popen[str], str]:
    """``keruen serve`` of the code under ``src`` (default: this process' path) over ``home``."""
    port = free_port()
    env = {**os.environ, "KERUEN_HOME": home}
    if src is not None:
        env["PYTHONPATH"] = src
    server = subprocess.Popen(
        [sys.executable, "-m", "keruen", "serve", "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(base + "/static/keruen.css", timeout=2).status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise SystemExit(
                "the server did not start: " + (server.stderr.read() if server.stderr else "")
            )
        time.sleep(0.2)


async def cold_load(base: str, countries: list[str], in_flight: int, cap: float) -> dict:
    """The cold-load scenario against a started server: latencies and answers by kind."""
    profile: list[float] = []
    static: list[float] = []
    cheap: list[float] = []
    kinds = {"complete": 0, "being computed": 0, "503 busy": 0, "other": 0}
    others: list[str] = []
    done: set[str] = set()
    stop = asyncio.Event()
    t0 = time.perf_counter()
    limits = httpx.Limits(max_connections=in_flight + 4, max_keepalive_connections=in_flight + 4)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def reader(code: str) -> None:
            while time.perf_counter() - t0 < cap:
                t = time.perf_counter()
                try:
                    r = await client.get(f"/en/country/{code}")
                except httpx.HTTPError as exc:
                    kinds["other"] += 1
                    others.append(type(exc).__name__)
                    await asyncio.sleep(1)
                    continue
                profile.append(time.perf_counter() - t)
                if r.status_code == 503:
                    kinds["503 busy"] += 1
                    await asyncio.sleep(min(float(r.headers.get("retry-after", 5)), 10))
                elif r.status_code != 200:
                    kinds["other"] += 1
                    others.append(str(r.status_code))
                    await asyncio.sleep(1)
                elif PENDING in r.text:
                    kinds["being computed"] += 1
                    await asyncio.sleep(5)  # the page's data-reload-after
                else:
                    kinds["complete"] += 1
                    done.add(code)
                    return

        async def poll(path: str, into: list[float]) -> None:
            while not stop.is_set():
                t = time.perf_counter()
                try:
                    r = await client.get(path)
                    if r.status_code == 200:
                        into.append(time.perf_counter() - t)
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.05)

        pollers = [
            asyncio.create_task(poll("/static/keruen.css", static)),
            asyncio.create_task(poll(CHEAP_API, cheap)),
        ]
        await asyncio.gather(*(reader(countries[k % len(countries)]) for k in range(in_flight)))
        wall = time.perf_counter() - t0
        stop.set()
        await asyncio.gather(*pollers)
    return {
        "static": static,
        "api": cheap,
        "profile": profile,
        "kinds": kinds,
        "others": others,
        "complete": len(done),
        "wall": wall,
    }


def cold(args: argparse.Namespace) -> None:
    """Run the cold-load scenario for ``--before`` and ``--after``; print both and the ratios."""
    import shutil

    from keruen.sources.snapshot import open_store

    template = tempfile.mkdtemp(prefix="keruen-bench-cold-")
    with open_store(os.path.join(template, "keruen.duckdb"), quiet=True):
        pass
    countries = list(COLD_COUNTRIES[: args.cold])
    runs = {}
    order = [("before", args.before), ("after", args.after)]
    for label, src in reversed(order) if args.reverse else order:
        home = tempfile.mkdtemp(prefix=f"keruen-bench-{label}-")
        store = os.path.join(home, "keruen.duckdb")
        shutil.copytree(os.path.join(template, "keruen.duckdb"), store)
        server, base = start_server(home, src)
        try:
            load = os.getloadavg()[0]
            runs[label] = asyncio.run(cold_load(base, countries, args.in_flight, args.cap))
            runs[label]["load"] = (load, os.getloadavg()[0])
        finally:
            server.terminate()
            server.wait(timeout=300)
        shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(template, ignore_errors=True)
    print(
        f"cold load: {len(countries)} profiles, {args.in_flight} in flight, one client on the "
        f"static file and one on {CHEAP_API}; before = {args.before}, after = {args.after or '.'}"
    )
    print(f"{'':24} {'before':>10} {'after':>10} {'after/before':>12}")

    def row(name: str, b: float, a: float, unit: str = "ms", scale: float = 1e3) -> None:
        ratio = a / b if b else float("nan")
        print(f"{name:24} {b * scale:8.0f}{unit:>2} {a * scale:8.0f}{unit:>2} {ratio:12.2f}")

    for what in ("static", "api", "profile"):
        for q in (50, 99):
            row(f"{what} p{q}", pct(runs["before"][what], q), pct(runs["after"][what], q))
    row("all pages complete", runs["before"]["wall"], runs["after"]["wall"], " s", 1)
    for label, run in runs.items():
        print(
            f"{label}: {len(run['static'])} static, {len(run['api'])} API, "
            f"{len(run['profile'])} profile requests; profile answers {run['kinds']}; "
            f"{run['complete']}/{len(countries)} pages complete in {run['wall']:.0f} s; "
            f"1-min load average {run['load'][0]:.1f} at its start, {run['load'][1]:.1f} at its end"
            + (f"; other answers: {', '.join(sorted(set(run['others'])))}" if run["others"] else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--cold", type=int, default=0, help="cold mode: this many profiles")
    parser.add_argument("--in-flight", type=int, default=24)
    parser.add_argument("--before", help="cold mode: PYTHONPATH of the code to compare against")
    parser.add_argument("--after", default=None, help="cold mode: PYTHONPATH (default: ours)")
    parser.add_argument("--cap", type=float, default=900, help="cold mode: seconds at most")
    parser.add_argument("--reverse", action="store_true", help="cold mode: run --after first")
    args = parser.parse_args()
    if args.cold:
        if not args.before:
            raise SystemExit("--cold needs --before (the PYTHONPATH of the code to compare)")
        cold(args)
        return
    home = tempfile.mkdtemp(prefix="keruen-bench-web-")
    server, base = start_server(home, None)
    try:
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
            lat, errors = asyncio.run(hammer(base, path, args.requests, args.concurrency, 20))
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
