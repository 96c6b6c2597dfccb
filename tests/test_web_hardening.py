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
    post = client.post(url, follow_redirects=False)
    assert post.status_code in (404, 405)
    if post.status_code == 405:
        assert post.headers["allow"] == "GET, HEAD"


def test_an_unknown_vintage_is_404_not_an_empty_answer(client: TestClient) -> None:
    """(22.30) A vintage the store does not hold is an error in the pinned shape."""
    rows = client.get(
        "/api/v1/series", params={"measure": "BX.TRF.PWKR.CD.DT", "area": "KAZ"}
    ).json()["data"]
    vintage = rows[0]["vintage"]
    ok = client.get(
        "/api/v1/series",
        params={"measure": "BX.TRF.PWKR.CD.DT", "area": "KAZ", "vintage": vintage},
    )
    assert ok.status_code == 200 and ok.json()["data"], ok.text
    assert {r["vintage"] for r in ok.json()["data"]} == {vintage}
    for params in (
        {"measure": "BX.TRF.PWKR.CD.DT", "area": "KAZ", "vintage": "1999-no-such"},
        {"measure": "BX.TRF.PWKR.CD.DT", "dataset": "WB_WDI", "vintage": "1999-no-such"},
    ):
        r = client.get("/api/v1/series", params=params)
        assert r.status_code == 404, r.text
        error = r.json()["error"]
        assert set(error) == {"status", "code", "message", "field"}
        assert error["code"] == "not_found" and "1999-no-such" in error["message"]


@pytest.mark.parametrize("code", ["KZ", "kz", "kaz", "Kazakhstan"])
def test_area_codes_are_read_as_the_command_line_reads_them(client: TestClient, code: str) -> None:
    """(19.18) alpha-2 in any case, alpha-3 in any case, an English name: all mean KAZ."""
    from keruen.cli.params import AreaList  # the command line's own parameter type

    assert AreaList(("country", "aggregate")).convert(code, None, None) == ("KAZ",)
    params = {"measure": "remittances_received", "start": 2015, "end": 2019}
    want = client.get("/api/v1/series", params={**params, "area": "KAZ"}).json()["data"]
    got = client.get("/api/v1/series", params={**params, "area": code}).json()["data"]
    assert want and got == want


def test_jsonl_rows_and_a_link_header_for_pandas(client: TestClient) -> None:
    """(19.18) format=jsonl gives one row per line, the same rows as JSON's data."""
    import io

    import pandas as pd

    params = {"kind": "country", "limit": 50}
    as_json = client.get("/api/v1/areas", params=params)
    r = client.get("/api/v1/areas", params={**params, "format": "jsonl"})
    assert r.headers["content-type"].startswith("application/x-ndjson")
    assert len(r.text.splitlines()) == 50
    frame = pd.read_json(io.StringIO(r.text), lines=True, dtype=False)
    assert frame.to_dict(orient="records") == as_json.json()["data"]
    assert "format=jsonl" in r.headers["link"] and "offset=50" in r.headers["link"]
    documented = pd.json_normalize(as_json.json()["data"])  # what docs/web.md tells users
    assert documented["code"].tolist() == frame["code"].tolist()
    accept = client.get("/api/v1/areas", params=params, headers={"Accept": "application/x-ndjson"})
    assert accept.text == r.text


def test_a_profile_whose_build_failed_is_served_from_memory(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(22.28) Neither the failed build nor the page's observed part runs again per request."""
    import keruen.api as kr
    from keruen.errors import DataNotAvailableError
    from keruen.web import builds as profile

    builds: list[str] = []
    observed: list[object] = []
    real = kr.indicators

    def failing(store: object, code: str) -> None:
        builds.append(code)
        raise DataNotAvailableError(f"no data for {code} (test)")

    def counted(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        observed.append(args[0])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(profile, "build_sections", failing)  # in-process: build_workers=0
    monkeypatch.setattr(kr, "indicators", counted)
    app = create_app(store_path, query_timeout=400, warm=False, build_workers=0)
    with TestClient(app) as client:
        pages = [client.get("/en/country/AZE") for _ in range(5)]
    assert all(p.status_code == 200 and "no data for AZE (test)" in p.text for p in pages)
    assert len({p.text for p in pages}) == 1
    assert builds == ["AZE"] and len(observed) == 1


@pytest.fixture(scope="module")
def server_port(store_path: Path):  # type: ignore[no-untyped-def]
    """`keruen serve`'s own server configuration, with 1-second header and body deadlines."""
    import threading
    import time

    import uvicorn

    from keruen.web.server import config

    app = create_app(store_path, warm=False)
    server = uvicorn.Server(config(app, "127.0.0.1", 0, header_timeout=1, body_timeout=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield server.servers[0].sockets[0].getsockname()[1]
    server.should_exit = True
    thread.join(timeout=10)


def _closed_after(port: int, first: bytes, drip: bytes, limit: float = 6.0) -> tuple[float, bytes]:
    """Send ``first``, then ``drip`` a byte every 0.2 s; seconds until the server closes."""
    import socket
    import time

    start = time.monotonic()
    reply = b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.settimeout(0.2)
        if first:
            sock.sendall(first)
        i = 0
        while time.monotonic() - start < limit:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                chunk = None
            if chunk == b"":
                return time.monotonic() - start, reply
            if chunk:
                reply += chunk
                continue
            try:
                if drip:
                    sock.sendall(drip[i % len(drip) : i % len(drip) + 1])
                    i += 1
            except OSError:
                return time.monotonic() - start, reply
    return float("inf"), reply


def test_a_client_sending_its_headers_slowly_is_cut_off(server_port: int) -> None:
    """(22.29) slowloris: headers at 5 bytes/s never complete; the server closes in time."""
    seconds, reply = _closed_after(server_port, b"GET /api/v1/sources HTTP/1.1\r\n", b"X-a: b\r\n")
    assert seconds < 1 + 3, seconds
    assert reply.startswith(b"HTTP/1.1 408") and b'"request_timeout"' in reply


def test_a_silent_connection_and_a_slow_body_are_cut_off(server_port: int) -> None:
    seconds, _ = _closed_after(server_port, b"", b"")
    assert seconds < 1 + 3, seconds
    head = b"GET /api/v1/vintages HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
    seconds, reply = _closed_after(server_port, head, b"a")
    assert seconds < 1 + 3, seconds
    assert reply.startswith(b"HTTP/1.1 200")  # answered; then the body's deadline closed it


def test_a_normal_client_keeps_its_connection(server_port: int) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server_port, timeout=30)
    for _ in range(2):  # keep-alive: two requests on one connection
        conn.request("GET", "/api/v1/vintages")
        response = conn.getresponse()
        assert response.status == 200 and response.read()
    conn.close()


def test_a_repeated_request_is_answered_from_the_kept_table(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(20.4) The table behind an answer is computed once per store version and parameters;
    paging, format and the ETag/304 exchange work on the kept table."""
    import keruen.api as kr

    calls: list[object] = []
    real = kr.indicators

    def counted(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        calls.append(args[0])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(kr, "indicators", counted)
    client = TestClient(create_app(store_path, query_timeout=300, warm=False))
    url = "/api/v1/indicators?country=KAZ&start=2015&end=2020"
    first = client.get(url)
    again = client.get(url)
    assert first.status_code == again.status_code == 200
    assert first.content == again.content and first.headers["etag"] == again.headers["etag"]
    second_page = client.get(url + "&limit=2&offset=2").json()
    assert second_page["data"] == first.json()["data"][2:4]
    as_csv = client.get(url + "&format=csv")
    assert as_csv.headers["content-type"].startswith("text/csv")
    unchanged = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304
    assert len(calls) == 1  # one computation for five answers
    client.get("/api/v1/indicators?country=UZB&start=2015&end=2020")
    assert len(calls) == 2  # other parameters: computed


def test_a_new_store_version_is_not_answered_from_the_old_tables(tmp_path: Path) -> None:
    """A vintage published while the server runs is served at once (the key has the version)."""
    from click.testing import CliRunner

    from keruen.cli import main
    from keruen.sources.snapshot import open_store

    path = tmp_path / "keruen.duckdb"
    with open_store(path, quiet=True):
        pass
    client = TestClient(create_app(path, query_timeout=300, warm=False))
    before = client.get("/api/v1/vintages").json()["meta"]["total"]
    assert client.get("/api/v1/vintages").json()["meta"]["total"] == before  # kept
    csv = tmp_path / "mine.csv"
    csv.write_text(
        "dataset,measure,ref_area,counterpart_area,breakdown,period,value,unit,obs_status\n"
        "MY_TEST,m,KAZ,,,2020,1.5,persons,A\n"
    )
    env = {"KERUEN_HOME": str(tmp_path)}
    result = CliRunner().invoke(
        main,
        ["load", str(csv), "--dataset", "MY_TEST", "--vintage", "v1", "--publisher", "test"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    after = client.get("/api/v1/vintages").json()
    assert after["meta"]["total"] == before + 1
    assert "MY_TEST" in {r["dataset"] for r in after["data"]}


def test_the_kept_answers_are_bounded_in_rows_and_bytes() -> None:
    """The answer cache drops its least recently used tables and pages beyond its bounds."""
    import pandas as pd

    from keruen.web import answers

    cache = answers.AnswerCache(max_entries=3, max_rows=100)
    small = pd.DataFrame({"x": range(10)})
    for i in range(5):
        cache.put(("v", i), small)
    assert cache.get(("v", 0)) is None and cache.get(("v", 4)) is small  # 3 kept, LRU out
    cache.put(("v", "big"), pd.DataFrame({"x": range(101)}))
    assert cache.get(("v", "big")) is None  # larger than one table may be
    rows = answers.AnswerCache(max_entries=10_000, max_rows=answers.MAX_TOTAL_ROWS)
    half = pd.DataFrame({"x": range(answers.MAX_TOTAL_ROWS // 2 + 1)})
    rows.put(("v", 1), half)
    rows.put(("v", 2), half)
    assert rows.get(("v", 1)) is None and rows.get(("v", 2)) is half  # total rows bounded
    pages = answers.AnswerCache()
    body = b"x" * (answers.MAX_ENCODED_BYTES // 8)
    for i in range(9):
        pages.keep_encoded(("p", i), (body, "application/json", {}))
    assert pages.encoded(("p", 0)) is None and pages.encoded(("p", 8)) is not None
