"""Countries, regions and groups: codes, kinds and names in English, Russian and Kazakh.

Countries are ISO 3166-1 alpha-3; their names come from pycountry (with its ISO 3166 gettext
catalogues for Russian and Kazakh). Kazakhstan's regions are ISO 3166-2:KZ with names from the
shipped ``kz_regions.csv`` (pycountry has none in Russian or Kazakh); World Bank aggregates and
groups come from shipped tables. Everything is loaded lazily and cached.
"""

from __future__ import annotations

import csv
import gettext
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import pycountry

from keruen.errors import UnknownAreaError

Lang = Literal["en", "ru", "kk"]
LANGS: tuple[Lang, ...] = ("en", "ru", "kk")
AreaKind = Literal["country", "subdivision", "aggregate", "group", "other"]

#: Codes outside ISO 3166-1 that World Bank data use for economies.
_EXTRA_ECONOMIES = {"CHI": "Channel Islands", "XKX": "Kosovo"}
#: Non-country areas that appear in figures (names translated through the message catalogue).
_OTHER_AREAS = {"WLD": "World", "LMY": "Low & middle income", "CIS": "CIS", "Europe": "Europe"}


@dataclass(frozen=True)
class Area:
    """One area: its code, kind and names."""

    code: str
    kind: AreaKind
    names: dict[str, str]

    def name(self, lang: Lang = "en") -> str:
        """The area's name in ``lang`` (English where no translation exists)."""
        return self.names.get(lang) or self.names["en"]


def _reference_rows(name: str) -> list[dict[str, str]]:
    text = resources.files("keruen.data.reference").joinpath(name).read_text("utf-8")
    # keep_default_na-style care: read everything as text, so "NAM" or "NA" stays a string
    return list(csv.DictReader(text.splitlines()))


@cache
def _country_translator(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True
    )


@cache
def wb_metadata() -> dict[str, dict[str, str]]:
    """World Bank country metadata keyed by code (region, income group, aggregate flag)."""
    return {r["country_iso3"]: r for r in _reference_rows("wb_country_metadata_2025-07.csv")}


@cache
def groups() -> dict[str, tuple[str, ...]]:
    """Country groups (post_soviet, cis, cis_and_former, central_asia, eaeu) → members."""
    out: dict[str, list[str]] = {}
    for row in _reference_rows("groups.csv"):
        out.setdefault(row["group"], []).append(row["member"])
    return {k: tuple(v) for k, v in out.items()}


def group_members(group: str) -> tuple[str, ...]:
    """Members of a named group; raises :class:`UnknownAreaError` naming the valid groups."""
    try:
        return groups()[group]
    except KeyError:
        raise UnknownAreaError(
            f"unknown country group {group!r}; valid groups: {', '.join(sorted(groups()))}"
        ) from None


@cache
def _kz_regions() -> dict[str, dict[str, str]]:
    return {r["code"]: r for r in _reference_rows("kz_regions.csv")}


@cache
def area(code: str) -> Area:
    """Look up an area by code: ISO alpha-3 country, ISO 3166-2:KZ region, WB aggregate, group."""
    country = pycountry.countries.get(alpha_3=code) if len(code) == 3 else None
    if country is not None:
        base = getattr(country, "common_name", None) or country.name
        names = {"en": base}
        for lang in ("ru", "kk"):
            translated = _country_translator(lang).gettext(country.name)
            names[lang] = translated if translated != country.name else base
        return Area(code, "country", names)
    if code in _EXTRA_ECONOMIES:
        return Area(code, "country", {"en": _EXTRA_ECONOMIES[code]})
    if code in _kz_regions():
        row = _kz_regions()[code]
        kind: AreaKind = "country" if code == "KZ" else "subdivision"
        return Area(code, kind, {"en": row["name_en"], "ru": row["name_ru"], "kk": row["name_kk"]})
    meta = wb_metadata().get(code)
    if meta is not None and meta["is_aggregate"] == "True":
        return Area(code, "aggregate", {"en": meta["country_name"]})
    if code in _OTHER_AREAS:
        return Area(code, "other", {"en": _OTHER_AREAS[code]})
    if code in groups():
        return Area(code, "group", {"en": code.replace("_", " ")})
    raise UnknownAreaError(
        f"unknown area code {code!r}: expected an ISO 3166-1 alpha-3 country code, an "
        "ISO 3166-2:KZ region code (e.g. KZ-75), a World Bank aggregate code or a group name"
    )


def is_known(code: str) -> bool:
    """Whether ``code`` names a known area."""
    try:
        area(code)
    except UnknownAreaError:
        return False
    return True


def name(code: str, lang: Lang = "en") -> str:
    """The name of the area ``code`` in ``lang``."""
    return area(code).name(lang)


def is_aggregate(code: str) -> bool:
    """Whether ``code`` is a World Bank aggregate (region, income group…) rather than an economy."""
    return area(code).kind == "aggregate"
