"""The errors of an SDMX request, each with its HTTP status and SDMX error code.

The codes are those of the SDMX 2.1 RESTful web services specification (section "Error
handling"): 100 no results found (HTTP 404), 140 syntax error (400), 130 response too large due
to the client request (413), 501 not implemented (501), 406 not acceptable (406), 503 service
unavailable (503). Each class also derives from the keruen error a user of the CLI or Python API
would expect (:mod:`keruen.errors`).
"""

from __future__ import annotations

from keruen.errors import ConfigError, DataNotAvailableError, KeruenError


class SdmxError(KeruenError):
    """An SDMX request that cannot be answered; ``status`` is HTTP, ``code`` the SDMX code."""

    status: int = 500
    code: int = 500


class SdmxSyntaxError(SdmxError, ConfigError):
    """The request is malformed: a bad key, period, parameter or path (400, SDMX 140)."""

    status = 400
    code = 140


class SdmxNoResults(SdmxError, DataNotAvailableError):
    """Nothing matches the request (404, SDMX 100)."""

    status = 404
    code = 100


class SdmxTooLarge(SdmxError):
    """The answer would hold more observations than the service allows (413, SDMX 130)."""

    status = 413
    code = 130


class SdmxNotImplemented(SdmxError):
    """A resource, parameter value or format this service does not provide (501, SDMX 501)."""

    status = 501
    code = 501
    exit_code = 2


class SdmxNotAcceptable(SdmxError):
    """None of the formats the client accepts is one this service writes (406)."""

    status = 406
    code = 406
    exit_code = 2


class SdmxUnavailable(SdmxError):
    """The store is unavailable or the query ran out of time (503, SDMX 503)."""

    status = 503
    code = 503
    exit_code = 4
