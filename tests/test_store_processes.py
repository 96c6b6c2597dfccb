"""The store under real processes: readers never wait for a load, writers wait (bounded) for
each other, and faults (damaged file, full disk, Ctrl-C) end in one line with the store whole."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from keruen.store import Store
from tests.test_ingest_sql import write_synthetic_fast

KERUEN = [sys.executable, "-m", "keruen"]


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"KERUEN_HOME": str(home), "KERUEN_LOCK_TIMEOUT": "120"}, **extra)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def keruen(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KERUEN, *args], env=env_for(home, **extra), capture_output=True, text=True, timeout=600
    )


def spawn(home: Path, *args: str, **kw: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*KERUEN, *args],
        env=env_for(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,  # type: ignore[call-overload]
    )


def wait_until_open(proc: subprocess.Popen[str], path: Path, timeout: float = 60.0) -> None:
    """Wait until ``proc`` holds ``path`` open (Linux: its /proc/<pid>/fd), or it ends."""
    fds = Path(f"/proc/{proc.pid}/fd")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if any(os.path.realpath(fd) == str(path.resolve()) for fd in fds.iterdir()):
                return
        except OSError:  # a descriptor closed while listed
            pass
        time.sleep(0.01)


def counts(home: Path) -> tuple[int, int]:
    with Store(home / "keruen.duckdb") as store:
        row = store.con.execute(
            "SELECT (SELECT count(*) FROM sources), (SELECT count(*) FROM observations)"
        ).fetchall()[0]
    return int(row[0]), int(row[1])


def current_segments(home: Path) -> list[Path]:
    """The segment files of the store's current version, oldest first."""
    folder = home / "keruen.duckdb"
    manifest = json.loads((folder / "CURRENT").read_text())
    return [folder / s["file"] for s in manifest["segments"]]


def assert_one_line_error(proc: subprocess.CompletedProcess[str], code: int) -> None:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("keruen: error:")]
    assert len(errors) == 1, proc.stderr


@pytest.fixture()
def store_home(tmp_path: Path) -> Path:
    """A KERUEN_HOME whose store holds the bundled snapshot (made by a first reader)."""
    home = tmp_path / "home"
    first = keruen(home, "sources")
    assert first.returncode == 0, first.stderr
    return home


def test_eight_readers_during_a_load_all_succeed_and_the_store_is_whole(
    store_home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "syn.csv"
    write_synthetic_fast(path, 300_000)  # SYNTHETIC rows
    sources_before, rows_before = counts(store_home)
    loader = spawn(
        store_home,
        "load",
        str(path),
        "--dataset",
        "SYN",
        "--vintage",
        "v1",
        "--publisher",
        "synthetic",
    )
    readers = []
    for i in range(8):
        readers.append(spawn(store_home, "query", "WB_WDI", "--area", "KAZ"))
        time.sleep(0.1 * (i % 3))
    outcomes = [(*r.communicate(timeout=600), r.returncode) for r in readers]
    _, load_err = loader.communicate(timeout=600)
    assert loader.returncode == 0, load_err
    for out, err, code in outcomes:
        assert code == 0, err
        assert "KAZ" in out and "Traceback" not in err
    assert counts(store_home) == (sources_before + 1, rows_before + 300_000)
    after = keruen(store_home, "query", "syn", "--area", "KAZ", "--period", "1905")
    assert after.returncode == 0 and "SYN" in after.stdout


HOLD = """
import select, sys
from keruen.store.segments import writer_lock
with writer_lock(sys.argv[1]):  # what a writer holds while it builds the next version
    print("held", flush=True)
    select.select([sys.stdin], [], [], float(sys.argv[2]))  # until released or timed out
"""


def hold_store(home: Path, seconds: float) -> subprocess.Popen[str]:
    """A process holding the store's writers' turn until a line on its stdin (or ``seconds``)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(home / "keruen.duckdb"), str(seconds)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env_for(home),
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_writer_waits_for_another_writer_and_says_so_while_readers_go_on(
    store_home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "small.csv"
    write_synthetic_fast(path, 100)
    holder = hold_store(store_home, 90)
    writer = spawn(
        store_home,
        "load",
        str(path),
        "--dataset",
        "SYN",
        "--vintage",
        "v1",
        "--publisher",
        "synthetic",
    )
    said = writer.stderr.readline()  # type: ignore[union-attr]
    reader = keruen(store_home, "query", "WB_WDI", "--area", "KAZ", KERUEN_LOCK_TIMEOUT="0.5")
    assert writer.poll() is None, "the writer did not wait for the first one"
    holder.communicate("release\n", timeout=60)  # the first writer is done
    w_out, w_err = writer.communicate(timeout=600)
    assert "being updated by another keruen process" in said and "waiting up to 120 s" in said
    assert reader.returncode == 0 and "KAZ" in reader.stdout, reader.stderr
    assert "waiting" not in reader.stderr
    assert writer.returncode == 0 and "added 100 observations" in w_out, w_err


def test_the_wait_is_bounded_and_ends_in_one_line(store_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    write_synthetic_fast(path, 100)
    holder = hold_store(store_home, 90)
    try:
        proc = keruen(
            store_home,
            "load",
            str(path),
            "--dataset",
            "SYN",
            "--vintage",
            "v1",
            "--publisher",
            "P",
            KERUEN_LOCK_TIMEOUT="0.5",
        )
    finally:
        holder.communicate("release\n", timeout=60)
    assert_one_line_error(proc, 4)
    assert "still being updated by another keruen process" in proc.stderr


def test_a_damaged_store_file_is_a_one_line_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "keruen.duckdb").write_bytes(b"this is not a database" * 1000)
    proc = keruen(home, "query", "WB_WDI")
    assert_one_line_error(proc, 4)
    assert "damaged or not a keruen store" in proc.stderr


def test_a_half_truncated_store_file_is_a_one_line_error(store_home: Path) -> None:
    path = current_segments(store_home)[-1]
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size // 2)
    for args in (("query", "WB_WDI", "--area", "KAZ"), ("sources",)):
        proc = keruen(store_home, *args)
        assert_one_line_error(proc, 4)


def test_a_full_disk_during_a_load_is_a_one_line_error_and_the_store_is_unchanged(
    store_home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "syn.csv"
    write_synthetic_fast(path, 200_000)
    with Store(store_home / "keruen.duckdb") as store:
        before = store.checksum()
    limit = (store_home / "keruen.duckdb").stat().st_size + 256 * 1024

    def small_disk() -> None:  # files may not grow past `limit` bytes: EFBIG, like ENOSPC
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run(
        [*KERUEN, "load", str(path), "--dataset", "SYN", "--vintage", "v1", "--publisher", "P"],
        env=env_for(store_home),
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=small_disk,
    )
    assert_one_line_error(proc, 4)
    assert "nothing was written" in proc.stderr
    with Store(store_home / "keruen.duckdb") as store:
        assert store.checksum() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_a_read_only_home_is_a_one_line_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o555)
    try:
        assert_one_line_error(keruen(home, "sources"), 4)
    finally:
        home.chmod(0o755)


def test_a_home_that_cannot_be_created_is_a_one_line_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    proc = keruen(blocker / "home", "sources")
    assert_one_line_error(proc, 4)
    assert "cannot create or open the store" in proc.stderr


def test_ctrl_c_during_a_load_cancels_it_and_the_store_is_unchanged(
    store_home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "syn.csv"
    write_synthetic_fast(path, 5_000_000)  # about 4 s of loading, after start-up
    with Store(store_home / "keruen.duckdb") as store:
        before = store.checksum()
    loader = spawn(
        store_home,
        "load",
        str(path),
        "--dataset",
        "SYN",
        "--vintage",
        "v1",
        "--publisher",
        "synthetic",
        # as in a terminal, whatever started the tests: keruen leaves an ignored SIGINT
        # ignored (a run under nohup or `&` is not to be stopped by Ctrl-C)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    wait_until_open(loader, path)  # start-up done, the load is reading the file
    assert loader.poll() is None, "the load finished before it could be interrupted"
    loader.send_signal(signal.SIGINT)
    out, err = loader.communicate(timeout=600)
    assert loader.returncode == 130, (out, err)
    assert "interrupted (Ctrl-C)" in err and "Traceback" not in err
    with Store(store_home / "keruen.duckdb") as store:
        assert store.checksum() == before


def test_ctrl_c_inside_the_write_transaction_rolls_it_back(tmp_path: Path) -> None:
    from keruen.store.connect import LoadInterrupted
    from tests.conftest import provenance, tidy

    # Ctrl-C as a terminal delivers it, even when the tests were started with SIGINT ignored
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)

    store = Store(tmp_path / "k.duckdb")
    store.ingest(tidy([("pop", "KAZ", "2019", 0.5)]), provenance("0" * 64, "v0"))
    before = store.checksum()

    def second_file():  # type: ignore[no-untyped-def]
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C arrives while the transaction is open
        time.sleep(0.3)
        return tidy([("pop", "UZB", "2020", 2.0)])

    try:
        with pytest.raises(LoadInterrupted):
            store.ingest_many(
                [
                    (tidy([("pop", "KAZ", "2020", 1.0)]), provenance("a" * 64)),
                    (second_file, provenance("b" * 64, "v2")),
                ]
            )
    finally:
        signal.signal(signal.SIGINT, previous)
    assert store.checksum() == before
    store.close()


READER = """
import select, sys
from keruen.store import Store
store = Store(sys.argv[1])  # opens the version current now and keeps it
count = "SELECT count(*) FROM observations"
print(store.con.execute(count).fetchall()[0][0], flush=True)
select.select([sys.stdin], [], [], 120)  # until told to read again
print(store.con.execute(count).fetchall()[0][0], flush=True)
"""


def test_a_load_does_not_wait_for_a_reader_who_keeps_its_version(
    store_home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "small.csv"
    write_synthetic_fast(path, 1_000)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(store_home / "keruen.duckdb")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env_for(store_home),
    )
    assert reader.stdout is not None
    before = int(reader.stdout.readline())
    load = keruen(
        store_home,
        *("load", str(path), "--dataset", "SYN", "--vintage", "v1", "--publisher", "P"),
        KERUEN_LOCK_TIMEOUT="1",
    )
    out, _ = reader.communicate("again\n", timeout=60)
    assert load.returncode == 0 and "waiting" not in load.stderr, load.stderr
    assert int(out) == before  # the reader saw one version for its whole life
    assert counts(store_home)[1] == before + 1_000  # a new reader sees the new version
