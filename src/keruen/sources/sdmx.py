"""ILOSTAT and other SDMX providers: SDMX-ML / SDMX-JSON data messages → tidy observations.

Fetching goes through :mod:`keruen.sources.http` (retries, cache); parsing uses the maintained
``sdmx1`` library (:func:`sdmx.read_sdmx`, :func:`sdmx.to_pandas`). Dimensions map to the store
as follows: ``REF_AREA`` → ref_area (alpha-2 codes are converted to alpha-3),
``COUNTERPART_AREA`` → counterpart_area, ``TIME_PERIOD`` → period, ``INDICATOR`` or ``MEASURE``
→ measure (else the dataflow id); every other dimension except ``FREQ`` becomes part of the
breakdown (``sex=male``, ``classif_cbr=CBR_UZB``, joined with ``+``), totals (``SEX_T``, ``_T``,
``TOTAL``) being left out. ``OBS_STATUS`` is kept when it is an SDMX code keruen uses; a NaN
value is stored as missing (status ``M``). The message's ``Prepared`` date is the release.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pandas as pd

from keruen import settings
from keruen.errors import ConfigError, InputError, KeruenError, SourceError
from keruen.sources.common import (
    Batch,
    NumberError,
    check_input_file,
    content_sha256,
    empty_observations,
    finite_number,
    release_date,
    require_rows,
    today,
    validate_remote,
)
from keruen.sources.files import sha256_of
from keruen.sources.http import fetch
from keruen.sources.validate import validate_observations
from keruen.store import Provenance
from keruen.store.schema import OBS_STATUS

ILOSTAT = "ILOSTAT"
_TOTALS = {"_T", "_Z", "T", "TOTAL", "SEX_T", "AGE_YTHADULT_YGE15"}
_SEX = {"SEX_M": "male", "SEX_F": "female", "M": "male", "F": "female", "SEX_O": "other"}
_AREA_DIMS = ("REF_AREA", "GEO", "COUNTRY")
_MEASURE_DIMS = ("INDICATOR", "MEASURE", "SERIES")
_SKIP_DIMS = {"FREQ", "TIME_PERIOD", "COUNTERPART_AREA", *_AREA_DIMS, *_MEASURE_DIMS}


def _alpha3(code: str) -> str:
    if len(code) == 2:
        import pycountry

        country = pycountry.countries.get(alpha_2=code)
        if country is not None:
            return str(country.alpha_3)
    return code


def _period(value: Any) -> str:
    text = str(value)
    if m := re.fullmatch(r"(\d{4})-?M(\d{2})", text):
        return f"{m.group(1)}-{m.group(2)}"
    if m := re.fullmatch(r"(\d{4})-?Q([1-4])", text):
        return f"{m.group(1)}-Q{m.group(2)}"
    return text


def _breakdown(row: dict[str, Any], dims: list[str]) -> str | None:
    parts = []
    for dim in dims:
        code = str(row[dim])
        if code in _TOTALS or code.endswith("_TOTAL"):
            continue
        if dim == "SEX":
            parts.append(f"sex={_SEX.get(code, code)}")
        else:
            parts.append(f"{dim.lower()}={code}")
    return "+".join(parts) or None


def sdmx_error(content: bytes) -> str | None:
    """The text of an SDMX-ML error message (``<message:Error>``), else None."""
    head = content[:4096].lstrip()
    if not head.startswith(b"<") or b"Error" not in head:
        return None
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError:
        return None
    if not root.tag.endswith("}Error") and root.tag != "Error":
        return None
    parts = []
    for item in root.iter():
        if item.tag.endswith("ErrorMessage"):
            texts = [t.text.strip() for t in item.iter() if t.tag.endswith("Text") and t.text]
            parts.append(f"{item.get('code', '?')}: {' '.join(texts)}")
    return "; ".join(parts) or "unspecified error"


def read_message(content: bytes | str | Path) -> Any:
    """Parse an SDMX-ML or SDMX-JSON message with sdmx1; errors are :class:`SourceError`."""
    import contextlib

    import sdmx

    raw = content if isinstance(content, bytes) else Path(content).read_bytes()
    error = sdmx_error(raw)
    if error is not None:
        raise SourceError(f"the SDMX service answered with an error message: {error}")
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # sdmx1 prints parser state on failure
            return sdmx.read_sdmx(io.BytesIO(raw))
    except Exception as exc:  # sdmx1 and lxml raise many types for malformed content
        reason = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise SourceError(
            f"not a readable SDMX data message ({type(exc).__name__}: {reason})"
        ) from None


def parse_message(
    message: Any, dataset: str, *, flow: str = "", unit: str | None = None
) -> pd.DataFrame:
    """Every observation of a parsed data message as a tidy (not yet validated) table.

    A bad value is an :class:`InputError` naming the observation (its 1-based position in the
    message) and the field ``OBS_VALUE``; a changed structure is a :class:`SourceError`.
    """
    import sdmx

    if not getattr(message, "data", None):
        error = getattr(message, "footer", None)
        text = "; ".join(str(t) for t in getattr(error, "text", []) or []) if error else ""
        raise SourceError(f"the SDMX message holds no data set{': ' + text if text else ''}")
    records: list[dict[str, Any]] = []
    for data_set in message.data:
        try:  # values as sent (dtype=object): sdmx1 would read "1,500" as 1.5 and "inf" as inf
            table = sdmx.to_pandas(data_set, attributes="o", dtype=object)
        except (ValueError, TypeError, KeyError) as exc:
            raise SourceError(f"the SDMX data set cannot be tabulated ({str(exc)[:200]})") from None
        if isinstance(table, pd.Series):
            table = table.to_frame("value")
        table = table.reset_index()
        if "TIME_PERIOD" not in table.columns:
            raise SourceError(
                f"the SDMX message has no TIME_PERIOD dimension: {list(table.columns)}"
            )
        area_dim = next((d for d in _AREA_DIMS if d in table.columns), None)
        if area_dim is None:
            raise SourceError(f"the SDMX message has no REF_AREA dimension: {list(table.columns)}")
        measure_dim = next((d for d in _MEASURE_DIMS if d in table.columns), None)
        dims = [d for d in _dimension_ids(data_set, table)
                if d not in _SKIP_DIMS and d in table.columns]
        for n, row in enumerate(table.to_dict("records"), start=len(records) + 1):
            value = _obs_value(row["value"], n)
            missing = value is None
            status = str(row.get("OBS_STATUS") or "A")
            records.append({
                "dataset": dataset,
                "measure": str(row[measure_dim]) if measure_dim else flow or dataset,
                "ref_area": _alpha3(str(row[area_dim])),
                "counterpart_area": _alpha3(str(row["COUNTERPART_AREA"]))
                if "COUNTERPART_AREA" in row else None,
                "breakdown": _breakdown(row, sorted(dims)),
                "period": _period(row["TIME_PERIOD"]),
                "value": value,
                "unit": unit,
                "obs_status": "M" if missing else (status if status in OBS_STATUS else "A"),
            })
    return pd.DataFrame.from_records(records) if records else empty_observations()


def _obs_value(raw: Any, n: int) -> float | None:
    """An observation's value read strictly (None for SDMX's missing "NaN" or an empty cell).

    SDMX values use "." as the decimal mark and no grouping, so "1,500" is refused rather than
    read as 1.5; "1_000", "true", "inf" and values overflowing to infinity are refused too.
    """
    if raw is None or (isinstance(raw, float) and raw != raw):
        return None
    if isinstance(raw, str) and raw.strip() in {"", "NaN"}:
        return None
    try:
        return finite_number(raw)
    except NumberError as exc:
        raise InputError(f"invalid observation value: {exc}", row=n, field="OBS_VALUE") from None


def _dimension_ids(data_set: Any, table: pd.DataFrame) -> set[str]:
    """Column names that are dimensions (not attributes) of the data set."""
    try:
        return {d.id for d in data_set.structured_by.dimensions.components}
    except AttributeError:
        return {c for c in table.columns if c not in {"value", "OBS_STATUS"}}


def _prepared(message: Any) -> str:
    prepared = getattr(getattr(message, "header", None), "prepared", None)
    return prepared.date().isoformat() if prepared is not None else today()


def _sender(message: Any) -> str:
    sender = getattr(getattr(message, "header", None), "sender", None)
    return str(getattr(sender, "id", "") or "") or "SDMX"


def load(path: str | Path, *, dataset: str | None = None, release: str | None = None) -> Batch:
    """Import an SDMX data message saved to a file."""
    path = Path(path)
    check_input_file(path)
    try:
        message = read_message(path)
        sender = _sender(message)
        name = dataset or (ILOSTAT if sender == "ILO" else f"SDMX_{sender}")
        frame = parse_message(message, name, flow=path.stem)
    except SourceError as exc:
        raise InputError(str(exc), file=path) from None
    except InputError as exc:
        raise InputError(exc.reason, file=path, row=exc.row, field=exc.field) from None
    frame = require_rows(validate_observations(frame, path), path)
    release = release_date(release) or _prepared(message)
    prov = Provenance(
        dataset=name, vintage=f"{sender} {path.stem} {release}", release=release,
        publisher=sender, file_name=path.name, sha256=sha256_of(path),
        title=f"SDMX data message {path.name}", retrieved=today(),
        notes=f"Imported from {path.name} (sender {sender}).",
    )
    return Batch(frame, prov)


def ilostat_url() -> str:
    """ILOSTAT's SDMX REST base URL (setting ``KERUEN_ILOSTAT_URL``)."""
    return str(settings.get("KERUEN_ILOSTAT_URL")).rstrip("/")


def update_ilostat(
    flows: list[str], countries: list[str] | None = None, years: str | None = None
) -> list[Batch]:
    """Fetch ILOSTAT dataflows (e.g. ``DF_MFL_FWRK_SEX_CBR_NB``) as SDMX-ML; one batch each.

    The series key is ``all``; countries are filtered after parsing (dataflows differ in
    their number of dimensions, so a positional key cannot be built without the structure).
    """
    if not flows:
        raise ConfigError(
            "name at least one ILOSTAT dataflow, e.g. --indicators DF_MFL_FWRK_SEX_CBR_NB"
        )
    params: dict[str, Any] = {}
    if years:
        first, _, last = years.partition(":")
        params = {"startPeriod": first, "endPeriod": last or first}
    batches = []
    for flow in flows:
        flow_id = flow if flow.startswith("DF_") else f"DF_{flow}"
        url = f"{ilostat_url()}/data/ILO,{flow_id}/all"
        resp = fetch(url, params=params or None, label=flow_id,
                     headers={"Accept": "application/vnd.sdmx.genericdata+xml;version=2.1"})
        try:
            message = read_message(resp.content)
            frame = parse_message(message, ILOSTAT, flow=flow_id)
        except KeruenError as exc:
            raise SourceError(f"{url}: {exc}") from None
        if countries:
            frame = frame[frame["ref_area"].isin(countries)]
        frame = validate_remote(frame.reset_index(drop=True), url)
        release = _prepared(message)
        scope = f"countries={','.join(countries) if countries else 'all'};years={years or 'all'}"
        batches.append(Batch(frame, Provenance(
            dataset=ILOSTAT, vintage=f"ILOSTAT {flow_id} {release}", release=release,
            publisher="International Labour Organization (ILOSTAT)",
            file_name=f"sdmx:{flow_id}?{scope}", sha256=content_sha256(frame, flow_id, scope),
            title=f"ILOSTAT {flow_id}", url=url, licence="CC BY 4.0", retrieved=today(),
            notes="Fetched through ILOSTAT's SDMX REST API; parsed with sdmx1.",
        )))
    return batches
