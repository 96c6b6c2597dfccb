"""A scripted HTTP server on loopback for connector tests (fault injection, recorded answers)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DATA = Path(__file__).parent / "data"


@dataclass
class Reply:
    """One scripted answer of the fake server."""

    body: bytes | str = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (time-out tests)
    truncate_to: int | None = None  # announce the full length, send only this many bytes
    trickle: float = 0.0  # seconds between single bytes of the body (a byte-per-second server)
    etag: str | None = None  # sent as ETag; a request whose If-None-Match matches gets 304
    head_trickle: float = 0.0  # seconds between single bytes of the status line and headers

    def payload(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else self.body


class FakeServer:
    """An HTTP server on 127.0.0.1 answering each path prefix from a script of replies.

    Replies for a prefix are used in order; the last one repeats. A callable route receives
    (path, query) and returns a Reply. Every request is recorded in ``requests``.
    """

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply] | Callable[[str, dict[str, list[str]]], Reply]] = {}
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.headers_seen: list[dict[str, str]] = []  # request headers, in arrival order
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _answer(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    query.update(parse_qs(self.rfile.read(length).decode()))
                server.headers_seen.append(dict(self.headers.items()))
                reply = server.next_reply(self.command, parts.path, query)
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.payload()
                status = reply.status
                if reply.etag is not None and self.headers.get("If-None-Match") == reply.etag:
                    status, payload = 304, b""
                try:
                    if reply.head_trickle:  # a slow-header (slowloris-like) server
                        head = f"HTTP/1.1 {status} OK\r\nContent-Length: {len(payload)}\r\n\r\n"
                        for byte in head.encode():
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(reply.head_trickle)
                        self.wfile.write(payload)
                        return
                    self.send_response(status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if reply.etag is not None:
                        self.send_header("ETag", reply.etag)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    sent = payload if reply.truncate_to is None else payload[: reply.truncate_to]
                    if reply.trickle:
                        for i in range(len(sent)):
                            self.wfile.write(sent[i : i + 1])
                            self.wfile.flush()
                            time.sleep(reply.trickle)
                    else:
                        self.wfile.write(sent)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                if reply.truncate_to is not None:
                    self.close_connection = True

            do_GET = _answer
            do_POST = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def next_reply(self, method: str, path: str, query: dict[str, list[str]]) -> Reply:
        with self._lock:
            self.requests.append((method, path, query))
            for prefix in sorted(self.routes, key=len, reverse=True):
                if path.startswith(prefix):
                    route = self.routes[prefix]
                    if callable(route):
                        return route(path, query)
                    return route.pop(0) if len(route) > 1 else route[0]
        return Reply(b"no route", status=404)

    def route(
        self, prefix: str, *replies: Reply | Callable[[str, dict[str, list[str]]], Reply]
    ) -> None:
        if len(replies) == 1 and callable(replies[0]) and not isinstance(replies[0], Reply):
            self.routes[prefix] = replies[0]
        else:
            self.routes[prefix] = list(replies)  # type: ignore[arg-type]

    def hits(self, prefix: str = "/") -> int:
        return sum(1 for _, path, _ in self.requests if path.startswith(prefix))

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)
