"""Registers under hostile or unlucky conditions (issue #22 items 18, 24).

A killed run leaves no spill folder for ever; a malformed or absurd span, absurd dates and
years are clear errors or quarantined records; an interrupt is reported as one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from keruen.registers.engines import SPILL_PREFIX, DuckDBEngine, sweep_spill_folders


def test_a_killed_aggregate_leaves_no_spill_folder_for_ever(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #22 item 18: each SIGKILLed aggregate left an empty keruen-duckdb-* folder."""
    code = (
        "import os, signal\n"
        "from keruen.registers.engines import DuckDBEngine\n"
        "DuckDBEngine(memory_limit='64MB')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = dict(os.environ, TMPDIR=str(tmp_path))
    killed = subprocess.run([sys.executable, "-c", code], env=env, timeout=120, check=False)
    assert killed.returncode == -signal.SIGKILL
    (left,) = tmp_path.glob(f"{SPILL_PREFIX}*")  # the killed run could not remove its folder
    running = tmp_path / f"{SPILL_PREFIX}{os.getpid()}-alive"
    running.mkdir()  # a folder of a live process (this one) is never taken
    other = tmp_path / f"{SPILL_PREFIX}notapid"
    other.mkdir()  # a name without a process id is not judged
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    DuckDBEngine(memory_limit="64MB").close()  # the next engine sweeps
    assert not left.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([running.name, other.name])
    assert sweep_spill_folders(tmp_path) == []


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, snapshot_store):  # type: ignore[no-untyped-def]
    """A small SYNTHETIC register (records in 2022-2023) to copy and spoil."""
    from keruen.registers.generate import Spec, generate
    from keruen.registers.margins import from_store

    root = tmp_path_factory.mktemp("hard") / "reg"
    generate(root, Spec(persons=600, start_year=2022, end_year=2023, seed=3),
             from_store(snapshot_store))  # fmt: skip
    return root


def _copy(small: Path, tmp_path: Path, span: object) -> Path:
    import json
    import shutil

    root = tmp_path / "reg"
    shutil.copytree(small, root)
    manifest = json.loads((root / "_register.json").read_text("utf-8"))
    manifest["span"] = span
    (root / "_register.json").write_text(json.dumps(manifest), "utf-8")
    return root


@pytest.mark.parametrize("span", [["<script>", 5], ["2022-01-01"], "2022", ["2022-13-01", "x"]])
@pytest.mark.parametrize("engine", ["duckdb", "spark"])
@pytest.mark.parametrize("command", ["validate", "aggregate"])
def test_a_malformed_manifest_span_is_one_line_naming_the_manifest(  # type: ignore[no-untyped-def]
    small, tmp_path: Path, home: Path, span: object, engine: str, command: str
) -> None:
    """Issue #22 item 24: a span of ['<script>', 5] gave a ValueError traceback (both engines).

    The span is read before any engine starts, so Spark is not started here."""
    from click.testing import CliRunner

    from keruen.cli import main

    root = _copy(small, tmp_path, span)
    res = CliRunner().invoke(main, ["register", command, str(root), "--engine", engine])
    assert res.exit_code == 3, res.output
    assert not isinstance(res.exception, ValueError) or isinstance(res.exception, SystemExit)
    (line,) = res.output.strip().splitlines()
    assert line.startswith(f"keruen: error: {root / '_register.json'}, field 'span': span must")


def test_a_span_of_ten_thousand_years_is_bounded_by_the_records(
    small, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Issue #22 item 24: 0001-01-01…9999-12-31 ran past 300 s (a stock per year, 10^4 sums).

    The span is cut to the records' years (one year either side); the checks judge alike and
    the aggregates equal those of the register's own span."""
    from datetime import date

    from keruen.registers.aggregate import aggregate
    from keruen.registers.checks import resolve_span
    from keruen.registers.schema import check_files

    wide = check_files(_copy(small, tmp_path, ["0001-01-01", "9999-12-31"]))
    span = resolve_span(wide)
    assert span == (date(2021, 1, 1), date(2024, 12, 31))  # records: 2022 to 2023
    own = check_files(small)
    runs = []
    for files in (wide, own):
        engine = DuckDBEngine(memory_limit="200MB")
        try:
            runs.append(aggregate(engine, files, resolve_span(files)))
        finally:
            engine.close()
    assert len(runs[0].parameters["stock_dates"]) <= 6  # type: ignore[arg-type]
    assert runs[0].checks.by_rule == runs[1].checks.by_rule
    for name in ("flows", "durations", "od"):
        assert runs[0].tables[name].equals(runs[1].tables[name]), name
    # stocks on the dates both hold are equal
    a, b = (r.tables["stock"].set_index(["date", "region", "citizenship"]) for r in runs)
    common = a.index.intersection(b.index)
    assert len(common) > 0 and a.loc[common].equals(b.loc[common])


def test_too_many_stock_dates_are_refused_before_any_work() -> None:
    from datetime import date, timedelta

    from keruen.errors import ConfigError
    from keruen.registers.aggregate import MAX_STOCK_DATES, check_stock_dates

    days = [date(2020, 1, 1) + timedelta(days=i) for i in range(MAX_STOCK_DATES + 1)]
    with pytest.raises(ConfigError, match="stock dates asked"):
        check_stock_dates(days)
    assert check_stock_dates(days[:-1]) == days[:-1]


def test_ctrl_c_in_the_engine_is_reported_as_an_interrupt(  # type: ignore[no-untyped-def]
    small, tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #22 item 24: DuckDB ends a statement on Ctrl-C with "Query interrupted", which was
    reported as "the engine could not read the register" (exit 3)."""
    from click.testing import CliRunner

    from keruen.cli import main

    def interrupted(self, query: str):  # type: ignore[no-untyped-def]
        raise RuntimeError("Query interrupted")

    monkeypatch.setattr(DuckDBEngine, "fetch", interrupted)
    for command in ("validate", "aggregate"):
        res = CliRunner().invoke(main, ["register", command, str(small)])
        assert res.exit_code == 130, res.output
        assert "could not read" not in res.output
        assert res.output.strip().startswith("keruen: error: interrupted (Ctrl-C)")


def test_ctrl_c_after_the_commit_says_the_vintages_are_stored(  # type: ignore[no-untyped-def]
    small, tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #22 item 24: a Ctrl-C after the store's commit printed "Aborted!" (exit 1)."""
    from click.testing import CliRunner

    import keruen.cli.register as cli_register
    from keruen.cli import main
    from keruen.sources.snapshot import open_store

    def stop(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_register, "_echo_checks", stop)
    res = CliRunner().invoke(main, ["register", "aggregate", str(small)])
    assert res.exit_code == 130, res.output
    assert "Aborted" not in res.output
    assert "after the aggregates were stored: the store keeps 5 new vintages" in res.output
    with open_store() as store:
        assert len(store.vintages("KERUEN_REGISTER_SYNTHETIC_FLOWS")) == 1


def test_a_real_ctrl_c_during_the_checks_ends_with_exit_130(  # type: ignore[no-untyped-def]
    tmp_path: Path, snapshot_store
) -> None:
    """Issue #22 item 24, with a real SIGINT: sent as soon as the engine exists (its spill
    folder appears), while the checks of 10^6 persons run."""
    import time

    from keruen.registers.generate import Spec, generate
    from keruen.registers.margins import from_store

    root = tmp_path / "reg"
    generate(root, Spec(persons=1_000_000, start_year=2022, end_year=2023, seed=2),
             from_store(snapshot_store))  # fmt: skip
    spill = tmp_path / "tmp"
    spill.mkdir()
    env = dict(os.environ, TMPDIR=str(spill), KERUEN_HOME=str(tmp_path / "home"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "keruen", "register", "aggregate", str(root), "--no-store"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not list(spill.glob(f"{SPILL_PREFIX}*")) and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    last = [line for line in err.replace("\r", "\n").splitlines() if line.strip()][-1]
    assert last.startswith("keruen: error: interrupted (Ctrl-C)") and "nothing was stored" in last
    assert "Traceback" not in err
