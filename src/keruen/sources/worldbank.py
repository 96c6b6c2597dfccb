"""World Bank Indicators API (v2): indicators by country and year, as tidy ``WB_WDI`` data.

Fetching (:func:`fetch_indicator`, :func:`fetch_metadata`) returns parsed JSON pages obtained
through :mod:`keruen.sources.http`; parsing (:func:`parse_pages`, :func:`parse_metadata`) turns
them into observations and metadata. The API's traps are handled explicitly:

* paging: ``per_page``/``page`` are requested until ``pages``; the rows must add up to ``total``;
* errors inside an HTTP 200 answer (``[{"message": [{"id", "key", "value"}]}]``) raise
  :class:`SourceError` with the API's own message;
* aggregates (regions, income groups, the world) are dropped unless asked for, using the
  World Bank's own aggregate flag shipped in :func:`keruen.areas.wb_metadata`;
* long country lists are split so that no URL exceeds :data:`MAX_URL_LENGTH`;
* the indicator's name, unit and source note become the batch's title and notes, and the
  answer's ``lastupdated`` becomes the release of the vintage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from keruen import settings
from keruen.areas import area, wb_metadata
from keruen.errors import ConfigError, SourceError, UnknownAreaError
from keruen.sources.common import (
    Batch,
    NumberError,
    content_sha256,
    empty_observations,
    finite_number,
    release_date,
    today,
    validate_remote,
)
from keruen.sources.http import current_budget, fetch
from keruen.store import Provenance
from keruen.store.schema import OBS_STATUS

DATASET = "WB_WDI"
PUBLISHER = "World Bank"
LICENCE = "CC BY 4.0"
#: Rows per page asked of the API (its documented maximum is large; 1000 keeps pages small).
PER_PAGE = 1000
#: Longest URL sent; longer country lists are split into several requests.
MAX_URL_LENGTH = 1500
_YEARS = re.compile(r"^(\d{4})(?::(\d{4}))?$")


@dataclass(frozen=True)
class IndicatorMetadata:
    """What the API says about an indicator."""

    id: str
    name: str
    unit: str
    source: str
    source_note: str
    source_organization: str


def base_url() -> str:
    """The API's base URL (setting ``KERUEN_WORLDBANK_URL``) without a trailing slash."""
    return str(settings.get("KERUEN_WORLDBANK_URL")).rstrip("/")


# -- checking answers -------------------------------------------------------------------------
def raise_for_api_error(payload: Any, url: str) -> None:
    """Raise :class:`SourceError` if the answer is the API's in-band error message."""
    if isinstance(payload, list) and payload and isinstance(payload[0], dict):
        messages = payload[0].get("message")
        if messages:
            parts = [
                f"{m.get('key', '')} (id {m.get('id', '?')}): {m.get('value', '')}".strip()
                for m in messages
                if isinstance(m, dict)
            ]
            raise SourceError(
                f"{url}: the World Bank API answered with an error: {'; '.join(parts)}"
            )


def _split(payload: Any, url: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    raise_for_api_error(payload, url)
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], dict)):
        raise SourceError(
            f"{url}: the answer's shape changed: expected [header, rows], got "
            f"{type(payload).__name__} of length "
            f"{len(payload) if hasattr(payload, '__len__') else '?'}"
        )
    header, rows = payload
    if rows is None:
        rows = []
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise SourceError(f"{url}: the answer's shape changed: rows are not a list of objects")
    for key in ("page", "pages", "total"):
        if key not in header:
            raise SourceError(f"{url}: the answer's shape changed: the header lacks {key!r}")
        header_int(header, key, url)
    return header, rows


def header_int(header: dict[str, Any], key: str, url: str) -> int:
    """A non-negative whole number from the answer's header (``pages``, ``total``...)."""
    value = header.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise SourceError(f"{url}: the answer's header has a non-integer {key!r}: {value!r}")
    text = str(value).strip()
    if not text.isdigit() or len(text) > 15:
        raise SourceError(f"{url}: the answer's header has an invalid {key!r}: {value!r:.40}")
    return int(text)


def check_pages(header: dict[str, Any], url: str, per_page: int) -> int:
    """The page count announced, checked against ``total`` and the update's page cap."""
    pages, total = header_int(header, "pages", url), header_int(header, "total", url)
    if str(header.get("per_page", "")).strip().isdigit():
        per_page = int(str(header["per_page"]).strip()) or per_page  # the API echoes it
    needed = -(-total // per_page) if per_page else pages
    if pages > max(needed, 1):
        raise SourceError(
            f"{url}: the answer announces {pages} pages for {total} rows of {per_page} per "
            "page; the header is inconsistent"
        )
    current_budget().charge_pages(pages, url)
    return pages


# -- fetching ---------------------------------------------------------------------------------
def parse_years(years: str | None) -> str | None:
    """Check a ``YYYY`` or ``YYYY:YYYY`` range for the API's ``date`` parameter."""
    if years is None:
        return None
    match = _YEARS.match(years.strip())
    if not match or (match.group(2) and match.group(2) < match.group(1)):
        raise ConfigError(f"invalid years {years!r}: expected YYYY or YYYY:YYYY (e.g. 2000:2023)")
    return years.strip()


def country_chunks(
    countries: Sequence[str], indicator: str, limit: int | None = None
) -> list[list[str]]:
    """Split a country list so each request's URL stays within ``limit`` characters."""
    limit = MAX_URL_LENGTH if limit is None else limit
    room = limit - len(f"{base_url()}/country//indicator/{indicator}")
    if room < 4:
        raise ConfigError(f"the URL length limit {limit} is too small for {indicator}")
    chunks: list[list[str]] = [[]]
    used = 0
    for code in countries:
        need = len(code) + (1 if chunks[-1] else 0)
        if chunks[-1] and used + need > room:
            chunks.append([])
            used, need = 0, len(code)
        chunks[-1].append(code)
        used += need
    return [c for c in chunks if c]


def fetch_indicator(
    indicator: str, countries: Sequence[str] | None = None, years: str | None = None
) -> list[tuple[str, Any]]:
    """Every page of an indicator's data for ``countries`` (default: all) as (url, JSON)."""
    date = parse_years(years)
    pages: list[tuple[str, Any]] = []
    groups = country_chunks(list(countries), indicator) if countries else [["all"]]
    for group in groups:
        url = f"{base_url()}/country/{';'.join(group)}/indicator/{indicator}"
        page, last = 1, 1
        while page <= last:
            params: dict[str, Any] = {"format": "json", "per_page": PER_PAGE, "page": page}
            if date:
                params["date"] = date
            payload = fetch(url, params=params, label=f"{indicator} p{page}").json()
            header, _ = _split(payload, url)
            last = check_pages(header, url, PER_PAGE)
            pages.append((url, payload))
            page += 1
    return pages


def fetch_metadata(indicator: str) -> IndicatorMetadata:
    """The indicator's name, unit and source note."""
    url = f"{base_url()}/indicator/{indicator}"
    return parse_metadata(fetch(url, params={"format": "json"}).json(), url)


# -- parsing ----------------------------------------------------------------------------------
def parse_metadata(payload: Any, url: str = "indicator metadata") -> IndicatorMetadata:
    """Parse ``/indicator/{id}``'s answer."""
    _, rows = _split(payload, url)
    if not rows:
        raise SourceError(f"{url}: the World Bank API knows no such indicator")
    row = rows[0]
    try:
        source = row.get("source") or {}
        return IndicatorMetadata(
            id=str(row["id"]),
            name=str(row["name"]),
            unit=str(row.get("unit") or ""),
            source=str(source.get("value", "")) if isinstance(source, dict) else str(source),
            source_note=str(row.get("sourceNote") or ""),
            source_organization=str(row.get("sourceOrganization") or ""),
        )
    except (KeyError, AttributeError) as exc:
        raise SourceError(f"{url}: the answer's shape changed: missing {exc}") from None


def unit_of(meta: IndicatorMetadata) -> str:
    """The unit: the API's ``unit`` field, else the trailing parenthesis of the name."""
    unit = meta.unit or (re.findall(r"\(([^()]*)\)\s*$", meta.name) or [""])[0]
    return unit.replace("US$", "USD")


def _period(date: str) -> str:
    if re.fullmatch(r"\d{4}", date):
        return date
    if m := re.fullmatch(r"(\d{4})M(\d{2})", date):
        return f"{m.group(1)}-{m.group(2)}"
    if m := re.fullmatch(r"(\d{4})Q([1-4])", date):
        return f"{m.group(1)}-Q{m.group(2)}"
    raise SourceError(f"unexpected period {date!r} in a World Bank answer")


def is_aggregate(code: str) -> bool:
    """Whether a World Bank code is an aggregate (region, income group, the world…)."""
    meta = wb_metadata().get(code)
    if meta is not None:
        return meta["is_aggregate"] == "True"
    try:
        return area(code).kind in {"aggregate", "other", "group"}
    except UnknownAreaError:
        return False


def parse_pages(
    pages: Sequence[tuple[str, Any]], unit: str = "", *, include_aggregates: bool = False
) -> tuple[pd.DataFrame, str, list[str]]:
    """Rows of every page → (tidy table, ``lastupdated``, codes dropped as unknown).

    Checks that each request's rows add up to the ``total`` its header announced.
    """
    records: list[dict[str, Any]] = []
    updated: set[str] = set()
    dropped: set[str] = set()
    expected: dict[str, int] = {}
    seen: dict[str, int] = {}
    for url, payload in pages:
        header, rows = _split(payload, url)
        expected[url] = header_int(header, "total", url)
        seen[url] = seen.get(url, 0) + len(rows)
        if header.get("lastupdated"):
            updated.add(str(header["lastupdated"]))
        for row in rows:
            try:
                code = row["countryiso3code"]
                indicator = row["indicator"]["id"]
                date, value = row["date"], row["value"]
            except (KeyError, TypeError) as exc:
                raise SourceError(f"{url}: the answer's shape changed: a row lacks {exc}") from None
            if value is None or not code:
                continue  # no data, or an aggregate without an ISO-style code
            if not isinstance(code, str) or len(code) > 16:
                raise SourceError(f"{url}: the answer's shape changed: a country code "
                                  f"{str(code)[:40]!r} that is not a short text")
            try:
                aggregate = is_aggregate(code)
                area(code)
            except UnknownAreaError:
                dropped.add(code)
                continue
            if aggregate and not include_aggregates:
                continue
            status = str(row.get("obs_status") or "A")
            try:
                number = finite_number(value)
            except NumberError as exc:
                raise SourceError(f"{url}: invalid value for {code} {date}: {exc}") from None
            records.append(
                {
                    "dataset": DATASET,
                    "measure": str(indicator),
                    "ref_area": code,
                    "counterpart_area": None,
                    "breakdown": None,
                    "period": _period(str(date)),
                    "value": number,
                    "unit": unit or None,
                    "obs_status": status if status in OBS_STATUS else "A",
                }
            )
    for url, total in expected.items():
        if seen[url] != total:
            raise SourceError(
                f"{url}: incomplete answer: {seen[url]} rows received, {total} announced"
            )
    frame = pd.DataFrame.from_records(records) if records else empty_observations()
    return frame, max(updated) if updated else "", sorted(dropped)


def update(
    indicators: Sequence[str],
    countries: Sequence[str] | None = None,
    years: str | None = None,
    *,
    include_aggregates: bool = False,
) -> list[Batch]:
    """Fetch and parse indicators; one batch (one future vintage) per indicator."""
    if not indicators:
        raise ConfigError("name at least one indicator, e.g. --indicators SM.POP.TOTL")
    batches = []
    for indicator in indicators:
        meta = fetch_metadata(indicator)
        pages = fetch_indicator(indicator, countries, years)
        frame, updated, dropped = parse_pages(
            pages, unit_of(meta), include_aggregates=include_aggregates
        )
        where = f"{base_url()}/country/…/indicator/{indicator}"
        frame = validate_remote(frame, where)
        try:
            release = release_date(updated[:10] or None, option="lastupdated") or today()
        except ConfigError as exc:
            raise SourceError(f"{where}: the answer's {exc}") from None
        notes = [f"unit: {unit_of(meta) or 'not stated'}", f"source: {meta.source}"]
        if dropped:
            notes.append(f"codes not known to keruen, left out: {', '.join(dropped)}")
        if meta.source_note:
            notes.append(meta.source_note)
        scope = f"countries={','.join(countries) if countries else 'all'};years={years or 'all'}"
        prov = Provenance(
            dataset=DATASET,
            vintage=f"WB API {indicator} {release}",
            release=release,
            publisher=PUBLISHER,
            file_name=f"api:{indicator}?{scope}",
            sha256=content_sha256(frame, indicator, scope),
            title=meta.name,
            url=f"{base_url()}/indicator/{indicator}",
            licence=LICENCE,
            retrieved=today(),
            origin=meta.source_organization,
            notes=" | ".join(notes),
        )
        batches.append(Batch(frame, prov))
    return batches

# The bulk download (WDIData.csv / WDICSV.csv) is read by keruen.sources.wdi_bulk.
