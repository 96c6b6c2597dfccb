"""The HTTP server of ``keruen serve``: uvicorn's h11 protocol with header and body deadlines.

uvicorn closes a keep-alive connection that stays idle, but not one that sends its request
slowly: a client sending a header byte every few seconds (slowloris) holds its connection, and
a few hundred such clients hold the server. Here each request must arrive whole in time — its
request line and headers within ``KERUEN_WEB_HEADER_TIMEOUT`` seconds of its first byte (or of
the connection opening), its body within ``KERUEN_WEB_BODY_TIMEOUT`` seconds of its headers —
or the server answers 408 and closes the connection. Time the application spends answering is
not counted (the query time limit bounds that).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from keruen.errors import ConfigError
from keruen.web import problems

def _timed_out_answer() -> bytes:
    body = json.dumps(problems.body(408, "request_timeout", "the request arrived too slowly"))
    head = (
        "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
        f"connection: close\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    return (head + body).encode()


#: Sent before closing a connection whose request did not arrive in time (the API's error shape).
TIMED_OUT = _timed_out_answer()

class DeadlineH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose request headers or body arrive late."""

    header_timeout: float = 10.0
    body_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._waiting_for: object = None  # h11.IDLE (headers) or h11.SEND_BODY (body)

    def _arm(self, state: object, seconds: float) -> None:
        if self._waiting_for is state:
            return
        self._disarm()
        self._waiting_for = state
        self._deadline = self.loop.call_later(seconds, self._timed_out, state)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline, self._waiting_for = None, None

    def _timed_out(self, state: object) -> None:
        self._deadline, self._waiting_for = None, None
        if self.transport.is_closing() or self.conn.their_state is not state:
            return
        if self.cycle is None or self.cycle.response_complete:  # no answer under way
            self.transport.write(TIMED_OUT)
        self.transport.close()

    def _follow(self) -> None:
        """Arm the deadline of what the connection waits for from the client, or disarm it."""
        state = self.conn.their_state
        if state is h11.IDLE:
            self._arm(state, self.header_timeout)
        elif state is h11.SEND_BODY:
            self._arm(state, self.body_timeout)
        else:
            self._disarm()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # noqa: D102
        super().connection_made(transport)
        self._arm(h11.IDLE, self.header_timeout)  # a connection that sends nothing is closed too

    def data_received(self, data: bytes) -> None:  # noqa: D102
        super().data_received(data)
        if not self.transport.is_closing():
            self._follow()

    def on_response_complete(self) -> None:  # noqa: D102
        super().on_response_complete()
        # idle between requests: uvicorn's keep-alive time-out; the next request's first byte
        # (data_received) starts its header deadline
        self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:  # noqa: D102
        self._disarm()
        super().connection_lost(exc)


def config(
    app: Any,
    host: str,
    port: int,
    *,
    header_timeout: float | None = None,
    body_timeout: float | None = None,
) -> uvicorn.Config:
    """The uvicorn configuration ``keruen serve`` runs: deadlines from the settings by default.

    A large incomplete-event limit lets over-long URLs reach the app's 414 in the API's shape.
    """
    timeouts = {
        "header_timeout": _seconds("KERUEN_WEB_HEADER_TIMEOUT", header_timeout),
        "body_timeout": _seconds("KERUEN_WEB_BODY_TIMEOUT", body_timeout),
    }
    protocol = type("KeruenH11Protocol", (DeadlineH11Protocol,), timeouts)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        http=protocol,
        h11_max_incomplete_event_size=256 * 1024,
    )


def _seconds(env: str, given: float | None) -> float:
    from keruen import settings

    value = given if given is not None else settings.number(env)
    if value <= 0:
        raise ConfigError(f"setting {env} must be more than 0 seconds, got {value!r}")
    return value
