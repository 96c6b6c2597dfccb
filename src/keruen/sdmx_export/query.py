"""SDMX 2.1 REST queries: path and query parameters checked, bounded and parsed.

Nothing here touches the store: a query is parsed into a frozen dataclass whose values later
reach DuckDB as bound parameters only. A malformed query raises :class:`SdmxSyntaxError`
(HTTP 400), one asking for something this service does not build :class:`SdmxNotImplemented`
(501), one naming nothing held :class:`SdmxNoResults` (404).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from keruen.sdmx_export.errors import SdmxNoResults, SdmxNotImplemented, SdmxSyntaxError
from keruen.sdmx_export.structures import (
    AGENCY_ID,
    DIMENSIONS,
    TIME_DIMENSION,
    VERSION,
    Catalogue,
)

#: Structure resources served, and the other SDMX 2.1 ones (answered 501).
STRUCTURE_RESOURCES = ("dataflow", "datastructure", "codelist", "conceptscheme")
OTHER_RESOURCES = (
    "structure",
    "metadatastructure",
    "categoryscheme",
    "hierarchicalcodelist",
    "organisationscheme",
    "agencyscheme",
    "dataproviderscheme",
    "dataconsumerscheme",
    "organisationunitscheme",
    "categorisation",
    "contentconstraint",
    "attachmentconstraint",
    "actualconstraint",
    "allowedconstraint",
    "structureset",
    "process",
    "reportingtaxonomy",
    "provisionagreement",
    "metadataflow",
    "availableconstraint",
    "metadata",
)
REFERENCES = (
    "none",
    "parents",
    "parentsandsiblings",
    "children",
    "descendants",
    "all",
    *STRUCTURE_RESOURCES,
)
DataDetail = Literal["full", "dataonly", "serieskeysonly", "nodata"]
DATA_DETAILS: tuple[str, ...] = ("full", "dataonly", "serieskeysonly", "nodata")
STRUCTURE_DETAILS = (
    "full",
    "allstubs",
    "referencestubs",
    "allcompletestubs",
    "referencecompletestubs",
    "referencepartial",
)

#: Bounds: values per key dimension, characters of a key, observations per series (first/last).
MAX_CODES = 300
MAX_KEY = 4000
MAX_N = 100_000

_ID = r"[A-Za-z0-9_@$\-]+"
_ID_RE = re.compile(_ID)
_VERSION_RE = re.compile(r"latest|all|[0-9]+(\.[0-9]+)*")


@dataclass(frozen=True)
class StructureQuery:
    """``/{resource}/{agency}/{id}/{version}?references=&detail=``; ``None`` means all."""

    resource: str
    ids: tuple[str, ...] | None
    version: str
    references: str


@dataclass(frozen=True)
class DataQuery:
    """``/data/{flow}/{key}/{provider}`` and its query parameters, parsed."""

    flow: str
    #: per dimension of :data:`DIMENSIONS`: the SDMX codes asked for, or None (any)
    key: tuple[tuple[str, ...] | None, ...]
    start: dt.date | None
    end: dt.date | None
    updated_after: dt.date | None
    detail: DataDetail
    #: ``TIME_PERIOD`` (series) or ``AllDimensions`` (flat observations)
    dimension_at_observation: str
    first_n: int | None
    last_n: int | None


def _ids(text: str, what: str) -> tuple[str, ...] | None:
    """``all`` → None; ``A+B`` → ("A", "B"); anything else malformed → 400."""
    if text in ("all", "*", ""):
        return None
    parts = tuple(text.split("+"))
    if len(parts) > MAX_CODES:
        raise SdmxSyntaxError(f"{what}: at most {MAX_CODES} values")
    for part in parts:
        if not _ID_RE.fullmatch(part):
            raise SdmxSyntaxError(f"{what}: {part[:60]!r} is not an SDMX identifier")
    return parts


def _agency(text: str) -> None:
    agencies = _ids(text, "agency")
    if agencies is not None and AGENCY_ID not in agencies:
        raise SdmxNoResults(f"no structures of agency {'+'.join(agencies)[:60]}; "
                            f"this service maintains {AGENCY_ID}")  # fmt: skip


def _version(text: str) -> str:
    if not _VERSION_RE.fullmatch(text):
        raise SdmxSyntaxError(f"version {text[:30]!r}: expected latest, all or a number")
    if text not in ("latest", "all", VERSION):
        raise SdmxNoResults(f"no version {text} held; every structure here is version {VERSION}")
    return text


def structure_query(
    resource: str,
    agency: str = "all",
    resource_id: str = "all",
    version: str = "latest",
    references: str | None = None,
    detail: str | None = None,
) -> StructureQuery:
    """A structure query from its path segments and ``references`` / ``detail`` parameters."""
    if resource in OTHER_RESOURCES:
        raise SdmxNotImplemented(
            f"/{resource} is not provided; this service serves {', '.join(STRUCTURE_RESOURCES)}"
        )
    if resource not in STRUCTURE_RESOURCES:
        raise SdmxNoResults(f"no SDMX resource /{resource[:40]}")
    _agency(agency)
    ids = _ids(resource_id, "resource id")
    version = _version(version)
    references = references or "none"
    if references not in REFERENCES:
        if references in OTHER_RESOURCES:
            raise SdmxNotImplemented(f"references={references} is not provided")
        raise SdmxSyntaxError(
            f"references={references[:40]!r}: expected one of {', '.join(REFERENCES)}"
        )
    detail = detail or "full"
    if detail not in STRUCTURE_DETAILS:
        raise SdmxSyntaxError(
            f"detail={detail[:40]!r}: expected one of {', '.join(STRUCTURE_DETAILS)}"
        )
    if detail != "full":
        raise SdmxNotImplemented(f"detail={detail} is not provided; use detail=full")
    return StructureQuery(resource, ids, version, references)


def flow_id(flow_ref: str, catalogue: Catalogue) -> str:
    """The dataflow named by ``flowRef``: ``ID``, ``AGENCY,ID`` or ``AGENCY,ID,VERSION``."""
    parts = flow_ref.split(",")
    if not 1 <= len(parts) <= 3 or not all(parts):
        raise SdmxSyntaxError(
            f"flowRef {flow_ref[:60]!r}: expected ID, AGENCY,ID or AGENCY,ID,VERSION"
        )
    if len(parts) == 1:
        agency, fid, version = "all", parts[0], "latest"
    elif len(parts) == 2:
        (agency, fid), version = parts, "latest"
    else:
        agency, fid, version = parts
    if not _ID_RE.fullmatch(fid):
        raise SdmxSyntaxError(f"flowRef: {fid[:60]!r} is not an SDMX identifier")
    _agency(agency)
    _version(version)
    if fid not in catalogue.flows:
        raise SdmxNoResults(f"no dataflow {fid!r}; held: {', '.join(catalogue.flows) or 'none'}")
    return fid


def parse_key(key: str) -> tuple[tuple[str, ...] | None, ...]:
    """``A.BX_TRF_PWKR_CD_DT.KAZ+UZB..`` → one tuple of codes (or None, any) per dimension."""
    if len(key) > MAX_KEY:
        raise SdmxSyntaxError(f"the key is longer than {MAX_KEY} characters")
    if key in ("all", ""):
        return tuple(None for _ in DIMENSIONS)
    parts = key.split(".")
    if len(parts) != len(DIMENSIONS):
        raise SdmxSyntaxError(
            f"the key {key[:80]!r} has {len(parts)} part(s); the data structure has "
            f"{len(DIMENSIONS)} dimensions: {'.'.join(DIMENSIONS)} (leave a part empty for "
            "any value, join values with +)"
        )
    out: list[tuple[str, ...] | None] = []
    for dim, part in zip(DIMENSIONS, parts, strict=True):
        if part == "":
            out.append(None)
            continue
        codes = _ids(part, f"key dimension {dim}")
        out.append(tuple(dict.fromkeys(codes)) if codes is not None else None)
    return tuple(out)


_PERIOD_FORMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(\d{4})"), "A"),
    (re.compile(r"(\d{4})-S([12])"), "S"),
    (re.compile(r"(\d{4})-Q([1-4])"), "Q"),
    (re.compile(r"(\d{4})-(0[1-9]|1[0-2])"), "M"),
    (re.compile(r"(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])"), "W"),
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), "D"),
)
_SPAN = re.compile(r"(\d{4})-(\d{4})")


def _last_day(year: int, month: int) -> dt.date:
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def period_bounds(text: str) -> tuple[str, dt.date, dt.date] | None:
    """(frequency, first day, last day) of a period, or None when it is no period.

    Forms: ``2023`` (A), ``2023-S1``, ``2023-Q2``, ``2023-05``, ``2023-W07``, ``2023-05-31`` (D)
    and keruen's spans ``2010-2023`` (frequency ``_Z``).
    """
    for pattern, freq in _PERIOD_FORMS:
        m = pattern.fullmatch(text)
        if m is None:
            continue
        year = int(m.group(1))
        try:
            if freq == "A":
                return freq, dt.date(year, 1, 1), dt.date(year, 12, 31)
            n = int(m.group(2))
            if freq in ("S", "Q"):
                months = 6 if freq == "S" else 3
                return freq, dt.date(year, (n - 1) * months + 1, 1), _last_day(year, n * months)
            if freq == "M":
                return freq, dt.date(year, n, 1), _last_day(year, n)
            if freq == "W":
                monday = dt.date.fromisocalendar(year, n, 1)
                return freq, monday, monday + dt.timedelta(days=6)
            day = dt.date(year, n, int(m.group(3)))
            return freq, day, day
        except ValueError:
            return None
    span = _SPAN.fullmatch(text)
    if span is not None:
        first, last = int(span.group(1)), int(span.group(2))
        if first <= last:
            return "_Z", dt.date(first, 1, 1), dt.date(last, 12, 31)
    return None


def sdmx_period(text: str) -> str | None:
    """The period as an SDMX observational time period (a span as ``2010-01-01/P14Y``)."""
    bounds = period_bounds(text)
    if bounds is None:
        return None
    freq, first, last = bounds
    if freq == "_Z":
        return f"{first.isoformat()}/P{last.year - first.year + 1}Y"
    return text


def _bound(text: str | None, name: str, end: bool) -> dt.date | None:
    if text is None:
        return None
    bounds = period_bounds(text) if len(text) <= 20 else None
    if bounds is None or bounds[0] == "_Z":
        raise SdmxSyntaxError(
            f"{name}={text[:30]!r}: expected a period such as 2015, 2015-Q1, 2015-06 or 2015-06-30"
        )
    return bounds[2] if end else bounds[1]


def _updated_after(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.datetime.fromisoformat(text[:40].replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            raise SdmxSyntaxError(
                f"updatedAfter={text[:40]!r}: expected an ISO 8601 date or date-time"
            ) from None


def _count(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or not 1 <= int(text) <= MAX_N:
        raise SdmxSyntaxError(f"{name}={text[:20]!r}: expected a whole number from 1 to {MAX_N}")
    return int(text)


def data_query(
    catalogue: Catalogue,
    flow_ref: str,
    key: str = "all",
    provider: str = "all",
    *,
    start_period: str | None = None,
    end_period: str | None = None,
    updated_after: str | None = None,
    detail: str | None = None,
    dimension_at_observation: str | None = None,
    first_n: str | None = None,
    last_n: str | None = None,
    include_history: str | None = None,
) -> DataQuery:
    """A data query from its path and parameters (SDMX 2.1 REST names, snake-cased)."""
    fid = flow_id(flow_ref, catalogue)
    parsed = parse_key(key)
    providers = _ids(provider, "provider")
    if providers is not None and AGENCY_ID not in providers:
        raise SdmxNoResults(f"no data provider {provider[:40]!r}; the one provider is {AGENCY_ID}")
    start = _bound(start_period, "startPeriod", end=False)
    end = _bound(end_period, "endPeriod", end=True)
    if start is not None and end is not None and end < start:
        raise SdmxSyntaxError(f"endPeriod {end_period} is before startPeriod {start_period}")
    detail = detail or "full"
    if detail not in DATA_DETAILS:
        raise SdmxSyntaxError(f"detail={detail[:30]!r}: expected one of {', '.join(DATA_DETAILS)}")
    at_obs = dimension_at_observation or TIME_DIMENSION
    if at_obs not in (TIME_DIMENSION, "AllDimensions"):
        if at_obs in DIMENSIONS:
            raise SdmxNotImplemented(
                f"dimensionAtObservation={at_obs} is not provided; use {TIME_DIMENSION} or "
                "AllDimensions"
            )
        raise SdmxSyntaxError(
            f"dimensionAtObservation={at_obs[:40]!r}: expected {TIME_DIMENSION}, AllDimensions "
            f"or a dimension ({', '.join(DIMENSIONS)})"
        )
    if include_history not in (None, "false"):
        if include_history == "true":
            raise SdmxNotImplemented(
                "includeHistory=true is not provided; every vintage stays queryable through "
                "/api/v1/series?vintage="
            )
        raise SdmxSyntaxError("includeHistory: expected true or false")
    return DataQuery(
        flow=fid,
        key=parsed,
        start=start,
        end=end,
        updated_after=_updated_after(updated_after),
        detail=detail,  # type: ignore[arg-type]
        dimension_at_observation=at_obs,
        first_n=_count(first_n, "firstNObservations"),
        last_n=_count(last_n, "lastNObservations"),
    )
