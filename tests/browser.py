"""What the browser tests share: Chromium found as ``keruen report --pdf`` finds it, or a skip.

Debian's ``chromium`` package is driven by Playwright (Playwright's own browser download does
not work offline); where either is missing the calling module is skipped with the reason.
"""

from __future__ import annotations

import pytest

from keruen.report.browser import chromium_path


def require_chromium() -> str:
    """The Chromium executable, or skip the calling module (at import) saying what is missing."""
    path = chromium_path()
    if path is None:
        pytest.skip(
            "Debian's chromium package is not installed (apt-get install chromium)",
            allow_module_level=True,
        )
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    return path
