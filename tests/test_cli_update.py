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
    sdmx_run = runner.invoke(
        main, ["import", str(DATA / "sdmx" / "ilostat_generic.xml"), "-s", "sdmx"]
    )
    assert sdmx_run.exit_code == 0 and "ILOSTAT: added vintage" in sdmx_run.output

    taldau_run = runner.invoke(
        main,
        [
            "import",
            str(DATA / "taldau" / "migration_arrivals_by_region.json"),
            "-s",
            "taldau",
            "--release",
            "2024-05-01",
        ],
    )
    assert taldau_run.exit_code == 0, taldau_run.output
    assert "KZ_BNS_MIGRATION: added vintage" in taldau_run.output

    wdi = tmp_path / "WDIData.csv"
    wdi.write_text(
        "Country Name,Country Code,Indicator Name,Indicator Code,2020\n"
        "Kazakhstan,KAZ,Population (people),SP.POP.TOTL,19000000\n",
        "utf-8",
    )
    no_release = runner.invoke(main, ["import", str(wdi), "-s", "wdi"])
    assert no_release.exit_code == 2 and "--release" in no_release.output
    ok = runner.invoke(main, ["import", str(wdi), "-s", "wdi", "--release", "2099-12-01"])
    assert ok.exit_code == 0, ok.output
    with open_store(quiet=True) as store:
        assert store.value("WB_WDI", "SP.POP.TOTL", "KAZ", "2020")["value"] == 19000000.0
        assert store.value("KZ_BNS_MIGRATION", "migration_arrivals", "KZ-71", "2023")[
            "vintage"
        ].startswith("Taldau migration_arrivals_by_region")


# -- issue 8, item 8: an update always asks the server ------------------------------------------
def _held_update(server: FakeServer, monkeypatch: pytest.MonkeyPatch, **reply: object) -> list:
    """Serve SM.POP.TOTL (optionally with an ETag), run one update, return the CLI args."""
    header, rows = recorded("data_SM.POP.TOTL_2015-2020.json")
    body = json.dumps([header | {"lastupdated": "2099-01-01"}, rows])
    serve_worldbank(server, monkeypatch, {POP: Reply(body, **reply)})  # type: ignore[arg-type]
    args = ["update", "worldbank", "-i", POP, "-y", "2015:2020"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0 and "added vintage" in first.output, first.output
    return args


def test_a_rerun_asks_the_server_and_a_304_is_reported_as_unchanged_upstream(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = _held_update(server, monkeypatch, etag='"pop-v1"')
    asked_before = server.hits("/v2/country/")
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert server.hits("/v2/country/") == asked_before + 1  # the server WAS asked
    assert server.headers_seen[-1].get("If-None-Match") == '"pop-v1"'
    assert "unchanged upstream (the server was asked" in again.output
    assert "304 Not Modified" in again.output


def test_a_server_down_on_rerun_is_an_error_not_unchanged(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = _held_update(server, monkeypatch)
    for fault in (Reply("down", status=503), Reply("x" * 500, truncate_to=10)):
        server.route("/v2/country/", fault)
        with open_store(quiet=True) as store:
            before = store.checksum()
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 6, result.output
        assert "unchanged" not in result.output and "Traceback" not in result.output
        assert result.output.count("keruen: error:") == 1
        with open_store(quiet=True) as store:
            assert store.checksum() == before


def test_offline_uses_the_cache_loudly_and_never_claims_unchanged_upstream(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = _held_update(server, monkeypatch)
    asked = len(server.requests)
    result = CliRunner().invoke(main, [*args, "--offline"])
    assert result.exit_code == 0, result.output
    assert len(server.requests) == asked  # nothing was asked
    assert "WARNING: --offline: upstream was not asked" in result.output
    assert "offline: upstream was NOT asked" in result.output
    assert "unchanged upstream" not in result.output


def test_offline_without_a_cached_answer_is_a_clear_error(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_worldbank(server, monkeypatch, {POP: Reply("[]")})
    result = CliRunner().invoke(main, ["update", "worldbank", "-i", POP, "--offline"])
    assert result.exit_code == 6 and "no cached answer" in result.output
    assert server.hits("/") == 0


# -- issue 8, item 9: one deadline, a page cap, a byte cap --------------------------------------
def test_a_hanging_server_ends_promptly_at_the_update_deadline(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setenv("KERUEN_HTTP_TIMEOUT", "30")
    monkeypatch.setenv("KERUEN_HTTP_RETRIES", "5")
    monkeypatch.setenv("KERUEN_UPDATE_DEADLINE", "1.5")
    serve_worldbank(server, monkeypatch, {POP: Reply("[]", delay=10)})
    started = time.monotonic()
    result = CliRunner().invoke(main, ["update", "worldbank", "-i", POP])
    assert time.monotonic() - started < 5
    assert result.exit_code == 6 and "KERUEN_UPDATE_DEADLINE=1.5 s" in result.output


def test_a_header_claiming_a_billion_pages_is_refused_after_one_request(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    header, rows = recorded("data_SM.POP.TOTL_2015-2020.json")
    lying = json.dumps([header | {"pages": 10**9, "total": 10**12}, rows])
    serve_worldbank(server, monkeypatch, {POP: Reply(lying)})
    result = CliRunner().invoke(main, ["update", "worldbank", "-i", POP])
    assert result.exit_code == 6, result.output
    assert "1000000000 pages" in result.output and "KERUEN_UPDATE_MAX_PAGES" in result.output
    assert server.hits("/v2/country/") == 1


def test_pages_inconsistent_with_the_total_are_refused(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    header, rows = recorded("data_SM.POP.TOTL_2015-2020.json")
    serve_worldbank(server, monkeypatch, {POP: Reply(json.dumps([header | {"pages": 400}, rows]))})
    result = CliRunner().invoke(main, ["update", "worldbank", "-i", POP])
    assert result.exit_code == 6 and "inconsistent" in result.output
    assert server.hits("/v2/country/") == 1


def test_the_byte_cap_ends_an_update_with_a_clear_error(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KERUEN_UPDATE_MAX_BYTES", "2000")
    serve_worldbank(
        server, monkeypatch, {POP: Reply(json.dumps(recorded("data_SM.POP.TOTL_2015-2020.json")))}
    )
    result = CliRunner().invoke(main, ["update", "worldbank", "-i", POP])
    assert result.exit_code == 6 and "KERUEN_UPDATE_MAX_BYTES=2000" in result.output


def test_a_byte_per_interval_server_ends_promptly_with_one_error(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setenv("KERUEN_HTTP_TIMEOUT", "30")
    monkeypatch.setenv("KERUEN_UPDATE_DEADLINE", "1")
    body = json.dumps(recorded("data_SM.POP.TOTL_2015-2020.json"))
    serve_worldbank(server, monkeypatch, {POP: Reply(body, trickle=0.05)})
    started = time.monotonic()
    result = CliRunner().invoke(main, ["update", "worldbank", "-i", POP])
    assert time.monotonic() - started < 5
    assert result.exit_code == 6 and "deadline" in result.output
    assert result.output.count("keruen: error:") == 1


def test_refresh_and_offline_together_are_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["update", "worldbank", "-i", POP, "--offline",
                                       "--refresh"])
    assert result.exit_code == 2 and "contradict" in result.output


def test_a_withdrawn_revision_is_a_new_release_that_queries_return(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22, item 1: upstream A → B → A. The third answer equals vintage A, not the newest
    (B): it is a reversion, stored as a new vintage that queries return, and said so; a fourth
    identical answer is then "unchanged upstream"."""
    header, rows = recorded("data_SM.POP.TOTL_2015-2020.json")
    a = json.dumps([header | {"lastupdated": "2099-01-01"}, rows])
    revised = json.loads(json.dumps(rows))
    kgz = next(r for r in revised if r["countryiso3code"] == "KGZ" and r["date"] == "2020")
    kgz["value"] = 200000
    b = json.dumps([header | {"lastupdated": "2099-02-01"}, revised])
    serve_worldbank(server, monkeypatch, {POP: Reply(a)})
    runner = CliRunner()
    args = ["update", "worldbank", "--indicators", POP, "--years", "2015:2020"]

    def kgz_2020() -> tuple[float, str]:
        with open_store(quiet=True) as store:
            row = store.value("WB_WDI", POP, "KGZ", "2020")
        return float(row["value"]), str(row["vintage"])

    assert runner.invoke(main, args).exit_code == 0
    original = kgz_2020()
    server.route("/v2/country/", Reply(b))
    assert "added vintage" in runner.invoke(main, args).output
    assert kgz_2020()[0] == 200000
    server.route("/v2/country/", Reply(a))
    third = runner.invoke(main, args)
    assert third.exit_code == 0, third.output
    assert "reverted upstream" in third.output and "unchanged" not in third.output
    assert "'WB API SM.POP.TOTL 2099-01-01'" in third.output  # the vintage it restores
    value, vintage = kgz_2020()
    assert value == original[0] and vintage != original[1] and "reversion" in vintage
    fourth = runner.invoke(main, args)
    assert "unchanged upstream" in fourth.output and vintage in fourth.output
    server.route("/v2/country/", Reply(b))  # and back again: B is the reversion now
    assert "reverted upstream" in runner.invoke(main, args).output
    assert kgz_2020()[0] == 200000
