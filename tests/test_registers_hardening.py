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
