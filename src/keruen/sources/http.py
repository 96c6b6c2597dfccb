"""The one HTTP layer every connector uses: bounded retries, one deadline, a crash-safe cache.

* Every request asks the server. A cached answer holding an ``ETag`` or ``Last-Modified`` is
  revalidated with ``If-None-Match`` / ``If-Modified-Since``; a ``304 Not Modified`` answer
  serves the cached body (``Response.not_modified``). The cache is never used instead of asking,
  except inside one :func:`update_run` (the same request twice is answered once) and when the
  run is explicitly offline (``keruen update --offline``).
* One :class:`Budget` bounds a whole update: a deadline (``KERUEN_UPDATE_DEADLINE``), a byte cap
  (``KERUEN_UPDATE_MAX_BYTES``) and a page cap (``KERUEN_UPDATE_MAX_PAGES``, checked by paged
  connectors). Waits between retries, a server's ``Retry-After`` (capped by
  ``KERUEN_HTTP_BACKOFF_MAX``) and every read count against the deadline, which covers
  connecting, headers and body (:mod:`keruen.sources.deadline`), so a hanging or byte-per-second
  server ends promptly in one :class:`SourceError`.
* Retries (``KERUEN_HTTP_RETRIES``) cover connection errors, time-outs, HTTP 429 and 5xx and a
  body cut short, with exponential back-off; then one :class:`SourceError` names the URL and
  the last failure.
* Answers are kept in an on-disk cache: the body is written to a temporary file, flushed,
  fsync'ed and renamed into place, and a sidecar JSON records its sha256 (and the validators
  ``etag`` / ``last_modified``); a read checks the sha256 and treats a mismatch (a crash
  mid-write, a disk fault) as a miss, deleting the entry. A cache that cannot be written (a
  read-only folder) is reported once and the run continues without it.
* Long downloads show a progress bar on stderr, only when stderr is a terminal.
"""

from __future__ import annotations

import contextvars
import email.utils
import hashlib
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from keruen import settings
from keruen.errors import SourceError
from keruen.sources import deadline
from keruen.writing import write_bytes

#: HTTP statuses worth retrying: rate limiting and server-side failures.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Show a progress bar for bodies larger than this (or of unknown size).
PROGRESS_MIN_BYTES = 1 << 20
_CHUNK = 1 << 16
USER_AGENT = "keruen (https://github.com/keruen; open labour-migration observatory)"


@dataclass(frozen=True)
class Response:
    """A body fetched (or read from the cache) and where it came from.

    ``from_cache``: the body was read from the cache; ``not_modified``: the server was asked
    and answered 304, confirming the cached body; ``asked``: the server was asked at all.
    """

    url: str
    content: bytes
    sha256: str
    fetched_at: float
    from_cache: bool
    not_modified: bool = False
    asked: bool = True

    def json(self) -> Any:
        """The body parsed by :func:`parse_json`; a malformed or cut body: :class:`SourceError`."""
        try:
            return parse_json(self.content.decode("utf-8-sig"))
        except (ValueError, RecursionError) as exc:
            raise SourceError(
                f"{self.url}: the answer is not valid JSON ({exc}); it may be truncated"
            ) from None


def _long_int(text: str) -> int | float:
    # Python refuses to make an int of more than 4300 digits (ValueError): such a number is
    # read as a float instead, infinite past 1e308, which every value check refuses
    return int(text) if len(text) <= 4000 else float(text)


def parse_json(text: str) -> Any:
    """JSON as keruen reads every answer and saved file: an integer of thousands of digits is
    read as a float (``inf``: refused as a value with its place named), never a traceback."""
    return json.loads(text, parse_int=_long_int)


# -- the budget of one update -----------------------------------------------------------------
@dataclass
class Budget:
    """Deadline, byte and page caps shared by every request of one update run."""

    seconds: float
    max_bytes: int
    max_pages: int
    offline: bool = False
    conditional: bool = True
    started: float = field(default_factory=time.monotonic)
    bytes_used: int = 0
    pages_used: int = 0
    asked: int = 0
    not_modified: int = 0
    from_cache: int = 0
    oldest_cached: float | None = None  # fetch time of the oldest cached answer used offline
    memo: dict[str, Response] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, *, offline: bool = False, conditional: bool = True) -> Budget:
        """A budget from ``KERUEN_UPDATE_DEADLINE``, ``_MAX_BYTES`` and ``_MAX_PAGES``."""
        return cls(
            seconds=settings.number("KERUEN_UPDATE_DEADLINE"),
            max_bytes=int(settings.number("KERUEN_UPDATE_MAX_BYTES")),
            max_pages=int(settings.number("KERUEN_UPDATE_MAX_PAGES")),
            offline=offline,
            conditional=conditional,
        )

    def remaining(self) -> float:
        """Seconds left before the deadline (may be negative)."""
        return self.seconds - (time.monotonic() - self.started)

    def check_deadline(self, what: str) -> float:
        """Seconds left; raises :class:`SourceError` once the deadline has passed."""
        left = self.remaining()
        if left <= 0:
            raise SourceError(
                f"{what}: the update took longer than its deadline "
                f"(KERUEN_UPDATE_DEADLINE={self.seconds:g} s); nothing was stored"
            )
        return left

    def charge_bytes(self, count: int, what: str) -> None:
        """Count downloaded bytes; raises :class:`SourceError` past ``max_bytes``."""
        self.bytes_used += count
        if self.bytes_used > self.max_bytes:
            raise SourceError(
                f"{what}: the update downloaded more than KERUEN_UPDATE_MAX_BYTES="
                f"{self.max_bytes} bytes; nothing was stored"
            )

    def charge_pages(self, announced: int, what: str) -> None:
        """Check a paged answer's announced page count against ``max_pages``, then count one."""
        if announced > self.max_pages or self.pages_used + 1 > self.max_pages:
            raise SourceError(
                f"{what}: the answer announces {announced} pages; more than "
                f"KERUEN_UPDATE_MAX_PAGES={self.max_pages} allows for one update"
            )
        self.pages_used += 1


_CURRENT: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("budget", default=None)


@contextmanager
def update_run(*, offline: bool = False, conditional: bool = True) -> Iterator[Budget]:
    """Run the requests of one update under one :class:`Budget` (nested runs share it)."""
    outer = _CURRENT.get()
    if outer is not None:
        yield outer
        return
    budget = Budget.from_settings(offline=offline, conditional=conditional)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def current_budget() -> Budget:
    """The budget of the running update, or a fresh one for a lone request."""
    return _CURRENT.get() or Budget.from_settings()


# -- cache ------------------------------------------------------------------------------------
def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, never half."""
    write_bytes(path, data, durable=True)


_WARNED_UNWRITABLE: set[str] = set()


class DiskCache:
    """Bodies keyed by request, each beside a JSON sidecar holding its sha256 and validators."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else settings.cache_dir()

    @staticmethod
    def key(method: str, url: str, params: dict[str, Any] | None, data: Any = None) -> str:
        """A stable key for one request."""
        query = urlencode(sorted((params or {}).items()), doseq=True)
        raw = json.dumps([method.upper(), url, query, data], sort_keys=True, default=str)
        return hashlib.sha256(raw.encode()).hexdigest()

    def _paths(self, key: str) -> tuple[Path, Path]:
        base = self.folder / key[:2]
        return base / f"{key}.body", base / f"{key}.json"

    def meta(self, key: str) -> dict[str, Any]:
        """The sidecar of an entry ({} if absent or unreadable)."""
        try:
            meta = json.loads(self._paths(key)[1].read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return meta if isinstance(meta, dict) else {}

    def get(self, key: str, max_age: float | None = None) -> Response | None:
        """The cached answer if present, intact and (with ``max_age``) young enough."""
        body_path, _ = self._paths(key)
        meta = self.meta(key)
        try:
            content = body_path.read_bytes()
        except OSError:
            return None
        digest = hashlib.sha256(content).hexdigest()
        if digest != meta.get("sha256") or len(content) != meta.get("size"):
            self.drop(key)  # torn or corrupted entry: never serve it
            return None
        try:
            fetched = float(meta.get("fetched_at", 0))
        except (TypeError, ValueError):
            fetched = 0.0
        if max_age is not None and time.time() - fetched > max_age:
            return None
        return Response(str(meta.get("url", "")), content, digest, fetched, True, asked=False)

    def put(
        self, key: str, url: str, content: bytes, validators: dict[str, str] | None = None
    ) -> Response:
        """Store a body atomically (body first, then its sidecar) and return it as a Response.

        A cache that cannot be written is reported once on stderr; the answer is still returned.
        """
        body_path, meta_path = self._paths(key)
        digest = hashlib.sha256(content).hexdigest()
        now = time.time()
        meta = {"url": url, "sha256": digest, "size": len(content), "fetched_at": now}
        meta |= {k: v for k, v in (validators or {}).items() if v}
        try:
            _atomic_write(body_path, content)
            _atomic_write(meta_path, json.dumps(meta).encode())
        except OSError as exc:  # read-only, full, or not a folder: the cache is optional
            self._warn_unwritable(exc)
        return Response(url, content, digest, now, False)

    def _warn_unwritable(self, exc: OSError) -> None:
        folder = str(self.folder)
        if folder not in _WARNED_UNWRITABLE:
            _WARNED_UNWRITABLE.add(folder)
            print(
                f"keruen: warning: cannot write the HTTP cache in {folder} "
                f"({exc.strerror or exc}); continuing without caching (see KERUEN_CACHE_DIR)",
                file=sys.stderr,
            )

    def drop(self, key: str) -> None:
        """Forget one entry."""
        for path in self._paths(key):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass


# -- fetching ---------------------------------------------------------------------------------
def _session():  # type: ignore[no-untyped-def]
    import requests

    session = requests.Session()
    adapter = deadline.adapter()  # retries are counted here, against the deadline
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


class _Retryable(Exception):
    """A failure worth another try: (description, seconds the server asked us to wait)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), else None."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _set_read_timeout(resp: Any, seconds: float) -> None:
    """Tighten the socket time-out of a streaming response (best effort)."""
    try:
        sock = resp.raw.connection.sock
        if sock is not None:
            sock.settimeout(max(0.05, seconds))
    except AttributeError:
        pass


def _read_body(resp: Any, label: str, budget: Budget, shown: str, timeout: float) -> bytes:
    """Read a streaming body chunk by chunk, checking the deadline and byte cap between reads."""
    import urllib3.exceptions

    total = resp.headers.get("Content-Length")
    size = int(total) if total and total.strip().isdigit() else None
    if size is not None and budget.bytes_used + size > budget.max_bytes:
        raise SourceError(
            f"{shown}: the answer announces {size} bytes; more than KERUEN_UPDATE_MAX_BYTES="
            f"{budget.max_bytes} allows for one update"
        )
    encoded = bool(resp.headers.get("Content-Encoding", "").strip().lower() not in {"", "identity"})
    show = sys.stderr.isatty() and (size is None or size >= PROGRESS_MIN_BYTES)
    bar = None
    if show:
        from tqdm import tqdm

        bar = tqdm(total=size, unit="B", unit_scale=True, desc=label, file=sys.stderr, leave=False)
    chunks: list[bytes] = []
    received = 0
    try:
        while True:
            left = budget.check_deadline(shown)
            _set_read_timeout(resp, min(timeout, left))
            try:
                chunk = resp.raw.read1(_CHUNK, decode_content=True)
            except urllib3.exceptions.ReadTimeoutError:
                raise _Retryable("timed out while reading the answer") from None
            except (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError) as exc:
                raise _Retryable(f"the answer was cut short (truncated body: {exc})") from None
            except OSError as exc:
                if "timed out" in str(exc):
                    raise _Retryable("timed out while reading the answer") from None
                raise _Retryable(f"the answer was cut short ({exc})") from None
            if not chunk:
                break
            received += len(chunk)
            budget.charge_bytes(len(chunk), shown)
            chunks.append(chunk)
            if bar is not None:
                bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()
    if size is not None and not encoded and received < size:
        raise _Retryable(f"the answer was cut short (truncated body: {received} of {size} bytes)")
    return b"".join(chunks)


def _describe(exc: BaseException) -> str:
    import requests

    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    text = str(reason or exc)
    if isinstance(exc, requests.exceptions.Timeout) or "timed out" in text:
        limit = settings.get("KERUEN_HTTP_TIMEOUT")
        return f"timed out (no answer within KERUEN_HTTP_TIMEOUT={limit} s)"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the answer was cut short (truncated body)"
    if "NameResolution" in text or "Name or service not known" in text:
        return "cannot resolve the server's name (offline, or a wrong URL setting?)"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"cannot connect ({type(reason).__name__ if reason else 'connection error'})"
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _offline_answer(cache: DiskCache, key: str, shown: str) -> Response:
    hit = cache.get(key)
    if hit is None:
        raise SourceError(
            f"{shown}: offline (--offline) and no cached answer to this request; "
            "run the update once without --offline"
        )
    return hit


def fetch(
    url: str,
    *,
    params: dict[str, Any] | None = None,
    method: str = "GET",
    data: Any = None,
    headers: dict[str, str] | None = None,
    cache: DiskCache | None = None,
    label: str | None = None,
) -> Response:
    """Ask the server for ``url`` (conditionally if a cached answer has validators).

    Runs under the current :func:`update_run`'s budget (else a fresh one). Raises
    :class:`SourceError` once retries are spent, on a non-retryable HTTP status, on a body
    shorter than announced, past the deadline or past the byte cap.
    """
    import requests

    budget = current_budget()
    cache = cache if cache is not None else DiskCache()
    key = DiskCache.key(method, url, params, data)
    shown = url + ("?" + urlencode(params, doseq=True) if params else "")
    if key in budget.memo:
        return budget.memo[key]
    if budget.offline:
        hit = _offline_answer(cache, key, shown)
        budget.from_cache += 1
        budget.oldest_cached = min(budget.oldest_cached or hit.fetched_at, hit.fetched_at)
        budget.memo[key] = hit
        return hit
    retries = int(settings.number("KERUEN_HTTP_RETRIES"))
    timeout = settings.number("KERUEN_HTTP_TIMEOUT")
    backoff = settings.number("KERUEN_HTTP_BACKOFF")
    backoff_max = settings.number("KERUEN_HTTP_BACKOFF_MAX")
    cached_entry = cache.get(key) if budget.conditional else None
    sent = dict(headers or {})
    if cached_entry is not None:
        meta = cache.meta(key)
        if meta.get("etag"):
            sent["If-None-Match"] = str(meta["etag"])
        if meta.get("last_modified"):
            sent["If-Modified-Since"] = str(meta["last_modified"])
        if not ({"If-None-Match", "If-Modified-Since"} & set(sent)):
            cached_entry = None  # no validator: the answer must be fetched whole
    last = "no attempt"
    with _session() as session:
        for attempt in range(retries + 1):
            left = budget.check_deadline(shown)
            wait: float | None = None
            watchdog = deadline.Watchdog(left, shown, budget.seconds)
            try:
                budget.asked += 1
                limit = min(timeout, left)
                with watchdog, session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=sent,
                    timeout=(limit, limit),
                    stream=True,
                ) as resp:
                    if resp.status_code == 304 and cached_entry is not None:
                        budget.not_modified += 1
                        answer = Response(
                            cached_entry.url or shown,
                            cached_entry.content,
                            cached_entry.sha256,
                            time.time(),
                            True,
                            not_modified=True,
                        )
                        budget.memo[key] = answer
                        return answer
                    if resp.status_code in RETRY_STATUSES:
                        raise _Retryable(
                            f"HTTP {resp.status_code} {resp.reason or ''}".rstrip(),
                            _retry_after(resp.headers.get("Retry-After")),
                        )
                    if resp.status_code >= 400:
                        raise SourceError(
                            f"{shown}: HTTP {resp.status_code} {resp.reason or ''}".rstrip()
                        )
                    content = _read_body(
                        resp, label or url.rsplit("/", 1)[-1], budget, shown, timeout
                    )
                    validators = {
                        "etag": resp.headers.get("ETag", ""),
                        "last_modified": resp.headers.get("Last-Modified", ""),
                    }
                watchdog.expired()  # a body cut short by the deadline is no answer
                answer = cache.put(key, shown, content, validators)
                budget.memo[key] = answer
                return answer
            except _Retryable as exc:
                last, wait = exc.reason, exc.retry_after
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                last = _describe(exc)
            except requests.exceptions.RequestException as exc:
                watchdog.expired()
                raise SourceError(f"{shown}: {_describe(exc)}") from None
            watchdog.expired()
            if attempt == retries:
                break
            _sleep_before_retry(budget, shown, last, attempt, backoff, backoff_max, wait)
    if last.startswith("HTTP "):
        last = f"the server kept failing ({last})"
    raise SourceError(f"{shown}: {last} after {retries} retries")


def _sleep_before_retry(
    budget: Budget,
    shown: str,
    last: str,
    attempt: int,
    backoff: float,
    backoff_max: float,
    retry_after: float | None,
) -> None:
    """Back off (or honour ``Retry-After``, capped), never past the deadline."""
    pause = min(backoff * 2**attempt, backoff_max)
    if retry_after is not None:
        pause = min(retry_after, backoff_max)
    left = budget.check_deadline(shown)
    if pause >= left:
        raise SourceError(
            f"{shown}: {last}; the next try (in {pause:g} s) would pass the update's deadline "
            f"(KERUEN_UPDATE_DEADLINE={budget.seconds:g} s, {max(left, 0):.1f} s left)"
        )
    time.sleep(pause)


def cached(
    url: str, *, params: dict[str, Any] | None = None, method: str = "GET", data: Any = None
) -> Response | None:
    """The cached answer to a request, whatever its age, or None (offline use)."""
    return DiskCache().get(DiskCache.key(method, url, params, data))
