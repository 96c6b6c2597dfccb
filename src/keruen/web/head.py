"""HEAD wherever GET is served (RFC 9110 §9.3.2): the GET answer's status and headers, no body.

FastAPI registers a route for the methods it names only, so without this every HEAD got 405.
The request runs as a GET (the same ETag, Content-Length and 304 logic) and the body is dropped
on the way out; the OpenAPI document keeps listing GET only.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Answers ``HEAD`` as the route's ``GET`` would, without sending the body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: D102
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        ended = False

        async def send_headers_only(message: Message) -> None:
            nonlocal ended
            if message["type"] == "http.response.body":
                if ended or message.get("more_body", False):
                    return  # the body is not sent; only its end is
                ended = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)
