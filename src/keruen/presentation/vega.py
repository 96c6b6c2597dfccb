"""The Vega scripts pages inline (no CDN), and JSON that is safe inside a script element."""

from __future__ import annotations

import json
from functools import cache
from importlib import metadata
from typing import Any

from keruen.analysis.cache import ReportCache, active
from keruen.analysis.cache_keys import digest


def renderer_version() -> str:
    """The version of vl-convert (the Vega-Lite renderer), part of every figure's cache key."""
    return metadata.version("vl-convert-python")


@cache
def vega_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one script (shipped by vl-convert-python; no CDN).

    Building it takes seconds, so it is kept in the cache, keyed by vl-convert's version.
    """
    import vl_convert as vlc  # the renderer, loaded only when a page needs its scripts

    store = active() or ReportCache()
    key = digest("vega-bundle", renderer_version())
    held = store.get("blobs", key)
    if isinstance(held, str):
        return held
    bundle: str = vlc.javascript_bundle()  # type: ignore[call-arg]  # snippet is optional
    bundle = bundle.replace("</script", "<\\/script")
    store.put("blobs", key, bundle)
    return bundle


def script_json(value: Any) -> str:
    """JSON safe inside a ``<script type="application/json">`` element (no ``</script>``)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
