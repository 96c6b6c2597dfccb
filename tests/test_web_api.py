"""The Python API and the REST API over it: the same numbers, with provenance, safely served."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

import keruen.api as kr  # noqa: E402
from keruen.errors import ConfigError, DataNotAvailableError, UnknownAreaError  # noqa: E402
from keruen.store import Store  # noqa: E402
from keruen.web.app import create_app  # noqa: E402

ERROR_KEYS = {"status", "code", "message", "field"}


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the bundled snapshot and one (synthetic, labelled) stored estimate."""
    from keruen.sources.snapshot import open_store
    from keruen.store.estimates import Estimate, store_estimates

    path = Path(tmp_path_factory.mktemp("web")) / "keruen.duckdb"
    rows = pd.DataFrame(
        {
            "measure": ["remittance_inflow"] * 2,
            "ref_area": ["KAZ", "KAZ"],
            "counterpart_area": [None, None],
            "breakdown": ["quantile=0.5", "quantile=0.9"],
            "period": ["2030", "2030"],
            "value": [1.0, 2.0],
            "unit": ["USD million"] * 2,
        }
    )
    with open_store(path, quiet=True) as store:
        store_estimates(
            store,
            [
                Estimate(
                    model="forecast",
                    rows=rows,
                    method="synthetic test estimate (not a real forecast)",
                    assumptions=("synthetic values written by the test suite",),
                    parameters={"h": 1},
                )
            ],
        )
    return path


@pytest.fixture(scope="module")
def client(store_path: Path) -> TestClient:
    return TestClient(create_app(store_path, query_timeout=300, warm=False))


@pytest.fixture()
def store(store_path: Path):  # type: ignore[no-untyped-def]
    s = Store(store_path, read_only=True)
    yield s
    s.close()


def _error(response) -> dict:  # type: ignore[no-untyped-def]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == ERROR_KEYS
    assert body["error"]["status"] == response.status_code
    assert "Traceback" not in response.text
    return body["error"]


# -- the Python API -------------------------------------------------------------------------
def test_series_of_a_concept_keeps_the_source_of_each_value(store: Store) -> None:
    frame = kr.series("remittances_received", ["kaz", "UZB"], range(2021, 2024), store=store)
    assert set(frame["ref_area"]) == {"KAZ", "UZB"}  # codes normalised
    assert {"dataset", "vintage", "publisher", "licence", "unit"} <= set(frame.columns)
    kaz23 = frame[(frame["ref_area"] == "KAZ") & (frame["period"] == "2023")].iloc[0]
    assert kaz23["value"] == pytest.approx(303.7e6, rel=1e-3)  # WDI 2025-07-01, as published
    assert kaz23["vintage"] == "WDI 2025-07-01"


def test_series_of_a_stored_measure_code_and_dataset(store: Store) -> None:
    frame = kr.series("net_migration", "KAZ", [2023], dataset="un_wpp", store=store)
    assert len(frame) == 1 and frame.iloc[0]["unit"] == "thousand persons"
    assert frame.iloc[0]["vintage"] == "WPP 2024"


def test_bilateral_names_origin_and_destination(store: Store) -> None:
    frame = kr.bilateral("UNDESA_IMS", 2019, origin="UZB", destination="KAZ", store=store)
    assert len(frame) == 1
    row = frame.iloc[0]
    stored = store.value("UNDESA_IMS", "migrant_stock", "KAZ", "2019", counterpart_area="UZB")
    assert (row["origin"], row["destination"]) == ("UZB", "KAZ")
    assert row["value"] == stored["value"]


def test_indicators_follow_their_definitions(store: Store) -> None:
    frame = kr.indicators("KAZ", range(2019, 2023), "central_asia", store=store)
    row = frame[frame["year"] == 2021].iloc[0]
    assert row["net_paid"] == pytest.approx(row["outflow"] - row["inflow"])
    assert "net" not in frame  # one sign convention: no "received − paid" column beside it
    assert row["dri"] == pytest.approx(
        (row["outflow"] - row["inflow"]) / (row["outflow"] + row["inflow"])
    )
    assert frame.attrs["units"]["share_gdp"] == "percent of GDP"
    assert {s["column"] for s in frame.attrs["sources"]} >= {"inflow", "outflow"}


def test_indices_returns_one_row_per_measure() -> None:
    flows = [[0, 10, 5], [3, 0, 2], [1, 4, 0]]
    frame = kr.indices(flows, [100, 200, 300])
    assert "effectiveness" in set(frame["measure"])
    # Migration effectiveness: 100 * sum_i |in_i - out_i| / sum_i (in_i + out_i)
    eff = frame.set_index("measure").loc["effectiveness", "value"]
    inflow, outflow = [4, 14, 7], [15, 5, 5]
    net = sum(abs(i - o) for i, o in zip(inflow, outflow, strict=True))
    assert eff == pytest.approx(100 * net / (sum(inflow) + sum(outflow)))


def test_estimates_carry_their_method(store: Store) -> None:
    frame = kr.estimates("forecast", store=store)
    assert len(frame) == 2 and set(frame["obs_status"]) == {"E"}
    assert frame["method"].str.contains("synthetic").all()


def test_named_errors_on_bad_input(store: Store) -> None:
    with pytest.raises(UnknownAreaError):
        kr.series("remittances_received", ["XXX"], store=store)
    with pytest.raises(DataNotAvailableError):
        kr.bilateral("NO_SUCH", 2019, store=store)
    with pytest.raises(ConfigError):
        kr.bilateral("WB_WDI", 2019, store=store)
    with pytest.raises(ConfigError):
        kr.series("remittances_received", "KAZ", ["20x6"], store=store)
    with pytest.raises(DataNotAvailableError):
        kr.estimates("gravity", store=store)


# -- the REST API answers with the Python API's numbers --------------------------------------
def test_series_route_equals_the_python_api(client: TestClient, store: Store) -> None:
    r = client.get(
        "/api/v1/series",
        params={"measure": "remittances_received", "area": "KAZ,UZB", "start": 2020, "end": 2023},
    )
    assert r.status_code == 200
    data = pd.DataFrame(r.json()["data"])
    expected = kr.series("remittances_received", ["KAZ", "UZB"], range(2020, 2024), store=store)
    assert data["value"].tolist() == pytest.approx(expected["value"].tolist())
    assert data["vintage"].tolist() == expected["vintage"].tolist()


def test_csv_download_equals_the_json_answer(client: TestClient) -> None:
    params = {"dataset": "UNDESA_IMS", "year": 2019, "destination": "KAZ"}
    as_json = pd.DataFrame(client.get("/api/v1/bilateral", params=params).json()["data"])
    r = client.get("/api/v1/bilateral", params=params, headers={"Accept": "text/csv"})
    assert r.headers["content-type"].startswith("text/csv")
    as_csv = pd.read_csv(io.StringIO(r.text), keep_default_na=False, na_values=[""])
    assert as_csv["origin"].tolist() == as_json["origin"].tolist()
    assert as_csv["value"].tolist() == pytest.approx(as_json["value"].tolist())
    assert {"vintage", "unit", "publisher"} <= set(as_csv.columns)


def test_pages_link_to_the_next_one(client: TestClient) -> None:
    first = client.get("/api/v1/areas", params={"kind": "country", "limit": 100}).json()
    assert len(first["data"]) == 100 and first["meta"]["total"] > 200
    nxt = client.get(first["meta"]["next"]).json()
    assert nxt["meta"]["offset"] == 100
    assert nxt["data"][0]["code"] != first["data"][0]["code"]


def test_unchanged_answers_are_not_sent_twice(client: TestClient) -> None:
    r = client.get("/api/v1/vintages")
    assert "max-age" in r.headers["cache-control"]
    again = client.get("/api/v1/vintages", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_csv_cells_cannot_run_as_spreadsheet_formulas(tmp_path: Path) -> None:
    path = tmp_path / "keruen.duckdb"
    from keruen.sources.snapshot import open_store

    with open_store(path, quiet=True):
        pass
    import json

    import duckdb

    for seg in json.loads((path / "CURRENT").read_text())["segments"]:  # the store's files
        with duckdb.connect(str(path / seg["file"])) as con:  # a hostile name, behind keruen
            con.execute(
                "UPDATE sources SET publisher = '=cmd|'' /C calc''!A0' WHERE dataset = 'UN_WPP'"
            )
    r = TestClient(create_app(path, warm=False)).get("/api/v1/vintages", params={"format": "csv"})
    lines = [ln for ln in r.text.splitlines() if "cmd|" in ln]
    assert lines and all(",'=cmd|" in ln or ",\"'=cmd|" in ln for ln in lines)


def test_every_answer_has_security_headers_and_no_cors(client: TestClient) -> None:
    for url in ("/api/v1/sources", "/api/v1/nothing", "/api/v1/docs", "/openapi.json"):
        r = client.get(url, headers={"Origin": "https://evil.example"})
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "access-control-allow-origin" not in r.headers


def test_docs_page_lists_every_route_without_scripts(client: TestClient) -> None:
    html = client.get("/api/v1/docs").text
    spec = client.get("/openapi.json").json()
    assert "<script" not in html.lower()
    for path in spec["paths"]:
        assert path in html


# -- errors: one shape, a 4xx, quickly --------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/api/v1/series?measure=remittances_received&start=1000000", 400, "invalid_parameter"),
        (
            "/api/v1/series?measure=remittances_received&area=" + ",".join(["KAZ"] * 10_000),
            414,
            "uri_too_long",
        ),
        (
            "/api/v1/series?measure=remittances_received&area=" + ",".join(["KAZ"] * 1_000),
            400,
            "invalid_parameter",
        ),
        (
            "/api/v1/series?measure=remittances_received&area=KAZ';DROP TABLE sources;--",
            400,
            "invalid_parameter",
        ),
        ("/api/v1/series?measure=x%27%20OR%201=1--", 400, "invalid_parameter"),
        ("/api/v1/series?measure=remittances_received&area=XXX", 400, "unknown_area"),
        ("/api/v1/bilateral?dataset=NO_SUCH&year=2019", 404, "not_found"),
        (
            "/api/v1/series?measure=remittances_received&start=2020&end=2010",
            400,
            "invalid_parameter",
        ),
        ("/api/v1/sources?contry=KAZ", 400, "invalid_parameter"),
        ("/api/v1/sources?limit=100000000", 400, "invalid_parameter"),
        ("/api/v1/nothing", 404, "not_found"),
    ],
)
def test_hostile_requests_get_a_4xx_in_the_pinned_shape(
    client: TestClient, url: str, status: int, code: str
) -> None:
    r = client.get(url)
    assert r.status_code == status
    assert _error(r)["code"] == code


@pytest.mark.parametrize("accept", ["text/csv;q=abc", "text/csv;q=7", "image/png", "x" * 2000])
def test_unusable_accept_headers_get_406(client: TestClient, accept: str) -> None:
    r = client.get("/api/v1/sources", headers={"Accept": accept})
    assert r.status_code == 406 and _error(r)["code"] == "not_acceptable"


def test_writes_are_refused(client: TestClient) -> None:
    r = client.post("/api/v1/sources", content=b"{}")
    assert r.status_code == 405 and _error(r)["code"] == "method_not_allowed"


def test_a_query_out_of_time_is_cancelled(store_path: Path) -> None:
    slow = TestClient(create_app(store_path, query_timeout=1e-9, warm=False))
    r = slow.get("/api/v1/bilateral", params={"dataset": "UNDESA_IMS", "year": 2019})
    assert r.status_code == 503 and _error(r)["code"] == "timeout"


def test_a_64_kb_url_gets_414_from_the_real_server(store_path: Path) -> None:
    """Over a socket (the test client refuses such URLs itself)."""
    import socket
    import threading
    import time

    import uvicorn

    config = uvicorn.Config(
        create_app(store_path, warm=False),
        host="127.0.0.1",
        port=0,
        log_level="error",
        h11_max_incomplete_event_size=256 * 1024,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                b"GET /api/v1/sources?x=" + b"a" * 65536 + b" HTTP/1.1\r\n"
                b"Host: localhost\r\nConnection: close\r\n\r\n"
            )
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        head, _, body = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 414")
        assert json.loads(body)["error"]["code"] == "uri_too_long"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_indicator_rows_can_name_the_source_of_each_input(client: TestClient) -> None:
    r = client.get(
        "/api/v1/indicators",
        params={"country": "KAZ", "start": 2021, "end": 2021, "provenance": "true"},
    )
    row = r.json()["data"][0]
    assert row["inflow_vintage"] == "WDI 2025-07-01"
    assert row["inflow_source"] == "WB_WDI/BX.TRF.PWKR.CD.DT"
    assert row["outflow_publisher"] and row["outflow_unit"] == "current USD"


def test_the_cli_prints_the_python_apis_indicators(store_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """One definition: `keruen indicators` and keruen.api.indicators give the same numbers."""
    from click.testing import CliRunner

    from keruen.cli import main

    monkeypatch.setenv("KERUEN_HOME", str(store_path.parent))
    result = CliRunner().invoke(
        main, ["indicators", "--country", "UZB", "--years", "2015:2020", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    printed = pd.DataFrame(json.loads(result.output)["rows"])
    with Store(store_path, read_only=True) as s:
        expected = kr.indicators("UZB", range(2015, 2021), store=s)
    assert printed["inflow"].tolist() == pytest.approx(expected["inflow"].tolist())
    assert printed["dri"].tolist() == pytest.approx(expected["dri"].tolist())


def test_regions_route_gives_the_reports_location_quotients(
    client: TestClient, store: Store
) -> None:
    from keruen.analysis import peer_group
    from keruen.analysis.kz_labour import kz_labour

    data = pd.DataFrame(client.get("/api/v1/kz-regions").json()["data"])
    expected = kz_labour(store, peer_group("KAZ")).tables["regions"]
    assert data["region"].tolist() == expected["region"].tolist()
    lq = data["migrant_share"] / data["population_share"]
    assert data["location_quotient"].tolist() == pytest.approx(lq.tolist())
    assert data["location_quotient"].tolist() == pytest.approx(
        expected["location_quotient"].tolist()
    )


def test_a_country_reporting_nothing_is_neither_zero_nor_ranked(store: Store) -> None:
    """WDI's placeholder 0 for Turkmenistan is "not reported", as in the report."""
    frame = kr.indicators("TKM", [2018, 2019], "central_asia", store=store)
    assert frame["inflow"].isna().all()
    assert frame["inflow_rank"].isna().all()


def test_a_parameter_given_twice_is_refused_not_last_one_wins(client: TestClient) -> None:
    r = client.get("/api/v1/kz-regions?offset=0&offset=5")
    assert r.status_code == 400
    assert set(r.json()) == {"error"} and "more than once" in r.json()["error"]["message"]
    assert client.get("/api/v1/kz-regions?offset=0").status_code == 200
