"""One SDMX 2.1 REST request → one answer (body and media type), with no web framework.

The web routes (:mod:`keruen.web.sdmx_routes`) and ``keruen export --sdmx`` both call these
functions, so a file written by the export and the answer of the service are the same message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from keruen import settings
from keruen.errors import DataNotAvailableError, KeruenError, StoreError, UnknownAreaError
from keruen.sdmx_export import messages, negotiate, query
from keruen.sdmx_export.data import read
from keruen.sdmx_export.errors import (
    SdmxError,
    SdmxNoResults,
    SdmxNotImplemented,
    SdmxSyntaxError,
    SdmxUnavailable,
)
from keruen.sdmx_export.json_data import data_json
from keruen.sdmx_export.structures import DSD_ID, Catalogue

if TYPE_CHECKING:
    from keruen.store import Store


@dataclass(frozen=True)
class Answer:
    """A message and its media type."""

    body: bytes
    media_type: str
    status: int = 200


def max_observations() -> int:
    """The most observations one data answer may hold (``KERUEN_SDMX_MAX_OBSERVATIONS``)."""
    return int(settings.number("KERUEN_SDMX_MAX_OBSERVATIONS"))


def structures(
    catalogue: Catalogue,
    resource: str,
    agency: str = "all",
    resource_id: str = "all",
    version: str = "latest",
    *,
    references: str | None = None,
    detail: str | None = None,
    accept: str | None = None,
    fmt: str | None = None,
) -> Answer:
    """``/{resource}/{agency}/{id}/{version}``: an SDMX-ML 2.1 structure message."""
    q = query.structure_query(resource, agency, resource_id, version, references, detail)
    negotiate.structure_format(accept, fmt)
    msg = messages.structure_message(catalogue, q)
    return Answer(messages.structure_xml(msg), messages.MEDIA_TYPES["structure"])


def data(
    store: Store,
    catalogue: Catalogue,
    flow_ref: str,
    key: str = "all",
    provider: str = "all",
    *,
    accept: str | None = None,
    fmt: str | None = None,
    limit: int | None = None,
    **params: str | None,
) -> Answer:
    """``/data/{flow}/{key}/{provider}``: data in the negotiated format (``limit``: 413 above).

    ``params`` are the query parameters under :func:`keruen.sdmx_export.query.data_query`'s
    names (``start_period``, ``end_period``, ``updated_after``, ``detail``…).
    """
    chosen = negotiate.data_format(accept, fmt)
    q, msg = data_message(store, catalogue, flow_ref, key, provider, limit=limit, **params)
    return render(catalogue, q, msg, chosen)


def data_message(
    store: Store,
    catalogue: Catalogue,
    flow_ref: str,
    key: str = "all",
    provider: str = "all",
    *,
    limit: int | None = None,
    **params: str | None,
) -> tuple[query.DataQuery, Any]:
    """The parsed query and its data message (``sdmx1`` objects), ready to :func:`render`."""
    q = query.data_query(catalogue, flow_ref, key, provider, **params)
    selection = read(store, catalogue, q, limit)
    return q, messages.data_message(catalogue, q, selection)


def render(catalogue: Catalogue, q: query.DataQuery, msg: Any, chosen: str) -> Answer:
    """A data message in one format: structurespecificdata, csvdata or jsondata."""
    if chosen == "csvdata":
        body = messages.data_csv(catalogue, q, msg)
    elif chosen == "jsondata":
        body = data_json(catalogue, q, msg)
    else:
        body = messages.data_xml(msg)
    return Answer(body, messages.MEDIA_TYPES[chosen])


def schema(
    catalogue: Catalogue,
    context: str,
    agency: str,
    resource_id: str,
    version: str = "latest",
    *,
    dimension_at_observation: str | None = None,
) -> Answer:
    """``/schema/{context}/{agency}/{id}/{version}``: the structure-specific XML schema."""
    from keruen.sdmx_export.schema import LAYOUTS, dsd_schema

    if context in ("provisionagreement", "metadatastructure", "metadataflow"):
        raise SdmxNotImplemented(f"/schema/{context} is not provided")
    if context == "datastructure":
        ids = {DSD_ID}
    elif context == "dataflow":
        ids = set(catalogue.flows)
    else:
        raise SdmxSyntaxError(
            f"schema context {context[:40]!r}: expected datastructure or dataflow"
        )
    query.structure_query("datastructure", agency, "all", version)  # agency and version checks
    if resource_id not in ids:
        raise SdmxNoResults(f"no {context} {resource_id[:60]!r}")
    layout = dimension_at_observation or LAYOUTS[0]
    if layout not in LAYOUTS:
        raise SdmxNotImplemented(
            f"dimensionAtObservation={layout[:40]}: schemas are provided for {', '.join(LAYOUTS)}"
        )
    return Answer(dsd_schema(catalogue, layout), messages.MEDIA_TYPES["schema"])


def not_implemented(path: str) -> SdmxError:
    """The error for a resource this service does not build (501) or does not know (404)."""
    first = path.strip("/").split("/")[0]
    if first in query.OTHER_RESOURCES:
        return SdmxNotImplemented(f"/{first} is not provided by this SDMX service")
    return SdmxNoResults(f"no SDMX resource /{first[:40]}")


def error(exc: BaseException) -> Answer:
    """The SDMX-ML error message of ``exc`` and its HTTP status."""
    if isinstance(exc, SdmxError):
        status, code = exc.status, exc.code
    elif isinstance(exc, DataNotAvailableError):
        status, code = 404, 100
    elif isinstance(exc, UnknownAreaError):
        status, code = 400, 140
    elif isinstance(exc, StoreError):
        status, code = SdmxUnavailable.status, SdmxUnavailable.code
    elif isinstance(exc, KeruenError):
        status, code = 400, 140
    else:
        status, code = 500, 500
    text = str(exc) if status != 500 else "internal error; the server log has it"
    return Answer(messages.error_xml(code, text), messages.MEDIA_TYPES["error"], status)
