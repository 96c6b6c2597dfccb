"""The dashboard's pages over the bundled snapshot (issue 19): what each page shows and links.

Pages are fetched through the ASGI app (no browser); numbers are checked against the Python API
and the report's sections that the pages are built on.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

import keruen.api as kr  # noqa: E402
from keruen.i18n import format_number  # noqa: E402
from keruen.store import Store  # noqa: E402
from keruen.web.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from keruen.sources.snapshot import open_store

    path = Path(tmp_path_factory.mktemp("web-pages")) / "keruen.duckdb"
    with open_store(path, quiet=True):
        pass
    return path


@pytest.fixture(scope="module")
def store(store_path: Path):  # type: ignore[no-untyped-def]
    s = Store(store_path, read_only=True)
    yield s
    s.close()


@pytest.fixture(scope="module")
def client(store_path: Path) -> TestClient:
    # a generous limit: the profile waits a quarter of it for the report's build
    return TestClient(create_app(store_path, query_timeout=400, warm=False))


@pytest.fixture(scope="module")
def kaz_en(client: TestClient) -> str:
    response = client.get("/en/country/KAZ")
    assert response.status_code == 200
    assert 'id="report-pending"' not in response.text
    return response.text


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- 19.5: one sign convention ----------------------------------------------------------------
def test_the_profile_shows_net_paid_with_the_reports_sign(kaz_en: str, store: Store) -> None:
    """Net paid = paid − received on the page, as in the report: positive when a country pays."""
    frame = kr.indicators("KAZ", range(2000, 2025), "cis_and_former", store=store)
    last = frame.dropna(subset=["inflow", "outflow"]).iloc[-1]
    assert "net paid (paid − received)" in kaz_en
    assert "received − paid" not in kaz_en
    row = re.search(rf"<tr><td>{int(last.year)}</td>(.*?)</tr>", kaz_en).group(1)  # type: ignore[union-attr]
    cells = re.findall(r'<td class="n">([^<]*)</td>', row)
    expected = format_number((last.outflow - last.inflow) / 1e6, "en", 1)
    assert cells[2] == expected
    # Kazakhstan pays out more than it receives (its index is positive): net paid is positive
    assert (last.outflow > last.inflow) == (not cells[2].startswith(("-", "−")))


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_net_paid_is_named_in_every_language(client: TestClient, lang: str) -> None:
    html = client.get(f"/{lang}/country/UZB").text
    words = {"ru": "чистые выплаты", "kk": "таза төлем"}
    assert words[lang] in html
