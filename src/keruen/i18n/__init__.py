"""Languages: message catalogues (gettext .po files read with Babel) and number formatting.

English is the source language; Russian and Kazakh catalogues live in
``i18n/locales/<lang>/LC_MESSAGES/keruen.po``. They are compiled in memory on first use, so the
repository holds only the editable .po files.
"""

from __future__ import annotations

import gettext
import io
import math
import re
import tomllib
from functools import cache
from importlib import resources

from keruen.errors import ConfigError

LANGUAGES = ("en", "ru", "kk")
DOMAIN = "keruen"


def check_lang(lang: str) -> str:
    """Return ``lang`` if supported, else raise :class:`ConfigError` naming the choices."""
    if lang not in LANGUAGES:
        raise ConfigError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    return lang


def catalogue_path(lang: str):  # type: ignore[no-untyped-def]
    """Path of the .po catalogue of ``lang``."""
    return resources.files("keruen.i18n").joinpath(f"locales/{lang}/LC_MESSAGES/{DOMAIN}.po")


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """Gettext translations for ``lang`` (English: identity)."""
    check_lang(lang)
    if lang == "en":
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with catalogue_path(lang).open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def format_number(value: float | int | None, lang: str, digits: int = 1) -> str:
    """A number in the conventions of ``lang`` (e.g. 1,234.5 / 1 234,5); '–' when missing.

    A value too large to write out in full (beyond 10^21, e.g. a stored 1.7e308) or infinite
    is written in scientific notation, so a page shows it rather than failing.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    from babel.numbers import format_decimal, format_scientific

    if isinstance(value, float) and (math.isinf(value) or abs(value) >= 1e21):
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        return format_scientific(value, format="0.00E0", locale=lang)
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    text = format_decimal(value, format=pattern, locale=lang)
    # Russian and Kazakh typeset a true minus sign (U+2212), not a hyphen
    return "\u2212" + text[1:] if lang != "en" and text.startswith("-") else text


@cache
def _reference_labels() -> dict[str, dict[str, dict[str, str]]]:
    text = resources.files("keruen.data.reference").joinpath("labels.toml").read_text("utf-8")
    return tomllib.loads(text)


@cache
def _release_templates() -> list[tuple[re.Pattern[str], dict[str, str]]]:
    out = []
    for template, names in _reference_labels().get("release_template", {}).items():
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(template))
        out.append((re.compile(pattern + "$"), names))
    return out


def release_label(vintage: str, lang: str) -> str:
    """A data release's name (``vintage``) in ``lang``, from ``data/reference/labels.toml``.

    Names listed under ``release`` are translated as they are; names built from a template
    (``release_template``, e.g. a keruen estimate's inputs date) are refilled in ``lang``,
    dates in its long form. A name not listed keeps its publisher's wording.
    """
    check_lang(lang)
    named = _reference_labels().get("release", {}).get(vintage, {}).get(lang)
    if named:
        return named
    for pattern, names in _release_templates():
        found = pattern.match(vintage)
        if found is not None and lang in names:
            params = found.groupdict()
            if "date" in params and re.fullmatch(r"\d{4}-\d{2}-\d{2}", params["date"]):
                params["date"] = format_date(params["date"], lang)
            return names[lang].format(**params)
    return vintage


def format_date(value: str, lang: str) -> str:
    """An ISO date (``2026-12-05``) in ``lang``'s long form: 5 декабря 2026 г."""
    import datetime as dt

    from babel.dates import format_date as babel_date

    # Kazakh writes "2026 жылғы 5 желтоқсан" (CLDR's long form abbreviates the year word)
    form = "y 'жылғы' d MMMM" if lang == "kk" else "long"
    return babel_date(dt.date.fromisoformat(value[:10]), form, locale=check_lang(lang))
