"""Which country an analysis is about, which peers it is compared with, its neighbourhood.

A :class:`Scope` is built once, where a request enters keruen (the CLI's ``--country`` and
``--group``, a dashboard URL, :func:`keruen.api.profile`), and handed unchanged to every section.

The peer group is chosen from the country's memberships, in this order: CIS members and
former members (the paper's comparison set), Central Asia, the EAEU, the post-Soviet states;
a country in none of them is compared with the other economies of its World Bank region
(``data/reference/wb_country_metadata_2025-07.csv``). ``--group`` overrides the choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from keruen.areas import area, group_members, groups, is_aggregate, wb_metadata
from keruen.areas import name as area_name
from keruen.errors import ConfigError, UnknownAreaError

if TYPE_CHECKING:
    from keruen.store import Store

#: Memberships tried, in order, when choosing a country's peer group.
MEMBERSHIP_ORDER: tuple[str, ...] = ("cis_and_former", "central_asia", "eaeu", "post_soviet")
#: Prefix of a peer group that is a World Bank region ("wb_region:Europe & Central Asia").
REGION_PREFIX = "wb_region:"
#: The country whose administrative figures (Migration Committee, BNS regions) the store holds.
PAPER_COUNTRY = "KAZ"
#: First year of the yearly remittance series of a country's analysis.
FIRST_YEAR = 2010
#: A group of fewer members than this is not a country's neighbourhood.
MIN_NEIGHBOURS = 3


@dataclass(frozen=True)
class Scope:
    """The country of an analysis, its peer group and the first year of its yearly series.

    ``members`` is the peer group, the country included; ``group`` its name (a keruen group
    such as ``cis_and_former``, or ``wb_region:<World Bank region>``).
    """

    country: str
    group: str
    members: tuple[str, ...]
    first_year: int = FIRST_YEAR

    @property
    def is_paper_country(self) -> bool:
        """Whether the paper's Kazakhstan-only figures apply to this country."""
        return self.country == PAPER_COUNTRY

    @property
    def peers(self) -> tuple[str, ...]:
        """The peer group without the country itself."""
        return tuple(c for c in self.members if c != self.country)

    @property
    def neighbours(self) -> tuple[str, ...]:
        """The country's neighbourhood (:func:`neighbours`)."""
        return neighbours(self)


def parse_countries(text: str) -> list[str]:
    """ISO3 codes from ``"KAZ,uzb"`` (upper-cased, de-duplicated, in order); bad codes rejected."""
    codes = list(dict.fromkeys(c.strip().upper() for c in text.split(",") if c.strip()))
    if not codes:
        raise ConfigError("--country: give at least one ISO 3166-1 alpha-3 code, e.g. KAZ")
    for code in codes:
        try:
            is_country = area(code).kind == "country"
        except UnknownAreaError:
            is_country = False
        if not is_country or len(code) != 3:
            raise ConfigError(
                f"--country: {code!r} is not an ISO 3166-1 alpha-3 country code (e.g. KAZ, UZB)"
            )
    return codes


def held_countries(store: Store) -> list[str]:
    """Every country (no aggregate, no region) of which the store holds a World Bank figure.

    These are the countries ``keruen report --country all`` writes, in code order.
    """
    frame = store.summarise("WB_WDI", by=("ref_area",))
    codes = []
    for code in frame["ref_area"].astype(str):
        try:
            if len(code) == 3 and area(code).kind == "country" and not is_aggregate(code):
                codes.append(code)
        except UnknownAreaError:
            continue
    return sorted(codes)


def region_members(region: str) -> tuple[str, ...]:
    """Economies (not aggregates) of a World Bank region."""
    return tuple(
        sorted(
            code
            for code, row in wb_metadata().items()
            if row["region"] == region and row["is_aggregate"] != "True"
        )
    )


def peer_group(country: str, group: str | None = None) -> Scope:
    """The :class:`Scope` of ``country``: ``group`` if given, else the first membership held."""
    if group is not None:
        if group.startswith(REGION_PREFIX):
            members = region_members(group[len(REGION_PREFIX) :])
            if not members:
                raise ConfigError(f"--group: no World Bank region {group[len(REGION_PREFIX) :]!r}")
        elif group in groups():
            members = group_members(group)
        else:
            valid = ", ".join([*sorted(groups()), REGION_PREFIX + "<World Bank region>"])
            raise ConfigError(f"--group: unknown group {group!r}; valid: {valid}")
        return Scope(country, group, tuple(sorted({*members, country})))
    for name in MEMBERSHIP_ORDER:
        if country in group_members(name):
            return Scope(country, name, group_members(name))
    region = wb_metadata().get(country, {}).get("region", "")
    if region:
        return Scope(
            country, REGION_PREFIX + region, tuple(sorted({*region_members(region), country}))
        )
    return Scope(country, "post_soviet", tuple(sorted({*group_members("post_soviet"), country})))


def neighbours(scope: Scope) -> tuple[str, ...]:
    """The country's neighbourhood: its smallest keruen group lying inside its peer group.

    Kazakhstan, Uzbekistan, Kyrgyzstan, Tajikistan, Turkmenistan: Central Asia; Russia: the
    EAEU; a country in no keruen group: its peer group (e.g. its World Bank region). Groups of
    fewer than ``MIN_NEIGHBOURS`` members are skipped. The country itself is left out.
    """
    members = set(scope.members)
    candidates = [
        group_members(g)
        for g in groups()
        if scope.country in group_members(g)
        and len(group_members(g)) >= MIN_NEIGHBOURS
        and set(group_members(g)) <= members
    ]
    chosen = min(candidates, key=len) if candidates else tuple(scope.members)
    return tuple(sorted(c for c in chosen if c != scope.country))


def country_name(country: str) -> str:
    """English name of ``country`` for the titles of stored estimates (the code if it has none)."""
    try:
        return area_name(country, "en")
    except Exception:  # noqa: BLE001 - a title never fails an analysis
        return country
