"""Russian and Kazakh reports: every visible string translated, units and names corrected, and
each series keeps its colour in every language."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from keruen.analysis.cache import ReportCache
from keruen.report.render import render_report
from keruen.store import Store
from tests.wording import latin_words, visible_text


def identifiers(store: Store) -> set[str]:
    """Words of the source identifiers (dataset codes, vintages, file names, URLs, licences as
    published): proper names of releases, shown as published."""
    src = store.sources()
    words: set[str] = set()
    for col in ("dataset", "origin", "url", "file_name", "sha256"):
        for value in src[col].dropna().astype(str):
            words |= set(re.findall(r"[A-Za-zÀ-ÿ]+", value))
    return words


@pytest.fixture(scope="module")
def reports(built_report: Callable[[str, str], Path]) -> dict:
    return {(c, lang): built_report(c, lang) for c in ("KAZ", "UZB") for lang in ("en", "ru", "kk")}


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize("country", ["KAZ", "UZB"])
def test_no_english_words_left_in_russian_or_kazakh(
    snapshot_store: Store, reports: dict, lang: str, country: str
) -> None:
    page = (reports[country, lang] / "index.html").read_text("utf-8")
    # the sources table's file and address column shows identifiers as published
    page = re.sub(r'(?s)<td class="src">.*?</td>', " ", page)
    stray = set(latin_words(visible_text(page))) - identifiers(snapshot_store)
    assert not stray, f"{country}/{lang}: untranslated words {sorted(stray)[:30]}"


def test_sentences_after_a_threshold_start_upper_case(reports: dict) -> None:
    """"Порог: ≥ 50 %. оценка keruen…": the source and the verdict after a threshold are
    sentences of their own, so they start upper-case (19.3)."""
    for lang, word in (("ru", "Порог:"), ("kk", "Шек:")):
        page = (reports["KAZ", lang] / "index.html").read_text("utf-8")
        text = re.sub(r"\s+", " ", visible_text(page))
        starts = re.findall(rf"{word} [^.]*?\. (\w)", text)
        assert starts, lang
        assert all(c.isupper() for c in starts), (lang, starts)


def test_units_and_names_follow_each_language(reports: dict) -> None:
    ru = visible_text((reports["KAZ", "ru"] / "index.html").read_text("utf-8"))
    kk = visible_text((reports["KAZ", "kk"] / "index.html").read_text("utf-8"))
    assert "млн долл. США" in ru and "US$" not in ru
    assert "млн АҚШ доллары" in kk and "US$" not in kk
    assert "Кыргызстан" in ru and "Киргизия" not in ru
    assert "Соединённые штаты" not in ru
    # a Kazakh term, not the Russian loan (docs/glossary.csv: location_quotient)
    assert "Шоғырлану коэффициенті" in kk and "Локализация коэффициенті" not in kk
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
