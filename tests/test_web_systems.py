"""Migration systems over time (Python API, REST route, page) and the profile's report part.

The systems are the report's (same network, model and seed); the profile shows the sections
``keruen report --country`` builds, and says "not held" for those it does not.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

import keruen.api as kr  # noqa: E402
from keruen.errors import ConfigError, DataNotAvailableError  # noqa: E402
from keruen.store import Store  # noqa: E402
from keruen.web.app import create_app  # noqa: E402
from keruen.web.systems_page import nearest_period, period_systems  # noqa: E402


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from keruen.sources.snapshot import open_store

    path = Path(tmp_path_factory.mktemp("web-systems")) / "keruen.duckdb"
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


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# -- the Python API ---------------------------------------------------------------------------
def test_systems_are_the_reports_systems(store: Store) -> None:
    """Kazakhstan's system and its size in every period equal the report's systems section."""
    from keruen.analysis import peer_group, run

    track = run(store, peer_group("KAZ"), only=["systems"])["systems"].tables["track"]
    world = kr.systems(countries="KAZ", store=store).set_index("period")
    region = kr.systems(countries="KAZ", network="post_soviet", store=store).set_index("period")
    assert list(world.index) == [str(p) for p in track["period"]]
    for row in track.itertuples():
        assert world.loc[str(row.period), "system"] == row.world_system
        assert world.loc[str(row.period), "system_size"] == row.world_system_size
        assert world.loc[str(row.period), "rank"] == row.rank
        assert region.loc[str(row.period), "system"] == row.region_system
        assert region.loc[str(row.period), "system_size"] == len(row.region_members)


def test_every_country_is_in_one_system_per_period_with_its_provenance(store: Store) -> None:
    frame = kr.systems(store=store)
    assert not frame.duplicated(["period", "country"]).any()
    sizes = frame.groupby(["period", "system"])["country"].count()
    stated = frame.groupby(["period", "system"])["system_size"].first()
    assert (sizes == stated).all()
    # a system is named after one of its members, the one with the largest total strength
    for (period, system), part in frame.groupby(["period", "system"]):
        total = part["in_strength"] + part["out_strength"]
        assert system == part.loc[total.idxmax(), "country"], (period, system)
    for col in ("dataset", "vintage", "publisher", "licence", "unit", "method"):
        assert frame[col].astype(str).str.len().gt(0).all(), col
    assert set(frame["dataset"]) == {"UNDESA_IMS"}
    assert frame["modularity"].between(0, 1).all()


def test_systems_reject_what_is_not_held(store: Store) -> None:
    with pytest.raises(DataNotAvailableError, match="periods held: 1990"):
        kr.systems(2018, store=store)
    with pytest.raises(ConfigError, match="network"):
        kr.systems(network="europe", store=store)
    assert set(kr.systems(range(2016, 2021), store=store)["period"]) == {"2019"}


def test_nearest_period_and_the_period_summary() -> None:
    held = ["1990", "1995", "2000", "2005", "2010", "2015", "2019"]
    assert nearest_period(held, None) == "2019"
    assert nearest_period(held, 2017) == "2015"  # a tie goes to the earlier period
    assert nearest_period(held, 2018) == "2019"
    assert nearest_period(held, 1900) == "1990"
    frame = pd.DataFrame(
        {
            "system": ["A", "A", "B"],
            "system_size": [2, 2, 1],
            "country": ["A", "C", "B"],
            "in_strength": [5.0, 1.0, 2.0],
            "out_strength": [1.0, 3.0, 0.0],
            "role": ["hub", "periphery", "hub"],
        }
    )
    summary = period_systems(frame)
    assert list(summary["system"]) == ["A", "B"]
    assert summary.loc[0, "in_strength"] == 6.0 and summary.loc[0, "out_strength"] == 4.0
    assert summary.loc[0, "members"] == ["A", "C"] and summary.loc[0, "hubs"] == ["A"]


# -- the REST route ---------------------------------------------------------------------------
def test_systems_route_equals_the_python_api_as_json_and_csv(
    client: TestClient, store: Store
) -> None:
    params = {"start": 2010, "end": 2019, "country": "KAZ,UZB,RUS", "network": "world"}
    body = client.get("/api/v1/systems", params=params).json()
    expected = kr.systems(range(2010, 2020), ["KAZ", "UZB", "RUS"], store=store)
    got = pd.DataFrame(body["data"])
    assert body["meta"]["total"] == len(expected) == 9
    pd.testing.assert_frame_equal(
        got[["period", "country", "system", "system_size"]],
        expected[["period", "country", "system", "system_size"]],
        check_dtype=False,
    )
    csv = client.get("/api/v1/systems", params={**params, "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    as_csv = pd.read_csv(io.StringIO(csv.text), dtype={"period": str})
    assert list(as_csv["system"]) == list(got["system"])
    assert as_csv["in_strength"].tolist() == pytest.approx(got["in_strength"].tolist())


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/systems?start=2018&end=2018", 404),
        ("/api/v1/systems?network=europe", 400),
        ("/api/v1/systems?start=1000000", 400),
        ("/api/v1/systems?country=" + ",".join(["KAZ"] * 400), 400),
        ("/api/v1/systems?country=KAZ';DROP", 400),
        ("/api/v1/systems?period=2019", 400),
    ],
)
def test_systems_route_answers_bad_requests_in_the_pinned_shape(
    client: TestClient, url: str, status: int
) -> None:
    r = client.get(url)
    assert r.status_code == status
    body = r.json()
    assert set(body) == {"error"} and body["error"]["status"] == status


def test_systems_route_is_in_the_openapi_document(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/api/v1/systems"]["get"]["parameters"]}
    assert {"start", "end", "country", "network", "format", "limit", "offset"} <= set(params)
    assert params["start"]["schema"]["anyOf"][0]["maximum"] == 2100


# -- the page ---------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_systems_page_lists_the_periods_systems_without_scripts(
    client: TestClient, store: Store, lang: str
) -> None:
    r = client.get(f"/{lang}/systems", params={"period": 2017})
    assert r.status_code == 200
    html = r.text
    table = html[
        html.index('id="systems-table"') : html.index("</table>", html.index('id="systems-table"'))
    ]
    expected = kr.systems(2015, store=store)
    assert table.count("<tr>") - 1 == expected["system"].nunique()
    assert 'href="/api/v1/systems?start=2015&amp;end=2015' in html
    over = html[html.index('id="systems-over-time"') :]
    over = over[: over.index("</table>")]
    assert over.count("<tr>") - 1 == kr.systems(store=store)["country"].nunique()
    assert 'type="application/json" id="spec-systems-map"' in html
    assert "<script>" not in html  # no inline script: the CSP allows none


# -- the profile's report part -----------------------------------------------------------------
@pytest.mark.parametrize("code", ["KAZ", "UZB"])
def test_profile_shows_the_reports_sections_and_says_which_are_not_held(
    client: TestClient, store: Store, code: str
) -> None:
    from keruen.analysis import run
    from keruen.analysis.scope import peer_group
    from keruen.web.profile import SECTIONS

    sections = run(store, peer_group(code))
    html = client.get(f"/en/country/{code}").text
    assert 'id="report-pending"' not in html and 'id="report-failed"' not in html
    listed = html[html.index('id="sections-held"') :]
    for key in SECTIONS:
        item = listed[listed.index(f'data-section="{key}"') :]
        item = item[: item.index("</li>")]
        assert ("not held" in item) == (key not in sections), key
    text = _text(html)
    rank, n = sections["cis"].values["rank_inflow_latest"]
    if rank > 0:
        assert (
            f"Rank by remittances received ({sections['cis'].values['inflow_year']}): {rank} of {n}"
            in text
        )
    p = sections["position"].values
    if "dri_last" in p:
        assert f"donor–recipient index {p['dri_last_year']}: {p['dri_last']:.2f}" in text
    if "forecasts" in sections:
        ahead = sections["forecasts"].tables["series"].dropna(subset=["lower", "upper"])
        first = ahead.iloc[0]
        cells = [first.value, first.lower, first.upper]
        row = f"{int(first.year)} " + " ".join(f"{v / 1e6:,.1f}" for v in cells)
        assert row in text
    items = sections["swot"].values["items"]
    assert text.count("threshold ") >= len(items) > 0


def test_profile_says_when_the_build_is_still_running(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no time to wait, the page comes at once with its observed part and a notice."""
    import threading

    from keruen.web import builds as profile

    gate = threading.Event()
    original = profile.build_sections
    monkeypatch.setattr(  # in-process (build_workers=0), so the patched build is the one run
        profile, "build_sections", lambda store, code: (gate.wait(60), original(store, code))[1]
    )
    slow = create_app(store_path, query_timeout=400, warm=False, profile_wait=0.1, build_workers=0)
    try:
        html = TestClient(slow).get("/en/country/KGZ").text
    finally:
        gate.set()
    assert 'id="report-pending"' in html and 'data-reload-after="5"' in html
    assert "Remittance indicators" in html  # the observed part is there


def test_a_system_keeps_its_colour_and_grey_stays_for_missing() -> None:
    from keruen.web.systems_page import PALETTE, system_colours

    early = system_colours(["RUS", "USA", "DEU", "RUS"])
    assert early == system_colours(["DEU", "USA", "RUS"])  # order of appearance does not matter
    assert len(set(early.values())) == 3
    assert not {"#7f7f7f", "#c7c7c7", "#d9d9d9"} & set(PALETTE)  # grey means "not reported"


def test_a_profile_without_a_donor_recipient_index_says_not_reported(client: TestClient) -> None:
    """Turkmenistan reports no year with both flows: no index, and no 'None' on the page."""
    text = _text(client.get("/en/country/TKM").text)
    assert "donor–recipient index: not reported" in text
    assert "None" not in text


# -- heavy builds off the request path (issue #22, items 14 and 28) --------------------------


def test_a_slow_systems_table_gives_a_being_computed_page_not_a_timeout(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The systems are detected by the background worker; the request never waits past its
    share of the time limit, and the finished table is then served from memory."""
    import threading

    release = threading.Event()
    real = kr.systems

    def slow(*args: object, **kwargs: object) -> pd.DataFrame:
        release.wait(30)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(kr, "systems", slow)
    app = create_app(store_path, query_timeout=400, warm=False, profile_wait=0.2, build_workers=0)
    with TestClient(app) as client:
        first = client.get("/en/systems?network=post_soviet")
        assert first.status_code == 200
        assert 'id="page-pending"' in first.text and "data-reload-after" in first.text
        release.set()
        for _ in range(200):
            done = client.get("/en/systems?network=post_soviet")
            if 'id="page-pending"' not in done.text:
                break
            threading.Event().wait(0.1)
        assert done.status_code == 200 and 'id="systems-table"' in done.text


def test_a_failed_profile_build_is_remembered_until_the_store_changes(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keruen.web import builds as profile

    calls: list[str] = []

    def failing(store: object, code: str) -> None:
        calls.append(code)
        raise DataNotAvailableError(f"no data for {code} (test)")

    monkeypatch.setattr(profile, "build_sections", failing)  # in-process: build_workers=0
    app = create_app(store_path, query_timeout=400, warm=False, build_workers=0)
    with TestClient(app) as client:
        for _ in range(5):
            html = client.get("/en/country/AZE").text
            assert 'id="report-failed"' in html and "no data for AZE (test)" in html
    assert calls == ["AZE"]
