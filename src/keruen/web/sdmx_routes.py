"""SDMX 2.1 RESTful web-service routes under ``/sdmx/2.1``: keruen as an SDMX data source.

Structures (``dataflow``, ``datastructure``, ``codelist``, ``conceptscheme``) as SDMX-ML 2.1,
``data`` as SDMX-ML 2.1 structure-specific data, SDMX-CSV 1.0 or SDMX-JSON 1.0 (chosen by the
``Accept`` header or ``format``), and ``schema`` (the structure-specific XML schema). The routes
only parse HTTP; the messages come from :mod:`keruen.sdmx_export.service`. Every route runs its
work through the app's ``run`` (a worker thread, a fresh read-only cursor, the query time
limit), declares every parameter it takes (the app refuses others), bounds each one, and
answers every error, its own or the app's (unknown parameter, time-out), as an SDMX-ML error
message with the HTTP status the SDMX specification gives it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.responses import Response

from keruen.sdmx_export import service
from keruen.sdmx_export.errors import SdmxSyntaxError
from keruen.sdmx_export.structures import CatalogueCache
from keruen.web import problems

log = logging.getLogger("keruen.web.sdmx")

T = TypeVar("T")
Run = Callable[[Callable[[Any], T]], Awaitable[T]]

PREFIX = "/sdmx/2.1"
TAG = "SDMX 2.1"

#: SDMX error code of an app-level problem, by HTTP status.
_SDMX_CODE = {400: 140, 404: 100, 413: 130, 414: 140, 503: 503}

_TEXT = {"min_length": 1, "max_length": 200}
Segment = Annotated[
    str, Path(**_TEXT, description="An SDMX identifier, `all`, or ids joined by +.")
]
Agency = Annotated[str, Path(**_TEXT, description="`KERUEN` (the one agency) or `all`.")]
Version = Annotated[str, Path(**_TEXT, description="`latest`, `all` or `1.0`.")]
FlowRef = Annotated[
    str, Path(**_TEXT, description="Dataflow: `ID`, `KERUEN,ID` or `KERUEN,ID,1.0`.")
]
Key = Annotated[
    str,
    Path(
        min_length=1,
        max_length=4000,
        description="FREQ.MEASURE.REF_AREA.COUNTERPART_AREA.BREAKDOWN; an empty part is any "
        "value, `+` joins values; `all` for everything.",
    ),
]
Provider = Annotated[str, Path(**_TEXT, description="`KERUEN` or `all`.")]


def _q(alias: str, description: str, max_length: int = 40) -> Any:
    return Query(alias=alias, max_length=max_length, description=description)


StartPeriod = Annotated[str | None, _q("startPeriod", "First period, e.g. 2015, 2015-Q1.")]
EndPeriod = Annotated[str | None, _q("endPeriod", "Last period (inclusive).")]
UpdatedAfter = Annotated[
    str | None, _q("updatedAfter", "Only values from vintages released after this date.")
]
FirstN = Annotated[str | None, _q("firstNObservations", "The first N observations per series.")]
LastN = Annotated[str | None, _q("lastNObservations", "The last N observations per series.")]
AtObservation = Annotated[
    str | None, _q("dimensionAtObservation", "`TIME_PERIOD` (default) or `AllDimensions`.")
]
DataDetail = Annotated[
    str | None, _q("detail", "`full` (default), `dataonly`, `serieskeysonly` or `nodata`.")
]
IncludeHistory = Annotated[str | None, _q("includeHistory", "`false` (the only one served).")]
DataFormat = Annotated[
    str | None,
    _q("format", "Overrides Accept: `structurespecificdata`, `csvdata` or `jsondata`."),
]
References = Annotated[
    str | None,
    _q(
        "references",
        "`none`, `parents`, `parentsandsiblings`, `children`, `descendants`, "
        "`all` or a structure type.",
    ),  # fmt: skip
]
StructureDetail = Annotated[str | None, _q("detail", "`full` (the only one served).")]
StructureFormat = Annotated[str | None, _q("format", "`structure` (SDMX-ML 2.1).")]

_MEDIA = {
    "structure": "application/vnd.sdmx.structure+xml; version=2.1",
    "data": (
        "application/vnd.sdmx.structurespecificdata+xml; version=2.1",
        "application/vnd.sdmx.data+csv; version=1.0.0",
        "application/vnd.sdmx.data+json; version=1.0.0",
    ),
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {
        "description": f"{text} (an SDMX-ML 2.1 error message)",
        "content": {"application/xml": {"schema": {"type": "string"}}},
    }
    for status, text in (
        (400, "Syntax error in the query (SDMX 140)"),
        (404, "No results (SDMX 100)"),
        (406, "Not acceptable: no format the client accepts is served"),
        (413, "Response too large (SDMX 130)"),
        (501, "Not implemented (SDMX 501)"),
        (503, "Service unavailable or the query timed out (SDMX 503)"),
    )
}
STRUCTURE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "An SDMX-ML 2.1 structure message.",
        "content": {_MEDIA["structure"]: {"schema": {"type": "string"}}},
    },
    **_ERRORS,
}
DATA_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "SDMX-ML 2.1 structure-specific data, SDMX-CSV 1.0 or SDMX-JSON 1.0.",
        "content": {m: {"schema": {"type": "string"}} for m in _MEDIA["data"]},
    },
    **_ERRORS,
}


def _error(exc: BaseException) -> Response:
    """Any error of an SDMX route as an SDMX-ML error message."""
    if isinstance(exc, RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(x) for x in first.get("loc", ()) if x not in ("query", "path")]
        answer = service.error(
            SdmxSyntaxError(f"{'.'.join(loc) or 'request'}: {first.get('msg', 'invalid')}")
        )
    elif isinstance(exc, problems.ApiProblem):
        code = _SDMX_CODE.get(exc.status, exc.status)
        from keruen.sdmx_export.messages import error_xml

        answer = service.Answer(error_xml(code, exc.message), "application/xml", exc.status)
    else:
        answer = service.error(exc)
        if answer.status == 500:
            log.error("SDMX request failed", exc_info=exc)
    return Response(answer.body, status_code=answer.status, media_type=answer.media_type)


class SdmxRoute(APIRoute):
    """A route whose every error, parameter checks included, is an SDMX error message."""

    def get_route_handler(self) -> Callable[[Request], Any]:  # noqa: D102
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)  # type: ignore[no-any-return]
            except Exception as exc:  # noqa: BLE001 - each becomes an SDMX error message
                return _error(exc)

        return route


def _answer(answer: service.Answer) -> Response:
    return Response(
        answer.body,
        status_code=answer.status,
        media_type=answer.media_type,
        headers={"Vary": "Accept"},
    )


def sdmx_router(run: Run[Any]) -> APIRouter:
    """The ``/sdmx/2.1`` routes; ``run`` runs work on a store under the app's time limit."""
    router = APIRouter(prefix=PREFIX, tags=[TAG], route_class=SdmxRoute)
    catalogues = CatalogueCache()
    limit = service.max_observations()

    async def data(
        request: Request, flow_ref: str, key: str, provider: str, params: dict[str, Any]
    ) -> Response:
        accept = request.headers.get("accept")

        def work(store: Any) -> service.Answer:
            return service.data(
                store, catalogues.get(store), flow_ref, key, provider,
                accept=accept, limit=limit, **params,
            )  # fmt: skip

        return _answer(await run(work))

    data_doc = {
        "responses": DATA_RESPONSES,
        "summary": "Data of a dataflow (SDMX-ML, SDMX-CSV or SDMX-JSON by Accept)",
    }

    @router.get("/data/{flow_ref}", **data_doc)  # type: ignore[arg-type]
    async def data_flow(
        request: Request,
        flow_ref: FlowRef,
        startPeriod: StartPeriod = None,  # noqa: N803 - the SDMX parameter names
        endPeriod: EndPeriod = None,  # noqa: N803
        updatedAfter: UpdatedAfter = None,  # noqa: N803
        firstNObservations: FirstN = None,  # noqa: N803
        lastNObservations: LastN = None,  # noqa: N803
        dimensionAtObservation: AtObservation = None,  # noqa: N803
        detail: DataDetail = None,
        includeHistory: IncludeHistory = None,  # noqa: N803
        format: DataFormat = None,
    ) -> Response:
        params = _data_params(locals())
        return await data(request, flow_ref, "all", "all", params)

    @router.get("/data/{flow_ref}/{key}", **data_doc)  # type: ignore[arg-type]
    async def data_key(
        request: Request,
        flow_ref: FlowRef,
        key: Key,
        startPeriod: StartPeriod = None,  # noqa: N803
        endPeriod: EndPeriod = None,  # noqa: N803
        updatedAfter: UpdatedAfter = None,  # noqa: N803
        firstNObservations: FirstN = None,  # noqa: N803
        lastNObservations: LastN = None,  # noqa: N803
        dimensionAtObservation: AtObservation = None,  # noqa: N803
        detail: DataDetail = None,
        includeHistory: IncludeHistory = None,  # noqa: N803
        format: DataFormat = None,
    ) -> Response:
        params = _data_params(locals())
        return await data(request, flow_ref, key, "all", params)

    @router.get("/data/{flow_ref}/{key}/{provider}", **data_doc)  # type: ignore[arg-type]
    async def data_provider(
        request: Request,
        flow_ref: FlowRef,
        key: Key,
        provider: Provider,
        startPeriod: StartPeriod = None,  # noqa: N803
        endPeriod: EndPeriod = None,  # noqa: N803
        updatedAfter: UpdatedAfter = None,  # noqa: N803
        firstNObservations: FirstN = None,  # noqa: N803
        lastNObservations: LastN = None,  # noqa: N803
        dimensionAtObservation: AtObservation = None,  # noqa: N803
        detail: DataDetail = None,
        includeHistory: IncludeHistory = None,  # noqa: N803
        format: DataFormat = None,
    ) -> Response:
        params = _data_params(locals())
        return await data(request, flow_ref, key, provider, params)

    async def schema(
        context: str, agency: str, resource_id: str, version: str, layout: str | None
    ) -> Response:
        def work(store: Any) -> service.Answer:
            return service.schema(
                catalogues.get(store), context, agency, resource_id, version,
                dimension_at_observation=layout,
            )  # fmt: skip

        return _answer(await run(work))

    schema_doc = {
        "responses": {200: {"description": "An XML schema (XSD).",
                            "content": {"application/xml": {"schema": {"type": "string"}}}},
                      **_ERRORS},
        "summary": "The structure-specific XML schema of a data structure or dataflow",
    }  # fmt: skip

    @router.get("/schema/{context}/{agency}/{resource_id}", **schema_doc)  # type: ignore[arg-type]
    async def schema_latest(
        context: Segment,
        agency: Agency,
        resource_id: Segment,
        dimensionAtObservation: AtObservation = None,  # noqa: N803
    ) -> Response:
        return await schema(context, agency, resource_id, "latest", dimensionAtObservation)

    @router.get(
        "/schema/{context}/{agency}/{resource_id}/{version}",
        **schema_doc,  # type: ignore[arg-type]
    )
    async def schema_version(
        context: Segment,
        agency: Agency,
        resource_id: Segment,
        version: Version,
        dimensionAtObservation: AtObservation = None,  # noqa: N803
    ) -> Response:
        return await schema(context, agency, resource_id, version, dimensionAtObservation)

    async def structures(
        request: Request,
        resource: str,
        agency: str,
        resource_id: str,
        version: str,
        references: str | None,
        detail: str | None,
        fmt: str | None,
    ) -> Response:
        accept = request.headers.get("accept")

        def work(store: Any) -> service.Answer:
            return service.structures(
                catalogues.get(store), resource, agency, resource_id, version,
                references=references, detail=detail, accept=accept, fmt=fmt,
            )  # fmt: skip

        return _answer(await run(work))

    structure_doc = {
        "responses": STRUCTURE_RESPONSES,
        "summary": "Structures: dataflow, datastructure, codelist or conceptscheme (SDMX-ML 2.1)",
    }

    @router.get("/{resource}", **structure_doc)  # type: ignore[arg-type]
    async def structure_all(
        request: Request,
        resource: Segment,
        references: References = None,
        detail: StructureDetail = None,
        format: StructureFormat = None,
    ) -> Response:
        return await structures(
            request, resource, "all", "all", "latest", references, detail, format
        )

    @router.get("/{resource}/{agency}", **structure_doc)  # type: ignore[arg-type]
    async def structure_agency(
        request: Request,
        resource: Segment,
        agency: Agency,
        references: References = None,
        detail: StructureDetail = None,
        format: StructureFormat = None,
    ) -> Response:
        return await structures(
            request, resource, agency, "all", "latest", references, detail, format
        )

    @router.get("/{resource}/{agency}/{resource_id}", **structure_doc)  # type: ignore[arg-type]
    async def structure_id(
        request: Request,
        resource: Segment,
        agency: Agency,
        resource_id: Segment,
        references: References = None,
        detail: StructureDetail = None,
        format: StructureFormat = None,
    ) -> Response:
        return await structures(
            request, resource, agency, resource_id, "latest", references, detail, format
        )

    @router.get(
        "/{resource}/{agency}/{resource_id}/{version}",
        **structure_doc,  # type: ignore[arg-type]
    )
    async def structure_version(
        request: Request,
        resource: Segment,
        agency: Agency,
        resource_id: Segment,
        version: Version,
        references: References = None,
        detail: StructureDetail = None,
        format: StructureFormat = None,
    ) -> Response:
        return await structures(
            request, resource, agency, resource_id, version, references, detail, format
        )

    # some clients (pysdmx) end a path with "/": the same routes answer it
    for route in list(router.routes):
        if isinstance(route, APIRoute):
            router.add_api_route(
                route.path[len(PREFIX) :] + "/",
                route.endpoint,
                methods=["GET"],
                include_in_schema=False,
                responses=route.responses,
            )

    @router.get("/{rest:path}", include_in_schema=False)
    async def other(rest: str) -> Response:
        raise service.not_implemented(rest)

    return router


def _data_params(values: dict[str, Any]) -> dict[str, Any]:
    """The data route's query parameters under :func:`service.data`'s names."""
    return {
        "start_period": values["startPeriod"],
        "end_period": values["endPeriod"],
        "updated_after": values["updatedAfter"],
        "first_n": values["firstNObservations"],
        "last_n": values["lastNObservations"],
        "dimension_at_observation": values["dimensionAtObservation"],
        "detail": values["detail"],
        "include_history": values["includeHistory"],
        "fmt": values["format"],
    }
