"""Migrant stock as a share of the population, by sex where held (issue 19 item 14): one
section, ``analysis.migrant_share``, shown on the profile with its chart and CSV."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from keruen.analysis.migrant_share import migrant_share
from keruen.analysis.scope import peer_group
from keruen.i18n import format_number
from keruen.store import Store
from keruen.store.concepts import concept_series


def _by_year(frame: pd.DataFrame) -> dict[int, float]:
    held = frame.dropna(subset=["value"])
    return dict(zip(held["period"].astype(int), held["value"].astype(float), strict=True))


def _expected(store: Store, country: str) -> pd.DataFrame:
    """The shares recomputed here from the stored stock, population and stock by sex."""
    stock = _by_year(concept_series(store, "migrant_stock", [country]))
    population = _by_year(concept_series(store, "population", [country]))
    sexes = store.observations("UNDESA_IMS", "migrant_stock", country, "WLD", breakdown="*")
    female = _by_year(sexes[sexes["breakdown"] == "sex=female"])
    male = _by_year(sexes[sexes["breakdown"] == "sex=male"])
    years = sorted(set(stock) & set(population))
    return pd.DataFrame(
        {
            "year": years,
            "share": [100 * stock[y] / population[y] for y in years],
            "female": [female.get(y) for y in years],
            "male": [male.get(y) for y in years],
        }
    )


@pytest.mark.parametrize("country", ["KAZ", "UZB"])
def test_the_share_is_the_stored_stock_over_the_stored_population(
    snapshot_store: Store, country: str
) -> None:
    section = migrant_share(snapshot_store, peer_group(country))
    got = section.tables["shares"]
    expected = _expected(snapshot_store, country)
    assert len(expected) >= 5  # UN DESA's 1990-2020 five-yearly totals
    assert list(got["year"]) == list(expected["year"])
    assert list(got["share"]) == pytest.approx(list(expected["share"]))
    assert list(got["female"]) == pytest.approx(list(expected["female"]))
    pct = 100 * expected["female"] / (expected["female"] + expected["male"])
    assert list(got["female_pct"]) == pytest.approx(list(pct))
    assert section.values["by_sex"] is True
    assert section.values["last_share"] == pytest.approx(expected["share"].iloc[-1])
    assert {s["dataset"] for s in section.sources} == {"UNDESA_IMS", "WB_WDI"}


def test_a_country_without_a_migrant_stock_is_not_held(snapshot_store: Store) -> None:
    section = migrant_share(snapshot_store, peer_group("ATA"))
    assert not section.held and section.values["not_held"] == ["migrant_stock"]


def test_the_profile_shows_the_share_by_sex_and_the_csv_equals_the_page(
    snapshot_store: Store, tmp_path: Path
) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from keruen.sources.snapshot import open_store
    from keruen.web.app import create_app

    path = tmp_path / "keruen.duckdb"
    with open_store(path, quiet=True):
        pass
    client = TestClient(create_app(path, query_timeout=400, warm=False))
    page = client.get("/en/country/KAZ").text
    assert 'id="migrant-share"' in page
    table = page.split('id="migrant_share"', 1)[1].split("</table>", 1)[0]
    assert "Women migrants" in table and "Men migrants" in table
    rows = re.findall(r"<tr><td>(\d{4})</td>((?:<td class=\"n\">[^<]*</td>)+)</tr>", table)
    cells = {int(y): re.findall(r">([^<]*)<", rest)[::2] for y, rest in rows}
    expected = _expected(snapshot_store, "KAZ")
    for r in expected.itertuples():
        shown = cells[int(r.year)]
        assert shown[2] == format_number(r.share, "en", 2)
        assert shown[3] == format_number(r.female, "en", 0)
        assert shown[4] == format_number(r.male, "en", 0)
    answer = client.get("/en/country/KAZ/migrant_share.csv")
    assert answer.status_code == 200
    csv = pd.read_csv(io.StringIO(answer.text))
    assert list(csv["year"]) == sorted(cells)
    for r in csv.itertuples():
        assert cells[int(r.year)] == [
            format_number(v, "en", d)
            for v, d in (
                (r.migrant_stock, 0), (r.population, 0), (r.share, 2),
                (r.female, 0), (r.male, 0), (r.female_pct, 2),
            )
        ]  # fmt: skip
    assert {d for s in csv["source"] for d in s.split("; ")} >= {"UN DESA Population Division"}
    script = '<script type="application/json" id="spec-migrant_share">'
    spec = page.split(script, 1)[1].split("</script>", 1)[0]
    values = json.loads(spec)["datasets"]
    points = [p for data in values.values() for p in data]
    last = expected.iloc[-1]
    share = [p["value"] for p in points if p["year"] == last["year"]]
    assert any(v == pytest.approx(last["share"]) for v in share)


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_profiles_share_part_is_translated(tmp_path: Path, lang: str) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from keruen.sources.snapshot import open_store
    from keruen.web.app import create_app

    path = tmp_path / "keruen.duckdb"
    with open_store(path, quiet=True):
        pass
    client = TestClient(create_app(path, query_timeout=400, warm=False))
    page = client.get(f"/{lang}/country/KAZ").text
    part = page.split('id="migrant-share"', 1)[1].split('class="source"', 1)[0]
    words = re.sub(r"<[^>]+>", " ", part.split(">", 1)[1])
    assert "Мигрант" in words or "мигрант" in words
    assert not re.search(r"[A-Za-z]{3,}", words.replace("CSV", ""))
    assert re.search(r"\b\d{1,2},\d\d\b", words)  # shares with the language's decimal comma


def test_the_report_states_the_share_and_writes_its_csv(  # type: ignore[no-untyped-def]
    built_report, snapshot_store: Store
) -> None:
    folder: Path = built_report("UZB", "en")
    html = (folder / "index.html").read_text("utf-8")
    part = html.split('id="migrant-share"', 1)[1].split("<h2", 1)[0]
    expected = _expected(snapshot_store, "UZB")
    last = expected.iloc[-1]
    share = format_number(last["share"], "en", 2)
    assert f"made up {share}% of Uzbekistan" in part and f"in {int(last['year'])}" in part
    csv = pd.read_csv(folder / "tables" / "migrant_share.csv")
    assert list(csv["share"]) == pytest.approx(list(expected["share"]))
    numbers = json.loads((folder / "numbers.json").read_text("utf-8"))
    assert numbers["migrant_share_values"]["last_share"] == pytest.approx(last["share"])


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_reports_share_part_is_translated(built_report, lang: str) -> None:  # type: ignore[no-untyped-def]
    html = (built_report("UZB", lang) / "index.html").read_text("utf-8")
    part = html.split('id="migrant-share"', 1)[1].split('class="src"', 1)[0]
    words = re.sub(r"<[^>]+>", " ", part.split(">", 1)[1])
    assert not re.search(r"[A-Za-z]{3,}", words.replace("CSV", "").replace("numbers.json", ""))


def test_the_api_route_gives_the_profiles_rows(snapshot_store: Store, tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from keruen.sources.snapshot import open_store
    from keruen.web.app import create_app

    path = tmp_path / "keruen.duckdb"
    with open_store(path, quiet=True):
        pass
    client = TestClient(create_app(path, query_timeout=400, warm=False))
    rows = client.get("/api/v1/migrant-share", params={"area": "KAZ,uz"}).json()["data"]
    for country in ("KAZ", "UZB"):
        expected = _expected(snapshot_store, country)
        got = [r for r in rows if r["ref_area"] == country]
        assert [r["year"] for r in got] == list(expected["year"])
        assert [r["share"] for r in got] == pytest.approx(list(expected["share"]))
        assert [r["female"] for r in got] == pytest.approx(list(expected["female"]))
    csv = pd.read_csv(io.StringIO(client.get(
        "/api/v1/migrant-share", params={"area": "KAZ", "format": "csv"}
    ).text))
    assert list(csv["share"]) == pytest.approx(list(_expected(snapshot_store, "KAZ")["share"]))
    assert client.get("/api/v1/migrant-share").status_code == 400
