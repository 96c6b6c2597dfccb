"""All of keruen's settings in one place, each read from an environment variable.

``keruen settings`` (and the docs) list this table; a test checks the docs cover every entry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from keruen.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    """One setting: its environment variable, default and help text."""

    env: str
    default: str | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "KERUEN_HOME",
        None,
        "Folder holding the store (keruen.duckdb) and caches; default: the per-user data "
        "folder (e.g. ~/.local/share/keruen).",
    ),
    Setting(
        "KERUEN_LANG",
        "en",
        "Default language of reports and labels: en, ru or kk.",
    ),
)


def get(env: str) -> str | None:
    """The value of setting ``env`` (environment first, then its default)."""
    for s in SETTINGS:
        if s.env == env:
            return os.environ.get(env) or s.default
    raise ConfigError(f"unknown setting {env!r}; known: {', '.join(s.env for s in SETTINGS)}")


def home() -> Path:
    """The keruen home folder (``KERUEN_HOME`` or the per-user data folder)."""
    value = get("KERUEN_HOME")
    if value:
        return Path(value).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("keruen", appauthor=False))


def store_path() -> Path:
    """Where the default store lives: ``<home>/keruen.duckdb``."""
    return home() / "keruen.duckdb"
