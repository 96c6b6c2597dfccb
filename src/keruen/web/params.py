"""Request parameters of the REST API: bounded types, the answer and error models, checks.

Every parameter has bounds (years, list lengths, page sizes, string lengths); a query parameter
the route does not define, or one given twice, is refused.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict

from keruen.web import problems

#: Bounds of request parameters.
MAX_LIMIT = 10_000
MAX_CODES = 300
MIN_YEAR, MAX_YEAR = 1900, 2100

Format = Annotated[
    Literal["json", "jsonl", "csv"] | None,
    Query(description="Answer format; default from the Accept header (JSON if none)."),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows per page.")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip.")]
CodeList = Annotated[
    str | None,
    Query(
        max_length=2000,
        pattern=r"^[A-Za-z0-9_\-]+(,[A-Za-z0-9_\-]+)*$",
        description=f"Comma-separated area codes (ISO 3166-1 alpha-3, ISO 3166-2:KZ or a group); "
        f"at most {MAX_CODES}.",
    ),
]
Year = Annotated[int | None, Query(ge=MIN_YEAR, le=MAX_YEAR)]
Name = Annotated[str, Query(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$")]
OptName = Annotated[str | None, Query(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Vintage = Annotated[str | None, Query(min_length=1, max_length=200)]


class ProblemDetail(BaseModel):
    """What went wrong."""

    status: int
    code: str
    message: str
    field: str | None


class Problem(BaseModel):
    """The one error shape of the API."""

    error: ProblemDetail


class PageMeta(BaseModel):
    """Paging facts (and, per route, units, sources or groups)."""

    model_config = ConfigDict(extra="allow")
    total: int
    limit: int
    offset: int
    next: str | None


class Page(BaseModel):
    """One page of rows; each row keeps its source, vintage and unit columns."""

    data: list[dict[str, Any]]
    meta: PageMeta


_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": text}
    for status, text in (
        (400, "A parameter is invalid (named in error.field)."),
        (404, "Nothing held for what was asked."),
        (406, "The Accept header allows neither JSON, JSON Lines nor CSV."),
        (414, "The URL is too long."),
        (503, "The query ran out of time, or the store is unavailable."),
    )
}
#: Responses every data route declares (for the OpenAPI document and its checks).
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "model": Page,
        "description": "One page of rows (JSON), or the same rows as CSV.",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    },
    304: {"description": "Not modified (the ETag matched If-None-Match)."},
    **_ERRORS,
}


def codes_of(text: str | None) -> list[str] | None:
    if text is None:
        return None
    codes = [c for c in text.split(",") if c]
    if len(codes) > MAX_CODES:
        raise problems.ApiProblem(
            400, "invalid_parameter", f"at most {MAX_CODES} area codes per request", "area"
        )
    return codes


def years_of(start: int | None, end: int | None) -> list[int] | None:
    if start is None and end is None:
        return None
    first = start if start is not None else MIN_YEAR
    last = end if end is not None else MAX_YEAR
    if last < first:
        raise problems.ApiProblem(
            400, "invalid_parameter", f"end year {last} is before start year {first}", "end"
        )
    return list(range(first, last + 1))


def known_parameters(request: Request) -> None:
    """Reject query parameters the route does not define (a typo must not pass silently)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = {p.alias for p in dependant.query_params}
    for name in request.query_params:
        if name not in known:
            raise problems.ApiProblem(
                400,
                "invalid_parameter",
                f"unknown parameter {name[:50]!r}; this route takes: {', '.join(sorted(known))}",
                name[:50],
            )
        if len(request.query_params.getlist(name)) > 1:
            # every parameter takes one value (lists are comma-separated): a repeated one is
            # ambiguous, not "the last one wins"
            raise problems.ApiProblem(
                400,
                "invalid_parameter",
                f"parameter {name[:50]!r} given more than once; give it once "
                "(several values: separate them by commas)",
                name[:50],
            )
