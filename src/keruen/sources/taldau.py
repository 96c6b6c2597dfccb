"""Taldau, the data portal of Kazakhstan's Bureau of National Statistics: index data → tidy.

Which indices to fetch is DATA: ``keruen/data/taldau_indices.toml`` (or the file named by
``KERUEN_TALDAU_REGISTRY``) lists each index's key, dataset, measure, Taldau index id, period
kind, dictionaries and which term is the region / partner country. Fetching
(:func:`fetch_index`) asks ``GetIndexData/{id}?period=&dics=``; parsing (:func:`parse_index`)
turns the rows (``terms``, ``termNames``, ``periods`` of ``name``/``date``/``value``) into
observations, mapping region and country names to codes with :mod:`keruen.sources.bns`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from keruen import settings
from keruen.errors import ConfigError, InputError, SourceError
from keruen.sources.bns import PUBLISHER, country_code, number_of, period_of, region_code
from keruen.sources.common import (
    Batch,
    check_input_file,
    content_sha256,
    release_date,
    today,
    validate_remote,
)
from keruen.sources.files import sha256_of
from keruen.sources.http import fetch, parse_json
from keruen.sources.validate import validate_observations
from keruen.store import Provenance


@dataclass(frozen=True)
class TaldauIndex:
    """One registry entry."""

    key: str
    dataset: str
    measure: str
    title: str
    unit: str
    index_id: str
    period: str
    dics: str
    region_term: int = 0
    country_term: int | None = None
    breakdown_term: int | None = None
    breakdown_name: str = "term"


def registry(path: str | Path | None = None) -> dict[str, TaldauIndex]:
    """The index registry, keyed by ``key``."""
    chosen = path or settings.get("KERUEN_TALDAU_REGISTRY")
    source = Path(chosen) if chosen else None
    try:
        text = (source.read_text("utf-8") if source else
                resources.files("keruen.data").joinpath("taldau_indices.toml").read_text("utf-8"))
        entries = tomllib.loads(text).get("index", [])
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(
            f"unreadable Taldau registry ({exc})", file=source or "taldau_indices.toml"
        ) from None
    out = {}
    for i, entry in enumerate(entries, start=1):
        try:
            fields: dict[str, Any] = {
                k: (str(v) if k in {"index_id", "period", "dics"} else v) for k, v in entry.items()
            }
            item = TaldauIndex(**fields)
        except TypeError as exc:
            raise InputError(
                f"bad registry entry number {i} ({exc})", file=source or "taldau_indices.toml"
            ) from None
        out[item.key] = item
    return out


def base_url() -> str:
    """Taldau's API base URL (setting ``KERUEN_TALDAU_URL``)."""
    return str(settings.get("KERUEN_TALDAU_URL")).rstrip("/")


def fetch_index(index: TaldauIndex) -> tuple[str, Any]:
    """Ask Taldau for one index; returns (url, parsed JSON)."""
    if not index.index_id:
        raise ConfigError(
            f"the Taldau index id of {index.key!r} is not known yet (the bundled registry "
            "leaves it empty rather than guess); fill it in a registry file named by "
            "KERUEN_TALDAU_REGISTRY"
        )
    url = f"{base_url()}/GetIndexData/{index.index_id}"
    params = {"period": index.period, "dics": index.dics}
    return url, fetch(url, params=params, method="POST", label=index.key).json()


def _term(row: dict[str, Any], pos: int, what: str, where: str) -> Any:
    try:
        return row["termNames"][pos]
    except (IndexError, TypeError):
        raise SourceError(
            f"{where}: the answer's shape changed: no {what} at termNames[{pos}]"
        ) from None


def parse_index(payload: Any, index: TaldauIndex, where: str = "Taldau") -> pd.DataFrame:
    """Taldau rows → tidy observations (not yet validated).

    A changed answer shape, or an answer without one observation (``[]``: an empty release is
    not a release), is a :class:`SourceError`; a value that is not a finite number
    (``true``, ``"1_000"``, ``"inf"``, ``1e999``) is an :class:`InputError` naming the row and
    the field ``periods[k].value``.
    """
    if isinstance(payload, dict):
        detail = payload.get("message") or payload.get("error") or payload.get("Message") or payload
        raise SourceError(f"{where}: Taldau answered with an error: {detail}")
    if not isinstance(payload, list):
        raise SourceError(f"{where}: the answer's shape changed: expected a list of rows")
    records = []
    kept: list[int] = []
    for n, row in enumerate(payload, start=1):
        if not (isinstance(row, dict) and isinstance(row.get("termNames"), list)
                and isinstance(row.get("periods"), list)):
            raise SourceError(
                f"{where}: the answer's shape changed: row {n} lacks termNames/periods lists")
        region_name = _term(row, index.region_term, "region", where)
        region = region_code(region_name)
        if region is None:
            raise SourceError(f"{where}: row {n}: unknown region name {region_name!r}")
        counterpart = None
        if index.country_term is not None:
            country_name = _term(row, index.country_term, "country", where)
            counterpart = country_code(country_name)
            if counterpart is None:
                continue  # "other countries" and similar residual rows have no code
        breakdown = None
        if index.breakdown_term is not None:
            try:
                breakdown = f"{index.breakdown_name}={row['terms'][index.breakdown_term]}"
            except (KeyError, IndexError, TypeError):
                raise SourceError(
                    f"{where}: the answer's shape changed: row {n} has no "
                    f"terms[{index.breakdown_term}]"
                ) from None
        for k, period in enumerate(row["periods"]):
            if not isinstance(period, dict) or "value" not in period:
                raise SourceError(f"{where}: the answer's shape changed: row {n} has a bad period")
            date = period.get("date")  # a date given must be read: never the name instead
            label = period_of(date) if date else period_of(period.get("name") or "")
            if label is None:
                raise SourceError(f"{where}: row {n}: unreadable period {period!r}")
            if len(label) == 10 and label.endswith("-12-31"):
                label = label[:4]  # annual figures are dated on the year's last day
            try:
                value = number_of(period["value"]) if period["value"] is not None else None
            except ValueError as exc:
                raise InputError(
                    f"invalid value: {exc}", row=n, field=f"periods[{k}].value"
                ) from None
            if value is None:
                continue
            records.append({
                "dataset": index.dataset, "measure": index.measure, "ref_area": region,
                "counterpart_area": counterpart, "breakdown": breakdown, "period": label,
                "value": value, "unit": index.unit or None, "obs_status": "A",
            })
            kept.append(n)
    if not records:
        raise SourceError(f"{where}: the answer holds no observations ({len(payload)} rows); "
                          "an empty release is not stored")
    frame = pd.DataFrame.from_records(records)
    frame.attrs["rows"] = kept
    return frame


def _provenance(index: TaldauIndex, frame: pd.DataFrame, sha: str, release: str,
                file_name: str, url: str) -> Provenance:
    return Provenance(
        dataset=index.dataset, vintage=f"Taldau {index.key} {release}", release=release,
        publisher=PUBLISHER, file_name=file_name, sha256=sha, title=index.title, url=url,
        retrieved=today(),
        notes=f"Taldau index {index.index_id or '?'} (period {index.period or '?'}, dics "
              f"{index.dics or '?'}); Taldau gives no release date, so the release is the day "
              "it was fetched.",
    )


def update(keys: list[str]) -> list[Batch]:
    """Fetch registry entries ``keys``; one batch each (the release is today's date)."""
    known = registry()
    if not keys:
        raise ConfigError(f"name at least one Taldau index; known: {', '.join(known)}")
    batches = []
    for key in keys:
        if key not in known:
            raise ConfigError(f"unknown Taldau index {key!r}; known: {', '.join(known)}")
        index = known[key]
        url, payload = fetch_index(index)
        try:
            parsed = parse_index(payload, index, url)
        except InputError as exc:
            raise SourceError(f"{url}: {exc}") from None
        frame = validate_remote(parsed, url)
        sha = content_sha256(frame, "taldau", index.key, index.index_id)
        prov = _provenance(index, frame, sha, today(), f"api:{index.key}", url)
        batches.append(Batch(frame, prov))
    return batches


def load(path: str | Path, key: str | None = None, *, release: str | None = None) -> Batch:
    """Import a Taldau JSON answer saved to a file, ``key`` naming its registry entry.

    ``key`` defaults to the file name's stem.
    """
    path = check_input_file(path)
    release = release_date(release)
    known = registry()
    key = key or path.stem
    if key not in known:
        raise InputError(f"no Taldau registry entry {key!r}; name one with --index "
                         f"({', '.join(known)})", file=path)
    try:
        payload = parse_json(path.read_text("utf-8-sig"))
        frame = parse_index(payload, known[key], str(path))
    except InputError as exc:
        raise InputError(exc.reason, file=path, row=exc.row, field=exc.field) from None
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError and JSONDecodeError too
        raise InputError(f"not valid JSON ({str(exc)[:200]})", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", file=path) from None
    except SourceError as exc:
        raise InputError(str(exc).removeprefix(f"{path}: "), file=path) from None
    frame = validate_observations(frame, path)
    return Batch(frame, _provenance(known[key], frame, sha256_of(path), release or today(),
                                    path.name, ""))
