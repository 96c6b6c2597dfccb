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


# -- 19.7: the bilateral explorer steps over the years held -----------------------------------
def _held_years(store: Store, dataset: str) -> list[int]:
    rows = store.con.execute(
        "SELECT DISTINCT period FROM observations WHERE dataset = ? AND counterpart_area <> 'WLD'",
        [dataset],
    ).fetchall()
    return sorted(int(r[0]) for r in rows)


@pytest.mark.parametrize(
    "dataset", ["UNDESA_IMS", "WB_BILATERAL_MIGRANT_STOCKS", "WB_BILATERAL_REMITTANCES"]
)
def test_the_bilateral_year_slider_steps_over_the_years_held(
    client: TestClient, store: Store, dataset: str
) -> None:
    held = _held_years(store, dataset)
    html = client.get("/en/bilateral", params={"country": "KAZ", "dataset": dataset}).text
    slider = re.search(r'<input type="range" id="year-slider"[^>]*>', html).group(0)  # type: ignore[union-attr]
    assert f'data-years="{",".join(map(str, held))}"' in slider
    assert 'min="0"' in slider and f'max="{len(held) - 1}"' in slider and 'step="1"' in slider
    # the form's year field (used without JavaScript) offers the years held only
    field = re.search(r'<select id="year" name="year">(.*?)</select>', html, re.S).group(1)  # type: ignore[union-attr]
    assert [int(y) for y in re.findall(r'value="(\d+)"', field)] == held
    # by default the latest year held, with its table and its source
    assert f'<option value="{held[-1]}" selected>' in field
    assert "No data held" not in html and "No table" not in html
    assert re.search(r'<p class="source">Source: \S', html)


def test_a_year_not_held_shows_the_nearest_held_and_says_so(
    client: TestClient, store: Store
) -> None:
    held = _held_years(store, "UNDESA_IMS")
    asked = next(y for y in range(held[0], held[-1]) if y not in held)
    nearest = min(held, key=lambda y: (abs(y - asked), y))
    html = client.get(
        "/en/bilateral", params={"country": "KAZ", "role": "origin", "year": asked}
    ).text
    assert f"No table for {asked}; showing {nearest}" in html
    expected = kr.bilateral("UNDESA_IMS", nearest, origin="KAZ", store=store)
    top = expected[expected["destination"] == "RUS"]["value"].iloc[0]
    assert format_number(top, "en", 0) in html
