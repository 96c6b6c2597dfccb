"""The ASGI application: ``/api/v1`` over a read-only store, its OpenAPI document and docs.

Every route validates its parameters with bounds, calls one function of :mod:`keruen.api`, runs
it in a worker thread under a time limit (``KERUEN_WEB_QUERY_TIMEOUT``; DuckDB's query is
interrupted when it runs out) and answers JSON or CSV (errors on dashboard pages: an HTML page).
No SQL is assembled from request text: values reach DuckDB as bound parameters.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import anyio
import pandas as pd
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import HTMLResponse, Response

from keruen import __version__, api
from keruen.errors import KeruenError
from keruen.store import Store
from keruen.store.versions import LatestReader, Manifest
from keruen.web import problems, sdmx_routes
from keruen.web.answers import AnswerCache, answer_key
from keruen.web.encode import choose_format, page
from keruen.web.head import HeadAsGet
from keruen.web.params import (
    MAX_YEAR,
    MIN_YEAR,
    RESPONSES,
    CodeList,
    Format,
    Limit,
    Name,
    Offset,
    OptName,
    Vintage,
    Year,
    codes_of,
    known_parameters,
    years_of,
)
from keruen.web.error_page import answer_error as fail
from keruen.web.security import SecurityMiddleware

log = logging.getLogger("keruen.web")

T = TypeVar("T")


class _CursorStore(Store):
    """A :class:`Store` over one cursor of the newest version of the store (one request)."""

    def __init__(self, con: Any, path: str, manifest: Manifest) -> None:
        # no super().__init__(): it would open the file
        self._cursor = con
        self.path = path
        self.read_only = True
        self._manifest = manifest  # the version the cursor reads (Store.version_key)

    @property
    def con(self) -> Any:  # type: ignore[override]
        """The request's cursor."""
        return self._cursor

    def close(self) -> None:
        """Close the request's cursor (the version's connection stays open)."""
        self._cursor.close()


def create_app(
    store_path: str | Path | None = None,
    *,
    query_timeout: float | None = None,
    warm: bool = True,
    profile_wait: float | None = None,
    build_workers: int | None = None,
    build_queue: int | None = None,
) -> FastAPI:
    """The keruen web application over the store at ``store_path`` (default: the user's store).

    The store is created and the bundled snapshot loaded first if needed; the app itself only
    ever opens it read-only. With ``warm`` the report's build of Kazakhstan's profile and the
    migration systems are computed in the background at start-up (see
    :mod:`keruen.web.builds`); a profile request waits ``profile_wait`` seconds (default: a
    quarter of the query time limit) for its country's build before rendering without it.
    Heavy builds run in ``build_workers`` worker processes with ``build_queue`` more waiting
    (default: ``KERUEN_WEB_BUILD_WORKERS``, ``KERUEN_WEB_BUILD_QUEUE``; 0 workers: one thread).
    """
    from keruen import settings
    from keruen.sources.snapshot import open_store

    path = str(store_path) if store_path is not None else str(settings.store_path())
    if not Path(path).exists():
        with open_store(path, quiet=True):
            pass  # create the store and load the snapshot once, before going read-only
    reader = LatestReader(Store(path, read_only=True).path)  # the newest version per request
    timeout = (
        query_timeout if query_timeout is not None else settings.number("KERUEN_WEB_QUERY_TIMEOUT")
    )

    app = FastAPI(
        title="keruen REST API",
        version=__version__,
        description="Read-only access to keruen's store of international labour-migration "
        "statistics: areas, measures, series, bilateral tables, indicators, estimates, sources "
        "and vintages. Every row carries its source, vintage and unit. Errors have one shape: "
        '`{"error": {"status", "code", "message", "field"}}`.',
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(known_parameters)],
        openapi_url="/openapi.json",
    )
    app.state.path = path
    app.state.reader = reader

    async def run(work: Callable[[Store], T]) -> T:
        """Run ``work`` on a cursor of the newest version, in a thread, cancelled at ``timeout``."""
        cursor, manifest = reader.versioned_cursor()
        store = _CursorStore(cursor, path, manifest)
        try:
            with anyio.fail_after(timeout):
                result = await anyio.to_thread.run_sync(work, store, abandon_on_cancel=True)
        except TimeoutError:
            cursor.interrupt()  # the abandoned thread's query stops; its cursor is dropped
            raise problems.ApiProblem(
                503, "timeout", f"the query took longer than {timeout:g} s and was cancelled"
            ) from None
        cursor.close()
        return result

    answers = AnswerCache()
    app.state.answers = answers

    async def table(request: Request, work: Callable[[Store], pd.DataFrame]) -> pd.DataFrame:
        """``work``'s table for this request, kept per store version (a repeat is not rerun)."""
        key = answer_key(reader.version, request.url.path, request.query_params)
        request.state.answer_key = key  # the encoded page is kept under it too (answer())
        frame = answers.get(key)
        if frame is None:
            frame = await run(work)
            answers.put(key, frame)
        return frame

    from keruen.web.builds import (
        RETRY_AFTER,
        Profiles,
        store_digest,
        systems_table,
        wait_for_build,
    )

    profiles = Profiles(path, build_workers, build_queue)
    app.state.profiles = profiles

    async def heavy_table(
        request: Request,
        what: str,
        work: Callable[..., pd.DataFrame],
        arg: Any,
        rows: Callable[[pd.DataFrame], pd.DataFrame],
    ) -> pd.DataFrame:
        """``rows`` of the table ``work(store, arg)`` built by a worker process (``what``).

        The whole table is built once per store digest, off the request path (single-flight);
        the request waits for it up to the time limit, then answers 503 with ``Retry-After``
        (the build goes on). The selected rows go into the answer cache like any route's.
        """
        key = answer_key(reader.version, request.url.path, request.query_params)
        request.state.answer_key = key
        frame = answers.get(key)
        if frame is not None:
            return frame
        digest = await run(store_digest)
        future = profiles.job(digest, what, work, arg)
        whole, failure = await wait_for_build(future, timeout)
        if whole is None:
            if failure is not None and isinstance(future.exception(), KeruenError):
                raise future.exception()  # answered like any error of the data
            raise problems.ApiProblem(
                503,
                "being_computed",
                failure or f"the table is being computed; retry in {RETRY_AFTER} s",
                headers={} if failure else {"Retry-After": str(RETRY_AFTER)},
            )
        frame = await anyio.to_thread.run_sync(rows, whole)
        answers.put(key, frame)
        return frame

    # -- errors: one shape, never a stack trace ---------------------------------------------
    @app.exception_handler(problems.ApiProblem)
    async def _problem(request: Request, exc: problems.ApiProblem) -> Response:
        response = fail(request, exc.status, exc.code, exc.message, exc.field)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(KeruenError)
    async def _domain(request: Request, exc: KeruenError) -> Response:
        p = problems.from_keruen_error(exc)
        return fail(request, p.status, p.code, p.message, p.field)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(x) for x in first.get("loc", ()) if x not in ("query", "path", "body")]
        field = loc[0] if loc else None
        message = str(first.get("msg", "invalid request"))
        text = f"{field}: {message}" if field else message
        return fail(request, 400, "invalid_parameter", text, field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        response = fail(request, exc.status_code, code, str(exc.detail))
        if exc.status_code == 405:  # every route is read-only: say what is (RFC 9110 §15.5.6)
            response.headers["Allow"] = "GET, HEAD"
        return response

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        return fail(request, 500, "internal_error", "internal error; the server log has it")

    # -- routes -----------------------------------------------------------------------------
    def answer(
        request: Request, frame: pd.DataFrame, fmt: str | None, limit: int, offset: int, **meta: Any
    ) -> Response:
        chosen = choose_format(request, fmt)
        table_key = getattr(request.state, "answer_key", None)
        key = None
        if table_key is not None:  # the same version, URL, format and public URL: the same page
            public = settings.get("KERUEN_WEB_PUBLIC_URL")
            key = (table_key[0], request.url.path, request.url.query, chosen, public)
        return page(
            request, frame, fmt=chosen, limit=limit, offset=offset, meta=meta, kept=answers, key=key
        )

    @app.get(
        "/api/v1/areas",
        tags=["reference"],
        responses=RESPONSES,
        summary="Countries, KZ regions and groups",
    )
    async def get_areas(
        request: Request,
        kind: Literal["country", "subdivision", "group"] | None = None,
        lang: Literal["en", "ru", "kk"] = "en",
        format: Format = None,
        limit: Limit = 1000,
        offset: Offset = 0,
    ) -> Response:
        frame = await anyio.to_thread.run_sync(lambda: api.areas(kind, lang))
        return answer(request, frame, format, limit, offset)

    @app.get(
        "/api/v1/measures",
        tags=["reference"],
        responses=RESPONSES,
        summary="Measures held, with units",
    )
    async def get_measures(
        request: Request, format: Format = None, limit: Limit = 1000, offset: Offset = 0
    ) -> Response:
        frame = await table(request, lambda s: api.measures(store=s))
        return answer(
            request, frame, format, limit, offset, concepts=api.concepts().to_dict(orient="records")
        )

    @app.get(
        "/api/v1/series", tags=["data"], responses=RESPONSES, summary="One measure by area and year"
    )
    async def get_series(
        request: Request,
        measure: Name,
        area: CodeList = None,
        start: Year = None,
        end: Year = None,
        vintage: Vintage = None,
        dataset: OptName = None,
        format: Format = None,
        limit: Limit = 1000,
        offset: Offset = 0,
    ) -> Response:
        codes, years = codes_of(area), years_of(start, end)
        frame = await table(
            request,
            lambda s: api.series(measure, codes, years, vintage, dataset=dataset, store=s)
        )
        return answer(request, frame, format, limit, offset)

    @app.get(
        "/api/v1/bilateral",
        tags=["data"],
        responses=RESPONSES,
        summary="One year of a bilateral table",
    )
    async def get_bilateral(
        request: Request,
        dataset: Name,
        year: Annotated[int, Query(ge=MIN_YEAR, le=MAX_YEAR)],
        origin: CodeList = None,
        destination: CodeList = None,
        format: Format = None,
        limit: Limit = 1000,
        offset: Offset = 0,
    ) -> Response:
        o, d = codes_of(origin), codes_of(destination)
        frame = await table(request, lambda s: api.bilateral(dataset, year, o, d, store=s))
        return answer(
            request,
            frame,
            format,
            limit,
            offset,
            orientation=api.BILATERAL_DATASETS.get(str(frame["dataset"].iloc[0]))
            if len(frame)
            else None,
        )

    @app.get(
        "/api/v1/indicators",
        tags=["measures"],
        responses=RESPONSES,
        summary="Remittance indicators",
    )
    async def get_indicators(
        request: Request,
        country: Annotated[
            str, Query(max_length=2000, pattern=r"^[A-Za-z0-9_\-]+(,[A-Za-z0-9_\-]+)*$")
        ] = "KAZ",
        start: Annotated[int, Query(ge=MIN_YEAR, le=MAX_YEAR)] = 2010,
        end: Annotated[int, Query(ge=MIN_YEAR, le=MAX_YEAR)] = 2024,
        group: Annotated[
            str, Query(max_length=2000, pattern=r"^[A-Za-z0-9_\-]+(,[A-Za-z0-9_\-]+)*$")
        ] = "cis_and_former",
        provenance: Annotated[
            bool, Query(description="Add, per row, the source of each input value.")
        ] = False,
        format: Format = None,
        limit: Limit = 1000,
        offset: Offset = 0,
    ) -> Response:
        codes = codes_of(country) or []
        years = years_of(start, end) or []
        groups = group if "," not in group else codes_of(group)
        frame = await table(
            request,
            lambda s: api.indicators(codes, years, groups, provenance=provenance, store=s)  # type: ignore[arg-type]
        )
        return answer(
            request,
            frame,
            format,
            limit,
            offset,
            units=frame.attrs.get("units"),
            group=frame.attrs.get("group"),
            sources=frame.attrs.get("sources"),
        )

    @app.get(
        "/api/v1/estimates",
        tags=["measures"],
        responses=RESPONSES,
        summary="Stored model estimates",
    )
    async def get_estimates(
        request: Request,
        kind: OptName = None,
        area: CodeList = None,
        start: Year = None,
        end: Year = None,
        format: Format = None,
        limit: Limit = 1000,
        offset: Offset = 0,
    ) -> Response:
        codes, years = codes_of(area), years_of(start, end)
        frame = await table(request, lambda s: api.estimates(kind, codes, years, store=s))
        return answer(request, frame, format, limit, offset)

    @app.get(
        "/api/v1/kz-regions",
        tags=["measures"],
        responses=RESPONSES,
        summary="Kazakhstan's regions: labour-migrant shares and location quotients",
    )
    async def get_kz_regions(
        request: Request, format: Format = None, limit: Limit = 1000, offset: Offset = 0
    ) -> Response:
        frame = await table(request, lambda s: api.kz_regions(store=s))
        return answer(request, frame, format, limit, offset)

    @app.get(
        "/api/v1/migrant-share",
        tags=["measures"],
        responses=RESPONSES,
        summary="International migrant stock as a share of the population, by sex where held",
    )
    async def get_migrant_share(
        request: Request,
        area: CodeList = None,
        format: Format = None,
        limit: Limit = 1000,
        offset: Offset = 0,
    ) -> Response:
        from keruen.analysis.migrant_share import shares_of
        from keruen.areas import resolve_codes

        if not area:
            raise problems.ApiProblem(400, "invalid_parameter", "area is required", "area")
        codes = resolve_codes(codes_of(area) or [], ("country",))
        frame = await table(request, lambda s: shares_of(s, codes))
        return answer(request, frame, format, limit, offset)

    @app.get(
        "/api/v1/systems",
        tags=["measures"],
        responses=RESPONSES,
        summary="Migration systems per UN DESA stock period: each country's system and role",
    )
    async def get_systems(
        request: Request,
        start: Year = None,
        end: Year = None,
        country: CodeList = None,
        network: Annotated[
            Literal["world", "post_soviet"],
            Query(description="The whole stock network, or stocks between post-Soviet states."),
        ] = "world",
        format: Format = None,
        limit: Limit = 1000,
        offset: Offset = 0,
    ) -> Response:
        codes, years = codes_of(country), years_of(start, end)
        frame = await heavy_table(
            request,
            f"systems:{network}",
            systems_table,
            network,
            lambda whole: api.systems_rows(whole, years, codes),
        )
        return answer(
            request,
            frame,
            format,
            limit,
            offset,
            periods=sorted(frame["period"].unique().tolist()),
        )

    @app.get(
        "/api/v1/sources",
        tags=["provenance"],
        responses=RESPONSES,
        summary="Every file held, with provenance",
    )
    async def get_sources(
        request: Request, format: Format = None, limit: Limit = 1000, offset: Offset = 0
    ) -> Response:
        frame = await table(request, lambda s: api.sources(store=s))
        return answer(request, frame, format, limit, offset)

    @app.get(
        "/api/v1/vintages",
        tags=["provenance"],
        responses=RESPONSES,
        summary="Vintages held per dataset",
    )
    async def get_vintages(
        request: Request,
        dataset: OptName = None,
        format: Format = None,
        limit: Limit = 1000,
        offset: Offset = 0,
    ) -> Response:
        frame = await table(request, lambda s: api.vintages(dataset, store=s))
        return answer(request, frame, format, limit, offset)

    @app.get("/api/v1/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        from keruen.web.docs import render_docs

        return HTMLResponse(render_docs(app.openapi()))

    from keruen.presentation.vega import vega_bundle
    from keruen.web.pages import router as pages_router
    wait = profile_wait if profile_wait is not None else timeout / 4
    app.include_router(pages_router(run, profiles, wait))
    app.include_router(sdmx_routes.sdmx_router(run))  # SDMX 2.1 REST, docs/sdmx.md
    if warm:
        profiles.warm()
    # building the Vega bundle takes seconds: start it now, not on the first chart's request
    threading.Thread(target=vega_bundle, name="keruen-vega-bundle", daemon=True).start()
    app.mount(
        "/static",
        StaticFiles(directory=str(resources.files("keruen.web").joinpath("static"))),
        name="static",
    )
    origins = [
        o.strip() for o in (settings.get("KERUEN_WEB_CORS_ORIGINS") or "").split(",") if o.strip()
    ]
    if origins:
        from starlette.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET"])
    app.add_middleware(SecurityMiddleware)
    app.add_middleware(HeadAsGet)  # outermost: HEAD is a GET whose body is not sent
    return app
