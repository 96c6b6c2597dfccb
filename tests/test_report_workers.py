"""Several countries' reports are drawn in child processes, a few countries each (issue 18.1).

One process drawing all 217 reports grew by ~130 MB a country until the OOM killer ended it;
``keruen.report.batches`` replaces the worker after ``KERUEN_REPORT_COUNTRIES_PER_PROCESS``
countries, and a worker that dies fails only its country.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.report.batches import BrokenProcessPool, in_child_processes


def _task(item: int, say: object) -> tuple[int, int]:
    """In a worker: say the item, die on item 2 (as an OOM kill would), else the pid."""
    say(f"item {item}")  # type: ignore[operator]
    if item == 2:
        os._exit(9)
    return item, os.getpid()


def test_a_worker_does_at_most_n_items_and_its_death_fails_only_its_item() -> None:
    said: list[str] = []
    results = list(in_child_processes(_task, [1, 2, 3, 4, 5], 2, said.append))
    assert [item for item, _ in results] == [1, 2, 3, 4, 5]
    assert isinstance(results[1][1], BrokenProcessPool)
    pids = [r[1] for i, r in results if i != 2]  # type: ignore[index]
    assert os.getpid() not in pids
    # 1 in a first worker (which died on 2); 3 and 4 in a second; 5 in a third (2 per worker)
    assert pids[0] != pids[1] == pids[2] != pids[3] and pids[0] != pids[3]
    assert [m for m in said if m.startswith("item")] == [f"item {i}" for i in range(1, 6)]
    assert sum(m.startswith("worker process") for m in said) == 3


def _slow(item: int, say: object) -> int:
    say(f"item {item}")  # type: ignore[operator]
    time.sleep(120)
    return item


def test_ctrl_c_stops_the_worker_at_once() -> None:
    """Ctrl-C reaches the parent while a worker draws (the worker ignores it): it is stopped."""
    said: list[str] = []

    def say(message: str) -> None:
        said.append(message)
        if message.startswith("item"):
            raise KeyboardInterrupt

    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        list(in_child_processes(_slow, [1, 2], 2, say))
    assert time.monotonic() - start < 60 and said[-1] == "item 1"
    pid = int(re.findall(r"worker process (\d+) started", " ".join(said))[0])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # gone (terminated and reaped), not left drawing into the stage


@pytest.mark.parametrize("per_process", ["2"])
def test_several_countries_are_drawn_by_bounded_workers_with_index_and_status(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, per_process: str
) -> None:
    monkeypatch.setenv("KERUEN_REPORT_COUNTRIES_PER_PROCESS", per_process)
    out = tmp_path / "multi"
    result = CliRunner().invoke(main, ["report", "--country", "TKM,KGZ,TJK", "--out", str(out)])
    assert result.exit_code == 0, result.output
    log = result.stderr
    starts = re.findall(r"worker process (\d+) started", log)
    assert len(starts) == 2 and len(set(starts)) == 2 and str(os.getpid()) not in starts
    # the second worker starts for the third country: two countries per worker
    assert log.index("[2/3] KGZ") < log.index(f"worker process {starts[1]}") < log.index(
        "TJK: computing the sections"
    )
    for code in ("TKM", "KGZ", "TJK"):
        assert f"{code}: sections built " in log  # the counted line, passed on by the parent
        assert (out / code / "index.html").is_file() and (out / code / "numbers.json").is_file()
    status = json.loads((out / "status.json").read_text("utf-8"))
    assert status["countries"] == status["written"] == 3 and status["sections"]["failed"] == 0
    assert status["by_country"]["KGZ"]["status"]["trend"] == "built"
    index = (out / "index.html").read_text("utf-8")
    assert all(f'href="{c}/index.html"' in index for c in ("TKM", "KGZ", "TJK"))
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no stage left
