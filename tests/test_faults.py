"""Fault injection: every connector, against a misbehaving loopback server, either ingests
correctly or fails with a clean SourceError, and a failure leaves the store exactly as it was."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from keruen.errors import SourceError
from keruen.sources import worldbank
from keruen.sources.common import Batch, ingest_batches
from keruen.sources.fallback import StaleDataWarning, latest_or_snapshot
from keruen.store import Store
from tests.fakeserver import FakeServer, Reply
from tests.test_worldbank import POP, recorded, serve_worldbank

GOOD = json.dumps(recorded("data_SM.POP.TOTL_2015-2020.json"))
SHAPE_CHANGED = json.dumps(
    {"data": recorded("data_SM.POP.TOTL_2015-2020.json")[1], "meta": {"page": 1}}
)
ROWS_RENAMED = json.dumps(
    [
        recorded("data_SM.POP.TOTL_2015-2020.json")[0],
        [
            {k.replace("countryiso3code", "iso3"): v for k, v in row.items()}
            for row in recorded("data_SM.POP.TOTL_2015-2020.json")[1]
        ],
    ]
)

FAULTS: dict[str, list[Reply]] = {
    "time-out": [Reply(GOOD, delay=1.5)],
    "429 storm": [Reply("rate limited", status=429, headers={"Retry-After": "30"})],
    "500 storm": [Reply("internal error", status=500)],
    "503 storm": [Reply("unavailable", status=503)],
    "truncated body": [Reply(GOOD, truncate_to=200)],
    "malformed JSON": [Reply(GOOD[:-40])],
    "error inside a 200": [Reply(json.dumps(recorded("error_120_invalid_value.json")))],
    "shape changed": [Reply(SHAPE_CHANGED)],
    "row fields renamed": [Reply(ROWS_RENAMED)],
    "HTML instead of JSON": [Reply("<html><body>Service maintenance</body></html>")],
}
#: what the error must say for each fault
EXPECTED = {
    "time-out": "timed out", "429 storm": "429", "500 storm": "500", "503 storm": "503",
    "truncated body": "truncated", "malformed JSON": "not valid JSON",
    "error inside a 200": "Invalid value", "shape changed": "shape changed",
    "row fields renamed": "shape changed.*countryiso3code",
    "HTML instead of JSON": "not valid JSON",
}
RECOVERABLE: dict[str, list[Reply]] = {
    "one 503 then good": [Reply("x", status=503), Reply(GOOD)],
    "one 429 then good": [Reply("x", status=429, headers={"Retry-After": "1"}), Reply(GOOD)],
    "one truncated then good": [Reply(GOOD, truncate_to=100), Reply(GOOD)],
}


@pytest.fixture
def store() -> Store:
    s = Store(":memory:")
    s.ingest_many([])  # the empty store is a valid starting point too
    return s


def _seed(store: Store, server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Put a first vintage in the store, so 'unchanged' means more than 'still empty'."""
    serve_worldbank(server, monkeypatch, {POP: Reply(GOOD)})
    ingest_batches(store, worldbank.update([POP]))


def _run(
    store: Store, server: FakeServer, monkeypatch: pytest.MonkeyPatch, replies: list[Reply],
    connector: Callable[[], list[Batch]],
) -> None:
    serve_worldbank(server, monkeypatch, {POP: Reply("")})
    server.route("/v2/country/", *replies)
    ingest_batches(store, connector())


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_worldbank_fault_ends_in_a_source_error_and_leaves_the_store_unchanged(
    fault: str, server: FakeServer, monkeypatch: pytest.MonkeyPatch, store: Store
) -> None:
    _seed(store, server, monkeypatch)
    before = store.checksum()
    with pytest.raises(SourceError, match=EXPECTED[fault]) as info:
        _run(store, server, monkeypatch, FAULTS[fault], lambda: worldbank.update([POP]))
    assert server.url in str(info.value)  # the message names the request
    assert store.checksum() == before
    assert server.hits("/v2/country/") <= 3 * 3  # bounded: never more than retries allow


@pytest.mark.parametrize("case", sorted(RECOVERABLE))
def test_worldbank_transient_faults_are_retried_into_a_correct_ingest(
    case: str, server: FakeServer, monkeypatch: pytest.MonkeyPatch, store: Store
) -> None:
    _run(store, server, monkeypatch, RECOVERABLE[case], lambda: worldbank.update([POP]))
    assert store.value("WB_WDI", POP, "KAZ", "2020")["value"] == 3732000.0


def test_a_failure_on_the_second_indicator_ingests_nothing(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, store: Store
) -> None:
    rem = "BX.TRF.PWKR.DT.GD.ZS"
    serve_worldbank(
        server, monkeypatch, {POP: Reply(GOOD), rem: Reply("down", status=503)}
    )
    before = store.checksum()
    with pytest.raises(SourceError):
        ingest_batches(store, worldbank.update([POP, rem]))
    assert store.checksum() == before


def test_fallback_warns_loudly_and_names_the_stored_vintage(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, store: Store,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _seed(store, server, monkeypatch)
    before = store.checksum()
    server.route("/v2/country/", Reply("down", status=503))
    with pytest.warns(StaleDataWarning, match="falling back to the latest stored vintage"):
        result = latest_or_snapshot(store, "WB_WDI", lambda: worldbank.update([POP]))
    assert result.status == "stored" and result.vintage == store.vintages("WB_WDI")[-1]
    assert "WARNING" in capsys.readouterr().err
    assert store.checksum() == before


def test_fallback_to_the_bundled_snapshot_when_nothing_is_stored(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, store: Store
) -> None:
    serve_worldbank(server, monkeypatch, {POP: Reply("down", status=500)})
    with pytest.warns(StaleDataWarning, match="bundled snapshot"):
        result = latest_or_snapshot(store, "WB_WDI", lambda: worldbank.update([POP]))
    assert result.status == "snapshot" and result.vintage in store.vintages("WB_WDI")


def test_fallback_reports_an_update_and_an_unchanged_rerun(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, store: Store
) -> None:
    serve_worldbank(server, monkeypatch, {POP: Reply(GOOD)})
    def refresh() -> list[Batch]:
        return worldbank.update([POP])

    assert latest_or_snapshot(store, "WB_WDI", refresh).status == "updated"
    assert latest_or_snapshot(store, "WB_WDI", refresh).status == "unchanged"


def test_report_refresh_failure_falls_back_loudly_and_still_writes_the_report(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, home: object, tmp_path: Path,
) -> None:
    from click.testing import CliRunner

    from keruen.cli import main

    monkeypatch.setenv("KERUEN_WORLDBANK_URL", server.url + "/v2")
    server.route("/v2/", Reply("down", status=503))  # every World Bank request fails
    # the report prints one warning line itself (issue 8, item 16), not a Python warning
    result = CliRunner().invoke(main, ["report", "--refresh", "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert "WARNING: update of WB_WDI failed" in result.stderr
    assert "falling back to the latest stored vintage" in result.stderr
    assert (tmp_path / "r" / "index.html").exists()
