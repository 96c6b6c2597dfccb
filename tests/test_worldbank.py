"""World Bank connector: paging, in-band errors, aggregates, URL splitting, metadata, vintages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from keruen.errors import ConfigError, SourceError
from keruen.sources import wdi_bulk, worldbank
from keruen.sources.common import ingest_batches
from keruen.store import Store
from tests.fakeserver import DATA, FakeServer, Reply

WB = DATA / "worldbank"
POP = "SM.POP.TOTL"
REM = "BX.TRF.PWKR.DT.GD.ZS"


def recorded(name: str) -> Any:
    return json.loads((WB / name).read_text())


def serve_worldbank(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, data: dict[str, Any]
) -> None:
    """Answer /v2/indicator/{id} and /v2/country/{codes}/indicator/{id} from recorded bodies.

    ``data`` maps an indicator to its list of pages (each a JSON value) or to a Reply.
    """
    monkeypatch.setenv("KERUEN_WORLDBANK_URL", server.url + "/v2")
    for ind in (POP, REM):
        server.route(f"/v2/indicator/{ind}", Reply(json.dumps(recorded(f"indicator_{ind}.json"))))

    def answer(path: str, query: dict[str, list[str]]) -> Reply:
        indicator = path.rsplit("/", 1)[-1]
        pages = data[indicator]
        if isinstance(pages, Reply):
            return pages
        page = int(query.get("page", ["1"])[0])
        header, rows = pages[page - 1]
        codes = path.split("/")[3]
        if codes != "all" and len(pages) == 1:  # answer only the countries asked, like the API
            rows = [r for r in rows if r["countryiso3code"] in codes.split(";")]
            header = header | {"total": len(rows)}
        return Reply(json.dumps([header, rows]))

    server.route("/v2/country/", answer)


@pytest.fixture
def wb(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    serve_worldbank(
        server,
        monkeypatch,
        {
            POP: [recorded("data_SM.POP.TOTL_2015-2020.json")],
            REM: [recorded(f"data_{REM}_page1.json"), recorded(f"data_{REM}_page2.json")],
        },
    )
    return server


def test_countries_are_kept_and_aggregates_and_nulls_left_out(wb: FakeServer) -> None:
    [batch] = worldbank.update([POP], years="2015:2020")
    frame = batch.frame
    assert set(frame["ref_area"]) == {"KAZ", "KGZ", "RUS", "TJK", "UZB"}
    assert len(frame) == 9  # 5 countries x 2 years, minus TJK 2015 (null in the answer)
    kaz = frame[(frame.ref_area == "KAZ") & (frame.period == "2020")]
    assert kaz["value"].item() == 3732000.0
    assert (frame["measure"] == POP).all() and (frame["dataset"] == "WB_WDI").all()


def test_aggregates_are_kept_apart_but_available_on_request(wb: FakeServer) -> None:
    [batch] = worldbank.update([POP], years="2015:2020", include_aggregates=True)
    assert {"ECS", "WLD"} <= set(batch.frame["ref_area"])


def test_every_page_is_fetched_and_counted(wb: FakeServer) -> None:
    [batch] = worldbank.update([REM])
    assert len(batch.frame) == 10  # 5 countries x 2 years over two pages; WLD dropped
    pages = [q["page"][0] for _, p, q in wb.requests if p.startswith("/v2/country/")]
    assert pages == ["1", "2"]


def test_indicator_metadata_and_lastupdated_become_provenance(wb: FakeServer) -> None:
    [batch] = worldbank.update([REM])
    prov = batch.provenance
    assert prov.title == "Personal remittances, received (% of GDP)"
    assert prov.release == "2025-07-01" and "2025-07-01" in prov.vintage
    assert "unit: % of GDP" in prov.notes and "personal transfers" in prov.notes
    assert (batch.frame["unit"] == "% of GDP").all()


def test_an_error_inside_a_200_answer_is_a_source_error_with_the_api_message(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_worldbank(
        server, monkeypatch, {POP: Reply(json.dumps(recorded("error_120_invalid_value.json")))}
    )
    with pytest.raises(SourceError, match="Invalid value.*id 120.*parameter value is not valid"):
        worldbank.update([POP])


def test_missing_rows_against_the_announced_total_are_detected(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    header, rows = recorded("data_SM.POP.TOTL_2015-2020.json")
    serve_worldbank(server, monkeypatch, {POP: [[header, rows[:-3]]]})
    with pytest.raises(SourceError, match="incomplete answer"):
        worldbank.update([POP])


def test_long_country_lists_are_split_under_the_url_limit(
    wb: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = ["KAZ", "KGZ", "RUS", "TJK", "UZB"] * 80
    chunks = worldbank.country_chunks(codes, POP)
    assert len(chunks) > 1 and sum(map(len, chunks)) == len(codes)
    for chunk in chunks:
        url = f"{worldbank.base_url()}/country/{';'.join(chunk)}/indicator/{POP}"
        assert len(url) <= worldbank.MAX_URL_LENGTH
    monkeypatch.setattr(worldbank, "MAX_URL_LENGTH", len(worldbank.base_url()) + 40)
    worldbank.update([POP], countries=["KAZ", "KGZ", "RUS", "TJK", "UZB"])
    asked = [p for _, p, _ in wb.requests if p.startswith("/v2/country/")]
    assert len(asked) >= 2
    assert len(asked) == 3  # room for two codes per request
    assert all(len(wb.url + p) <= worldbank.MAX_URL_LENGTH for p in asked)


def test_bad_years_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="YYYY:YYYY"):
        worldbank.parse_years("2020-2015")


def test_no_upstream_change_adds_no_vintage_and_a_change_adds_one(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    header, rows = recorded("data_SM.POP.TOTL_2015-2020.json")
    pages: dict[str, Any] = {POP: [[header, rows]]}
    serve_worldbank(server, monkeypatch, pages)
    store = Store(":memory:")
    first = ingest_batches(store, worldbank.update([POP]))
    assert not first[0].already_present
    again = ingest_batches(store, worldbank.update([POP]))
    assert again[0].already_present and len(store.vintages("WB_WDI")) == 1
    changed = json.loads(json.dumps(rows))
    kaz = next(r for r in changed if r["countryiso3code"] == "KAZ" and r["date"] == "2020")
    kaz["value"] = 3800000
    pages[POP] = [[header, changed]]
    ingest_batches(store, worldbank.update([POP]))
    assert len(store.vintages("WB_WDI")) == 2
    latest = store.value("WB_WDI", POP, "KAZ", "2020")
    assert latest["value"] == 3800000.0


def test_the_bulk_csv_layout_becomes_tidy_rows_without_aggregates(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "WDIData.csv"
    path.write_text(
        "Country Name,Country Code,Indicator Name,Indicator Code,1990,1991\n"
        "Kazakhstan,KAZ,\"Personal remittances, received (current US$)\",BX.TRF.PWKR.CD.DT,,1.5e8\n"
        "World,WLD,\"Personal remittances, received (current US$)\",BX.TRF.PWKR.CD.DT,5e11,6e11\n"
        "Namibia,NAM,\"Personal remittances, received (current US$)\",BX.TRF.PWKR.CD.DT,2,3\n",
        "utf-8",
    )
    batch = wdi_bulk.load_bulk_csv(path, release="2025-07-01")
    got = {(r.ref_area, r.period): r.value for r in batch.frame.itertuples()}
    assert got == {("KAZ", "1991"): 1.5e8, ("NAM", "1990"): 2.0, ("NAM", "1991"): 3.0}
    assert set(batch.frame["unit"]) == {"current USD"}


def test_an_unknown_code_in_the_bulk_csv_names_its_row(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from keruen.errors import InputError

    path = tmp_path / "WDIData.csv"
    path.write_text(
        "Country Name,Country Code,Indicator Name,Indicator Code,1990\n"
        "Kazakhstan,KAZ,x,X.Y,1\nNowhere,QQQ,x,X.Y,2\n", "utf-8")
    with pytest.raises(InputError) as info:
        wdi_bulk.parse_bulk_csv(path)
    assert (info.value.row, info.value.field) == (2, "Country Code")
