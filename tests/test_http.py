"""The shared HTTP layer: bounded retries, time-outs, Retry-After, truncation, crash-safe cache."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from keruen.errors import SourceError
from keruen.sources.http import DiskCache, fetch
from tests.fakeserver import FakeServer, Reply


def test_a_500_then_success_is_retried_and_returns_the_good_body(server: FakeServer) -> None:
    server.route("/x", Reply("boom", status=500), Reply("boom", status=503), Reply('{"ok": 1}'))
    resp = fetch(server.url + "/x")
    assert resp.json() == {"ok": 1}
    assert server.hits("/x") == 3


def test_a_5xx_storm_ends_in_a_source_error_after_a_bounded_number_of_tries(
    server: FakeServer,
) -> None:
    server.route("/x", Reply("down", status=503))
    with pytest.raises(SourceError, match="kept failing"):
        fetch(server.url + "/x")
    assert server.hits("/x") == 3  # 1 try + KERUEN_HTTP_RETRIES=2


def test_retry_after_is_honoured_but_capped(server: FakeServer) -> None:
    server.route("/x", Reply("slow down", status=429, headers={"Retry-After": "120"}), Reply("ok"))
    started = time.monotonic()
    assert fetch(server.url + "/x").content == b"ok"
    assert time.monotonic() - started < 5  # capped by KERUEN_HTTP_BACKOFF_MAX, not 120 s


def test_a_client_error_is_not_retried(server: FakeServer) -> None:
    server.route("/x", Reply("missing", status=404))
    with pytest.raises(SourceError, match="HTTP 404"):
        fetch(server.url + "/x")
    assert server.hits("/x") == 1


def test_a_server_that_never_answers_times_out(server: FakeServer) -> None:
    server.route("/x", Reply("late", delay=2.0))
    started = time.monotonic()
    with pytest.raises(SourceError, match="timed out|Timeout|timeout"):
        fetch(server.url + "/x")
    assert time.monotonic() - started < 5


def test_a_truncated_body_is_retried_then_reported(server: FakeServer) -> None:
    server.route("/x", Reply('{"a": [1, 2, 3]}', truncate_to=5))
    with pytest.raises(SourceError, match="truncated|cut short"):
        fetch(server.url + "/x")
    assert server.hits("/x") == 3


def test_malformed_json_is_a_source_error(server: FakeServer) -> None:
    server.route("/x", Reply('[{"page": 1,'))
    with pytest.raises(SourceError, match="not valid JSON"):
        fetch(server.url + "/x").json()


def test_the_cache_serves_a_fresh_answer_without_asking_again(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERUEN_CACHE_TTL", "3600")
    server.route("/x", Reply("first"), Reply("second"))
    assert fetch(server.url + "/x").content == b"first"
    again = fetch(server.url + "/x")
    assert again.content == b"first" and again.from_cache
    assert server.hits("/x") == 1
    assert fetch(server.url + "/x", max_age=0).content == b"second"


def test_a_corrupted_cache_entry_is_never_served(server: FakeServer, tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "c")
    key = DiskCache.key("GET", "u", None)
    cache.put(key, "u", b"good bytes")
    assert cache.get(key) is not None
    body = next((tmp_path / "c").rglob("*.body"))
    body.write_bytes(b"good byt")  # a crash or disk fault left a torn body
    assert cache.get(key) is None
    assert not body.exists()  # the bad entry is removed


def test_a_crash_before_the_rename_leaves_the_previous_entry_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = DiskCache(tmp_path / "c")
    key = DiskCache.key("GET", "u", None)
    cache.put(key, "u", b"version 1")

    def crash(src: object, dst: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr("keruen.sources.http.os.replace", crash)
    with pytest.raises(OSError):
        cache.put(key, "u", b"version 2")
    monkeypatch.undo()
    hit = cache.get(key)
    assert hit is not None and hit.content == b"version 1"
    assert not list((tmp_path / "c").rglob("*.tmp"))  # no temp file left behind


def test_the_sidecar_records_the_sha256_of_the_body(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "c")
    resp = cache.put(DiskCache.key("GET", "u", None), "u", b"abc")
    meta = json.loads(next((tmp_path / "c").rglob("*.json")).read_text())
    assert meta["sha256"] == resp.sha256 == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_the_network_is_blocked_in_tests() -> None:
    import socket

    with pytest.raises(OSError, match="must not touch the network"):
        socket.create_connection(("93.184.216.34", 80), timeout=1)


def test_progress_is_shown_on_a_terminal_only(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    big = b"x" * (2 << 20)
    server.route("/big", Reply(big))
    assert fetch(server.url + "/big").content == big
    assert "B/s" not in capsys.readouterr().err  # not a TTY: no bar
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert fetch(server.url + "/big").content == big
    assert "big" in capsys.readouterr().err  # the bar, labelled with the file name


def test_a_process_killed_mid_write_leaves_a_readable_cache(tmp_path: Path) -> None:
    """A real crash: the writer is SIGKILLed after writing its temp file, before the rename."""
    import os
    import signal
    import subprocess
    import sys

    folder = tmp_path / "c"
    cache = DiskCache(folder)
    key = DiskCache.key("GET", "u", None)
    cache.put(key, "u", b"version 1")
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import os, time, sys\n"
         "os.fsync = lambda fd: time.sleep(60)  # hang between write and rename\n"
         "from keruen.sources.http import DiskCache\n"
         f"DiskCache({str(folder)!r}).put({key!r}, 'u', b'version 2' * 100000)\n"],
        env=os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        deadline = time.monotonic() + 20
        while not list(folder.rglob("*.tmp")) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert list(folder.rglob("*.tmp")), "the writer never started"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    hit = DiskCache(folder).get(key)
    assert hit is not None and hit.content == b"version 1"


def test_a_refused_connection_is_a_clean_source_error() -> None:
    import socket

    with socket.socket() as probe:  # a loopback port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SourceError, match="cannot connect"):
        fetch(f"http://127.0.0.1:{port}/x")
