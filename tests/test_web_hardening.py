"""The REST API and dashboard server under an adversary's requests (issue #22, web items; #19.18).

Each test fails on the code before its fix: the Host header echoed into links, HEAD answered 405,
an unknown vintage answered 200 with no rows, alpha-2 codes refused, a failing profile rebuilt
on every request, a slow client holding a connection open forever.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from keruen.web.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the bundled snapshot."""
    from keruen.sources.snapshot import open_store

    path = Path(tmp_path_factory.mktemp("web-hardening")) / "keruen.duckdb"
    with open_store(path, quiet=True):
        pass
    return path


@pytest.fixture(scope="module")
def client(store_path: Path) -> TestClient:
    return TestClient(create_app(store_path, query_timeout=300, warm=False))


def test_the_host_header_never_reaches_a_link(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(22.13) A public, cacheable answer must not carry a link to the host a client named."""
    r = client.get("/api/v1/sources", params={"limit": 1}, headers={"Host": "evil.example"})
    assert r.status_code == 200 and "public" in r.headers["cache-control"]
    nxt = r.json()["meta"]["next"]
    assert "evil" not in nxt and "evil" not in r.headers["link"]
    assert nxt.startswith("/api/v1/sources?") and "offset=1" in nxt
    assert r.headers["link"] == f'<{nxt}>; rel="next"'
    assert client.get(nxt).json()["meta"]["offset"] == 1
    monkeypatch.setenv("KERUEN_WEB_PUBLIC_URL", "https://data.example.org/")
    r = client.get("/api/v1/sources", params={"limit": 1}, headers={"Host": "evil.example"})
    assert r.json()["meta"]["next"].startswith("https://data.example.org/api/v1/sources?")


#: One URL per GET route family: the API, the OpenAPI document and docs, SDMX, the pages, static.
GET_URLS = (
    "/openapi.json",
    "/api/v1/docs",
    "/api/v1/areas?kind=group",
    "/api/v1/measures",
    "/api/v1/series?measure=remittances_received&area=KAZ",
    "/api/v1/bilateral?dataset=UNDESA_IMS&year=2019&destination=KAZ",
    "/api/v1/estimates",
    "/api/v1/kz-regions",
    "/api/v1/sources",
    "/api/v1/vintages",
    "/sdmx/2.1/dataflow",
    "/",
    "/en/",
    "/en/sources",
    "/en/country/XXX",
    "/static/vega.js",
)


@pytest.mark.parametrize("url", GET_URLS)
def test_head_is_answered_wherever_get_is(client: TestClient, url: str) -> None:
    """(22.15) HEAD gets GET's status and headers with no body, never 405."""
    got = client.get(url, follow_redirects=False)
    head = client.head(url, follow_redirects=False)
    assert head.status_code == got.status_code != 405, (head.status_code, got.status_code)
    assert head.content == b""
    assert head.headers.get("content-type") == got.headers.get("content-type")
    if "etag" in got.headers:
        assert head.headers["etag"] == got.headers["etag"]
    assert client.post(url, follow_redirects=False).status_code in (404, 405)
