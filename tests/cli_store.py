"""A snapshot store built once per test session and copied into each CLI test's KERUEN_HOME.

Building the store from the bundled snapshot takes seconds; the CLI tests that only read it (or
add a little to their own copy) start from a copy instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from keruen.sources.snapshot import open_store


@pytest.fixture(scope="session")
def built_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a store holding the bundled snapshot (do not modify: tests copy it)."""
    path = tmp_path_factory.mktemp("cli_store") / "keruen.duckdb"
    open_store(path, quiet=True).close()
    return path


@pytest.fixture()
def store_home(built_store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A KERUEN_HOME whose store is a private copy of the snapshot store; returns the store."""
    home = tmp_path / "cli_home"
    home.mkdir()
    monkeypatch.setenv("KERUEN_HOME", str(home))
    target = home / "keruen.duckdb"
    shutil.copytree(built_store, target)  # the store is a folder of segments
    return target
