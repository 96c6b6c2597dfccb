"""A report's "Sources" lists that report's sources only, with readable labels (issue 19.6)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from keruen.analysis.cache import ReportCache
from keruen.analysis.provenance import sources_used
from keruen.analysis.section import Section
from keruen.i18n import translations
from keruen.presentation.source_labels import dataset_label, vintage_label
from keruen.report.render import render_report
from keruen.sources.snapshot import open_store


def _sources_table(html: str) -> str:
    return html.split('<h2 id="sources">', 1)[1].split("</table>", 1)[0]


@pytest.fixture(scope="module")
def two_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """UZB then KAZ written on one store, each storing its estimates (as `keruen report` does)."""
    root = tmp_path_factory.mktemp("sources")
    store = open_store(root / "keruen.duckdb", quiet=True)
    pages = {}
    for country in ("UZB", "KAZ"):
        index = render_report(store, root / country, "en", country=country)
        pages[country] = index.read_text("utf-8")
    pages["held"] = ",".join(store.sources()["dataset"])
    # UZB again, after KAZ stored its estimates: nothing UZB's page lists has changed
    cache = ReportCache()
    index = render_report(store, root / "UZB-again", "en", country="UZB", cache=cache)
    pages["UZB-again"] = index.read_text("utf-8")
    pages["rebuilt-again"] = ",".join(cache.stats.rebuilt)
    store.close()
    return pages


def test_another_countrys_estimates_do_not_redraw_a_page(two_reports: dict[str, str]) -> None:
    """The page lists only its own sources, so it is reused when another country's estimates
    are stored (a second run of several countries redrew every page but the last's)."""
    assert two_reports["rebuilt-again"] == ""
    assert two_reports["UZB-again"] == two_reports["UZB"]


def test_a_report_lists_no_estimate_of_another_country(two_reports: dict[str, str]) -> None:
    held = two_reports["held"].split(",")
    assert held.count("KERUEN_ESTIMATES_FLOWS_FROM_STOCKS") == 2  # UZB's and KAZ's are stored
    for country in ("UZB", "KAZ"):
        table = _sources_table(two_reports[country])
        rows = re.findall(r'<tr><td title="([^"]+)"', table)
        # each estimate of this report once; no digest shown as a vintage
        assert rows.count("KERUEN_ESTIMATES_FLOWS_FROM_STOCKS") == 1
        assert not re.search(r"keruen estimate [0-9a-f]{12}", table)
        assert "flows from stocks" in table
    uzb = _sources_table(two_reports["UZB"])
    assert "PAPER_KELINBAYEVA_2025" not in uzb  # UZB's sections cite no figure of the paper
    assert "BNS population by region" not in uzb
    assert "PAPER_KELINBAYEVA_2025" in _sources_table(two_reports["KAZ"])


def test_sources_used_keeps_cited_rows_and_own_estimates() -> None:
    class Est:
        digest = "b" * 64

    stored = pd.DataFrame(
        {
            "dataset": ["A", "A", "B", "KERUEN_ESTIMATES_X", "KERUEN_ESTIMATES_X"],
            "vintage": ["v1", "v2", "v1", "e1", "e2"],
            "sha256": ["1" * 64, "2" * 64, "3" * 64, "a" * 64, "b" * 64],
        }
    )
    sections = {
        "s": Section(
            "s", sources=[{"dataset": "A", "vintage": "v2"}], values={"estimates": [Est()]}
        )
    }
    kept = sources_used(stored, sections)
    assert list(zip(kept["dataset"], kept["vintage"], strict=True)) == [
        ("A", "v2"),
        ("KERUEN_ESTIMATES_X", "e2"),
    ]


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_labels_are_readable_in_each_language(lang: str) -> None:
    _ = translations(lang).gettext
    label = dataset_label("KERUEN_ESTIMATES_FLOWS_FROM_STOCKS", _)
    assert "KERUEN" not in label and "_" not in label
    vintage = vintage_label("keruen estimate 805be20ecff0 (inputs to 2026-03-06)", _)
    assert "805be20ecff0" not in vintage and "2026" in vintage
    assert "2024" in vintage_label("WPP 2024", _, lang)
    if lang != "en":
        assert dataset_label("UNDESA_IMS", _) != "International Migrant Stock"


def test_the_sources_table_wraps_instead_of_hiding_the_licence(two_reports: dict) -> None:
    page = two_reports["KAZ"]
    assert '<table class="sources">' in page
    assert re.search(r"table\.sources\{[^}]*table-layout:fixed", page)
    assert re.search(r"table\.sources td\{[^}]*overflow-wrap:anywhere", page)


