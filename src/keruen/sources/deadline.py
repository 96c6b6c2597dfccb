"""One deadline over a whole request: connecting, the headers and the body alike.

The time-outs of ``requests`` bound each wait for the next bytes, not a request: a server
sending its headers one byte a second never trips them. :class:`Watchdog` closes the sockets a
request opened once the update's deadline (``KERUEN_UPDATE_DEADLINE``) passes, so the blocked
read ends at once; :meth:`Watchdog.expired` then turns whatever the read raised (or the short
body it returned) into the deadline's :class:`SourceError`. The sockets are known because the
session's connections register them as they open them (:func:`adapter`).
"""

from __future__ import annotations

import contextvars
import socket
import threading
from typing import Any

from keruen.errors import SourceError

_OPEN: contextvars.ContextVar[list[socket.socket] | None] = contextvars.ContextVar(
    "keruen_request_sockets", default=None
)


class Watchdog:
    """Shuts a request's sockets down ``seconds`` after it is entered (a ``with`` block)."""

    def __init__(self, seconds: float, what: str, limit: float) -> None:
        self.seconds, self.what, self.limit = max(seconds, 0.0), what, limit
        self.sockets: list[socket.socket] = []
        self.fired = threading.Event()
        self._timer = threading.Timer(self.seconds, self._fire)
        self._timer.daemon = True
        self._token: Any = None

    def _fire(self) -> None:
        self.fired.set()
        for sock in list(self.sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> Watchdog:
        self._token = _OPEN.set(self.sockets)
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _OPEN.reset(self._token)

    def expired(self) -> None:
        """Raise the deadline's :class:`SourceError` if the watchdog cut the request short."""
        if self.fired.is_set():
            raise SourceError(
                f"{self.what}: the update took longer than its deadline "
                f"(KERUEN_UPDATE_DEADLINE={self.limit:g} s: connecting, headers and body); "
                "nothing was stored"
            )


def _registering(base: type) -> type:
    class Registering(base):  # type: ignore[misc, valid-type]
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            watched = _OPEN.get()
            if watched is not None:
                watched.append(sock)
            return sock

    return Registering


def adapter() -> Any:
    """A ``requests`` adapter without retries whose connections register their sockets."""
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class Pool(HTTPConnectionPool):
        ConnectionCls = _registering(HTTPConnection)

    class SecurePool(HTTPSConnectionPool):
        ConnectionCls = _registering(HTTPSConnection)

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": SecurePool}

    return Adapter(max_retries=0)
