"""Russian and Kazakh reports: every visible string translated, units and names corrected, and
each series keeps its colour in every language."""

from __future__ import annotations

import html as htmlmod
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from keruen.analysis.cache import ReportCache
from keruen.report.render import render_report
from keruen.store import Store

#: Latin-script words allowed in a Russian or Kazakh report: format and unit codes, model and
#: data-product names, authors and software cited by name.
ALLOWED = {
    "keruen",
    "PNG",
    "SVG",
    "CSV",
    "numbers",
    "json",
    "MASE",
    "ARIMA",
    "KNOMAD",
    "WDI",
    "SWOT",
    "datahub",
    "io",
    "CC",
    "BY",
    "IGO",
    "Abel",
    "Sander",
    "Cohen",
    "Beine",
    "Bertoli",
    "Fernández",
    "Huertas",
    "Moraga",
    "Santos",
    "Silva",
    "Tenreyro",
    "Ratha",
    "Shaw",
    "Louvain",
    "networkx",
    "et",
    "al",
    "sha",
    "UN",
    "WPP",
    "O",
    "I",
    "p",
    "PPML",
    "exp",
}


def visible_text(html: str) -> str:
    """The text a reader sees: no scripts, styles, inline SVG markup or tags."""
    for pattern in (r"<script.*?</script>", r"<style.*?</style>", r"<svg.*?</svg>"):
        html = re.sub(pattern, " ", html, flags=re.S)
    return htmlmod.unescape(re.sub(r"<[^>]+>", " ", html))


def identifiers(store: Store) -> set[str]:
    """Words of the source identifiers (dataset codes, vintages, file names, URLs, licences as
    published): proper names of releases, shown as published."""
    src = store.sources()
    words: set[str] = set()
    for col in ("dataset", "vintage", "origin", "url", "file_name", "sha256"):
        for value in src[col].dropna().astype(str):
            words |= set(re.findall(r"[A-Za-zÀ-ÿ]+", value))
    return words


def latin_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ]+", text))


@pytest.fixture(scope="module")
def reports(built_report: Callable[[str, str], Path]) -> dict:
    return {(c, lang): built_report(c, lang) for c in ("KAZ", "UZB") for lang in ("en", "ru", "kk")}


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("country", ["KAZ", "UZB"])
def test_no_english_words_left_in_russian_or_kazakh(
    snapshot_store: Store, reports: dict, lang: str, country: str
) -> None:
    text = visible_text((reports[country, lang] / "index.html").read_text("utf-8"))
    stray = latin_words(text) - ALLOWED - identifiers(snapshot_store)
    assert not stray, f"{country}/{lang}: untranslated words {sorted(stray)[:30]}"


def test_units_and_names_follow_each_language(reports: dict) -> None:
    ru = visible_text((reports["KAZ", "ru"] / "index.html").read_text("utf-8"))
    kk = visible_text((reports["KAZ", "kk"] / "index.html").read_text("utf-8"))
    assert "млн долл. США" in ru and "US$" not in ru
    assert "млн АҚШ доллары" in kk and "US$" not in kk
    assert "Кыргызстан" in ru and "Киргизия" not in ru
    assert "Соединённые штаты" not in ru
    assert "Оқшаулану" not in kk and "Локализация коэффициенті" in kk
    assert "Алматы қаласы" in kk
    for text in (ru, kk):
        for english in ("World Bank", "figures quoted with citation", "recent years"):
            assert english not in text


def test_each_series_keeps_its_colour_in_every_language(reports: dict) -> None:
    def colours(lang: str) -> list[str]:
        svg = (reports["KAZ", lang] / "figures" / "08_regions.svg").read_text("utf-8")
        return re.findall(r'fill="(#[0-9a-f]{6})"', svg)

    en = colours("en")
    assert en and colours("ru") == en and colours("kk") == en


def test_each_step_of_the_report_is_announced(snapshot_store: Store, tmp_path: Path) -> None:
    said: list[str] = []
    fresh = ReportCache(tmp_path / "cache", memory=False)  # nothing cached yet: every step runs
    render_report(snapshot_store, tmp_path, "kk", country="TKM", progress=said.append, cache=fresh)
    # Turkmenistan too gets the estimates whose inputs are held, stored before drawing
    assert [s.split(":")[1].split("(")[0].strip() for s in said][:4] == [
        "computing the sections",
        "storing the estimates",
        "drawing the figures",
        "writing index.html",
    ]
    # a cold run says what it computed, not "0 of N parts reused" (issue #19 item 19)
    assert re.fullmatch(r"TKM: computed \d+ parts \(nothing reusable in the cache\)", said[4])
