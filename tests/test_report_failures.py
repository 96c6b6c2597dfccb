"""A section that raises never ends the report (issue 18.1, runner side).

The runner turns a section that raises into a failed section giving its reason; the sections
built from it are failed naming it; nothing failed is cached; the report is written with the
rest, and the command line warns and exits 0.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from keruen.analysis import registry, runner
from keruen.analysis.cache import ReportCache
from keruen.analysis.scope import peer_group
from keruen.errors import EstimationError
from keruen.report.render import render_report
from keruen.store import Store


def _boom(*_args: object, **_kwargs: object) -> object:
    raise EstimationError("arima could not be fitted (synthetic failure of the test)")


def _breaking(monkeypatch: pytest.MonkeyPatch, *keys: str) -> None:
    """Make the entries ``keys`` raise (their function replaced by :func:`_boom`)."""
    entries = tuple(
        dataclasses.replace(e, target=f"{__name__}:_boom") if e.key in keys else e
        for e in registry.ENTRIES
    )
    monkeypatch.setattr(runner, "ENTRIES", entries)
    monkeypatch.setattr(runner, "REGISTRY", {e.key: e for e in entries})


def test_a_failed_section_is_contained_named_and_not_cached(
    snapshot_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scope = peer_group("UZB")
    only = ("position", "measures", "balance", "cis")
    cache = ReportCache(tmp_path / "cache", memory=False)
    _breaking(monkeypatch, "trend")
    sections = runner.run(snapshot_store, scope, only, cache=cache)
    assert sections["trend"].failed == (
        "EstimationError: arima could not be fitted (synthetic failure of the test)"
    )
    assert not sections["trend"].held and sections["trend"].tables == {}
    for key in ("position", "measures", "balance"):  # built from the trend
        assert sections[key].failed == "not built: trend failed"
        assert sections[key].values["failed_because"] == "trend"
    assert sections["cis"].held and not sections["cis"].failed  # independent of the trend
    monkeypatch.undo()
    cache = ReportCache(tmp_path / "cache", memory=False)
    again = runner.run(snapshot_store, scope, only, cache=cache)
    assert all(not s.failed for s in again.values()), "a failure was served from the cache"
    assert again["trend"].held and not again["trend"].tables["series"].empty


def test_a_cached_section_is_not_served_for_another_function(
    snapshot_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache entry names the function that computed it: with the trend cached, a registry
    pointing the trend at another function computes that one (here: it fails)."""
    scope, only = peer_group("UZB"), ("trend", "measures")
    cache = ReportCache(tmp_path / "cache")
    assert not runner.run(snapshot_store, scope, only, cache=cache)["trend"].failed
    _breaking(monkeypatch, "trend")
    again = runner.run(snapshot_store, scope, only, cache=ReportCache(tmp_path / "cache"))
    assert again["trend"].failed.startswith("EstimationError: arima")
    assert again["measures"].failed == "not built: trend failed"


def test_the_report_is_written_when_sections_raise(
    snapshot_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _breaking(monkeypatch, "trend", "corridors")
    outcomes: dict = {}
    index = render_report(
        snapshot_store,
        tmp_path / "rep",
        country="UZB",
        keep_estimates=False,
        cache=ReportCache(),  # the run's shared cache: the sections broken here are never in it
        outcomes=outcomes,
    )
    page = index.read_text("utf-8")
    assert "Sections not built for Uzbekistan" in page
    assert page.count("synthetic failure of the test") >= 2  # trend and corridors say why
    assert "not built: trend failed" in page  # the position, measures, balance and SWOT
    numbers = json.loads((index.parent / "numbers.json").read_text("utf-8"))
    assert set(numbers["failed"]) >= {"trend", "corridors", "volumes", "swot", "position"}
    assert numbers["trend"] == {"failed": numbers["failed"]["trend"]}
    assert numbers["cis"] and "failed" not in numbers["cis"]  # the rest is written
    outcome = outcomes["UZB"]
    assert outcome.status["trend"] == "failed" and outcome.status["cis"] == "built"
    assert outcome.count("failed") == len(outcome.failed) >= 5
    assert outcome.status["labour"] == "not_held"  # Kazakhstan's figures only


def test_the_command_warns_names_the_failed_sections_and_exits_0(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from keruen.cli import main

    _breaking(monkeypatch, "forecasts")
    # in this process: the sections broken here would be whole in worker processes
    monkeypatch.setenv("KERUEN_REPORT_COUNTRIES_PER_PROCESS", "0")
    out = tmp_path / "rep"
    result = CliRunner().invoke(
        main, ["report", "--country", "KGZ,TJK", "--out", str(out)]
    )  # through the run's shared cache: an entry names its function, so no whole forecast
    assert result.exit_code == 0, result.output
    for code in ("KGZ", "TJK"):
        assert f"WARNING: {code}: not built: forecasts (EstimationError: arima" in result.output
        assert (out / code / "index.html").is_file()
    status = json.loads((out / "status.json").read_text("utf-8"))
    assert status["written"] == 2
    failed = sum(v == "failed" for v in status["by_country"]["KGZ"]["status"].values())
    assert "KGZ: sections built " in result.output  # one counted line per country (18.1)
    assert f"failed {failed}; FAILED forecasts: EstimationError: arima" in result.output
    assert status["by_country"]["KGZ"]["status"]["forecasts"] == "failed"
    assert status["by_country"]["KGZ"]["failed"]["swot"] == "not built: forecasts failed"
    index = (out / "index.html").read_text("utf-8")
    assert 'href="KGZ/index.html"' in index and "<th>Failed</th>" in index


@pytest.mark.parametrize(("lang", "words"), [("en", "could not be computed"), ("kk", "есептеу")])
def test_the_profile_says_a_failed_section_could_not_be_computed(
    snapshot_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, words: str
) -> None:
    """The dashboard tells a failed section from one whose inputs are not held, as the report
    does: "could not be computed", its reason on hover; not "not held for this country"."""
    from keruen.web.profile import context

    _breaking(monkeypatch, "corridors")
    scope = peer_group("UZB")
    sections = runner.run(snapshot_store, scope, cache=ReportCache())  # the run's shared cache
    shown = context(sections, "UZB", lang, lambda v, d=1: str(v))
    assert "corridors" in shown["failed"] and "synthetic failure" in shown["failed"]["corridors"]
    assert "corridors" not in shown["not_held"] and "corridors" not in shown["held"]
    assert "labour" in shown["not_held"]  # Kazakhstan's figures only: not held, not failed
    from keruen.web.views import labels

    assert words in labels()[lang]["not_built"]


def test_each_country_is_counted_on_one_progress_line() -> None:
    """A partial ``--country all`` run is countable from its log: one line per country (18.1)."""
    from keruen.report.countries import Outcome

    done = Outcome("KWT", {"a": "built", "b": "failed", "c": "not_held"}, {"b": "Error: x"})
    assert done.line() == "KWT: sections built 1, not held 1, failed 1; FAILED b: Error: x"
    lost = Outcome("SSD", {}, {"report": "StoreError: y"})
    assert lost.line() == "SSD: report not written (StoreError: y)"
