"""SDMX (ILOSTAT): SDMX-ML and SDMX-JSON messages parsed offline with sdmx1; ILOSTAT faults."""

from __future__ import annotations

from pathlib import Path

import pytest

from keruen.errors import InputError, SourceError
from keruen.sources import sdmx
from keruen.sources.common import ingest_batches
from keruen.store import Store
from tests.fakeserver import DATA, FakeServer, Reply

SD = DATA / "sdmx"
GOOD = (SD / "ilostat_generic.xml").read_bytes()


def test_generic_sdmx_ml_becomes_tidy_observations() -> None:
    frame = sdmx.load(SD / "ilostat_generic.xml").frame
    assert (frame["dataset"] == "ILOSTAT").all() and (frame["measure"] == "MFL_FWRK_NB").all()
    total = frame[frame["breakdown"] == "classif_cbr=CBR_UZB"].set_index("period")
    assert total.loc["2022", "value"] == 14.25 and total.loc["2022", "obs_status"] == "P"
    female = frame[frame["breakdown"] == "classif_cbr=CBR_UZB+sex=female"].set_index("period")
    assert female.loc["2021", "value"] == 3.5
    assert female.loc["2022", "obs_status"] == "M"  # NaN in the message


def test_sdmx_json_gives_the_same_values_as_sdmx_ml() -> None:
    batch = sdmx.load(SD / "ilostat_data.json")
    frame = batch.frame
    total = frame[frame["breakdown"].isna()].set_index("period")
    assert total["value"].to_dict() == {"2021": 12.5, "2022": 14.25}
    assert total.loc["2022", "obs_status"] == "P"
    female = frame[frame["breakdown"] == "sex=female"].set_index("period")["value"]
    assert female.to_dict() == {"2021": 3.5}
    assert batch.provenance.release == "2025-06-30"


def test_an_sdmx_error_message_is_reported_with_its_text() -> None:
    with pytest.raises(SourceError, match="100: No Results Found"):
        sdmx.read_message((SD / "error_100.xml").read_bytes())


def test_a_malformed_file_is_an_input_error_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "cut.xml"
    bad.write_bytes(GOOD[: len(GOOD) // 2])
    with pytest.raises(InputError) as info:
        sdmx.load(bad)
    assert info.value.file == str(bad) and "SDMX" in str(info.value)


def _serve(server: FakeServer, monkeypatch: pytest.MonkeyPatch, *replies: Reply) -> None:
    monkeypatch.setenv("KERUEN_ILOSTAT_URL", server.url + "/rest")
    server.route("/rest/data/", *replies)


def test_ilostat_update_fetches_filters_and_stamps_the_release(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    _serve(server, monkeypatch, Reply(GOOD))
    [batch] = sdmx.update_ilostat(["MFL_FWRK_SEX_CBR_NB"], countries=["KAZ"], years="2021:2022")
    method, path, query = server.requests[-1]
    assert path == "/rest/data/ILO,DF_MFL_FWRK_SEX_CBR_NB/all"
    assert query == {"startPeriod": ["2021"], "endPeriod": ["2022"]}
    assert len(batch.frame) == 4 and batch.provenance.release == "2025-06-30"
    store = Store(":memory:")
    ingest_batches(store, [batch])
    rerun = sdmx.update_ilostat(["MFL_FWRK_SEX_CBR_NB"], ["KAZ"], "2021:2022")
    again = ingest_batches(store, rerun)
    assert again[0].already_present


FAULTS = {
    "time-out": Reply(GOOD, delay=1.5),
    "429 storm": Reply("slow down", status=429, headers={"Retry-After": "9"}),
    "500 storm": Reply("oops", status=500),
    "503 storm": Reply("down", status=503),
    "truncated body": Reply(GOOD, truncate_to=300),
    "malformed XML": Reply(GOOD[:-200]),
    "error inside a 200": Reply((SD / "error_100.xml").read_bytes()),
    "shape changed": Reply(b'{"data": {"observations": []}}'),
    "HTML instead of SDMX": Reply(b"<html><body>maintenance</body></html>"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_ilostat_fault_ends_in_a_source_error_and_leaves_the_store_unchanged(
    fault: str, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(":memory:")
    _serve(server, monkeypatch, Reply(GOOD))
    ingest_batches(store, sdmx.update_ilostat(["MFL_FWRK_SEX_CBR_NB"]))
    before = store.checksum()
    _serve(server, monkeypatch, FAULTS[fault])
    with pytest.raises(SourceError):
        ingest_batches(store, sdmx.update_ilostat(["MFL_FWRK_SEX_CBR_NB"], years="2000:2030"))
    assert store.checksum() == before
