"""Errors on a dashboard page answered as an HTML page in the page's language.

The REST API answers errors in one JSON shape (:mod:`keruen.web.problems`); a reader who
follows a link to ``/ru/country/XXX`` gets a page in Russian saying what was not found, with
the way back, and the same status code (an unknown country is a 404 there).
"""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from keruen.i18n import translations
from keruen.web import problems
from keruen.web.views import page

_PAGE = re.compile(r"^/(en|ru|kk)(/|$)")


def page_language(request: Request) -> str | None:
    """The language of a dashboard page's URL (None for the API, files and CSV downloads)."""
    path = request.url.path
    match = _PAGE.match(path)
    return match.group(1) if match and not path.endswith(".csv") else None


def error_page(request: Request, status: int, code: str, message: str) -> HTMLResponse | None:
    """The HTML answer to an error on a dashboard page, or None if ``request`` is not one."""
    lang = page_language(request)
    if lang is None:
        return None
    if code == "unknown_area":  # a page of an area that does not exist is not found
        status = 404
    _ = translations(lang).gettext
    heading = {
        404: _("Page not found"),
        400: _("The address asks for something the dashboard cannot show"),
        503: _("The server is busy"),
    }.get(status, _("The page could not be shown"))
    response = page(
        "error.html.j2", lang, "", status=status, heading=heading, message=message, code=code
    )
    response.status_code = status
    return response


def answer_error(
    request: Request, status: int, code: str, message: str, field: str | None = None
) -> Response:
    """An error on a dashboard page as a page in its language; on the API, the JSON shape."""
    html = error_page(request, status, code, message)
    return html or problems.response(status, code, message, field)
