"""Helpers shared by the connectors: validating remote tables, content digests, ingesting.

A connector's ``update`` returns :class:`Batch` objects (a validated table and its provenance)
without touching the store; :func:`ingest_batches` then lands them all in ONE transaction, so a
failure anywhere leaves the store as it was. The sha256 of a batch is a digest of its tidy
content (not of the HTTP bytes, which carry volatile headers and paging), so fetching the same
upstream data again adds no vintage while any changed value adds one.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keruen.errors import ConfigError, InputError, SourceError
from keruen.sources.validate import validate_observations
from keruen.store import IngestResult, Provenance, Store
from keruen.store.schema import OBSERVATION_COLUMNS, OBSERVATION_KEY

if TYPE_CHECKING:  # pandas is imported by the functions that build tables, not by `load`
    import pandas as pd


@dataclass(frozen=True)
class Batch:
    """A validated tidy table and the provenance it will be stored under."""

    frame: pd.DataFrame
    provenance: Provenance


def empty_observations() -> pd.DataFrame:
    """An empty table in the store's observation shape."""
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype="object") for c in OBSERVATION_COLUMNS})


def require_rows(frame: pd.DataFrame, file: str | Path) -> pd.DataFrame:
    """``frame`` if it holds an observation; else an :class:`InputError`: an empty release
    is not a release (a 0-row vintage would hide that the file held nothing keruen reads)."""
    if frame.empty:
        raise InputError("no observations: the file holds no value keruen reads; an empty "
                         "release is not stored", file=file)
    return frame


def validate_remote(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    """Validate a table parsed from a remote answer; a failure is a :class:`SourceError`."""
    try:
        return validate_observations(frame, where)
    except InputError as exc:
        raise SourceError(f"the answer does not have the expected content: {exc}") from None


def content_sha256(frame: pd.DataFrame, *extra: str) -> str:
    """A digest of a tidy table's content (row order ignored) and of ``extra`` strings."""
    ordered = frame[list(OBSERVATION_COLUMNS)].sort_values(
        list(OBSERVATION_KEY), na_position="first"
    )
    digest = hashlib.sha256()
    for part in extra:
        digest.update(part.encode())
        digest.update(b"\x00")
    digest.update(ordered.to_csv(index=False, lineterminator="\n").encode())
    return digest.hexdigest()


def today() -> str:
    """Today's date (UTC) as ISO text, for ``Provenance.retrieved``."""
    return datetime.now(UTC).date().isoformat()


def ingest_batches(store: Store, batches: Sequence[Batch]) -> list[IngestResult]:
    """Ingest every batch in one transaction: all land or none does."""
    return store.ingest_many((b.frame, b.provenance) for b in batches)


# -- numbers and dates as the parsers read them -------------------------------------------------
#: A plain decimal number: optional sign, digits with an optional "." fraction, optional exponent.
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,4})?")
#: Digit separators in cells written by people (BNS and Taldau tables, UN DESA files): the ONE
#: rule of :func:`finite_number` with ``separators=True``, documented in docs/reliability.md.
_SPACE = re.compile(r"[ \u00a0\u2009\u202f]")
_SPACE_GROUPED = re.compile(r"([+-]?\d{1,3}(?: \d{3})+)(?:[.,](\d+))?")
_COMMA_GROUPED = re.compile(
    r"([+-]?\d{1,3}(?:,\d{3}){2,})(?:\.(\d+))?|([+-]?\d{1,3},\d{3})\.(\d+)"
)
_AMBIGUOUS = re.compile(r"[+-]?\d{1,3},\d{3}")
_DECIMAL_COMMA = re.compile(r"([+-]?\d+),(\d+)")


class NumberError(ValueError):
    """A cell is not a number keruen can store; the message says why (no location)."""


def _unseparated(text: str) -> str:
    """``text`` with its digit separators read by the one rule (see :func:`finite_number`)."""
    text = _SPACE.sub(" ", text)
    if m := _SPACE_GROUPED.fullmatch(text):
        return m.group(1).replace(" ", "") + (f".{m.group(2)}" if m.group(2) else "")
    if m := _COMMA_GROUPED.fullmatch(text):
        whole, fraction = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        return whole.replace(",", "") + (f".{fraction}" if fraction else "")
    if _AMBIGUOUS.fullmatch(text):
        raise NumberError(
            f"{text!r} is ambiguous: a thousands separator or a decimal mark; write "
            f"{text.replace(',', '')} (thousands) or {text.replace(',', '.')} (a decimal comma)"
        )
    if m := _DECIMAL_COMMA.fullmatch(text):
        return f"{m.group(1)}.{m.group(2)}"
    return text


def finite_number(value: Any, *, separators: bool = False) -> float:
    """Read one numeric cell strictly; raise :class:`NumberError` saying why it is not one.

    Accepted: an int or float, or text matching :data:`PLAIN_NUMBER` ("." is the decimal
    point). With ``separators`` (cells written by people: BNS, Taldau, UN DESA), ONE rule reads
    digit separators: spaces group thousands ("12 345 678", then "," or "." may mark decimals:
    "1 234,5"); commas group thousands when the form shows it ("12,345,678", "1,234.5"); a
    comma followed by other than three digits is a decimal comma ("1,5", "1500,25"); and
    "1,500" (one comma, three digits after it) is ambiguous, so refused. Refused always:
    booleans (``true`` is not 1), underscores (``1_000``), "inf", "nan", anything overflowing
    to infinity (``1e309``) and any other text.
    """
    if isinstance(value, bool) or type(value).__name__ in {"bool_", "bool"}:
        raise NumberError(f"{value!r} is a true/false value, not a number")
    if isinstance(value, (int, float)) or hasattr(value, "dtype"):
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise NumberError(f"{value!r} is not a number") from None
    elif isinstance(value, str):
        text = value.strip()
        if separators:
            text = _unseparated(text)
        if not PLAIN_NUMBER.fullmatch(text):
            raise NumberError(f"{_clip(value)!r} is not a plain number{_hint(text)}")
        number = float(text)
    else:
        raise NumberError(f"{_clip(value)!r} ({type(value).__name__}) is not a number")
    if not math.isfinite(number):
        raise NumberError(f"{_clip(value)!r} is not a finite number (infinite or NaN)")
    return number


def _clip(value: Any, limit: int = 60) -> Any:
    text = str(value)
    return value if len(text) <= limit else text[:limit] + "…"


def _hint(text: str) -> str:
    if "_" in text:
        return " (underscores are not digit separators here)"
    if "," in text:
        return " (use '.' as the decimal mark and no thousands separator)"
    if text.lower().lstrip("+-") in {"inf", "infinity", "nan"}:
        return " (infinite and NaN values are not stored)"
    return ""


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def release_date(text: str | None, *, option: str = "--release") -> str | None:
    """Check a release date: ISO ``YYYY-MM-DD`` and a real calendar day; None passes.

    Raises :class:`ConfigError` naming ``option`` (the CLI's ``import`` and ``load`` both call
    this, so a release like "not a date" can never sort after real dates and win as newest).
    """
    if text is None:
        return None
    value = str(text).strip()
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError
        date.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"{option} {_clip(text)!r} is not a date; use the ISO form YYYY-MM-DD (e.g. 2024-07-11)"
        ) from None
    return value


def release_in_file(text: Any, file: str | Path, field: str = "release") -> str:
    """A release date read from a file (a mapping): an :class:`InputError` naming it if bad."""
    try:
        checked = release_date(str(text), option=field)
    except ConfigError as exc:
        raise InputError(str(exc), file=file, field=field) from None
    assert checked is not None
    return checked


def check_input_file(path: str | Path) -> Path:
    """Check a file given to ``keruen import``: a regular, readable file within the size limit.

    The limit is ``KERUEN_INPUT_MAX_BYTES``; each failure is an :class:`InputError`.
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    if path.is_dir():
        raise InputError("is a directory; give the file to import", file=path)
    if not path.is_file():
        raise InputError("not a regular file", file=path)
    try:
        with path.open("rb"):
            pass
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", file=path) from None
    from keruen import settings

    limit = int(settings.number("KERUEN_INPUT_MAX_BYTES"))
    if size > limit:
        raise InputError(
            f"the file has {size} bytes, more than KERUEN_INPUT_MAX_BYTES={limit}", file=path
        )
    return path
