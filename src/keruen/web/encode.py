"""Turning a result table into an HTTP answer: one page of it, as JSON or CSV, with an ETag.

JSON answers are ``{"data": [...rows...], "meta": {...}}``; JSON Lines answers (``format=jsonl``)
are one row object per line; CSV answers are the same rows with a header line. Text cells that a spreadsheet would run as a formula (leading ``=``, ``+``, ``-``,
``@``, tab or carriage return) are prefixed with ``'`` in CSV (OWASP's CSV-injection advice).
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import pandas as pd
from starlette.requests import Request
from starlette.responses import Response

from keruen.web.problems import ApiProblem
from keruen.writing import csv_text, neutralise

#: Media types the API answers in.
JSON = "application/json"
CSV = "text/csv"
JSONL = "application/x-ndjson"


def choose_format(request: Request, fmt: str | None) -> str:
    """``json``, ``jsonl`` or ``csv``, from the ``format`` parameter or else the Accept header.

    An Accept header that names neither JSON, CSV nor a wildcard, or that cannot be parsed,
    is answered with 406.
    """
    if fmt is not None:
        return fmt
    accept = request.headers.get("accept", "").strip()
    if not accept:
        return "json"
    if len(accept) > 1000:
        raise ApiProblem(406, "not_acceptable", "the Accept header is longer than 1,000 characters")
    best: tuple[float, str] | None = None
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        q = 1.0
        for param in fields[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    raise ApiProblem(
                        406, "not_acceptable", f"malformed quality value in Accept: {param!r}"
                    ) from None
                if not 0.0 <= q <= 1.0 or math.isnan(q):
                    raise ApiProblem(
                        406, "not_acceptable", f"quality value out of range in Accept: {param!r}"
                    )
        kind = {
            CSV: "csv",
            JSON: "json",
            JSONL: "jsonl",
            "application/jsonl": "jsonl",
            "application/*": "json",
            "text/*": "csv",
            "*/*": "json",
        }.get(media)
        if kind is not None and q > 0 and (best is None or q > best[0]):
            best = (q, kind)
    if best is None:
        raise ApiProblem(
            406,
            "not_acceptable",
            "the API answers in application/json, application/x-ndjson or text/csv; the Accept "
            "header allows none of them",
        )
    return best[1]


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item"):
        return _jsonable(value.item())
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts: missing and non-finite numbers become ``null``."""
    frame = frame.astype(object).where(frame.notna(), None)
    return [
        {str(k): _jsonable(v) for k, v in row.items()} for row in frame.to_dict(orient="records")
    ]


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot start a spreadsheet formula (the CLI's own rule)."""
    return neutralise(frame)


def next_link(request: Request, offset: int) -> str:
    """The URL of the page starting at ``offset``: the same path and query, never the Host.

    The Host header is the client's to choose, and an answer marked ``public`` is shared by
    caches: so the link is relative (``/api/v1/series?…&offset=…``), or absolute under the
    public base URL the operator configured (``KERUEN_WEB_PUBLIC_URL``), never the header's.
    """
    from keruen import settings

    url = request.url.include_query_params(offset=offset)
    relative = url.path + (f"?{url.query}" if url.query else "")
    base = (settings.get("KERUEN_WEB_PUBLIC_URL") or "").rstrip("/")
    return base + relative


def page(
    request: Request,
    frame: pd.DataFrame,
    *,
    fmt: str,
    limit: int,
    offset: int,
    meta: dict[str, Any] | None = None,
    max_age: int = 300,
    kept: Any = None,
    key: tuple[Any, ...] | None = None,
) -> Response:
    """One page of ``frame`` as JSON or CSV, with ETag and Cache-Control (304 if unchanged).

    With ``kept`` (an :class:`~keruen.web.answers.AnswerCache`) and ``key`` (the request's
    store version, path, query and format), the encoded page is kept and reused.
    """
    encoded = kept.encoded(key) if kept is not None and key is not None else None
    if encoded is None:
        encoded = _encode(request, frame, fmt, limit, offset, meta, max_age)
        if kept is not None and key is not None:
            kept.keep_encoded(key, encoded)
    content, media, headers = encoded
    if headers["ETag"] in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=media, headers=headers)


def _encode(
    request: Request,
    frame: pd.DataFrame,
    fmt: str,
    limit: int,
    offset: int,
    meta: dict[str, Any] | None,
    max_age: int,
) -> tuple[bytes, str, dict[str, str]]:
    total = len(frame)
    part = frame.iloc[offset : offset + limit]
    if fmt == "csv":
        content = csv_text(part).encode("utf-8")
        media = f"{CSV}; charset=utf-8"
    elif fmt == "jsonl":  # one row per line, for pd.read_json(url, lines=True) and stream tools
        lines = (json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in records(part))
        content = "".join(lines).encode("utf-8")
        media = JSONL
    else:
        nxt = next_link(request, offset + limit) if offset + limit < total else None
        payload = {
            "data": records(part),
            "meta": {"total": total, "limit": limit, "offset": offset, "next": nxt, **(meta or {})},
        }
        content = json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
        media = JSON
    etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={max_age}",
        "X-Total-Count": str(total),
        "Vary": "Accept",
    }
    if offset + limit < total:
        headers["Link"] = f'<{next_link(request, offset + limit)}>; rel="next"'
    if fmt == "csv":
        headers["Content-Disposition"] = 'inline; filename="keruen.csv"'
    return content, media, headers
