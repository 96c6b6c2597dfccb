"""Heavy builds of ``keruen serve`` off the request path (issue 22.29).

A country profile's sections are built in a worker process, awaited without blocking the
server: a static file is answered while a (deliberately slow) build runs, two requests for one
profile share one build, and a full build queue answers 503 with ``Retry-After``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from keruen.store import Store  # noqa: E402
from keruen.web import builds as profile  # noqa: E402
from keruen.web.app import create_app  # noqa: E402
from tests.slow_builds import gated_build  # noqa: E402


@pytest.fixture()
def gate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """The slow build in place of the real one: (its gate file, its log of builds).

    The gate is named in the environment, which a worker reads as it was when spawned: the
    pools of earlier tests are reset so this test's workers start with it.
    """
    opened, builds = tmp_path / "gate", tmp_path / "builds.log"
    builds.touch()
    monkeypatch.setenv("KERUEN_TEST_GATE", str(opened))
    monkeypatch.setenv("KERUEN_TEST_BUILDS", str(builds))
    monkeypatch.setattr(profile, "build_sections", gated_build)
    profile.reset_pools()
    yield opened, builds
    opened.touch()  # let any build still waiting end
    profile.reset_pools()


def _logged(builds: Path, n: int, seconds: float = 60) -> list[str]:
    """The build log once it holds ``n`` lines (a spawned worker takes seconds to start)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        lines = builds.read_text().splitlines()
        if len(lines) >= n:
            return lines
        time.sleep(0.05)
    return builds.read_text().splitlines()


def test_static_files_are_served_while_one_shared_build_runs_in_a_worker_process(
    snapshot_store: Store, gate: tuple[Path, Path]
) -> None:
    opened, builds = gate
    app = create_app(
        snapshot_store.path, query_timeout=60, warm=False, profile_wait=0.2, build_workers=1
    )
    with TestClient(app) as client:
        answers: list[str] = []

        def ask() -> None:
            answers.append(client.get("/en/country/KGZ").text)

        askers = [threading.Thread(target=ask) for _ in range(2)]
        for t in askers:
            t.start()
        for t in askers:
            t.join(60)
        # both pages came back at once, saying the report is being computed
        assert len(answers) == 2 and all('id="report-pending"' in a for a in answers)
        logged = _logged(builds, 1)
        assert len(logged) == 1 and logged[0].endswith(" KGZ")
        assert int(logged[0].split()[0]) != os.getpid()  # a worker process, not a thread of ours
        future = app.state.profiles.get(profile.store_digest(snapshot_store), "KGZ")
        assert not future.done()  # the build is still waiting at its gate…
        static = client.get("/static/keruen.css")
        assert static.status_code == 200 and static.content  # …and the static file is served
        api = client.get("/api/v1/measures")
        assert api.status_code == 200
        assert not future.done()
        opened.touch()
        future.result(timeout=60)
        done = client.get("/en/country/KGZ")
        assert 'id="report-pending"' not in done.text
    assert len(builds.read_text().splitlines()) == 1  # one build for three requests


def test_a_full_build_queue_answers_503_with_retry_after(
    snapshot_store: Store, gate: tuple[Path, Path]
) -> None:
    opened, builds = gate
    # one build at a time in a thread, none waiting: a second distinct build is refused
    app = create_app(
        snapshot_store.path,
        query_timeout=60,
        warm=False,
        profile_wait=0.1,
        build_workers=0,
        build_queue=0,
    )
    try:
        with TestClient(app) as client:
            first = client.get("/en/country/KGZ")
            assert first.status_code == 200 and 'id="report-pending"' in first.text
            again = client.get("/en/country/KGZ")  # the same build: shared, not refused
            assert again.status_code == 200
            csv = client.get("/en/country/KGZ/forecasts.csv")  # its table: not built yet
            assert csv.status_code == 503 and csv.headers["retry-after"]
            page = client.get("/en/country/UZB")
            assert page.status_code == 503
            assert page.headers["retry-after"] == str(profile.RETRY_AFTER)
            assert "text/html" in page.headers["content-type"]
            busy = client.get("/ru/country/TJK")  # in the page's language
            assert busy.status_code == 503 and "Сервер занят" in busy.text
            api = client.get("/api/v1/systems?start=2019&end=2019")
            assert api.status_code == 503 and api.headers["retry-after"]
            assert api.json()["error"]["code"] == "busy"
            assert client.get("/static/keruen.css").status_code == 200
            opened.touch()
            app.state.profiles.get(profile.store_digest(snapshot_store), "KGZ").result(60)
            assert client.get("/en/country/UZB").status_code == 200  # a slot is free again
    finally:
        opened.touch()
    assert [line.split()[1] for line in _logged(builds, 2)] == ["KGZ", "UZB"]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")  # a zombie has ended (nobody may reap it here)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_build_process_ends_when_the_server_is_killed() -> None:
    """A server killed by a signal does not shut its pool down: its workers must end anyway."""
    script = (
        "import os\n"
        "from keruen.web.builds import build_pool\n"
        "print(build_pool(1).submit(os.getpid).result(), flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    worker = int(done.stdout.split()[0])
    deadline = time.monotonic() + 15
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert not _alive(worker)
    finally:
        if _alive(worker):
            os.kill(worker, 9)
