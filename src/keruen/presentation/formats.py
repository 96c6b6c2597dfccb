"""Number, percent and date conventions of each language, from CLDR (read through Babel).

One source for the text of the report and the dashboard and for Vega's d3 format locales, so a
chart's axis ("4 500", "2 809,0") and the table beside it write numbers the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Any

from keruen.i18n import check_lang
from keruen.i18n import format_date as i18n_date

#: The minus sign of Russian and Kazakh text (U+2212), as in typeset figures.
MINUS = "\u2212"


@cache
def percent_suffix(lang: str) -> str:
    """What follows a percentage in ``lang`` (CLDR's percent pattern): '%' or NBSP + '%'."""
    from babel import Locale

    pattern = Locale(check_lang(lang)).percent_formats[None].pattern
    return re.sub(r"^[#,0.]+", "", pattern).replace(" ", "\u00a0")


@cache
def d3_number_locale(lang: str) -> dict[str, Any]:
    """A d3-format locale (decimal, thousands, minus, percent) of ``lang`` from CLDR."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    check_lang(lang)
    return {
        "decimal": get_decimal_symbol(locale=lang),
        "thousands": get_group_symbol(locale=lang).replace(" ", "\u00a0"),
        "grouping": [3],
        "currency": ["$", ""] if lang == "en" else ["", "\u00a0$"],
        "minus": MINUS,
        "percent": percent_suffix(lang),
    }


@cache
def d3_time_locale(lang: str) -> dict[str, Any]:
    """A d3-time-format locale of ``lang``: CLDR's month and day names and short date."""
    from babel.dates import get_day_names, get_month_names, get_period_names

    check_lang(lang)

    def names(kind: str, width: str) -> list[str]:
        found = (get_month_names if kind == "m" else get_day_names)(width, "stand-alone", lang)
        keys = range(1, 13) if kind == "m" else (6, 0, 1, 2, 3, 4, 5)  # d3: Sunday first
        return [str(found[k]) for k in keys]

    periods = get_period_names("abbreviated", "format", lang)
    return {
        "dateTime": "%x %X",
        "date": "%m/%d/%Y" if lang == "en" else "%d.%m.%Y",
        "time": "%H:%M:%S",
        "periods": [str(periods.get("am", "AM")), str(periods.get("pm", "PM"))],
        "days": names("d", "wide"),
        "shortDays": names("d", "abbreviated"),
        "months": names("m", "wide"),
        "shortMonths": names("m", "abbreviated"),
    }


def d3_locale(lang: str) -> dict[str, Any]:
    """Vega's locale of ``lang``: ``{"number": d3-format locale, "time": d3-time-format}``."""
    return {"number": d3_number_locale(lang), "time": d3_time_locale(lang)}


def format_date(value: dt.date | dt.datetime | str, lang: str) -> str:
    """A date written in ``lang``'s long form: December 5, 2026 / 5 декабря 2026 г."""
    return i18n_date(value.isoformat() if not isinstance(value, str) else value, lang)


def sentence(text: str) -> str:
    """``text`` as the start of a sentence: its first letter upper-case (the rest unchanged)."""
    return text[:1].upper() + text[1:]


def local_numbers(text: str, lang: str) -> str:
    """A short language-neutral text (a threshold such as "≥ 2.5%", "< -1") with its numbers,
    minus signs and percent signs written in ``lang``'s conventions."""
    from keruen.i18n import format_number

    if lang == "en":
        return text

    def number(found: re.Match[str]) -> str:
        digits = len(found.group(1) or "")
        value = float(found.group(0).rstrip("%").replace(",", ""))
        if re.fullmatch(r"(18|19|20)\d\d", found.group(0)):  # a year stays as written
            return found.group(0)
        shown = format_number(value, lang, digits)
        return shown + (percent_suffix(lang) if found.group(0).endswith("%") else "")

    return re.sub(r"-?\d(?:\d|,(?=\d{3}))*(?:\.(\d+))?%?", number, text)
