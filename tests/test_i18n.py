"""Languages: the Russian and Kazakh catalogues translate every message of the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from keruen.i18n import LANGUAGES, catalogue_path, format_number, translations

ROOT = Path(__file__).resolve().parents[1]


def _source_messages() -> set[str]:
    from babel.messages.extract import extract_from_dir

    method_map = [("**/templates/**.j2", "jinja2"), ("**.py", "python")]
    options = {"**/templates/**.j2": {"extensions": "jinja2.ext.i18n"}}
    found = extract_from_dir(str(ROOT / "src" / "keruen"), method_map, options_map=options,
                             keywords={"_": None})
    return {msg for _f, _l, msg, _c, _x in found if isinstance(msg, str)}


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_catalogue_translates_every_message_with_the_same_placeholders(lang: str) -> None:
    with catalogue_path(lang).open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(_source_messages() - set(translated))
    assert not missing, f"{lang}: untranslated messages: {missing[:5]}"
    for msgid, text in translated.items():
        assert sorted(re.findall(r"\{(\w*)\}", msgid)) == sorted(re.findall(r"\{(\w*)\}", text)), (
            lang, msgid)


def test_translations_are_loaded_and_numbers_follow_the_language() -> None:
    assert translations("ru").gettext("Year") == "Год"
    assert translations("en").gettext("Year") == "Year"
    assert format_number(1234.5, "en") == "1,234.5"
    assert format_number(1234.5, "ru").replace("\xa0", " ") == "1 234,5"
    assert format_number(float("nan"), "kk") == "–"
