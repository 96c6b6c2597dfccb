"""`keruen update`, `keruen diff` and `keruen vintages` against a recorded World Bank answer."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.sources.snapshot import open_store
from tests.fakeserver import FakeServer, Reply
from tests.test_worldbank import POP, recorded, serve_worldbank


def test_update_twice_then_a_revision_shows_in_diff(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    header, rows = recorded("data_SM.POP.TOTL_2015-2020.json")
    header = header | {"lastupdated": "2099-01-01"}  # newer than any bundled vintage
    serve_worldbank(server, monkeypatch, {POP: Reply(json.dumps([header, rows]))})
    runner = CliRunner()
    args = ["update", "worldbank", "--indicators", POP, "--years", "2015:2020"]

    first = runner.invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "added vintage 'WB API SM.POP.TOTL 2099-01-01'" in first.output

    again = runner.invoke(main, args)
    assert again.exit_code == 0 and "unchanged upstream" in again.output
    with open_store(quiet=True) as store:
        held = [v for v in store.vintages("WB_WDI") if v.startswith("WB API")]
    assert held == ["WB API SM.POP.TOTL 2099-01-01"]

    revised = json.loads(json.dumps(rows))
    kgz = next(r for r in revised if r["countryiso3code"] == "KGZ" and r["date"] == "2020")
    kgz["value"] = 200000
    server.route("/v2/country/", Reply(json.dumps([header, revised])))
    third = runner.invoke(main, args)
    assert third.exit_code == 0 and "added vintage" in third.output

    diff = runner.invoke(main, ["diff", "worldbank"])
    assert diff.exit_code == 0, diff.output
    assert "1 value(s) revised" in diff.output
    line = next(ln for ln in diff.output.splitlines() if "KGZ" in ln)
    assert "192000" in line and "200000" in line
    assert "KAZ" not in diff.output  # unchanged values are not listed

    listing = runner.invoke(main, ["vintages", "worldbank"])
    assert listing.exit_code == 0 and listing.output.count("WB API SM.POP.TOTL") == 2


def test_a_failed_update_exits_with_the_source_error_code_and_changes_nothing(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_worldbank(server, monkeypatch, {POP: Reply("down", status=503)})
    with open_store(quiet=True) as store:
        before = store.checksum()
    result = CliRunner().invoke(main, ["update", "worldbank", "-i", POP])
    assert result.exit_code == 6
    assert "keruen: error:" in result.output and "503" in result.output
    with open_store(quiet=True) as store:
        assert store.checksum() == before


def test_update_without_indicators_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["update", "worldbank"])
    assert result.exit_code == 2 and "at least one indicator" in result.output


def test_import_sdmx_taldau_and_wdi_files(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.fakeserver import DATA

    runner = CliRunner()
    sdmx_run = runner.invoke(main, ["import", str(DATA / "sdmx" / "ilostat_generic.xml"),
                                    "-s", "sdmx"])
    assert sdmx_run.exit_code == 0 and "ILOSTAT: added vintage" in sdmx_run.output

    taldau_run = runner.invoke(main, ["import", str(DATA / "taldau" /
                                                    "migration_arrivals_by_region.json"),
                                      "-s", "taldau", "--release", "2024-05-01"])
    assert taldau_run.exit_code == 0, taldau_run.output
    assert "KZ_BNS_MIGRATION: added vintage" in taldau_run.output

    wdi = tmp_path / "WDIData.csv"
    wdi.write_text("Country Name,Country Code,Indicator Name,Indicator Code,2020\n"
                   "Kazakhstan,KAZ,Population (people),SP.POP.TOTL,19000000\n", "utf-8")
    no_release = runner.invoke(main, ["import", str(wdi), "-s", "wdi"])
    assert no_release.exit_code == 2 and "--release" in no_release.output
    ok = runner.invoke(main, ["import", str(wdi), "-s", "wdi", "--release", "2099-12-01"])
    assert ok.exit_code == 0, ok.output
    with open_store(quiet=True) as store:
        assert store.value("WB_WDI", "SP.POP.TOTL", "KAZ", "2020")["value"] == 19000000.0
        assert store.value("KZ_BNS_MIGRATION", "migration_arrivals", "KZ-71", "2023")[
            "vintage"].startswith("Taldau migration_arrivals_by_region")
