"""The one HTTP layer every connector uses: bounded retries, time-outs, a crash-safe disk cache.

* Retries (``urllib3.util.Retry`` mounted on a ``requests`` session) cover connection errors,
  time-outs, HTTP 429 (honouring ``Retry-After``, capped) and 5xx, with exponential back-off.
  A body cut short (fewer bytes than ``Content-Length``) is retried too. When the budget is
  spent the caller gets one :class:`SourceError` naming the URL and the last failure.
* Answers are kept in an on-disk cache: the body is written to a temporary file, flushed,
  fsync'ed and renamed into place, and a sidecar JSON records its sha256; a read checks the
  sha256 and treats a mismatch (a crash mid-write, a disk fault) as a miss, deleting the entry.
* Long downloads show a progress bar on stderr, only when stderr is a terminal.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from keruen import settings
from keruen.errors import SourceError

#: HTTP statuses worth retrying: rate limiting and server-side failures.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Show a progress bar for bodies larger than this (or of unknown size).
PROGRESS_MIN_BYTES = 1 << 20
_CHUNK = 1 << 16
USER_AGENT = "keruen (https://github.com/keruen; open labour-migration observatory)"


@dataclass(frozen=True)
class Response:
    """A body fetched (or read from the cache) and where it came from."""

    url: str
    content: bytes
    sha256: str
    fetched_at: float
    from_cache: bool

    def json(self) -> Any:
        """The body parsed as JSON; a malformed or truncated body raises :class:`SourceError`."""
        try:
            return json.loads(self.content.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SourceError(
                f"{self.url}: the answer is not valid JSON ({exc}); it may be truncated"
            ) from None


# -- cache ------------------------------------------------------------------------------------
def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


class DiskCache:
    """Bodies keyed by request, each beside a JSON sidecar holding its sha256 and fetch time."""

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

    def get(self, key: str, max_age: float | None = None) -> Response | None:
        """The cached answer if present, intact and (with ``max_age``) young enough."""
        body_path, meta_path = self._paths(key)
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            content = body_path.read_bytes()
        except (OSError, ValueError):
            return None
        digest = hashlib.sha256(content).hexdigest()
        if digest != meta.get("sha256") or len(content) != meta.get("size"):
            self.drop(key)  # torn or corrupted entry: never serve it
            return None
        fetched = float(meta.get("fetched_at", 0))
        if max_age is not None and time.time() - fetched > max_age:
            return None
        return Response(str(meta.get("url", "")), content, digest, fetched, True)

    def put(self, key: str, url: str, content: bytes) -> Response:
        """Store a body atomically (body first, then its sidecar) and return it as a Response."""
        body_path, meta_path = self._paths(key)
        digest = hashlib.sha256(content).hexdigest()
        now = time.time()
        _atomic_write(body_path, content)
        meta = {"url": url, "sha256": digest, "size": len(content), "fetched_at": now}
        _atomic_write(meta_path, json.dumps(meta).encode())
        return Response(url, content, digest, now, False)

    def drop(self, key: str) -> None:
        """Forget one entry."""
        for path in self._paths(key):
            path.unlink(missing_ok=True)


# -- fetching ---------------------------------------------------------------------------------
def _session(retries: int, backoff: float, backoff_max: float):  # type: ignore[no-untyped-def]
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    class CappedRetry(Retry):
        """Retry whose Retry-After is capped by KERUEN_HTTP_BACKOFF_MAX on any urllib3 2.x."""

        def parse_retry_after(self, retry_after: str) -> float:
            return min(super().parse_retry_after(retry_after), backoff_max)

    retry = CappedRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        redirect=5,
        allowed_methods=None,  # Taldau answers POST; every request here is a read
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff,
        backoff_max=backoff_max,
        respect_retry_after_header=True,
        raise_on_status=True,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def _read_body(resp: Any, label: str) -> bytes:
    total = resp.headers.get("Content-Length")
    size = int(total) if total and total.isdigit() else None
    show = sys.stderr.isatty() and (size is None or size >= PROGRESS_MIN_BYTES)
    chunks: list[bytes] = []
    if not show:
        for chunk in resp.iter_content(_CHUNK):
            chunks.append(chunk)
        return b"".join(chunks)
    from tqdm import tqdm

    bar = tqdm(total=size, unit="B", unit_scale=True, desc=label, file=sys.stderr, leave=False)
    with bar:
        for chunk in resp.iter_content(_CHUNK):
            chunks.append(chunk)
            bar.update(len(chunk))
    return b"".join(chunks)


def _describe(exc: BaseException) -> str:
    import requests

    if isinstance(exc, requests.exceptions.RetryError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return f"the server kept failing ({reason or exc})"
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.exceptions.Timeout) or "timed out" in str(reason or exc):
        limit = settings.get("KERUEN_HTTP_TIMEOUT")
        return f"timed out (no answer within KERUEN_HTTP_TIMEOUT={limit} s)"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the answer was cut short (truncated body)"
    text = str(reason or exc)
    if "NameResolution" in text or "Name or service not known" in text:
        return "cannot resolve the server's name (offline, or a wrong URL setting?)"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"cannot connect ({type(reason).__name__ if reason else 'connection error'})"
    return f"{type(exc).__name__}: {exc}"


def fetch(
    url: str,
    *,
    params: dict[str, Any] | None = None,
    method: str = "GET",
    data: Any = None,
    headers: dict[str, str] | None = None,
    max_age: float | None = None,
    cache: DiskCache | None = None,
    label: str | None = None,
) -> Response:
    """Fetch ``url`` with retries, using and filling the disk cache.

    ``max_age`` (seconds; default ``KERUEN_CACHE_TTL``) is how old a cached answer may be to be
    reused; 0 always asks the server. Raises :class:`SourceError` once retries are spent, on a
    non-retryable HTTP status, or on a body shorter than announced.
    """
    import requests

    cache = cache if cache is not None else DiskCache()
    key = DiskCache.key(method, url, params, data)
    ttl = settings.number("KERUEN_CACHE_TTL") if max_age is None else max_age
    if ttl > 0:
        hit = cache.get(key, max_age=ttl)
        if hit is not None:
            return hit
    retries = int(settings.number("KERUEN_HTTP_RETRIES"))
    timeout = settings.number("KERUEN_HTTP_TIMEOUT")
    backoff = settings.number("KERUEN_HTTP_BACKOFF")
    backoff_max = settings.number("KERUEN_HTTP_BACKOFF_MAX")
    shown = url + ("?" + urlencode(params, doseq=True) if params else "")
    last: BaseException | None = None
    with _session(retries, backoff, backoff_max) as session:
        # urllib3 retries failures up to the response headers; this loop retries failures
        # while reading the body (cut-off or stalled streams), with the same bounded budget.
        for attempt in range(retries + 1):
            got_headers = False
            try:
                with session.request(
                    method, url, params=params, data=data, headers=headers, timeout=timeout,
                    stream=True,
                ) as resp:
                    got_headers = True
                    if resp.status_code >= 400:
                        raise SourceError(
                            f"{shown}: HTTP {resp.status_code} {resp.reason or ''}".rstrip()
                        )
                    content = _read_body(resp, label or url.rsplit("/", 1)[-1])
                return cache.put(key, shown, content)
            except requests.exceptions.RetryError as exc:
                raise SourceError(f"{shown}: {_describe(exc)} after {retries} retries") from None
            except (
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ConnectionError,
                requests.exceptions.Timeout,
            ) as exc:
                last = exc
                if got_headers and attempt < retries:
                    time.sleep(min(backoff * 2**attempt, backoff_max))
                    continue
                break  # failures before the headers were already retried by urllib3
            except requests.exceptions.RequestException as exc:
                raise SourceError(f"{shown}: {_describe(exc)}") from None
    assert last is not None
    raise SourceError(f"{shown}: {_describe(last)} after {retries} retries")


def cached(
    url: str, *, params: dict[str, Any] | None = None, method: str = "GET", data: Any = None
) -> Response | None:
    """The cached answer to a request, whatever its age, or None (offline use)."""
    return DiskCache().get(DiskCache.key(method, url, params, data))
