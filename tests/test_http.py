"""The shared HTTP layer: bounded retries, time-outs, Retry-After, truncation, crash-safe cache."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from keruen.errors import SourceError
from keruen.sources.http import DiskCache, fetch, update_run
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


def test_every_fetch_asks_the_server_even_with_a_fresh_cache_entry(server: FakeServer) -> None:
    server.route("/x", Reply("first"), Reply("second"))
    assert fetch(server.url + "/x").content == b"first"
    again = fetch(server.url + "/x")
    assert again.content == b"second" and not again.from_cache and again.asked
    assert server.hits("/x") == 2


def test_a_cached_etag_is_revalidated_and_a_304_serves_the_cached_body(
    server: FakeServer,
) -> None:
    server.route("/x", Reply("body v1", etag='"v1"'))
    first = fetch(server.url + "/x")
    assert first.content == b"body v1" and not first.not_modified
    second = fetch(server.url + "/x")
    assert server.headers_seen[-1].get("If-None-Match") == '"v1"'
    assert second.content == b"body v1" and second.not_modified and second.asked
    server.route("/x", Reply("body v2", etag='"v2"'))  # upstream changed: full answer again
    third = fetch(server.url + "/x")
    assert third.content == b"body v2" and not third.not_modified
    assert server.hits("/x") == 3


def test_last_modified_is_sent_back_as_if_modified_since(server: FakeServer) -> None:
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"
    server.route("/x", Reply("b", headers={"Last-Modified": stamp}))
    fetch(server.url + "/x")
    fetch(server.url + "/x")
    assert server.headers_seen[-1].get("If-Modified-Since") == stamp


def test_within_one_update_run_a_repeated_request_is_answered_once(server: FakeServer) -> None:
    server.route("/x", Reply("first"), Reply("second"))
    with update_run():
        assert fetch(server.url + "/x").content == b"first"
        assert fetch(server.url + "/x").content == b"first"
    assert server.hits("/x") == 1


def test_offline_runs_answer_from_the_cache_without_asking(server: FakeServer) -> None:
    server.route("/x", Reply("cached body"))
    fetch(server.url + "/x")
    with update_run(offline=True) as budget:
        hit = fetch(server.url + "/x")
        with pytest.raises(SourceError, match="offline .* no cached answer"):
            fetch(server.url + "/never-fetched")
    assert hit.content == b"cached body" and hit.from_cache and not hit.asked
    assert budget.asked == 0 and server.hits("/") == 1


def test_a_hanging_server_ends_at_the_update_deadline(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERUEN_HTTP_TIMEOUT", "30")
    monkeypatch.setenv("KERUEN_HTTP_RETRIES", "5")
    monkeypatch.setenv("KERUEN_UPDATE_DEADLINE", "1")
    server.route("/x", Reply("late", delay=5.0))
    started = time.monotonic()
    with pytest.raises(SourceError, match="deadline"):
        fetch(server.url + "/x")
    assert time.monotonic() - started < 3


def test_a_byte_per_interval_server_ends_at_the_deadline(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERUEN_HTTP_TIMEOUT", "30")
    monkeypatch.setenv("KERUEN_UPDATE_DEADLINE", "1")
    server.route("/x", Reply(b"x" * 1000, trickle=0.05))  # 50 s for the whole body
    started = time.monotonic()
    with pytest.raises(SourceError, match="deadline"):
        fetch(server.url + "/x")
    assert time.monotonic() - started < 3


def test_a_long_retry_after_counts_against_the_deadline(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERUEN_HTTP_BACKOFF_MAX", "60")
    monkeypatch.setenv("KERUEN_UPDATE_DEADLINE", "2")
    server.route("/x", Reply("later", status=429, headers={"Retry-After": "120"}), Reply("ok"))
    started = time.monotonic()
    with pytest.raises(SourceError, match="would pass the update's deadline"):
        fetch(server.url + "/x")
    assert time.monotonic() - started < 1  # fails at once rather than sleeping into the wall
    assert server.hits("/x") == 1


def test_an_answer_larger_than_the_byte_cap_is_refused(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERUEN_UPDATE_MAX_BYTES", "1000")
    server.route("/x", Reply(b"y" * 5000))
    with pytest.raises(SourceError, match="KERUEN_UPDATE_MAX_BYTES=1000"):
        fetch(server.url + "/x")


def test_the_byte_cap_counts_every_answer_of_one_run(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERUEN_UPDATE_MAX_BYTES", "1500")
    server.route("/a", Reply(b"a" * 800))
    server.route("/b", Reply(b"b" * 800))
    with update_run(), pytest.raises(SourceError, match="MAX_BYTES"):
        fetch(server.url + "/a")
        fetch(server.url + "/b")


def test_an_unwritable_cache_is_reported_once_and_the_answer_still_returned(
    server: FakeServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import errno

    def read_only(path: Path, data: bytes) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    server.route("/x", Reply("answer"))
    monkeypatch.setattr("keruen.sources.http._atomic_write", read_only)
    folder = DiskCache(tmp_path / "ro")
    assert fetch(server.url + "/x", cache=folder).content == b"answer"
    assert fetch(server.url + "/x", cache=folder).content == b"answer"
    err = capsys.readouterr().err
    assert err.count("cannot write the HTTP cache") == 1 and "Read-only" in err


def test_a_cache_dir_that_is_a_file_is_a_warning_not_a_traceback(
    server: FakeServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("KERUEN_CACHE_DIR", str(blocker / "cache"))
    server.route("/x", Reply("answer"))
    assert fetch(server.url + "/x").content == b"answer"
    assert "cannot write the HTTP cache" in capsys.readouterr().err


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

    monkeypatch.setattr("keruen.writing.os.replace", crash)  # the one writer
    cache.put(key, "u", b"version 2")  # the failed write is reported, not raised
    monkeypatch.undo()
    hit = cache.get(key)
    assert hit is not None and hit.content == b"version 1"
    assert not list((tmp_path / "c").rglob("*.tmp"))  # no temp file left behind


def test_the_sidecar_records_the_sha256_of_the_body(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "c")
    resp = cache.put(DiskCache.key("GET", "u", None), "u", b"abc")
    meta = json.loads(next((tmp_path / "c").rglob("*.json")).read_text())
    assert (
        meta["sha256"]
        == resp.sha256
        == ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
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
        [
            sys.executable,
            "-c",
            "import os, time, sys\n"
            "os.fsync = lambda fd: time.sleep(60)  # hang between write and rename\n"
            "from keruen.sources.http import DiskCache\n"
            f"DiskCache({str(folder)!r}).put({key!r}, 'u', b'version 2' * 100000)\n",
        ],
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


def test_the_deadline_covers_slow_headers(server: FakeServer,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 22, item 2: headers sent at 1 byte/s; the deadline (3 s) still ends the update.

    The per-read time-out (30 s) is never reached: each byte arrives within it. Before, the
    run lasted as long as the server kept sending (killed by hand after 400 s).
    """
    from click.testing import CliRunner

    from keruen.cli import main
    from tests import hostile
    from tests.test_worldbank import POP, serve_worldbank

    serve_worldbank(server, monkeypatch, {POP: Reply(hostile.wb_page("5"))})
    server.routes[f"/v2/indicator/{POP}"] = [Reply("[]", head_trickle=1.0)]
    monkeypatch.setenv("KERUEN_UPDATE_DEADLINE", "3")
    monkeypatch.setenv("KERUEN_HTTP_TIMEOUT", "30")
    started = time.monotonic()
    result = CliRunner().invoke(main, ["update", "worldbank", "-i", POP])
    elapsed = time.monotonic() - started
    assert elapsed < 3 + 5, elapsed
    assert result.exit_code == 6, result.output
    assert "KERUEN_UPDATE_DEADLINE=3" in result.output and "Traceback" not in result.output
