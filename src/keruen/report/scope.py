"""Which country a report is about, and which peers it is compared with.

The peer group is chosen from the country's memberships, in this order: CIS members and
former members (the paper's comparison set), Central Asia, the EAEU, the post-Soviet states;
a country in none of them is compared with the other economies of its World Bank region
(``data/reference/wb_country_metadata_2025-07.csv``). ``--group`` overrides the choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from keruen.areas import area, group_members, groups, wb_metadata
from keruen.errors import ConfigError, UnknownAreaError

#: Memberships tried, in order, when choosing a country's peer group.
MEMBERSHIP_ORDER: tuple[str, ...] = ("cis_and_former", "central_asia", "eaeu", "post_soviet")
#: Prefix of a peer group that is a World Bank region ("wb_region:Europe & Central Asia").
REGION_PREFIX = "wb_region:"
#: The country whose administrative figures (Migration Committee, BNS regions) the store holds.
PAPER_COUNTRY = "KAZ"


@dataclass(frozen=True)
class Scope:
    """The country of a report and its peer group (name and members, the country included)."""

    country: str
    group: str
    members: tuple[str, ...]

    @property
    def is_paper_country(self) -> bool:
        """Whether the paper's Kazakhstan-only figures apply to this country."""
        return self.country == PAPER_COUNTRY


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
