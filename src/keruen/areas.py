"""Countries, regions and groups: codes, kinds and names in English, Russian and Kazakh.

Countries are ISO 3166-1 alpha-3; their names come from pycountry (with its ISO 3166 gettext
catalogues for Russian and Kazakh). Kazakhstan's regions are ISO 3166-2:KZ with names from the
shipped ``kz_regions.csv`` (pycountry has none in Russian or Kazakh); World Bank aggregates and
groups come from shipped tables. Everything is loaded lazily and cached.
"""

from __future__ import annotations

import csv
import difflib
import gettext
import tomllib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import pycountry

from keruen.errors import ConfigError, UnknownAreaError

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
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)


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


@cache
def _labels() -> dict[str, dict[str, dict[str, str]]]:
    text = resources.files("keruen.data.reference").joinpath("labels.toml").read_text("utf-8")
    return tomllib.loads(text)


def group_names() -> dict[str, dict[str, str]]:
    """Names of the country groups per language (``data/reference/labels.toml``)."""
    return dict(_labels().get("group", {}))


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
        return Area(code, "country", names | _labels().get("area", {}).get(code, {}))
    if code in _EXTRA_ECONOMIES:
        names = {"en": _EXTRA_ECONOMIES[code]} | _labels().get("area", {}).get(code, {})
        return Area(code, "country", names)
    if code in _kz_regions():
        row = _kz_regions()[code]
        kind: AreaKind = "country" if code == "KZ" else "subdivision"
        names = {"en": row["name_en"], "ru": row["name_ru"], "kk": row["name_kk"]}
        return Area(code, kind, names | _labels().get("area", {}).get(code, {}))
    meta = wb_metadata().get(code)
    if meta is not None and meta["is_aggregate"] == "True":
        return Area(code, "aggregate", {"en": meta["country_name"]})
    if code in _OTHER_AREAS:
        return Area(code, "other", {"en": _OTHER_AREAS[code]})
    if code in groups():
        names = group_names().get(code) or {"en": code.replace("_", " ")}
        return Area(code, "group", names)
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


#: Kinds :func:`normalise` tells apart; ``region`` is an ISO 3166-2:KZ code (or ``KZ`` itself,
#: Kazakhstan in the national statistics' regional tables).
LookupKind = Literal["country", "region", "aggregate", "other", "group"]
ALL_LOOKUP_KINDS: tuple[LookupKind, ...] = ("country", "region", "aggregate", "other", "group")


@cache
def _codes_by_kind() -> dict[str, LookupKind]:
    """Every code :func:`area` knows, mapped to its lookup kind."""
    out: dict[str, LookupKind] = {}
    for country in pycountry.countries:
        out[country.alpha_3] = "country"
    out.update(dict.fromkeys(_EXTRA_ECONOMIES, "country"))
    out.update(dict.fromkeys(_kz_regions(), "region"))
    for code, meta in wb_metadata().items():
        if meta["is_aggregate"] == "True" and code not in out:
            out[code] = "aggregate"
    for code in _OTHER_AREAS:
        out.setdefault(code, "other")
    for code in groups():
        out.setdefault(code, "group")
    return out


@cache
def _names_to_codes() -> dict[str, str]:
    """Lower-cased English names (and common names) of known areas → their code."""
    out: dict[str, str] = {}
    for code in _codes_by_kind():
        try:
            out.setdefault(area(code).name("en").lower(), code)
        except UnknownAreaError:  # pragma: no cover - every listed code is known
            continue
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                out.setdefault(value.lower(), country.alpha_3)
    return out


def suggest(text: str, candidates: Iterable[str] | None = None) -> list[str]:
    """Up to three known codes closest to ``text``, by code spelling or by English name.

    ``candidates`` restricts the codes considered (e.g. the areas a dataset holds). Closeness
    is the :class:`difflib.SequenceMatcher` ratio (≥ 0.6 kept); a name that starts with
    ``text`` (three letters or more) counts as close.
    """
    pool = set(candidates) if candidates is not None else set(_codes_by_kind())
    wanted_code, wanted_name = text.strip().upper(), text.strip().lower()
    scores: dict[str, float] = {}

    def score(code: str, value: float) -> None:
        if value >= 0.6:
            scores[code] = max(scores.get(code, 0.0), value)

    for code in pool:
        score(code, difflib.SequenceMatcher(None, wanted_code, code.upper()).ratio())
    for label, code in _names_to_codes().items():
        if code in pool:
            prefix = len(wanted_name) >= 3 and label.startswith(wanted_name)
            ratio = difflib.SequenceMatcher(None, wanted_name, label).ratio()
            score(code, max(ratio, 0.95 if prefix else 0.0))
    return sorted(scores, key=lambda c: (-scores[c], c))[:3]


def _did_you_mean(found: Sequence[str]) -> str:
    if not found:
        return ""
    shown = [f"{c} ({name(c)})" if is_known(c) and name(c) != c else c for c in found]
    if len(shown) > 1:
        return "; did you mean " + ", ".join(shown[:-1]) + " or " + shown[-1] + "?"
    return "; did you mean " + " or ".join(shown) + "?"


def normalise(text: str, kinds: Collection[LookupKind] = ALL_LOOKUP_KINDS) -> str:
    """The canonical code of the area ``text`` names, among areas of the given ``kinds``.

    Accepts a code in any letter case (``kaz`` → ``KAZ``), an ISO 3166-1 alpha-2 code where
    it names one country (``KZ`` → ``KAZ`` when regions are not asked for) and an English
    country name (``Kazakhstan`` → ``KAZ``). Anything else raises :class:`UnknownAreaError`
    naming what was expected and the nearest known codes.
    """
    raw = text.strip()
    codes = _codes_by_kind()
    allowed = {c for c, k in codes.items() if k in kinds}
    for candidate in (raw, raw.upper(), raw.lower()):
        if candidate in allowed:
            return candidate
    if "country" in kinds:
        try:
            country = pycountry.countries.lookup(raw)
        except LookupError:
            country = None
        if country is not None and country.alpha_3 in allowed:
            return str(country.alpha_3)
        by_name = _names_to_codes().get(raw.lower())
        if by_name is not None and by_name in allowed:
            return by_name
    wanted = "area" if set(kinds) >= set(ALL_LOOKUP_KINDS) else " or ".join(kinds)
    for candidate in (raw, raw.upper(), raw.lower()):
        kind = codes.get(candidate)
        if kind is not None:
            label = f" ({name(candidate)})" if name(candidate) != candidate else ""
            if kind == "group":
                label = f" (members: {', '.join(groups()[candidate])})"
            raise UnknownAreaError(f"{raw!r} is a {kind}{label}, not a {wanted} here")
    raise UnknownAreaError(
        f"unknown area {raw!r}: expected {'an' if wanted == 'area' else 'a'} {wanted} code"
        + _did_you_mean(suggest(raw, allowed))
    )



def resolve_codes(
    values: Iterable[str], kinds: Collection[LookupKind] = ALL_LOOKUP_KINDS
) -> list[str]:
    """The canonical codes of the areas ``values`` name, in order, each once.

    The one reading of area parameters, shared by the command line and the REST API: each value
    as :func:`normalise` reads it, a country first — so an ISO 3166-1 alpha-2 code names its
    country in any case (``KZ``, ``kz`` → ``KAZ``) even where it is also a code of the national
    statistics' regional tables. An empty value raises :class:`ConfigError`; an unknown one
    :class:`UnknownAreaError` with the nearest codes.
    """
    out: list[str] = []
    for raw in values:
        text = str(raw).strip()
        if not text:
            raise ConfigError("empty area code")
        code = None
        if "country" in kinds:
            try:
                code = normalise(text, ("country",))
            except UnknownAreaError:
                code = None
        out.append(code if code is not None else normalise(text, kinds))
    return list(dict.fromkeys(out))
