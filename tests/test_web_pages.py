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


# -- 19.8: every table and chart of the profile has its CSV ------------------------------------
def _csv(client: TestClient, href: str) -> pd.DataFrame:
    import io

    response = client.get(href.replace("&amp;", "&"))
    assert response.status_code == 200, href
    assert response.headers["content-type"].startswith("text/csv")
    return pd.read_csv(io.StringIO(response.text), keep_default_na=False, na_values=[""])


def test_every_profile_table_and_chart_links_its_csv(kaz_en: str) -> None:
    tables = kaz_en.count("<table")
    figures = re.findall(r'<figure class="chart" id="chart-(\w+)">(.*?)</figure>', kaz_en, re.S)
    links = re.findall(r'<a class="dl" href="([^"]+)"', kaz_en)
    own = {h.rsplit("/", 1)[1] for h in links if h.startswith("/en/country/KAZ/")}
    assert own == {
        "ranks_inflow.csv",
        "ranks_outflow.csv",
        "forecasts.csv",
        "corridors.csv",
        "flows.csv",
        "balance.csv",
        "remittance_cost.csv",
        "migrant_share.csv",
        "flow_plausibility.csv",
    }
    # one link per table (the remittance table and the two bilateral tops link the API)
    assert tables == 11 and len([h for h in links if "figcaption" not in h]) >= tables
    assert {f[0] for f in figures} == {"remittances", "balance", "migrant_share"}
    assert all('class="dl"' in body for _id, body in figures)


def _cells(html: str, table_id: str) -> list[list[str]]:
    found = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S)
    assert found is not None
    body = found.group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1], re.S)
    return [re.findall(r"<td[^>]*>(.*?)</td>", r, re.S) for r in rows]


@pytest.mark.parametrize(
    ("table", "columns", "scale", "digits"),
    [
        ("flows", ["inflow", "outflow", "net"], 1, 0),
        ("corridors", ["estimate", "low", "high", "wb"], 1e6, 1),
        ("forecasts", ["value", "lower", "upper"], 1e6, 1),
    ],
)
def test_a_profile_csv_holds_the_numbers_shown(
    client: TestClient, kaz_en: str, table: str, columns: list[str], scale: float, digits: int
) -> None:
    frame = _csv(client, f"/en/country/KAZ/{table}.csv")
    shown = _cells(kaz_en, table)
    assert len(frame) == len(shown) > 0
    assert {"source", "vintage", "unit"} <= set(frame.columns)
    width = len(shown[0])
    for row, cells in zip(frame.itertuples(), shown, strict=True):
        numbers = cells[width - len(columns) :]
        for column, cell in zip(columns, numbers, strict=True):
            value = getattr(row, column)
            expected = "–" if pd.isna(value) else format_number(value / scale, "en", digits)
            assert cell in (expected, "not reported") if pd.isna(value) else cell == expected


def test_the_rank_and_balance_csvs_hold_what_is_shown(
    client: TestClient, kaz_en: str, store: Store
) -> None:
    ranks = _csv(client, "/en/country/KAZ/ranks_inflow.csv")
    block = kaz_en.split('id="rank_inflow_latest"', 1)[1].split("</table>", 1)[0]
    places = re.findall(r'<tr[^>]*><td class="n">(\d+)</td><td><a href="/en/country/(\w+)"', block)
    expected = list(zip(ranks["rank"], ranks["ref_area"], strict=True))
    assert [(int(p), c) for p, c in places] == expected
    balance = _csv(client, "/en/country/KAZ/balance.csv")
    spec = re.search(r'json" id="spec-balance">(.*?)</script>', kaz_en, re.S)
    import json

    data = json.loads(spec.group(1))  # type: ignore[union-attr]
    drawn = next(iter(data["datasets"].values()))
    assert len(drawn) == len(balance)
    assert sorted(d["value"] for d in drawn) == sorted(balance["value"])
    net = kr.series("net_migration", "KAZ", range(1990, 2100), dataset="UN_WPP", store=store)
    assert len(balance[balance["measure"] == "net_migration"]) == len(net)


def test_an_unknown_profile_table_is_refused(client: TestClient) -> None:
    assert client.get("/en/country/KAZ/nothing.csv").status_code in (400, 404)


# -- 19.9: the profile says what the report says about the flows' plausibility ------------------
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_profile_shows_the_reports_plausibility_warnings(
    client: TestClient, built_report, lang: str
) -> None:  # type: ignore[no-untyped-def]
    report = (built_report("KAZ", lang) / "index.html").read_text("utf-8")
    methods = report.split('id="methods"', 1)[1].split('id="cite"', 1)[0]
    title = {"en": "Plausibility of the flows", "ru": "Правдоподобие"}[lang]
    assert title in methods
    expected = _rows(methods.split(title, 1)[1].split("</table>", 1)[0])
    assert expected  # Kazakhstan's flows have flagged pairs
    page = client.get(f"/{lang}/country/KAZ").text
    block = page.split('id="flows-plausibility"', 1)[1].split("</table>", 1)[0]
    assert _rows(block) == expected
    frame = _csv(client, f"/{lang}/country/KAZ/flow_plausibility.csv")
    assert len(frame) >= len(expected)
    shown = [format_number(v, lang, 0) for v in frame["growth"].head(len(expected))]
    assert shown == [r[3] for r in expected]


def _rows(html: str) -> list[list[str]]:
    import html as htmlmod

    rows = re.findall(r"<tr>((?:<td[^>]*>.*?</td>)+)</tr>", html, re.S)
    cells = (re.findall(r"<td[^>]*>(.*?)</td>", r, re.S) for r in rows)
    return [[htmlmod.unescape(c) for c in row] for row in cells]


# -- 19.18: a page that does not exist is an HTML page in the language -------------------------
@pytest.mark.parametrize(
    ("lang", "heading"),
    [
        ("en", "Page not found"),
        ("ru", "Страница не найдена"),
        ("kk", "Бет табылмады"),
    ],
)
@pytest.mark.parametrize("path", ["country/XXX", "no-such-page", "bilateral?country=QQQ"])
def test_a_page_not_found_is_html_in_the_pages_language(
    client: TestClient, lang: str, heading: str, path: str
) -> None:
    r = client.get(f"/{lang}/{path}")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert f'<html lang="{lang}">' in r.text and heading in r.text
    assert f'href="/{lang}/"' in r.text
    assert not r.text.lstrip().startswith("{")


def test_the_api_keeps_its_json_errors(client: TestClient) -> None:
    r = client.get("/api/v1/series", params={"measure": "remittances_received", "area": "XXX"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_area"
    r = client.get("/en/country/KAZ/nothing.csv")
    assert r.headers["content-type"].startswith("application/json")


# -- 19.17: the start page: an icon, a search without JavaScript, only countries with data -----
def test_the_favicon_is_served(client: TestClient) -> None:
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"] == "image/x-icon"
    assert r.content[:4] == b"\x00\x00\x01\x00" and b"PNG" in r.content[:40]
    svg = client.get("/favicon.svg")
    assert svg.status_code == 200 and svg.text.startswith("<svg")
    assert 'href="/favicon.svg"' in client.get("/en/").text


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_the_start_page_lists_only_countries_with_data(
    client: TestClient, store: Store, lang: str
) -> None:
    html = client.get(f"/{lang}/").text
    listed = re.findall(r'<option value="([A-Z]{3})"', html)
    rows = store.con.execute("SELECT DISTINCT ref_area FROM observations").fetchall()
    held = {r[0] for r in rows}
    assert "ATA" not in listed and "KAZ" in listed and "UZB" in listed
    assert set(listed) <= held
    assert 'action="/' + lang + '/search" method="get"' in html and 'name="q"' in html


@pytest.mark.parametrize(
    ("lang", "query", "code"),
    [
        ("en", "kazakhstan", "KAZ"),
        ("en", "uzb", "UZB"),
        ("en", "KG", "KGZ"),
        ("ru", "Казахстан", "KAZ"),
        ("ru", "  узбекистан ", "UZB"),
        ("kk", "Қазақстан", "KAZ"),
        ("kk", "Germany", "DEU"),
    ],
)
def test_a_search_naming_one_country_redirects_to_its_profile(
    client: TestClient, lang: str, query: str, code: str
) -> None:
    r = client.get(f"/{lang}/search", params={"q": query}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/{lang}/country/{code}"


def test_a_search_lists_several_matches_or_says_none(client: TestClient) -> None:
    r = client.get("/en/search", params={"q": "stan"})
    assert r.status_code == 200
    found = re.findall(r'<a href="/en/country/([A-Z]{3})">', r.text.split('id="matches"')[1])
    assert {"KAZ", "UZB", "KGZ", "TJK", "TKM"} <= set(found)
    r = client.get("/ru/search", params={"q": "Антарктида"})
    assert r.status_code == 200 and 'id="no-match"' in r.text and "Антарктида" in r.text


# -- 19.13 / 19.12: compare countries over time; the world in one year ------------------------
def _first_link(html: str) -> str:
    found = re.search(r'<a class="dl" href="([^"]+)"', html)
    assert found is not None
    return found.group(1).replace("&amp;", "&")


def _spec_data(html: str, spec_id: str) -> list[dict]:
    import json

    found = re.search(rf'json" id="{spec_id}">(.*?)</script>', html, re.S)
    assert found is not None
    spec = json.loads(found.group(1))
    rows: list[dict] = [row for part in spec.get("datasets", {}).values() for row in part]

    def inline(node: object) -> None:  # values given inside the spec (a map's lookup data)
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "values" and isinstance(value, list):
                    rows.extend(v for v in value if isinstance(v, dict))
                else:
                    inline(value)
        elif isinstance(node, list):
            for value in node:
                inline(value)

    inline({k: v for k, v in spec.items() if k != "datasets"})
    return rows


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_compare_draws_the_chosen_countries_with_the_apis_numbers(
    client: TestClient, store: Store, lang: str
) -> None:
    params = {"measure": "remittance_cost_to", "area": "KAZ,UZB,KGZ"}
    html = client.get(f"/{lang}/compare", params=params).text
    drawn = _spec_data(html, "spec-compare")
    expected = kr.series("remittance_cost_to", ["KAZ", "UZB", "KGZ"], store=store).dropna(
        subset=["value"]
    )
    assert len(drawn) == len(expected)
    assert sorted(d["value"] for d in drawn) == pytest.approx(sorted(expected["value"]))
    link = _first_link(html)
    assert link.startswith("/api/v1/series?") and "area=KAZ%2CUZB%2CKGZ" in link
    csv = _csv(client, link)
    assert sorted(csv["value"]) == pytest.approx(sorted(expected["value"]))
    # the state is in the URL: the language links keep the measure and the countries
    assert "compare?measure=remittance_cost_to&amp;area=KAZ%2CUZB%2CKGZ" in html


def test_compare_defaults_to_the_countrys_peers(client: TestClient) -> None:
    from keruen.analysis.scope import peer_group

    html = client.get("/en/compare", params={"country": "UZB"}).text
    members = peer_group("UZB").members
    assert f'value="{",".join(members)}"' in html
    drawn = {d["series"] for d in _spec_data(html, "spec-compare")}
    assert "Uzbekistan" in drawn and len(drawn) > 3


def test_explore_maps_one_year_and_its_slider_steps_over_years_held(
    client: TestClient, store: Store
) -> None:
    html = client.get("/en/explore", params={"measure": "migrant_stock", "year": 2001}).text
    frame = kr.series("migrant_stock", None, store=store).dropna(subset=["value"])
    held = sorted({int(p) for p in frame["period"]})
    assert f'data-years="{",".join(map(str, held))}"' in html
    nearest = min(held, key=lambda y: (abs(y - 2001), y))
    assert f"No table for 2001; showing {nearest}" in html
    drawn = _spec_data(html, "spec-map")
    shown = {d["code"]: d["value"] for d in drawn if "value" in d}
    year = frame[frame["period"].astype(int) == nearest].set_index("ref_area")["value"]
    assert shown["KAZ"] == pytest.approx(year["KAZ"])
    assert shown["RUS"] == pytest.approx(year["RUS"])
    assert "ATA" not in shown
    csv = _first_link(html)
    assert f"start={nearest}" in csv and f"end={nearest}" in csv
    assert client.get("/kk/explore").status_code == 200


# -- 19.16: each chart's state is in its URL, and each has an embeddable version --------------
@pytest.mark.parametrize(
    "path",
    [
        "compare?measure=remittance_cost_to&area=KAZ,UZB",
        "explore?measure=migrant_stock&year=2015",
        "bilateral?country=KAZ&role=origin&dataset=UNDESA_IMS&year=2015",
        "country/UZB",
    ],
)
def test_an_embedded_chart_is_the_chart_and_its_source_only(client: TestClient, path: str) -> None:
    full = client.get(f"/ru/{path}").text
    assert "/ru/embed/" in full  # the page offers its embeddable version
    r = client.get(f"/ru/embed/{path}")
    assert r.status_code == 200
    assert "frame-ancestors *" in r.headers["content-security-policy"]
    assert "x-frame-options" not in r.headers
    html = r.text
    assert '<header class="bar">' not in html and "<form" not in html and "<table" not in html
    assert 'class="vega"' in html and 'class="source">Источник:' in html
    assert "Открыть в keruen" in html
    # the embedded chart draws what the page draws
    ids = re.findall(r'json" id="(spec-[\w-]+)"', html)
    assert ids and all(_spec_data(html, i) == _spec_data(full, i) for i in ids)


def test_pages_keep_refusing_to_be_framed(client: TestClient) -> None:
    r = client.get("/en/compare")
    assert r.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_the_state_of_a_view_is_in_its_url(client: TestClient) -> None:
    """The language links of a view carry its measure, countries and year, so it can be shared."""
    html = client.get("/en/explore", params={"measure": "migrant_stock", "year": 2015}).text
    assert 'href="/kk/explore?measure=migrant_stock&amp;year=2015"' in html
    html = client.get(
        "/en/bilateral", params={"country": "UZB", "role": "origin", "dataset": "UNDESA_IMS"}
    ).text
    tail = "country=UZB&amp;role=origin&amp;dataset=UNDESA_IMS&amp;year="
    assert f'href="/ru/bilateral?{tail}' in html


@pytest.mark.parametrize(("lang", "armenia"), [("en", "Armenia"), ("ru", "Армения"), ("kk", "Армения")])
def test_the_peer_group_is_named_in_the_pages_language(
    client: TestClient, lang: str, armenia: str
) -> None:
    """The profile's peer line names the countries (it listed ISO codes: "ARM, AZE, …")."""
    page = client.get(f"/{lang}/country/UZB").text
    line = re.search(r"<p>[^<]*: ([^<]*)</p>", page.split('id="chart-remittances"')[0])
    assert line is not None and armenia in line.group(1)
    assert not re.search(r"\b[A-Z]{3}\b", line.group(1)), line.group(1)


def test_an_embedded_profile_names_the_source_of_every_chart_it_draws(client: TestClient) -> None:
    """The migrant-share chart's source (UN DESA) is in the embed's source line, as on the page."""
    full = client.get("/en/country/UZB").text
    html = client.get("/en/embed/country/UZB").text
    assert 'id="spec-migrant_share"' in html, "the profile's sections were not built"
    line = re.findall(r'<p class="source">([^<]*)</p>', html)[-1]
    page_sources = re.findall(r'<p class="source">[^:<]*: ([^<]*)</p>', full)
    share = [s for s in page_sources if "UN DESA" in s]
    assert share, "the page names no UN DESA source"
    assert any(s in line for s in share)
