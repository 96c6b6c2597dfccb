"""Keys of the analysis cache: the code's digest and a canonical digest of parameters."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import keruen

#: Libraries whose versions are part of :func:`code_version` (numbers, tables, figures).
_LIBRARIES = (
    "pandas",
    "numpy",
    "duckdb",
    "scipy",
    "statsmodels",
    "statsforecast",
    "pyfixest",
    "networkx",
    "altair",
    "vl-convert-python",
    "jinja2",
    "babel",
)


@cache
def code_version() -> str:
    """Digest of keruen's version, every file of the package, and the key libraries' versions."""
    digest = hashlib.sha256(f"keruen {keruen.__version__}\n".encode())
    package = Path(keruen.__file__).parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    for lib in _LIBRARIES:
        try:
            version = metadata.version(lib)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{lib} {version}\n".encode())
    return digest.hexdigest()


def canonical(value: Any) -> Any:
    """``value`` as plain JSON data (dataclasses as dicts, sets sorted), for keys."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__type__": type(value).__qualname__, **fields}
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(canonical(v) for v in value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def digest(*parts: Any) -> str:
    """sha256 of the canonical JSON of ``parts``."""
    text = json.dumps(canonical(list(parts)), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
