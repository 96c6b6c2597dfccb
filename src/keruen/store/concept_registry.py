"""The concept registry, ``data/concepts.toml``, read once (no pandas: the CLI's light paths use it).

Each concept names its unit, its plausible ``range`` (in the concept's unit) and the stored
series (``dataset``, ``measure``, ``scale`` to the concept's unit) that can serve it.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


@cache
def concepts() -> dict[str, dict[str, Any]]:
    """The concept registry from ``data/concepts.toml``."""
    text = resources.files("keruen.data").joinpath("concepts.toml").read_text("utf-8")
    return tomllib.loads(text)
