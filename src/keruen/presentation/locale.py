"""One locale object: language, translations, number and unit formatting, area names.

The report's and the dashboard's figure builders and templates receive this one object instead of
a language code and a gettext function travelling side by side.
"""

from __future__ import annotations

import gettext
import math
from dataclasses import dataclass, field

from keruen.i18n import check_lang, format_date, format_number, translations
from keruen.presentation.formats import percent_suffix
from keruen.presentation.labels import area_label


@dataclass(frozen=True)
class Locale:
    """Language ``lang`` with its message catalogue and formatting conventions."""

    lang: str
    tr: gettext.NullTranslations = field(repr=False, compare=False, default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        check_lang(self.lang)
        if self.tr is None:
            object.__setattr__(self, "tr", translations(self.lang))

    def _(self, message: str) -> str:
        """The translation of ``message``."""
        return self.tr.gettext(message)

    def num(self, value: float | int | None, digits: int = 1) -> str:
        """``value`` in the language's conventions (1,234.5 / 1 234,5); '–' when missing."""
        return format_number(value, self.lang, digits)

    def musd(self, value: float | None, digits: int = 1) -> str:
        """A US$ amount in US$ million (the report's one money scale), without the unit."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        return format_number(value / 1e6, self.lang, digits)

    def pct(self, value: float | None, digits: int = 1) -> str:
        """A percentage in the language's form (CLDR): 12.5% / 12,5 % (ru) / 12,5% (kk)."""
        text = self.num(value, digits)
        if text == "–":
            return text
        return text + percent_suffix(self.lang)

    def date(self, value: str) -> str:
        """An ISO date (2026-12-05) in the language's long form: 5 декабря 2026 г."""
        return format_date(value, self.lang)

    def area(self, code: str) -> str:
        """The name of an area (country, region, group) in this language."""
        return area_label(code, self.lang, self._)

    @property
    def musd_unit(self) -> str:
        """The money unit: US$ million / млн долл. США / млн АҚШ доллары."""
        return self._("US$ million")
