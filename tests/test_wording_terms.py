"""Terms, numbers and dates of the Russian and Kazakh texts (issue 19.3).

The glossary (docs/glossary.csv) names one word per thing; the catalogues and the dashboard's
words must not fall back to the rejected forms readers reported. Numbers, percentages, minus
signs and dates follow each language's conventions (CLDR, through Babel).
"""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from keruen.i18n import catalogue_path, format_date, format_number
from keruen.presentation.formats import local_numbers, sentence
from keruen.presentation.locale import Locale

ROOT = Path(__file__).resolve().parents[1]

#: Forms readers reported as wrong or inconsistent, with the glossary term that replaces them.
REJECTED = {
    "ru": {
        "Комитет миграционной службы": "migration_committee",  # the old police body
        "Комитет по миграции": "migration_committee",
        "Метод по:": "method_after",
        "метод по:": "method_after",
        "страна ({": "template residue",
        "в стране {": "template residue",
        "уроженцы страны {": "template residue",
        "UN WPP": "un_wpp",
        "доклад": "report",
        "сальдо": "net_migration",
    },
    "kk": {
        "аңғал": "naive_forecast",
        "сандар айырмасы": "stock_differencing",
        "Саннан бағаланған": "flows_from_stocks",
        "UN WPP": "un_wpp",
        "локализация коэффициенті": "location_quotient",
        "Елде ({": "template residue",
        "ел ({": "template residue",
        "Ел ({": "template residue",
        "баяндама": "report",
        "сальдо": "net_migration",
    },
}


def glossary() -> dict[str, dict[str, str]]:
    with (ROOT / "docs" / "glossary.csv").open(encoding="utf-8") as fh:
        return {row["term"]: row for row in csv.DictReader(fh)}


def texts(lang: str) -> list[str]:
    """Every translated text of ``lang``: the message catalogue and the dashboard's words."""
    with catalogue_path(lang).open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    out = [m.string for m in catalog if m.id and isinstance(m.string, str) and m.string]
    labels = (ROOT / "src" / "keruen" / "web" / "labels.toml").read_text("utf-8")
    out += [str(v) for v in tomllib.loads(labels)[lang].values()]
    return out


def test_the_glossary_names_each_term_in_three_languages_with_its_source() -> None:
    rows = glossary()
    assert len(rows) >= 25
    for term, row in rows.items():
        assert all(row[k].strip() for k in ("en", "ru", "kk", "source")), term


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_no_rejected_term_is_left(lang: str) -> None:
    found = [
        (bad, why, text[:80])
        for text in texts(lang)
        for bad, why in REJECTED[lang].items()
        if bad.lower() in text.lower()
    ]
    assert found == []


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_glossary_terms_are_the_ones_used(lang: str) -> None:
    """The glossary's words are the catalogue's: the committee, the method credit, the naive
    forecast and stock differencing read as the glossary says."""
    rows = glossary()
    joined = "\n".join(texts(lang))
    terms = ["migration_committee", "net_migration", "un_desa"]
    terms += ["naive_forecast", "stock_differencing"] if lang == "kk" else ["method_after"]
    for term in terms:
        word = rows[term][lang].split(" (")[0]
        assert word in joined, (term, word)


def test_percent_minus_and_dates_follow_each_language() -> None:
    assert Locale("en").pct(-37.4) == "-37.4%"
    assert Locale("ru").pct(-37.4) == "\u221237,4\u00a0%"  # CLDR: ru separates the sign
    assert Locale("kk").pct(68.8) == "68,8%"  # CLDR: kk does not
    assert format_number(-1885.14, "ru") == "\u22121\u00a0885,1"
    assert format_number(-1885.14, "en") == "-1,885.1"
    assert format_date("2026-12-05", "ru") == "5 декабря 2026\u202fг."
    assert format_date("2026-12-05", "kk") == "2026 жылғы 5 желтоқсан"
    assert format_date("2026-12-05", "en") == "December 5, 2026"
    assert local_numbers("≥ 50%", "ru") == "≥ 50\u00a0%"
    assert local_numbers("< -1.25, since 2016", "kk") == "< \u22121,25, since 2016"
    assert sentence("оценка keruen") == "Оценка keruen"


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_percent_signs_in_the_catalogue_follow_cldr(lang: str) -> None:
    """"68,8%" next to "−37,4 %": one spacing per language, CLDR's."""
    import re

    spaced = [t for t in texts(lang) if re.search(r"[\d}]\u00a0%", t)]
    tight = [t for t in texts(lang) if re.search(r"[\d}]%", t)]
    if lang == "ru":
        assert tight == [] and spaced
    else:
        assert spaced == [] and tight
