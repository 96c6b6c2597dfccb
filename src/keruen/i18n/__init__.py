"""Languages: message catalogues (gettext .po files read with Babel) and number formatting.

English is the source language; Russian and Kazakh catalogues live in
``i18n/locales/<lang>/LC_MESSAGES/keruen.po``. They are compiled in memory on first use, so the
repository holds only the editable .po files.
"""

from __future__ import annotations

import gettext
import io
import math
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
    return format_decimal(value, format=pattern, locale=lang)
