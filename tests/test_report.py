"""``keruen report``: a self-contained HTML report with PNG and SVG figures, in three languages."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from keruen.cli import main
from keruen.report.render import render_report
from keruen.store import Store

FIGURES = [
    "01_kaz_remittances",
    "02_kaz_ratio",
    "03_peer_inflows",
    "04_peer_outflows",
    "05_share_gdp",
    "06_immigrants_by_origin",
    "07_emigrants_by_destination",
    "08_regions",
    "09_quota",
    "10_specialists",
    "11_donor_recipient_index",
    "12_kaz_estimated_flows",
    "13_remittance_corridors",
    "14_implied_migrants",
    "15_remittance_forecasts",
    "16_kaz_migration_system",
    "17_net_migration",
]


@pytest.fixture(scope="module")
def english(snapshot_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_report(snapshot_store, tmp_path_factory.mktemp("en"), "en").parent


def test_report_writes_html_and_every_figure_as_png_and_svg(english: Path) -> None:
    html = (english / "index.html").read_text("utf-8")
    for name in FIGURES:
        png = english / "figures" / f"{name}.png"
        svg = english / "figures" / f"{name}.svg"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert svg.read_text("utf-8").lstrip().startswith("<svg")
    assert html.count("<svg") >= len(FIGURES)  # figures are inlined: the HTML stands alone
    # no script or stylesheet is fetched from elsewhere: Vega is inlined, charts work offline
    assert not re.search(r"<script[^>]+src=", html) and "<link" not in html
    text = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    assert "http://" not in text.split('<h2 id="sources">')[0].replace("http://www.w3.org", "")


def test_every_section_names_its_source_and_vintage(english: Path) -> None:
    html = (english / "index.html").read_text("utf-8")
    assert html.count('class="src"') >= 5
    for vintage in (
        "WDI 2025-07-01",
        "KNOMAD 2023-06",
        "Kelinbayeva et al. 2025",
        "BNS population by region 2000-2023",
    ):
        assert vintage in html


def test_two_runs_give_the_same_numbers(
    snapshot_store: Store, english: Path, tmp_path: Path
) -> None:
    again = render_report(snapshot_store, tmp_path, "en").parent
    assert json.loads((again / "numbers.json").read_text()) == json.loads(
        (english / "numbers.json").read_text()
    )


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_report_in_russian_and_kazakh(snapshot_store: Store, tmp_path: Path, lang: str) -> None:
    from keruen.i18n import translations

    html = render_report(snapshot_store, tmp_path, lang).read_text("utf-8")
    assert f'<html lang="{lang}">' in html
    msgid = "{country} in the international labour migration system"
    title = translations(lang).gettext(msgid)
    assert title != msgid
    assert title.format(country="Казахстан" if lang == "ru" else "Қазақстан") in html
    assert ("Казахстан" if lang == "ru" else "Қазақстан") in html
    assert "Remittances received" not in html  # no English label left untranslated


def test_cli_report_from_a_fresh_home_builds_the_store(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").exists() and (home / "keruen.duckdb").exists()
    first = json.loads((out / "numbers.json").read_text())
    shutil.rmtree(home / "keruen.duckdb")  # a deleted store is rebuilt from the snapshot
    result = CliRunner().invoke(main, ["report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "numbers.json").read_text()) == first


def test_cli_rejects_an_unknown_language(home: Path) -> None:
    result = CliRunner().invoke(main, ["report", "--lang", "de"])
    assert result.exit_code == 2 and "de" in result.output
