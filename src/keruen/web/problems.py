"""The one JSON error shape of the REST API, and the exceptions that map onto it.

Every error response has the body ``{"error": {"status": 404, "code": "not_found",
"message": "...", "field": null}}``; a test pins it. No stack trace ever reaches a client.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from keruen.errors import (
    ConfigError,
    DataNotAvailableError,
    EstimationError,
    InputError,
    KeruenError,
    StoreError,
    UnknownAreaError,
)

#: keruen error class → (HTTP status, error code); the first matching class wins.
STATUS_OF: tuple[tuple[type[KeruenError], int, str], ...] = (
    (DataNotAvailableError, 404, "not_found"),
    (UnknownAreaError, 400, "unknown_area"),
    (EstimationError, 422, "estimation_failed"),
    (ConfigError, 400, "invalid_parameter"),
    (InputError, 400, "invalid_input"),
    (StoreError, 503, "store_unavailable"),
)

#: Longest message sent to a client (longer ones are cut, with an ellipsis).
MAX_MESSAGE = 500


class ApiProblem(Exception):
    """An error the API answers with the pinned JSON shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}  # sent with the error (e.g. Retry-After on a 503)


def body(status: int, code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The error body: ``{"error": {"status", "code", "message", "field"}}``."""
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 1] + "…"
    return {"error": {"status": status, "code": code, "message": message, "field": field}}


def response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A JSON error response in the pinned shape."""
    return JSONResponse(body(status, code, message, field), status_code=status, headers=headers)


def from_keruen_error(exc: KeruenError) -> ApiProblem:
    """The API problem a domain error becomes (unknown subclasses: 400 bad request)."""
    for cls, status, code in STATUS_OF:
        if isinstance(exc, cls):
            return ApiProblem(status, code, str(exc), getattr(exc, "field", None))
    return ApiProblem(400, "bad_request", str(exc))
