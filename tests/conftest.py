"""Shared fixtures: the snapshot store, small tidy tables, no internet, a loopback server.

Every test runs with the internet blocked (any non-loopback connection raises; tests marked
``live`` excepted), with a private KERUEN_HOME and HTTP retry delays small enough for a fast
suite.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from keruen.sources.snapshot import open_store
from keruen.store import Provenance, Store
from tests.fakeserver import FakeServer

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def snapshot_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """A store holding the bundled real-data snapshot (treat as read-only)."""
    store = open_store(tmp_path_factory.mktemp("snapshot") / "keruen.duckdb", quiet=True)
    yield store
    store.close()


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty KERUEN_HOME for CLI tests."""
    monkeypatch.setenv("KERUEN_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def tidy(rows: list[tuple], dataset: str = "TEST") -> pd.DataFrame:
    """A tidy observation table from (measure, ref_area, period, value) tuples."""
    return pd.DataFrame(
        [
            {
                "dataset": dataset,
                "measure": m,
                "ref_area": a,
                "counterpart_area": None,
                "breakdown": None,
                "period": p,
                "value": v,
                "unit": "persons",
                "obs_status": "A",
            }
            for m, a, p, v in rows
        ]
    )


def provenance(
    sha: str, vintage: str = "v1", release: str = "2024-01-01", dataset: str = "TEST"
) -> Provenance:
    """Provenance of a test file (its sha256 given directly)."""
    return Provenance(
        dataset=dataset,
        vintage=vintage,
        release=release,
        publisher="keruen tests",
        file_name=f"{vintage}.csv",
        sha256=sha,
    )
