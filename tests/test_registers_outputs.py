"""Register outputs go through keruen's one writer (issue #22 item 12).

``--od-dir`` files and the quarantine replace a link already in their place instead of writing
through it to the link's target, and a ``--od-dir`` that is a link to nothing is a clear error
given before any work (not a bare "File exists").
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.registers.aggregate import aggregate, write_od_files
from keruen.registers.checks import resolve_span
from keruen.registers.engines import DuckDBEngine
from keruen.registers.generate import Spec, generate
from keruen.registers.margins import from_store
from keruen.registers.schema import RegisterFiles, check_files
from keruen.store import Store


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory, snapshot_store: Store) -> RegisterFiles:
    """A small SYNTHETIC register with 1 % corrupted records (so there is a quarantine)."""
    root = tmp_path_factory.mktemp("reg-out") / "reg"
    spec = Spec(persons=1_500, start_year=2022, end_year=2023, seed=5, bad_share=0.01)
    generate(root, spec, from_store(snapshot_store))
    return check_files(root)


def _victim(folder: Path) -> Path:
    victim = folder / "victim.txt"
    victim.write_text("keep me")
    return victim


def test_od_files_replace_links_in_the_folder_instead_of_their_targets(
    register: RegisterFiles, tmp_path: Path
) -> None:
    victim = _victim(tmp_path)
    od = tmp_path / "od"
    od.mkdir()
    (od / "od_2023.csv").symlink_to(Path("..") / "victim.txt")  # ln -s ../victim.txt od/…
    (od / "population_2022.csv").symlink_to(victim)
    quarantine = tmp_path / "q.parquet"
    quarantine.symlink_to(victim)
    engine = DuckDBEngine(memory_limit="300MB")
    try:
        results = aggregate(
            engine, register, resolve_span(register), quarantine=quarantine, max_bad_share=0.05
        )
    finally:
        engine.close()
    population = pd.DataFrame(
        {"ref_area": ["KZ-75", "KZ-79"], "period": ["2022", "2022"], "value": [2.1e6, 1.1e6]}
    )
    written = write_od_files(results, population, od)
    assert victim.read_text() == "keep me"
    assert {p.name for p in written} >= {"od_2023.csv", "population_2022.csv"}
    for path in (od / "od_2023.csv", od / "population_2022.csv", quarantine):
        assert not path.is_symlink() and path.stat().st_size > 0
    assert (od / "od_2023.csv").read_text().startswith("orig,dest,flow\n")
    assert not list(tmp_path.glob(".*"))  # no temporary file or folder left


def test_an_od_dir_that_links_to_nothing_is_a_clear_error_before_the_work(
    register: RegisterFiles, tmp_path: Path, home: Path
) -> None:
    od = tmp_path / "od"
    od.symlink_to(tmp_path / "gone")
    args = ["register", "aggregate", str(register.root), "--od-dir", str(od)]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 3
    assert res.stderr == (
        f"keruen: error: cannot write into {od}: it is a link to {tmp_path / 'gone'}, "
        "which does not exist\n"
    )
    assert not (home / "keruen.duckdb").exists() and not (tmp_path / "gone").exists()
